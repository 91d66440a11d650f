"""What makes the report figures readable at a glance, asserted on the figures themselves:
false flags as a share beside log-scale counts, a score axis that fits the scores, daily
sanctions as a rolling sum, a handful of isolated dissenters visible, log axes for
log-spaced sweep values with labels in words and units, flat metrics skipped, Morris μ*
never below 0, a light network SVG, captions that say what is drawn over what, and a
title that names the overrides."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

import panoptisim
from panoptisim.report import figures as F
from panoptisim.report import sweep_figures as SF
from panoptisim.report import write_report
from panoptisim.report.build import scenario_title
from panoptisim.scenario import load_scenario
from panoptisim.state import SENSORS

DAYS = 40


def _metrics(replicates: int = 2, **columns: np.ndarray) -> pd.DataFrame:
    """A metrics table of ``replicates`` replicates x DAYS days, treated and control arms:
    every column the run figures read, zero unless given (one array per replicate, by
    day)."""
    rows = []
    for arm in ("treated", "control"):
        for r in range(replicates):
            for d in range(DAYS):
                row = {"replicate": r, "arm": arm, "day": d}
                for s in SENSORS:
                    row[f"flags_true_{s}"] = row[f"flags_false_{s}"] = 0.0
                for c in ("sanctions_new", "wrongful_sanctions", "wrongful_sanction_share",
                          "isolated_dissenters_share", "expressed_dissent_rate"):
                    row[c] = 0.0
                row["dissenter_degree_ratio"] = 1.0
                for name, values in columns.items():
                    if arm == "treated":
                        row[name] = float(values[r][d])
                rows.append(row)
    return pd.DataFrame(rows)


def _per_day(total: float, replicates: int = 2) -> np.ndarray:
    """``total`` spread evenly over the days, for each replicate."""
    return np.full((replicates, DAYS), total / DAYS)


# ------------------------------------------------------------------ run figures
def test_flags_by_sensor_shows_each_sensors_false_share_and_log_counts() -> None:
    # commerce raises thousands of flags, financial a few dozen, half of them false
    counts = {"online": (220, 22), "cameras": (240, 6), "commerce": (6000, 140),
              "financial": (15, 14), "informants": (90, 15)}
    cols = {}
    for s, (t, f) in counts.items():
        cols[f"flags_true_{s}"] = _per_day(t)
        cols[f"flags_false_{s}"] = _per_day(f)
    fig = F.flags_by_sensor(_metrics(**cols))
    share_ax, count_ax = fig.axes[:2]
    widths = [p.get_width() for p in share_ax.patches]
    expected = [f / (t + f) for t, f in (counts[s] for s in SENSORS)]
    np.testing.assert_allclose(widths, expected, rtol=1e-9)
    assert share_ax.get_xlim()[0] == 0 and share_ax.get_xlim()[1] <= 1.2
    assert "share" in share_ax.get_xlabel()
    # the few false flags of financial are as visible as commerce's: a log scale
    assert count_ax.get_xscale() == "log"
    labels = [t.get_text() for t in share_ax.get_yticklabels()]
    assert any("14 false of 29" in t for t in labels), labels


def test_score_axis_fits_the_scores_and_names_thresholds_in_a_legend() -> None:
    rng = np.random.default_rng(1)
    scores = {"treated": rng.uniform(500, 730, 2000), "control": rng.uniform(600, 720, 2000)}
    thresholds = {"employer_notified": 450.0, "travel_ban": 494.0, "shaming": 500.0,
                  "internet_throttled": 520.0, "visa_denial": 540.0}
    fig = F.score_distribution(scores, (350.0, 950.0), thresholds)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert hi < 760, "the axis runs far past the highest score"
    assert lo <= 450 < 494 <= hi, "a threshold below the scores is off the axis"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for name in thresholds:
        assert any(name.replace("_", " ") in t for t in legend), (name, legend)
    # no label written on the axes where they could overlap
    assert not ax.texts
    assert len([ln for ln in ax.lines if ln.get_gid() == "threshold"]) == len(thresholds)


def test_daily_sanctions_are_a_seven_day_rolling_sum() -> None:
    daily = np.zeros((2, DAYS))
    daily[0, [3, 5, 20]] = 1.0
    daily[1, [4]] = 2.0
    fig = F.wrongful_sanctions(_metrics(sanctions_new=daily, wrongful_sanctions=daily))
    ax = fig.axes[0]
    expected = pd.DataFrame(daily.T).rolling(7, min_periods=1).sum().mean(axis=1).to_numpy()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected)
    assert "7 days" in ax.get_ylabel() and "7-day" in ax.get_title()


def test_one_isolated_dissenter_is_visible_replicate_by_replicate() -> None:
    share = np.zeros((3, DAYS))
    share[1, 25:] = 1 / 180  # one of 180 dissenters in one replicate
    fig = F.isolation(_metrics(replicates=3, isolated_dissenters_share=share))
    ax = fig.axes[1]
    top = ax.get_ylim()[1]
    assert 1 / 180 * 100 < top < 2, "the axis does not fit a share worth one agent"
    treated = [ln for ln in ax.lines if ln.get_color() == F.ARM_COLOR["treated"]]
    assert len(treated) == 3  # one step line per replicate
    assert max(treated[1].get_ydata()) == pytest.approx(100 / 180)
    assert "%" in ax.get_ylabel()
    empty = F.isolation(_metrics()).axes[1]
    assert any("no dissenter isolated" in t.get_text() for t in empty.texts)


def test_every_run_caption_says_what_over_what_and_which_interval() -> None:
    summary = {"replicates": 4, "population": 2000, "steps": 120,
               "arms": ["treated", "control"]}
    for name, base in F.RUN_FIGURES:
        text = F.run_caption(name, base, summary)
        assert "2,000 synthetic agents" in text and "4 replicate" in text, name
        assert "95% t interval" in text or "no interval" in text, name
        assert "days 0–119" in text or "day 119" in text, name
    one = F.run_caption("expressed_dissent", "", {**summary, "replicates": 1})
    assert "one replicate, so no interval" in one


# ----------------------------------------------------------------------- sweeps
@pytest.mark.parametrize(("values", "log"), [
    ([0.0003, 0.003, 0.03], True), ([1e-5, 1e-4, 1e-3, 1e-2], True), ([0.001, 0.1], True),
    ([1, 2, 3], False), ([0.1, 0.2, 0.3], False), ([0, 1, 10], False), ([1, 3], False),
    ([-1, 1, 10], False)])
def test_log_spaced_values_are_recognised(values: list[float], log: bool) -> None:
    assert SF.log_spaced(values) is log


def _sweep_table(flat: bool = False) -> pd.DataFrame:
    rows = []
    for fpir in (0.0003, 0.003, 0.03):
        for appeals in (False, True):
            mean = 0.1 if flat else 0.05 * np.log10(fpir / 0.0001) + (0.02 if appeals else 0)
            rows.append({"surveillance.cameras.fpir": fpir, "safeguards.appeals": appeals,
                         "metric": "chilling_index", "arm": "effect", "n": 2, "mean": mean,
                         "ci_low": mean - 0.03, "ci_high": mean + 0.03})
    return pd.DataFrame(rows)


AXES = [{"key": "surveillance.cameras.fpir", "kind": "values"},
        {"key": "safeguards.appeals", "kind": "values"}]


def test_sweep_figure_log_axis_words_and_units_and_distinct_intervals() -> None:
    fig = SF.metric_vs_parameters(_sweep_table(), "chilling_index", AXES, "grid",
                                  {"surveillance.cameras.fpir": "probability per search",
                                   "safeguards.appeals": "bool"},
                                  {"surveillance.cameras.fpir": "False-positive rate."})
    fpir_ax, appeals_ax = fig.axes[:2]
    assert fpir_ax.get_xscale() == "log" and appeals_ax.get_xscale() == "linear"
    assert "probability per search" in fpir_ax.get_xlabel()
    assert "False-positive rate" in fpir_ax.get_xlabel()
    ylabel = fpir_ax.get_ylabel()
    assert "Chilling index" in ylabel and "share of the control arm" in ylabel
    assert "_" not in ylabel.replace("\n", " ")
    # no filled bands to blend; the two lines' intervals sit side by side
    for ax in (fpir_ax, appeals_ax):
        assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    xs = [tuple(ln.get_xdata()) for ln in fpir_ax.lines if not ln.get_label().startswith("_")]
    assert len(xs) == 2 and xs[0] != xs[1]


def test_flat_metrics_are_found() -> None:
    assert SF.varies(_sweep_table(), "chilling_index")
    assert not SF.varies(_sweep_table(flat=True), "chilling_index")
    assert "chilling_index" in SF.skipped_text(["chilling_index"])


def test_metric_axis_has_label_and_unit() -> None:
    assert SF.metric_axis("chilling_index") == (
        "Chilling index", "share of the control arm's expressed dissent")
    label, unit = SF.metric_axis("flags_false")
    assert label == "Flags false" and unit == "flags per day, summed over the run"


def _morris(low: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({
        "metric": "wrongful_sanctions", "arm": "effect", "method": "morris",
        "parameter": ["scoring.w_political", "surveillance.cameras.fpir"],
        "mu_star": [1.875, 0.02], "confidence": 0.95,
        "verdict": "wrongful_sanctions (effect): no parameter drives it"})
    if low:  # a file whose lower bound dips below 0 (written before it was floored)
        frame["mu_star_low"], frame["mu_star_high"] = [-0.5, -0.3], [4.29, 0.9]
    return frame


def test_morris_bars_and_intervals_stay_at_or_above_zero() -> None:
    fig = SF.sensitivity_bars(_morris())
    ax = fig.axes[0]
    assert ax.get_xlim()[0] >= 0
    from matplotlib.container import ErrorbarContainer

    errorbars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert errorbars  # the interval the legend promises is drawn
    segments = errorbars[0].lines[2][0].get_segments()
    assert len(segments) == 2 and min(seg[:, 0].min() for seg in segments) >= 0
    assert "interval" in ax.get_legend().get_texts()[0].get_text()
    assert "interval" in SF.sensitivity_caption(_morris())
    plain = SF.sensitivity_bars(_morris(low=False)).axes[0]
    assert "interval" not in plain.get_legend().get_texts()[0].get_text()
    assert "none is drawn" in SF.sensitivity_caption(_morris(low=False))


# ---------------------------------------------------------------------- network
def test_network_svg_for_3000_agents_is_small_and_grouped(tmp_path: Path) -> None:
    from panoptisim.report.network import network_figure, record_snapshots
    from panoptisim.report.style import styled

    sc = load_scenario("baseline", {"population.size": 3000, "run.steps": 3}, seed=3)
    snaps = record_snapshots(sc, [0, 2], arms=("treated",))
    assert snaps.communities and len(snaps.communities) == snaps.community.max() + 1
    fig = network_figure(snaps)
    path = tmp_path / "network.svg"
    with styled():
        fig.savefig(path, format="svg", metadata={"Date": None})
    size = path.stat().st_size
    assert size < 2_000_000, f"network.svg is {size:,} bytes"
    text = path.read_text()
    for name in snaps.communities:  # the communities are named in the picture
        assert name in text


def test_network_with_given_positions_draws_every_live_tie_between_communities() -> None:
    """Positions from the caller: no community centres to bundle ties between, so each
    live tie between two communities is drawn as its own line, as the ties within are."""
    from matplotlib.collections import LineCollection

    from panoptisim.report.network import Snapshot, Snapshots, network_figure

    # 4 agents in 2 communities: ties 0-1 and 2-3 within, 0-2 and 1-3 between, 0-3 cut
    neighbours = [[1, 2, 3], [0, 3], [0, 3], [0, 1, 2]]
    indptr = np.concatenate([[0], np.cumsum([len(x) for x in neighbours])])
    indices = np.concatenate(neighbours)
    src = np.repeat(np.arange(4), np.diff(indptr))
    active = ~(((src == 0) & (indices == 3)) | ((src == 3) & (indices == 0)))
    snap = Snapshot("treated", 5, np.array([600.0, 650.0, 700.0, 750.0]),
                    np.array([True, False, False, True]), np.zeros(4, bool), active)
    snaps = Snapshots(indptr, indices, (0.0, 1000.0), [snap], np.array([0, 0, 1, 1]),
                      ("north", "south"))

    def drawn(pos: np.ndarray | None) -> tuple[int, list[str], int]:
        """(live tie segments, labels of the lines between communities, cut segments)."""
        ax = network_figure(snaps, pos=pos).axes[0]
        lines = [c for c in ax.collections if isinstance(c, LineCollection)]
        labels = [t.get_text() for t in ax.texts if t.get_text().isdigit()]
        return len(lines[0].get_segments()), labels, len(lines[1].get_segments())

    pos = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert drawn(pos) == (4, [], 1)  # the 2 within and the 2 between, one line each
    assert drawn(None) == (2, ["2"], 1)  # laid out here: the 2 between are one labelled line


# ---------------------------------------------------------------- title, report
def test_title_names_the_overrides_or_the_users_name() -> None:
    def title(overrides: dict) -> str:
        return scenario_title(tomllib.loads(load_scenario("baseline", overrides).to_toml()))

    assert title({}) == "baseline"
    assert title({"safeguards.appeals": True}) == "baseline with safeguards.appeals = true"
    assert title({"safeguards.appeals": True, "population.size": 500}) == \
        "baseline with safeguards.appeals = true"  # the subtitle gives the size
    assert title({"name": "appeals-on", "safeguards.appeals": True}) == "appeals-on"
    many = title({"safeguards.appeals": True, "scoring.w_political": 3.0,
                  "run.burn_in": 5, "surveillance.cameras.fpir": 0.2})
    assert many.endswith("and 1 more")


def test_run_report_title_and_captions(tmp_path: Path) -> None:
    r = panoptisim.run("baseline", seed=2, out=tmp_path / "run",
                       overrides={"population.size": 300, "run.steps": 10,
                                  "run.replicates": 2, "safeguards.appeals": True})
    html = write_report(r.path, replay=False, figures=False).read_text()
    assert re.search(r"<h1>panoptisim run: baseline with safeguards\.appeals = true</h1>",
                     html)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert len(captions) == len(F.RUN_FIGURES) - 1  # no score distribution without replay
    for caption in captions:
        assert "2 replicate" in caption and "300 synthetic agents" in caption, caption
        assert "95% t interval" in caption or "no interval" in caption, caption


def test_calibration_and_comparison_captions_say_over_what() -> None:
    from panoptisim.report import calibration_figures as CF
    from panoptisim.report import comparison_figures as KF

    doc = {"generations": 3, "particles": 40, "simulations": 200}
    assert len(CF.CALIBRATION_FIGURES) > 0  # the loop below checks something
    for name, caption in CF.CALIBRATION_FIGURES:
        text = CF.calibration_caption(name, caption, doc, 12)
        assert ("40 particles" in text or "12 draws" in text), name
    text = KF.caption({"replicates": 8, "population": 1000, "steps": 90})
    assert "8 paired replicates" in text and "1,000 synthetic agents" in text


def test_a_run_without_flags_draws_its_flags_figure() -> None:
    fig = F.flags_by_sensor(_metrics())
    assert any("no flag" in t.get_text() for t in fig.axes[1].texts)
    assert [t.get_text() for t in fig.axes[0].texts] == ["no flag"] * len(SENSORS)


def test_morris_axis_gives_the_unit_or_no_parenthesis() -> None:
    with_unit = SF.sensitivity_bars(_morris()).axes[0].get_xlabel()
    assert with_unit.endswith(f"({SF.metric_axis('wrongful_sanctions')[1]})"), with_unit
    bare = SF.sensitivity_bars(_morris().assign(metric="made_up")).axes[0].get_xlabel()
    assert bare == "mean absolute elementary effect μ*", bare


@pytest.mark.parametrize(("methods", "confidence", "says"), [
    (["t"], 0.95, "95% t interval over the replicates"),
    (["bootstrap"], 0.9, "90% BCa bootstrap interval over the replicates"),
    (["t", "bootstrap"], 0.99, "99% t or BCa bootstrap interval over the replicates"),
])
def test_sweep_caption_names_the_summarys_interval(methods: list[str], confidence: float,
                                                   says: str) -> None:
    from panoptisim.report.build import sweep_caption

    table = _sweep_table()
    table["ci_method"] = [methods[i % len(methods)] for i in range(len(table))]
    table["confidence"] = confidence
    info = {"design": "grid", "replicates": 2, "population": 500, "steps": 20}
    caption = sweep_caption(info, table, "chilling_index", [])
    assert says in caption, caption
    fig = SF.metric_vs_parameters(table, "chilling_index", AXES, "grid", {})
    assert f"{confidence * 100:g}% interval)" in fig._suptitle.get_text()

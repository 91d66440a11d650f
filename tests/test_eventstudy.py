"""Event study: window means, recovery, overshoot and the largest weekly rise on synthetic
series whose answers are known by hand; summary.json's ``events``; marked figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D

from panoptisim import eventstudy as E
from panoptisim.cascade import noise_floor
from panoptisim.engine import ArmRun, Simulation
from panoptisim.metrics import METRIC_NAMES
from panoptisim.report import figures as F
from panoptisim.scenario.keys import merge
from panoptisim.scenario.load import scenario_document, validate
from panoptisim.summary import run_summary

STEPS = 100
DAY = 50


def rising() -> tuple[np.ndarray, np.ndarray]:
    """Control constant at 0.02; treated at 0.01 before day 50, rising by 0.0006 a day from
    day 50 (0.01) to day 70 (0.022), then 0.022."""
    control = np.full(STEPS, 0.02)
    t = np.arange(STEPS)
    treated = np.where(t < DAY, 0.01, np.minimum(0.01 + 0.0006 * (t - DAY), 0.022))
    return treated, control


def scenario(timeline: list[dict], **run: object):
    return validate(merge(scenario_document("baseline"),
                          {"run": {"steps": STEPS, **run}, "timeline": timeline}))


def scenario_agents() -> int:
    return scenario([]).population.size


def simulation(sc, series: list[tuple[np.ndarray, np.ndarray]]) -> Simulation:
    """A Simulation from synthetic expressed-dissent series (one pair per replicate); every
    other column 0."""
    runs = []
    for r, (treated, control) in enumerate(series):
        for arm, x in (("treated", treated), ("control", control)):
            if arm == "control" and not sc.run.control:
                continue
            cols = {m: np.zeros(STEPS) for m in METRIC_NAMES}
            cols["expressed_dissent_rate"] = np.asarray(x, dtype=np.float64)
            runs.append(ArmRun(arm, r, cols, {}, None))
    return Simulation(sc, runs)


# ------------------------------------------------------------ the figures by hand
def test_trailing_mean_averages_the_days_there_are() -> None:
    assert E.trailing_mean(np.array([1.0, 3, 5, 7, 9]), 3) == pytest.approx([1, 2, 3, 5, 7])


def test_recovery_of_a_linear_rise() -> None:
    treated, control = rising()
    # trailing means from day 50 on: day 50 + k averages days 50 .. 50 + k (k < 7), then
    # 7 days centred 3 days back: 0.01 + 0.0006 (k - 3). 90% of 0.02 = 0.018 is first
    # reached at k = 17 (0.0184; k = 16 gives 0.0178)
    assert E.recovery_days(treated, control, DAY) == 17
    # the trailing mean reaches 0.022 (all 7 days on the plateau): 0.022 / 0.02 - 1
    assert E.overshoot(treated, control, DAY) == pytest.approx(0.1)
    # week-on-week rise of 7-day means inside the linear rise: 7 days x 0.0006
    assert E.largest_weekly_rise(treated, DAY) == pytest.approx(7 * 0.0006)


def test_recovery_counts_only_days_from_the_event_on() -> None:
    treated, control = rising()
    # already back on day 70: 0 days; the days before the event do not drag the mean down
    assert E.recovery_days(treated, control, 70) == 0
    # from day 60 the last full week of the rise is days 60..66 (sum 0.1246), the next
    # days 67..73 (0.0202 + 0.0208 + 0.0214 + 4 x 0.022 = 0.1504): the rise slows to the
    # plateau; the days before day 60 never enter
    assert E.largest_weekly_rise(treated, 60) == pytest.approx((0.1504 - 0.1246) / 7)
    assert E.largest_weekly_rise(treated, 75) == pytest.approx(0.0, abs=1e-12)


def test_never_recovering_is_censored() -> None:
    treated, control = rising()
    flat = np.full(STEPS, 0.01)
    assert E.recovery_days(flat, control, DAY) is None
    assert E.overshoot(flat, control, DAY) == 0.0
    assert E.largest_weekly_rise(flat, DAY) == 0.0
    sim = simulation(scenario([{"day": DAY, "action": "abolish"}]), [(flat, control)])
    rec = E.event_study(sim)[0]["recovery"]
    assert rec["recovery_days"] == {"unit": "days", "mean": None, "ci95": None,
                                    "censored": True, "per_replicate": [None]}


def test_window_effects() -> None:
    treated, control = rising()
    sim = simulation(scenario([{"day": DAY, "action": "abolish"}]), [(treated, control)])
    (ev,) = E.event_study(sim)
    assert (ev["index"], ev["day"], ev["action"], ev["label"], ev["window"]) == \
        (0, DAY, "abolish", "abolish", 30)
    assert ev["before_days"] == [20, 50] and ev["after_days"] == [50, 80]
    rate = ev["metrics"]["expressed_dissent_rate"]
    assert rate["unit"] == "share of agents per day"
    assert rate["before"]["treated"] == pytest.approx(0.01)
    assert rate["before"]["effect"] == pytest.approx(-0.01)
    # after: days 50..70 sum to 21 x 0.01 + 0.0006 x 210 = 0.336, days 71..79 to 0.198
    assert rate["after"]["treated"] == pytest.approx(0.534 / 30)
    assert rate["after"]["control"] == pytest.approx(0.02)
    assert rate["after"]["effect"] == pytest.approx(0.534 / 30 - 0.02)
    assert rate["change"]["effect"] == pytest.approx(0.534 / 30 - 0.02 + 0.01)
    assert rate["after"]["ci95"] is None  # one replicate
    chill = ev["metrics"]["chilling_index"]
    assert chill["before"]["effect"] == pytest.approx(0.5)
    assert chill["after"]["effect"] == pytest.approx(1 - 0.534 / 0.6)
    cascade = {k: ev["metrics"][f"cascade_{k}"]["after"]["treated"]
               for k in ("rise", "noise_floor", "excess")}
    assert cascade["rise"] == pytest.approx(7 * 0.0006)
    # the window's floor: 30 days (17 weekly rises), its mean rate, the scenario's agents
    floor = noise_floor(0.534 / 30, scenario_agents(), 30)
    assert cascade["noise_floor"] == pytest.approx(floor) and floor > 0
    assert cascade["excess"] == pytest.approx(max(7 * 0.0006 - floor, 0.0))
    assert ev["recovery"]["recovery_days"]["mean"] == 17


def test_event_on_day_zero_has_no_before_window() -> None:
    treated, control = rising()
    sim = simulation(scenario([{"day": 0, "action": "introduce", "label": "start"}]),
                     [(treated, control)])
    (ev,) = E.event_study(sim)
    assert ev["before_days"] is None and ev["after_days"] == [0, 30]
    rate = ev["metrics"]["expressed_dissent_rate"]
    assert rate["before"] is None and rate["change"] is None
    assert rate["after"]["effect"] == pytest.approx(-0.01)
    assert ev["recovery"] is None  # introducing a regime is no recovery
    assert ev["label"] == "start"


def test_windows_are_clipped_to_the_run() -> None:
    assert E.windows(90, 30, STEPS) == (slice(60, 90), slice(90, 100))
    assert E.windows(10, 30, STEPS) == (slice(0, 10), slice(10, 40))
    assert E.windows(0, 30, STEPS)[0] is None


def test_intervals_over_replicates_are_clipped_at_zero() -> None:
    treated, control = rising()
    # replicate 2: the same rise, flatter (never overshoots): overshoot 0.1 and 0
    flatter = np.minimum(treated, 0.02)
    sim = simulation(scenario([{"day": DAY, "action": "reveal"}], replicates=2),
                     [(treated, control), (flatter, control)])
    over = E.event_study(sim)[0]["recovery"]["overshoot"]
    assert over["per_replicate"] == pytest.approx([0.1, 0.0])
    assert over["mean"] == pytest.approx(0.05)
    assert over["ci95"][0] == 0.0  # the t interval's low end (about -0.59) is clipped
    assert over["ci95"][1] > 0.05
    assert E.clipped_interval([1.0, 1.0]) == [1.0, 1.0]
    assert E.clipped_interval([1.0]) is None


def test_without_a_control_arm_effects_are_none() -> None:
    treated, control = rising()
    sim = simulation(scenario([{"day": DAY, "action": "abolish"}], control=False),
                     [(treated, control)])
    (ev,) = E.event_study(sim)
    rate = ev["metrics"]["expressed_dissent_rate"]
    assert rate["before"]["treated"] == pytest.approx(0.01)
    assert rate["before"]["effect"] is None and "control" not in rate["before"]
    assert ev["metrics"]["chilling_index"]["after"] is None
    assert ev["recovery"] is None


def test_summary_has_events_only_with_a_timeline() -> None:
    treated, control = rising()
    sc = scenario([{"day": DAY, "action": "abolish"}, {"day": 80, "set": {
        "safeguards.appeals": True}}])
    doc = run_summary(simulation(sc, [(treated, control)]))
    assert [e["label"] for e in doc["events"]] == ["abolish", "safeguards.appeals = True"]
    json.dumps(doc, allow_nan=False)  # plain JSON, no NaN
    assert run_summary(simulation(sc, [(treated, control)])) == doc  # deterministic
    plain = validate(merge(scenario_document("baseline"), {"run": {"steps": STEPS}}))
    assert "events" not in run_summary(simulation(plain, [(treated, control)]))


# -------------------------------------------------------------------- figures
def metrics_table(sim: Simulation) -> pd.DataFrame:
    rows = []
    for run in sim.runs:
        frame = pd.DataFrame(run.columns)
        frame.insert(0, "day", np.arange(STEPS))
        frame.insert(0, "arm", run.arm)
        frame.insert(0, "replicate", run.replicate)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def test_time_series_figures_mark_each_entry() -> None:
    treated, control = rising()
    sc = scenario([{"day": DAY, "action": "abolish", "label": "regime lifted"},
                   {"day": 80, "action": "introduce"}])
    table = metrics_table(simulation(sc, [(treated, control)]))
    events = E.marks(sc.timeline)
    assert events == [(DAY, "regime lifted"), (80, "introduce")]
    for draw in (F.expressed_dissent, F.preference_falsification, F.wrongful_sanctions,
                 F.isolation):
        fig = draw(table, events=events)
        for ax in fig.axes:
            vertical = [ln for ln in ax.lines if isinstance(ln, Line2D)
                        and ln.get_gid() == "event"]
            assert sorted(ln.get_xdata()[0] for ln in vertical) == [DAY, 80]
            labels = [t.get_text() for t in ax.texts if t.get_gid() == "event"]
            assert labels == ["regime lifted", "introduce"]
        assert not [ln for ln in draw(table).axes[0].lines if ln.get_gid() == "event"]


def test_run_report_has_the_event_study(tmp_path) -> None:
    from panoptisim.report import write_report

    treated, control = rising()
    sc = scenario([{"day": DAY, "action": "abolish", "label": "regime lifted"}],
                  replicates=2)
    sim = simulation(sc, [(treated, control), (np.minimum(treated, 0.02), control)])
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps(run_summary(sim)))
    metrics_table(sim).to_parquet(folder / "metrics.parquet")
    plain = validate(merge(scenario_document("baseline"), {"run": {"steps": STEPS}}))
    (folder / "scenario.toml").write_text(plain.to_toml())
    html = write_report(folder, replay=False, figures=False).read_text()
    assert '<h2 id="event-study">Event study</h2>' in html
    assert html.index("Event study") < html.index("Figures")
    assert "day 50: regime lifted" in html and "recovery_days" in html
    assert "share of the control arm&#x27;s expressed dissent" in html
    assert html.count("Dashed vertical lines") == 2 * len(F.MARKED_FIGURES)  # alt, caption


def test_dashboard_charts_mark_each_entry(tmp_path, monkeypatch) -> None:
    pytest.importorskip("panel")
    from bokeh.models import Label, Span

    from panoptisim.dashboard import app

    def fake_run(*args: object, **kwargs: object) -> None:
        raise app.Cancelled("no run in this test")

    sc = scenario([{"day": DAY, "action": "abolish", "label": "regime lifted"},
                   {"day": 80, "action": "introduce"}], replicates=1)
    dash = app.Dashboard(tmp_path)
    monkeypatch.setattr(app, "stream_run", fake_run)
    monkeypatch.setattr(dash, "validate", lambda: sc)
    for _ in range(2):  # a second run replaces the marks, it does not add to them
        dash.start()
        dash.thread.join()
    for fig in dash.figures:
        marked = [r for r in fig.center if r.name == app.EVENT_MARK]
        assert [r.location for r in marked if isinstance(r, Span)] == [DAY, 80]
        assert [r.text for r in marked if isinstance(r, Label)] == ["regime lifted",
                                                                     "introduce"]

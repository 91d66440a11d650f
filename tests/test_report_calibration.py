"""The report of a calibration folder: the command, the page's tables and figures, the
PDF, the folders it refuses, and what each figure draws."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import panoptisim
from panoptisim.calibration.calibrate import calibrate
from panoptisim.calibration.targets import load_targets
from panoptisim.report import ReportError, kind_of, write_report
from panoptisim.report import calibration_figures as CF

PRIORS = {"behavior.p_political_chance": {"min": 0.01, "max": 0.2},
          "surveillance.cameras.fpir": {"min": 1e-5, "max": 0.1}}  # log-uniform
WINDOW = {"set": {"run.steps": 30}, "metric": "expressed_dissent_rate", "arm": "control",
          "days": [5, 29], "aggregate": "mean"}
TARGETS_TOML = """\
[calibration]
name = "report-test"
seed = 3
population = 2000
particles = 12
generations = 2
predictive_draws = 3

[priors]
"behavior.p_political_chance" = { min = 0.01, max = 0.2 }
"surveillance.cameras.fpir" = { min = 1e-5, max = 0.1 }

[[target]]
name = "dissent"
set = { "run.steps" = 30 }
metric = "expressed_dissent_rate"
arm = "control"
days = [5, 29]
aggregate = "mean"
value = 0.02
se = 0.01
source = "a made-up survey"

[[target]]
name = "unreachable"
set = { "run.steps" = 30 }
metric = "expressed_dissent_rate"
arm = "control"
days = [5, 29]
aggregate = "mean"
value = 1.5
se = 0.01
source = "an impossible rate"
"""


@pytest.fixture(scope="module")
def calib_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small calibration: two parameters, a target it fits and one no parameter reaches
    (1.5 expressed dissenters a day per agent)."""
    folder = tmp_path_factory.mktemp("calreport")
    path = folder / "targets.toml"
    path.write_text(TARGETS_TOML)
    out = folder / "out"
    doc = calibrate(load_targets(path), out)
    assert doc["misfits"] == ["unreachable"]
    return out


def _command(*args: str) -> subprocess.CompletedProcess:
    """``python -m panoptisim ARGS`` with this checkout's package on the path."""
    env = {**os.environ, "PYTHONPATH": str(Path(panoptisim.__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "panoptisim", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def _figures_in(html: str) -> list[str]:
    return re.findall(r'data-figure="([^"]+)"', html)


def test_kind_of_recognises_a_calibration_folder(calib_dir: Path) -> None:
    assert kind_of(calib_dir) == "calibration"


def test_report_command_writes_the_page_with_tables_and_figures(calib_dir: Path) -> None:
    res = _command("report", str(calib_dir))
    assert res.returncode == 0, res.stderr
    assert f"report: {calib_dir / 'report.html'}" in res.stdout
    html = (calib_dir / "report.html").read_text()
    names = [name for name, _ in CF.CALIBRATION_FIGURES]
    assert _figures_in(html) == names
    assert html.count('src="data:image/png;base64,') == len(names)
    assert "<script" not in html and not re.search(r'src="(?!data:)', html)
    for name in names:
        for ext in ("png", "svg"):
            assert (calib_dir / "figures" / f"{name}.{ext}").stat().st_size > 1000
    doc = json.loads((calib_dir / "calibration.json").read_text())
    # the stopped line, the parameter table, the target table with both verdicts
    assert f"<strong>Stopped:</strong> {doc['stopped']}" in html
    for key in PRIORS:
        assert f"<td class=\"\">{key}</td>" in html
    assert "log-uniform [1e-05, 0.1]" in html and "uniform [0.01, 0.2]" in html
    assert ">1/day<" in html and ">probability per search<" in html
    rows = re.findall(r"<tr class=\"\"><td class=\"\">(dissent|unreachable)</td>(.*?)</tr>",
                      html)
    verdicts = {name: ("MISFIT" if ">MISFIT<" in row else "fits" if ">fits<" in row
                       else None) for name, row in rows}
    assert verdicts == {name: ("MISFIT" if t["verdict"] == "misfit" else "fits")
                        for name, t in doc["targets"].items()}
    assert "a made-up survey" in html and "an impossible rate" in html
    assert "0.02 ± 0.01" in html and "1.5 ± 0.01" in html
    assert "Targets file" in html and "[[target]]" in html


@pytest.mark.slow  # PDF rendering: test_report.py renders a run report's PDF quickly
def test_report_command_pdf(calib_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "calibration.pdf"
    res = _command("report", str(calib_dir), "--format", "pdf", "--out", str(out))
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    # the cover with the parameter and target tables, then one page per figure
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1 + len(CF.CALIBRATION_FIGURES)
    assert (tmp_path / "figures" / "predictive_check.svg").is_file()


def test_a_folder_of_no_kind_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_bytes(b"")  # an interrupted calibration: no results yet
    res = _command("report", str(tmp_path))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "not a run folder" in lines[0] and "calibration folder" in lines[0]
    res = _command("report", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "calibration folder" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_an_incomplete_calibration_folder_is_a_report_error(calib_dir: Path,
                                                            tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("calibration.json", "posterior.parquet", "generations.parquet"):
        (broken / name).write_bytes((calib_dir / name).read_bytes())
    with pytest.raises(ReportError, match="predictive.parquet is missing") as err:
        write_report(broken)
    assert "\n" not in str(err.value)
    assert not (broken / "report.html").exists()


# ------------------------------------------------------------------ the figures
def test_marginal_shares_are_the_posterior_weights_per_bin() -> None:
    prior = {"min": 0.0, "max": 1.0, "kind": "uniform"}
    edges = CF._edges(prior)
    shares = CF.weight_shares(np.array([0.01, 0.02, 0.99]), np.array([1.0, 1.0, 2.0]), edges)
    assert len(shares) == CF.BINS and shares.sum() == pytest.approx(1.0)
    assert shares[0] == pytest.approx(0.5) and shares[-1] == pytest.approx(0.5)
    log_edges = CF._edges({"min": 1e-4, "max": 1.0, "kind": "log-uniform"})
    assert np.allclose(np.diff(np.log10(log_edges)), 4 / CF.BINS)  # equal on the log scale


def test_figures_draw_units_priors_and_verdicts(calib_dir: Path) -> None:
    doc = json.loads((calib_dir / "calibration.json").read_text())
    posterior = pd.read_parquet(calib_dir / "posterior.parquet")
    predictive = pd.read_parquet(calib_dir / "predictive.parquet")
    fig = CF.posterior_marginals(posterior, doc["parameters"])
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert [ax.get_xlabel() for ax in axes] == [
        "behavior.p_political_chance\n(1/day)",
        "surveillance.cameras.fpir\n(probability per search)"]
    assert axes[1].get_xscale() == "log" and axes[0].get_xscale() == "linear"
    for ax, p in zip(axes, doc["parameters"].values()):
        low, high = ax.get_xlim()
        assert low < p["prior"]["min"] and high > p["prior"]["max"]  # the prior's edges show
        assert any(abs(line.get_xdata()[0] - p["median"]) < 1e-12 for line in ax.lines)
    fig = CF.predictive_check(predictive, doc["targets"],
                              {"dissent": CF.describe_target({"name": "dissent", **WINDOW})})
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles[0].startswith("dissent: fits") and titles[1].startswith(
        "unreachable: MISFIT")
    assert fig.axes[0].get_xlabel().startswith(
        "expressed_dissent_rate, control, days 5–29, mean\n")
    gens = pd.read_parquet(calib_dir / "generations.parquet")
    fig = CF.generations(gens, min_epsilon=1.0, min_acceptance=0.01)
    assert "published standard errors" in fig.axes[0].get_ylabel()
    assert list(fig.axes[0].get_xticks()) == list(gens["generation"])


def test_describe_target_names_the_statistic() -> None:
    assert CF.describe_target({"summary": "chilling_index"}) == "chilling_index (whole run)"
    text = CF.describe_target({"metric": "travel_denials", "arm": "treated",
                               "aggregate": "yearly", "per": 100000,
                               "denominator": {"metric": "sanctions_new"}})
    assert text == ("(travel_denials, treated, all days, yearly) / (sanctions_new, treated, "
                    "all days), per 100000 people")
    text = CF.describe_target({"metric": "expressed_dissent_rate", "arm": "ratio",
                               "days": [60, 89], "times": -1.0, "change": True,
                               "denominator": {"metric": "expressed_dissent_rate",
                                               "arm": "ratio", "days": [0, 29]}})
    assert text == ("(expressed_dissent_rate, treated / control, days 60–89) / "
                    "(expressed_dissent_rate, treated / control, days 0–29) − 1, × -1")
    assert CF.describe_target(None) == ""

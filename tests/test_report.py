"""Reports: figures, the self-contained HTML page, PDF, sweep reports, the network view,
and the dashboard's streamed run (bit-identical to ``panoptisim run``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import panoptisim
from panoptisim.errors import InputError
from panoptisim.report import ReportError, write_report
from panoptisim.report import figures as F
from panoptisim.report.cli import report as report_cmd
from panoptisim.scenario import ScenarioError, load_scenario

TINY = {"population.size": 500, "run.steps": 20}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    panoptisim.run("baseline", seed=11, out=out, overrides={**TINY, "run.replicates": 2})
    return out


def _figures_in(html: str) -> list[str]:
    return re.findall(r'data-figure="([^"]+)"', html)


def test_run_report_is_self_contained_with_every_figure(run_dir: Path) -> None:
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    html = path.read_text()
    assert _figures_in(html) == [name for name, _ in F.RUN_FIGURES]
    # nothing fetched when the page opens: no script, no stylesheet link, no remote source
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'src="(?!data:)', html)
    assert html.count('src="data:image/png;base64,') == len(F.RUN_FIGURES)
    for name, _ in F.RUN_FIGURES:
        for ext in ("png", "svg"):
            f = run_dir / "figures" / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000, f
    assert (run_dir / "figures" / "expressed_dissent.svg").read_text().lstrip().startswith(
        ("<?xml", "<svg"))
    # the headline effects with intervals (two replicates) and the scenario table
    summary = json.loads((run_dir / "summary.json").read_text())
    ci = summary["metrics"]["chilling_index"]["ci95"]
    assert ci is not None and "95% interval" in html and "chilling_index" in html
    assert "surveillance.cameras" in html and "probability per search" in html
    assert "[population]" in html and ">size<" in html and ">500<" in html


def test_score_distribution_comes_from_a_result_or_a_replay(run_dir: Path,
                                                            tmp_path: Path) -> None:
    result = panoptisim.run("baseline", seed=11, overrides=TINY)
    from panoptisim.report.build import final_scores

    replayed = final_scores(run_dir)  # replicate 0 of the 2-replicate run, replayed
    np.testing.assert_array_equal(replayed["treated"], result.final_state("treated").score)
    np.testing.assert_array_equal(replayed["control"], result.final_state("control").score)
    out = write_report(run_dir, out=tmp_path / "noreplay.html", replay=False)
    assert "score_distribution" not in _figures_in(out.read_text())


def test_pdf_report(run_dir: Path, tmp_path: Path) -> None:
    out = write_report(run_dir, fmt="pdf", out=tmp_path / "r.pdf", figures=False,
                       replay=False)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    # the headline table, then one page per figure (no score distribution without replay)
    assert pages == 1 + len(F.RUN_FIGURES) - 1


def test_figures_without_control_arm_or_sanctions(tmp_path: Path) -> None:
    r = panoptisim.run("fico", seed=2, overrides={**TINY, "run.control": False},
                       out=tmp_path / "fico")
    html = write_report(r.path, result=r).read_text()
    assert _figures_in(html) == [name for name, _ in F.RUN_FIGURES]
    assert "arms: treated</p>" in html


def test_report_command_and_bad_input(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(report_cmd, [str(run_dir), "--out", str(tmp_path / "x.html"),
                                     "--no-replay"])
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and (tmp_path / "x.html").is_file()
    assert (tmp_path / "figures" / "expressed_dissent.png").is_file()
    res = runner.invoke(report_cmd, [str(tmp_path / "nowhere")])
    assert isinstance(res.exception, ReportError)
    assert isinstance(res.exception, InputError)  # run_command prints one line, exit 2
    assert "not a folder" in str(res.exception)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReportError, match="not a run folder"):
        write_report(empty)
    res = runner.invoke(report_cmd, [str(run_dir), "--format", "docx"])
    assert res.exit_code == 2 and "docx" in res.output


def test_report_command_exits_2_on_bad_folder(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "panoptisim.report", str(tmp_path / "no")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


def _tiny_sweep(tmp_path: Path, design: str) -> Path:
    from panoptisim.experiments import analyze_sweep, load_sweep, run_sweep, summarize_sweep

    if design == "grid":
        axes = '"surveillance.cameras.fpir" = [0.001, 0.03]\n"safeguards.appeals" = [false, true]'
        extra = "replicates = 2"
    else:
        axes = ('"surveillance.cameras.fpir" = { min = 0.001, max = 0.03 }\n'
                '"scoring.w_political" = { min = 0, max = 60 }')
        extra = "replicates = 1\nsamples = 2"
    spec = tmp_path / f"{design}.toml"
    spec.write_text(f'[sweep]\nname = "t-{design}"\nscenario = "baseline"\nseed = 5\n'
                    f'design = "{design}"\n{extra}\n[set]\n"population.size" = 200\n'
                    f'"run.steps" = 8\n[axes]\n{axes}\n')
    out = tmp_path / f"sweep-{design}"
    run_sweep(load_sweep(spec), out, executor="local", jobs=1)  # tiny runs: spawn dominates
    summarize_sweep(out)
    if design != "grid":
        analyze_sweep(out, "chilling_index")
    return out


def test_sweep_reports(tmp_path: Path) -> None:
    grid = _tiny_sweep(tmp_path, "grid")
    html = write_report(grid).read_text()
    names = _figures_in(html)
    # a metric is drawn when it varies across the points; the flat ones are named instead
    from panoptisim.metrics import HEADLINE
    from panoptisim.report import sweep_figures as SF

    table = pd.read_parquet(grid / "summary.parquet")
    flat = [m for m in HEADLINE if m in set(table["metric"]) and not SF.varies(table, m)]
    drawn = [m for m in HEADLINE if m in set(table["metric"]) and m not in flat]
    assert flat and drawn, (flat, drawn)
    assert names == [f"sweep_{m}" for m in drawn]
    note = re.search(r"Not drawn, as they do not vary across the sweep&#x27;s points: ([^<.]+)",
                     html)
    assert note and note.group(1).split(", ") == flat
    first_caption = re.findall(r"<figcaption>(.*?)<div", html)[0]
    assert "Not drawn" in first_caption and "95% t interval" in first_caption
    assert (grid / "figures" / f"sweep_{drawn[0]}.svg").is_file()
    assert "surveillance.cameras.fpir" in html and "95% interval" in html
    morris = _tiny_sweep(tmp_path, "morris")
    html = write_report(morris, figures=False).read_text()
    names = _figures_in(html)
    assert "sensitivity_chilling_index_effect" in names
    assert "μ*" in html and ("interval of each index" in html or "none is drawn" in html)
    with pytest.raises(ReportError, match="run folders only"):
        from panoptisim.report.cli import report as cmd

        CliRunner().invoke(cmd, [str(grid), "--network-days", "0,5"], catch_exceptions=False)


def test_network_snapshots_replay_the_run_exactly(tmp_path: Path) -> None:
    from panoptisim.report.network import network_figure, record_snapshots

    sc = load_scenario("baseline", {"population.size": 400, "run.steps": 15}, seed=3)
    snaps = record_snapshots(sc, [0, 7, 14])
    assert [(s.arm, s.day) for s in snaps.items] == [(a, d) for d in (0, 7, 14)
                                                      for a in ("treated", "control")]
    result = panoptisim.run(sc)
    last = [s for s in snaps.items if s.day == 14]
    for snap in last:
        state = result.final_state(snap.arm)
        np.testing.assert_array_equal(snap.score, state.score)
        np.testing.assert_array_equal(snap.active, state.graph.active > 0)
    fig = network_figure(snaps)
    assert len([ax for ax in fig.axes if ax.get_visible()]) >= 3
    big = load_scenario("baseline", {"population.size": 6000})
    with pytest.raises(ScenarioError, match="too large for the network view"):
        record_snapshots(big, [0])


def test_network_figure_in_a_run_report(tmp_path: Path) -> None:
    r = panoptisim.run("baseline", seed=4, overrides={"population.size": 300,
                                                      "run.steps": 10}, out=tmp_path / "r")
    res = CliRunner().invoke(report_cmd, [str(r.path), "--network-days", "0,9",
                                          "--no-replay"])
    assert res.exit_code == 0, res.output
    assert "network" in _figures_in((r.path / "report.html").read_text())


def test_streamed_run_is_identical_to_panoptisim_run(tmp_path: Path) -> None:
    from panoptisim.dashboard.live import stream_run

    sc = load_scenario("baseline", {**TINY, "run.replicates": 2}, seed=9)
    rows = []
    _, path = stream_run(sc, tmp_path / "live", lambda r, d, row, done, total:
                         rows.append((r, d, row, done, total)))
    assert len(rows) == 2 * 20 and rows[-1][3:] == (40, 40)
    ref = panoptisim.run(sc, out=tmp_path / "ref")
    got = pd.read_parquet(path / "metrics.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(ref.path / "metrics.parquet"))
    assert (path / "summary.json").read_text() == (ref.path / "summary.json").read_text()
    # the streamed rows are the table's rows
    r0 = got[(got.replicate == 1) & (got.arm == "treated") & (got.day == 5)]
    assert rows[20 + 5][2]["treated"]["expressed_dissent_rate"] == pytest.approx(
        float(r0["expressed_dissent_rate"].iloc[0]), abs=0)


def test_style_uses_the_colour_blind_safe_palette() -> None:
    from panoptisim.report.style import ARM_COLOR, CYCLE, OKABE_ITO

    assert set(CYCLE) <= set(OKABE_ITO.values())
    assert set(ARM_COLOR.values()) <= set(OKABE_ITO.values())
    assert ARM_COLOR["treated"] != ARM_COLOR["control"]


def test_commands_import_without_matplotlib_or_panel() -> None:
    """Registering the commands keeps ``panoptisim --help`` light."""
    import subprocess
    import sys

    code = ("import sys, panoptisim.report.cli as r, panoptisim.dashboard.cli\n"
            "from panoptisim.report.build import FORMATS\n"
            "assert r.FORMATS == FORMATS\n"
            "heavy = [m for m in ('panel', 'bokeh') if m in sys.modules]\n"
            "print(heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    code = "import sys, panoptisim.report.cli; print('matplotlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr

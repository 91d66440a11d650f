"""Sweeps under a calibration's posterior (``sweep.posterior``): replicate r of every point
runs the posterior's draw r, so a point's interval over replicates includes parameter
uncertainty, and points compared replicate by replicate share their parameters and seeds."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from test_experiments_support import cli, write_sweep
from test_posterior_runs import posterior_folder

from panoptisim.experiments import SweepError, load_sweep, run_sweep, summarize_sweep

CHANCE = "behavior.p_political_chance"
APPEALS = '"safeguards.appeals" = [false, true]'
#: The treated arm alone, long enough for the chance to speak to show in its rate.
SETTINGS = {"run.control": "false", "run.steps": 30}


def sweep_file(folder, posterior: str, replicates: int = 4, axes: str = APPEALS,
               settings: dict | None = None, name: str = "post"):
    extra = f'common_seeds = true\nposterior = "{posterior}"'
    return write_sweep(folder, axes, name=name, replicates=replicates, extra=extra,
                       settings={**SETTINGS, **(settings or {})})


def test_each_replicate_runs_its_draw_at_every_point(tmp_path):
    posterior_folder(tmp_path / "calib", np.linspace(0.01, 0.2, 40))
    plan = load_sweep(sweep_file(tmp_path, "calib"))  # relative to the sweep file
    assert plan.posterior == (tmp_path / "calib").resolve()
    assert len(plan.draws) == 4 and len({d[CHANCE] for d in plan.draws}) > 1
    assert all(0.01 <= d[CHANCE] <= 0.2 for d in plan.draws)
    for run in plan.runs():
        doc = plan.scenario_dict(run)
        assert doc["behavior"]["p_political_chance"] == plan.draws[run.replicate][CHANCE]
        assert doc["safeguards"]["appeals"] == bool(run.point)
    # the draws come from the sweep's seed: the same file gives the same draws and digest,
    # another seed other draws
    again = load_sweep(sweep_file(tmp_path, "calib"))
    assert again.draws == plan.draws and again.digest() == plan.digest()
    other = load_sweep(sweep_file(tmp_path, "calib"), {"sweep.seed": 12})
    assert other.draws != plan.draws
    plain = load_sweep(write_sweep(tmp_path, APPEALS, name="plain", replicates=4,
                                   extra="common_seeds = true", settings=SETTINGS))
    assert plain.draws == () and plain.posterior is None and plain.digest() != plan.digest()


@pytest.mark.parametrize("where, settings, axes, needle", [
    ("set", {CHANCE: 0.1}, APPEALS, f"set.{CHANCE} is calibrated by sweep.posterior"),
    ("axes", None, f'"{CHANCE}" = [0.05, 0.1]', f"axes.{CHANCE} is calibrated by"),
])
def test_a_calibrated_key_may_not_be_set_or_swept(tmp_path, where, settings, axes, needle):
    posterior_folder(tmp_path / "calib", np.linspace(0.01, 0.2, 40))
    with pytest.raises(SweepError, match=needle.replace(".", r"\.")):
        load_sweep(sweep_file(tmp_path, "calib", settings=settings, axes=axes))


def test_a_missing_posterior_is_one_line_exit_2_and_nothing_written(tmp_path):
    path = sweep_file(tmp_path, "nowhere")
    res = cli("sweep", path, "--out", tmp_path / "out")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "sweep.posterior" in lines[0] and "nowhere" in lines[0]
    assert "posterior.parquet" in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_wide_posterior_widens_each_points_interval_and_resume_reads_it(tmp_path):
    posterior_folder(tmp_path / "wide", np.linspace(0.01, 0.2, 40))
    posterior_folder(tmp_path / "narrow", np.full(40, 0.08))
    widths = {}
    for name in ("wide", "narrow"):
        out = tmp_path / f"{name}-out"
        report = run_sweep(load_sweep(sweep_file(tmp_path, name, name=name)), out, jobs=1)
        assert report.done == 8 and report.failed == 0
        table = summarize_sweep(out, ci="t")
        rows = table[(table.metric == "expressed_dissent_rate") & (table.arm == "treated")]
        widths[name] = float((rows.ci_high - rows.ci_low).mean())
        info = json.loads((out / "sweep.json").read_text())
        assert info["posterior"]["folder"] == str((tmp_path / name).resolve())
        assert [d["replicate"] for d in info["posterior"]["draws"]] == [0, 1, 2, 3]
        # each run's scenario holds its draw
        run = tomllib.loads((out / "runs" / "p00001-r002" / "scenario.toml").read_text())
        assert run["behavior"]["p_political_chance"] == info["posterior"]["draws"][2][CHANCE]
        # the stored sweep file names the posterior by its absolute path: --resume works
        # from the sweep folder alone
        stored = load_sweep(out / "sweep.toml")
        assert stored.digest() == info["digest"]
    assert widths["wide"] > 3 * widths["narrow"], widths

"""Sweep plans: those that cannot be built (too many runs, counted before anything is
made; range bounds that are not numbers) are one line on stderr with exit status 2, at
once; a resume may add replicates to a sweep, and counts failed runs apart from finished."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_experiments_support import cli, write_sweep

from panoptisim.cli import main
from panoptisim.experiments import SweepError, load_sweep, spec, summarize_sweep
from panoptisim.experiments import store as store_module
from panoptisim.experiments.design import MAX_RUNS
from panoptisim.experiments.spec import plan_from_dict
from panoptisim.experiments.store import SweepStore
from panoptisim.faults import ENV as FAULTS_ENV
from panoptisim.io import write_parquet_atomic

FPIR = "surveillance.cameras.fpir"


def _refused(capsys, *argv: str) -> tuple[str, float]:
    """Run ``panoptisim ARGV`` in this process; the error line and the seconds it took."""
    t0 = time.perf_counter()
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err.strip(), took


@pytest.fixture
def nothing_built(monkeypatch):
    """Make listing a range's values, building a design (grid or sampler) and drawing the
    run seeds fail the test: a plan refused by counting never gets that far."""
    def built(*_args, **_kwargs):
        raise AssertionError("the plan was built before it was counted")

    monkeypatch.setattr(spec.RangeAxis, "values", built)
    monkeypatch.setattr(spec, "build_design", built)
    monkeypatch.setattr(spec, "run_seeds", built)


# ------------------------------------------------------------------- run limit
HUGE = [
    # a range of a tiny step: 10^9 values, which took 18 s to die of MemoryError
    (f'"{FPIR}" = {{ start = 0, stop = 1, step = 1e-9 }}', 1,
     [f"axes.{FPIR} has 1,000,000,000 values", "= 1,000,000,000 runs"]),
    # three axes of 1,000 values: each fine, their grid 10^9 points
    (f'"{FPIR}" = {{ start = 0, stop = 1, num = 1000 }}\n'
     '"scoring.w_political" = { start = 0, stop = 60, num = 1000 }\n'
     '"scoring.w_network" = { start = 0, stop = 6, num = 1000 }', 1,
     ["axes.scoring.w_political has 1,000 values", "1,000,000,000 points"]),
    # a step so small that the count overflows a float
    (f'"{FPIR}" = {{ start = 0, stop = 1, step = 5e-324 }}', 1,
     [f"axes.{FPIR} has about 10^323 values"]),
    # three points, a billion replicates each
    (f'"{FPIR}" = [0.001, 0.01, 0.1]', 1_000_000_000,
     ["3 points x 1,000,000,000 replicates (sweep.replicates) = 3,000,000,000 runs"]),
]


@pytest.mark.parametrize("axes,replicates,says", HUGE, ids=["step", "grid", "overflow",
                                                            "replicates"])
def test_a_huge_plan_is_refused_in_one_line_before_it_is_built(tmp_path, capsys, axes,
                                                               replicates, says,
                                                               nothing_built):
    path = write_sweep(tmp_path, axes, replicates=replicates)
    err, took = _refused(capsys, "sweep", path, "--out", tmp_path / "out")
    for part in says:
        assert part in err
    assert f"above the limit of {MAX_RUNS:,} runs" in err and "--max-runs N" in err
    assert took < 5  # counted, not built (the fixture fails a built plan; building took 18 s)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("design,extra,points", [
    ("sobol", "samples = 524288\nsecond_order = true", 524288 * 6),
    ("morris", "samples = 1000000", 1_000_000 * 3),
    ("lhs", "samples = 1000000", 1_000_000),
])
def test_a_sampled_design_of_too_many_points_is_refused_before_sampling(tmp_path, capsys,
                                                                        design, extra, points,
                                                                        nothing_built):
    axes = f'"{FPIR}" = {{ min = 0, max = 1 }}\n"scoring.w_political" = {{ min = 0, max = 60 }}'
    path = write_sweep(tmp_path, axes, design=design, replicates=1, extra=extra)
    err, took = _refused(capsys, "sweep", path, "--dry-run")
    assert f"design '{design}' over 2 axes" in err and f"{points:,} points" in err
    assert took < 5


def test_the_limit_counts_points_times_replicates_and_max_runs_raises_it(tmp_path, capsys):
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001, 0.01, 0.03]', replicates=2)
    err, _ = _refused(capsys, "sweep", path, "--dry-run", "--max-runs", "5")
    assert (f"axes.{FPIR} has 3 values: 3 points x 2 replicates (sweep.replicates) = 6 "
            "runs, above the limit of 5 runs") in err
    main(["sweep", str(path), "--dry-run", "--max-runs", "6"])  # returns: no error
    assert "3 points x 2 replicates = 6 runs" in capsys.readouterr().out
    # the same limit in Python
    with pytest.raises(SweepError, match="6 runs, above the limit of 4 runs"):
        load_sweep(path, max_runs=4)
    assert load_sweep(path, {"sweep.replicates": 3}, max_runs=9).n_runs == 9


def test_replicates_are_bounded_by_the_run_limit_only(tmp_path):
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001]', replicates=1)
    assert load_sweep(path, {"sweep.replicates": 20_000}, max_runs=20_000).n_runs == 20_000
    with pytest.raises(SweepError, match=r"1 point.* x 20,001 replicates"):
        load_sweep(path, {"sweep.replicates": 20_001}, max_runs=20_000)


# -------------------------------------------------------------- range bounds
BAD_BOUNDS = [
    ({"start": 0, "stop": math.nan, "step": 0.1}, ".stop = nan is not allowed: input should "
                                                  "be a finite number (allowed: a number"),
    ({"start": -math.inf, "stop": 1, "num": 3}, ".start = -inf is not allowed: input should "
                                                "be a finite number"),
    ({"start": 0, "stop": 1, "step": math.inf}, ".step = inf is not allowed"),
    ({"start": "0", "stop": 1, "step": 0.1}, '.start = "0" is not allowed: input should be a '
                                             "valid number (allowed: a number, in a range "
                                             "{start, stop, step}"),
    ({"start": 0, "stop": True, "step": 0.1}, ".stop = true is not allowed: input should be "
                                              "a valid number"),
    ({"start": 0, "stop": 1, "step": -0.1}, ".step = -0.1 is not allowed: input should be "
                                            "greater than 0"),
    ({"start": 0, "stop": 1, "num": 0}, ".num = 0 is not allowed: input should be greater "
                                        "than or equal to 1"),
    ({"start": 0, "stop": 1, "num": 2.5}, ".num = 2.5 is not allowed: input should be a "
                                          "valid integer"),
    ({"start": 0, "stop": 1, "num": True}, ".num = true is not allowed"),
    ({"start": 0.1, "stop": 1, "num": 3, "log": "yes"}, '.log = "yes" is not allowed: input '
                                                        "should be a valid boolean"),
]


@pytest.mark.parametrize("axis,says", BAD_BOUNDS, ids=[s[:24] for _, s in BAD_BOUNDS])
def test_a_range_bound_that_is_not_a_finite_number_is_one_line(axis, says):
    with pytest.raises(SweepError) as err:
        plan_from_dict({"axes": {FPIR: axis}}, None, "s.toml: ")
    text = str(err.value)
    assert f"s.toml: axes.{FPIR}{says}" in text and "\n" not in text


@pytest.mark.parametrize("bounds,says", [
    ("min = nan, max = 1", ".min = nan is not allowed: input should be a finite number "
                           "(allowed: a number, in bounds {min, max"),
    ("min = 0, max = inf", ".max = inf is not allowed"),
    ('min = 0, max = "1"', '.max = "1" is not allowed: input should be a valid number'),
])
def test_sampled_bounds_that_are_not_finite_numbers_are_one_line(tmp_path, capsys, bounds,
                                                                 says):
    path = write_sweep(tmp_path, f'"{FPIR}" = {{ {bounds} }}', design="lhs")
    err, _ = _refused(capsys, "sweep", path, "--dry-run")
    assert f"axes.{FPIR}{says}" in err


def test_a_nan_range_in_a_sweep_file_exits_2(tmp_path, capsys, nothing_built):
    path = write_sweep(tmp_path, f'"{FPIR}" = {{ start = 0, stop = nan, step = 0.1 }}')
    err, took = _refused(capsys, "sweep", path, "--out", tmp_path / "out")
    assert f"axes.{FPIR}.stop = nan is not allowed" in err and took < 5
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key,value", [("replicates", "true"), ("replicates", '"4"'),
                                       ("common_seeds", '"no"'), ("seed", "1.5")])
def test_sweep_keys_of_the_wrong_type_are_refused_not_coerced(tmp_path, key, value):
    path = tmp_path / "s.toml"
    path.write_text(f"[sweep]\n{key} = {value}\n[axes]\n\"{FPIR}\" = [0.01]\n")
    with pytest.raises(SweepError, match=f"sweep.{key} = .* is not allowed: input should be"):
        load_sweep(path)


# ---------------------------------------------------- replicates added on resume
def _files(out, run_ids):
    """(mtime, bytes) of every file of the given runs' folders and result files."""
    paths = [p for r in run_ids for p in sorted((out / "runs" / r).iterdir())]
    paths += [out / "results" / f"{r}.parquet" for r in run_ids]
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}


def test_adding_replicates_on_resume_keeps_the_runs_done_and_runs_only_the_new(tmp_path):
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001, 0.03]', name="more", replicates=2)
    out = tmp_path / "out"
    first = cli("sweep", path, "--out", out, "--jobs", "2", "--quiet")
    assert first.returncode == 0 and "4 of 4 runs done" in first.stdout, first.stderr
    store = SweepStore(out)
    before_plan = store.plan_table()
    info = store.info()
    earlier = list(before_plan["run_id"])
    files = _files(out, earlier)

    res = cli("sweep", path, "--set", "sweep.replicates=3", "--resume", "--out", out,
              "--jobs", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert ("6 of 6 runs done, 0 failed (2 run now, replicates per point 2 -> 3, "
            "4 already finished)") in res.stdout
    assert _files(out, earlier) == files  # the runs done are untouched
    new = {"p00000-r002", "p00001-r002"}  # exactly one new replicate per point
    start = [s for s in store.sessions() if s["event"] == "start"][-1]
    end = [s for s in store.sessions() if s["event"] == "end"][-1]
    assert set(start["todo"]) == new and set(end["executed"]) == new
    plan = store.plan_table()
    assert len(plan) == 6 and set(plan["run_id"]) - set(earlier) == new
    # the runs done keep their seeds; the folder is the sweep of 3 replicates, same id
    pd.testing.assert_frame_equal(
        plan[plan["replicate"] < 2].reset_index(drop=True), before_plan)
    after = store.info()
    three = load_sweep(path, {"sweep.replicates": 3})
    assert after["sweep_id"] == info["sweep_id"] and after["digest"] == three.digest()
    assert after["replicates"] == 3 and after["n_runs"] == 6
    assert after["replicates_added"][0]["from"] == 2
    assert after["replicates_added"][0]["digest_before"] == info["digest"]
    assert set(store.results()["sweep_id"]) == {info["sweep_id"]}
    assert store.results()["run_id"].nunique() == 6
    # the stored copy is the sweep of 3 replicates: a resume from the folder runs nothing
    again = cli("sweep", "--resume", "--out", out, "--quiet")
    assert again.returncode == 0 and "6 of 6 runs done, 0 failed (0 run now" in again.stdout


def test_a_resume_killed_while_adding_replicates_finishes_and_drops_stale_summaries(tmp_path):
    """A session killed in add_replicates after plan.parquet was rewritten but before
    sweep.json was: the next resume finishes the change; and the summaries of the runs of
    fewer replicates are removed, not read back as if they were of the new count."""
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001, 0.03]', name="killed", replicates=2)
    out = tmp_path / "out"
    first = cli("sweep", path, "--out", out, "--jobs", "2", "--quiet")
    assert first.returncode == 0, first.stderr
    summarize_sweep(out)
    (out / "sensitivity").mkdir()
    pq.write_table(pa.table({"metric": ["chilling_index"]}), out / "sensitivity" / "x.parquet")
    derived = [out / "summary.parquet", out / "summary.csv", out / "sensitivity"]
    assert all(p.exists() for p in derived)
    store = SweepStore(out)
    info = store.info()
    three = load_sweep(path, {"sweep.replicates": 3})
    write_parquet_atomic(out / "plan.parquet", store_module._plan_table(three, info["sweep_id"]))
    assert store.info()["digest"] == info["digest"]  # sweep.json: still the old sweep

    res = cli("sweep", path, "--set", "sweep.replicates=3", "--resume", "--out", out,
              "--jobs", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert "6 of 6 runs done, 0 failed (2 run now, replicates per point 2 -> 3" in res.stdout
    assert store.info()["digest"] == three.digest() and len(store.plan_table()) == 6
    assert not any(p.exists() for p in derived)


def test_replicates_added_keep_the_seeds_and_posterior_draws_of_those_done(tmp_path):
    folder = tmp_path / "calib"
    folder.mkdir()
    pq.write_table(pa.table({"behavior.p_purchase": np.linspace(0.05, 0.9, 40),
                             "weight": np.linspace(1, 2, 40)}), folder / "posterior.parquet")
    for sweep in ({"common_seeds": False}, {"common_seeds": True},
                  {"posterior": str(folder)}):
        doc = {"sweep": {"seed": 3, **sweep}, "set": {"population.size": 500},
               "axes": {FPIR: [0.001, 0.01, 0.03]}}
        two = load_sweep(doc, {"sweep.replicates": 2})
        five = load_sweep(doc, {"sweep.replicates": 5})
        assert (five.seeds[:, :2] == two.seeds).all() and five.draws[:2] == two.draws
        assert five.digest(2) == two.digest() != five.digest()
        assert [r.run_id for r in five.runs() if r.replicate < 2] == \
            [r.run_id for r in two.runs()]


# ----------------------------------------------------------- failed runs on resume
@pytest.mark.slow  # three sweeps through the command line, about 25 s
def test_a_resume_counts_failed_runs_apart_from_the_finished(tmp_path):
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001, 0.03]', name="flaky", replicates=2)
    out = tmp_path / "out"
    env = {FAULTS_ENV: "worker.halfway:raise:flaky/p00001-r000"}
    first = cli("sweep", path, "--out", out, "--jobs", "2", "--quiet", env=env)
    assert first.returncode == 1 and "3 of 4 runs done, 1 failed" in first.stdout
    again = cli("sweep", "--resume", "--out", out, "--quiet", env=env)
    assert again.returncode == 1
    assert ("3 of 4 runs done, 1 failed (0 run now, 3 already finished, 1 failed before, "
            "not run again (add --retry-failed))") in again.stdout
    fixed = cli("sweep", "--resume", "--retry-failed", "--out", out, "--quiet")
    assert fixed.returncode == 0, fixed.stderr
    assert ("4 of 4 runs done, 0 failed (1 run now, 3 already finished, 1 failed before, "
            "run again)") in fixed.stdout


@pytest.mark.parametrize("axis, needle", [
    ('"safeguards.appeals" = ["yes", "no"]', "expected true or false"),
    ('"population.size" = [2e3, 3000]', "expected an integer such as 2000"),
    ('"surveillance.cameras.fpir" = ["0.5"]', "surveillance.cameras.fpir"),
    ('"surveillance.cameras.fpir" = [true]', "surveillance.cameras.fpir"),
])
def test_listed_axis_values_are_typed_as_in_a_scenario_file(tmp_path, axis, needle):
    """Values a user lists on an axis get the scenario file's strict types; a range over an
    integer parameter still gives integers."""
    from panoptisim.experiments import load_sweep
    from panoptisim.experiments.spec import SweepError
    path = tmp_path / "s.toml"
    path.write_text(f'[sweep]\nname = "s"\n[axes]\n{axis}\n')
    with pytest.raises(SweepError, match=needle):
        load_sweep(path)
    path.write_text('[sweep]\nname = "s"\n[axes]\n'
                    '"population.size" = {start = 1000, stop = 3000, num = 3}\n')
    assert load_sweep(path).axes[0].values == (1000, 2000, 3000)

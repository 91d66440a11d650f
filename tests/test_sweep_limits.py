"""Sweep plans that cannot be built: too many runs (counted before anything is made), and
range bounds that are not numbers. Each is one line on stderr with exit status 2, at once."""

from __future__ import annotations

import math
import time

import pytest
from test_experiments_support import write_sweep

from panoptisim.cli import main
from panoptisim.experiments import SweepError, load_sweep
from panoptisim.experiments.design import MAX_RUNS
from panoptisim.experiments.spec import plan_from_dict

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
                                                               replicates, says):
    path = write_sweep(tmp_path, axes, replicates=replicates)
    err, took = _refused(capsys, "sweep", path, "--out", tmp_path / "out")
    for part in says:
        assert part in err
    assert f"above the limit of {MAX_RUNS:,} runs" in err and "--max-runs N" in err
    assert took < 0.5  # counted, not built
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("design,extra,points", [
    ("sobol", "samples = 524288\nsecond_order = true", 524288 * 6),
    ("morris", "samples = 1000000", 1_000_000 * 3),
    ("lhs", "samples = 1000000", 1_000_000),
])
def test_a_sampled_design_of_too_many_points_is_refused_before_sampling(tmp_path, capsys,
                                                                        design, extra, points):
    axes = f'"{FPIR}" = {{ min = 0, max = 1 }}\n"scoring.w_political" = {{ min = 0, max = 60 }}'
    path = write_sweep(tmp_path, axes, design=design, replicates=1, extra=extra)
    err, took = _refused(capsys, "sweep", path, "--dry-run")
    assert f"design '{design}' over 2 axes" in err and f"{points:,} points" in err
    assert took < 0.5


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


def test_a_nan_range_in_a_sweep_file_exits_2(tmp_path, capsys):
    path = write_sweep(tmp_path, f'"{FPIR}" = {{ start = 0, stop = nan, step = 0.1 }}')
    err, took = _refused(capsys, "sweep", path, "--out", tmp_path / "out")
    assert f"axes.{FPIR}.stop = nan is not allowed" in err and took < 0.5
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key,value", [("replicates", "true"), ("replicates", '"4"'),
                                       ("common_seeds", '"no"'), ("seed", "1.5")])
def test_sweep_keys_of_the_wrong_type_are_refused_not_coerced(tmp_path, key, value):
    path = tmp_path / "s.toml"
    path.write_text(f"[sweep]\n{key} = {value}\n[axes]\n\"{FPIR}\" = [0.01]\n")
    with pytest.raises(SweepError, match=f"sweep.{key} = .* is not allowed: input should be"):
        load_sweep(path)

"""Sweep files, designs, seeds, interval estimates and sensitivity indices (in process).

The sensitivity tests are known-answer tests on the Ishigami function, whose Sobol'
indices are known analytically (Ishigami & Homma 1990; Saltelli et al. 2008, p. 179).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from test_experiments_support import TINY, cli, write_sweep

from panoptisim.errors import ScenarioError
from panoptisim.experiments import aggregate, design, sensitivity
from panoptisim.experiments.design import run_seeds
from panoptisim.experiments.executors import make_executor
from panoptisim.experiments.spec import (
    BoundsAxis,
    RangeAxis,
    SweepError,
    SweepFile,
    ValuesAxis,
    axis_form,
    load_sweep,
    plan_from_dict,
)
from panoptisim.experiments.store import sweep_toml
from panoptisim.scenario import load_scenario

FPIR = "surveillance.cameras.fpir"


def plan(axes: dict, **sweep) -> object:
    settings = {k: v for k, v in TINY.items() if k not in axes}
    return plan_from_dict({"sweep": sweep, "set": settings, "axes": axes}, None, "s.toml: ")


# ------------------------------------------------------------------ bad input
BAD = [
    ({"axes": {"surveillance.camera.fpir": [0.1]}},
     "unknown key 'axes.surveillance.camera.fpir'; did you mean 'surveillance.cameras.fpir'?"),
    ({"axes": {"surveillance.online.recall": [0.1]}},
     "did you mean 'surveillance.online.recall_dissent'?"),
    ({"axes": {FPIR: []}}, "axes.surveillance.cameras.fpir = [] is empty"),
    ({"axes": {"run.steps": {"start": 50, "stop": 10, "step": 5}}},
     "axes.run.steps = {start = 50, stop = 10, step = 5} is an empty range"),
    ({"axes": {"run.steps": {"start": 10, "stop": 50}}}, "needs exactly one of 'step' and 'num'"),
    ({"axes": {"run.steps": {"start": 10, "stop": 20, "stpe": 2}}},
     "unknown key 'axes.run.steps.stpe'"),
    ({"sweep": {"replicates": 0}},
     "sweep.replicates = 0 is not allowed: input should be greater than or equal to 1 "
     "(allowed: integer >= 1)"),
    ({"sweep": {"design": "sobol"}, "axes": {FPIR: [0.1, 0.2]}},
     "has no bounds: design 'sobol' samples every axis between bounds"),
    ({"sweep": {"design": "lhs"}, "axes": {FPIR: {"start": 0, "stop": 1, "num": 3}}},
     "is a range and has no bounds: design 'lhs'"),
    ({"sweep": {"design": "morris"}}, "needs at least one axis with bounds"),
    ({"axes": {FPIR: {"min": 0, "max": 1}}}, "gives bounds, which only a sampled design"),
    ({"sweep": {"design": "lhs"}, "axes": {FPIR: {"min": 0.5, "max": 0.1}}},
     "is an empty interval: min must be below max"),
    ({"sweep": {"design": "sobol", "samples": 100}, "axes": {FPIR: {"min": 0, "max": 0.1}}},
     "sweep.samples = 100 is not allowed: design 'sobol' needs a power of 2"),
    ({"axes": {FPIR: [0.1, 2]}},
     "surveillance.cameras.fpir = 2 is not allowed: input should be less than or equal to 1 "
     "(allowed: number in [0, 1])"),
    ({"sweep": {"design": "lhs"}, "axes": {"safeguards.appeals": {"min": 0, "max": 1}}},
     "safeguards.appeals is not a number (allowed: true | false)"),
    ({"axes": {"run.seed": [1, 2]}}, "axes.run.seed cannot be set in a sweep"),
    ({"set": {"run.steps": 10}, "axes": {"run.steps": [10, 20]}}, "in both [set] and [axes]"),
    ({"sweep": {"replicate": 3}}, "unknown key 'sweep.replicate'; did you mean "
                                  "'sweep.replicates'?"),
    ({"sweep": {"design": "fractional"}}, "sweep.design = 'fractional' is not allowed"),
    ({"set": {"population.size": 5}}, "[set]: population.size = 5 is not allowed"),
    ({"axes": {"scoring.score_min": [300, 900]}}, "must lie in [score_min, score_max]"),
    ({"axes": {"scoring.score_start": [400, 900], "scoring.score_max": [800, 950]}},
     "point 2 (scoring.score_start=900.0, scoring.score_max=800.0): scoring.score_start = "
     "900.0 must lie in [score_min, score_max] = [350.0, 800.0]"),
    ({"axes": {"run.steps": {"start": 10, "stop": 20, "step": 2.5}}},
     "but the parameter is an integer"),
    ({"sweep": {"scenario": "basline"}}, "unknown scenario 'basline': did you mean 'baseline'?"),
    ({"axes": {FPIR: 3}}, "axes.surveillance.cameras.fpir = 3 is not an axis: give a list"),
    ({"axes": {FPIR: {"start": 0.1, "stop": 1, "step": 0.1, "log": True}}},
     "has log = true, which goes with 'num', not 'step'"),
    ({"axes": {FPIR: {"start": 0, "stop": 1, "num": 3, "log": True}}},
     "has log = true, which needs a positive start and stop"),
    ({"axes": {FPIR: {"start": 0, "stop": 1, "step": 0}}},
     "axes.surveillance.cameras.fpir.step = 0 is not allowed: input should be greater than 0 "
     "(allowed: number > 0, in a range {start, stop, step}"),
    ({"axes": {FPIR: {"min": 1}}}, "axes.surveillance.cameras.fpir needs 'max' (bounds"),
    ({"sweep": {"design": "lhs"}, "axes": {FPIR: {"min": 0, "max": 0.1, "log": True}}},
     "has log = true, which needs min > 0"),
    ({"sweep": {"design": "lhs"}, "axes": {FPIR: {"min": 0, "max": 2}}},
     "axes.surveillance.cameras.fpir.max = 2 is not allowed: it lies outside "
     "surveillance.cameras.fpir's range (allowed: number in [0, 1])"),
    ({"sweep": {"design": "lhs"}, "axes": {"run.steps": {"min": 10.5, "max": 20}}},
     "axes.run.steps.min = 10.5 is not allowed: run.steps is an integer"),
    ({"sweep": {"samples": 8}}, "sweep.samples = 8 is not allowed with design 'grid'"),
    ({"set": {"surveillance": 3}}, "set.surveillance is a section, not a parameter"),
    ({"set": {"run": {"seed": 3}}}, "set.run.seed cannot be set in a sweep"),
    ({"axis": {}}, "unknown key 'axis'; did you mean 'axes'?"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_sweep_files_give_one_line_naming_key_value_and_rule(data, message):
    with pytest.raises(SweepError) as err:
        plan_from_dict(data, None, "s.toml: ")
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith("s.toml: ")


@pytest.mark.parametrize("axes,extra,message", [
    ('"surveillance.camera.fpir" = [0.1]', "", "unknown key 'axes.surveillance.camera.fpir'"),
    ('"run.steps" = { start = 30, stop = 10, step = 5 }', "", "is an empty range"),
    ('"run.steps" = [10, 20]', "replicates = 0", "sweep.replicates = 0 is not allowed"),
    ('"run.steps" = [10, 20]', 'design = "lhs"', "has no bounds: design 'lhs'"),
])
def test_cli_rejects_bad_sweep_files_with_exit_2_before_anything_runs(tmp_path, axes, extra,
                                                                      message):
    text = f'[sweep]\n{extra}\n[set]\n"population.size" = 500\n[axes]\n{axes}\n'
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "out"
    res = cli("sweep", path, "--out", out)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error: bad.toml")
    assert not out.exists()


def test_an_axis_is_one_of_three_forms_told_apart_by_its_shape():
    doc = SweepFile.model_validate({"axes": {
        FPIR: [0.001, 0.01], "run.steps": {"start": 10, "stop": 30, "step": 10},
        "scoring.w_network": {"start": 0.1, "stop": 10, "num": 3, "log": True},
        "surveillance": {"online": {"p_scan": [0.5]}}}})  # a nested table is walked down
    forms = {k: type(v) for k, v in doc.axes.items()}
    assert forms == {FPIR: ValuesAxis, "run.steps": RangeAxis, "scoring.w_network": RangeAxis,
                     "surveillance.online.p_scan": ValuesAxis}
    assert doc.axes["run.steps"].values() == (10, 20, 30)
    assert doc.axes["scoring.w_network"].values() == pytest.approx((0.1, 1, 10))
    sampled = SweepFile.model_validate({"sweep": {"design": "sobol"},
                                        "axes": {FPIR: {"min": 0.001, "max": 0.1}}})
    assert isinstance(sampled.axes[FPIR], BoundsAxis)
    assert [axis_form(x) for x in ([1], {"start": 0}, {"max": 1}, {"a": 1}, 3)] == [
        "values", "range", "bounds", None, None]


@pytest.mark.parametrize("table", [{"axes": {"surveillance.online.recall": [0.1]}},
                                   {"set": {"surveillance.online.recall": 0.1}},
                                   {"set": {"surveillance": {"online": {"recall": 0.1}}}}])
def test_an_unknown_key_gets_the_same_suggestion_as_in_set(table):
    with pytest.raises(ScenarioError) as scenario_err:
        load_scenario("baseline", {"surveillance.online.recall": 0.1})
    with pytest.raises(SweepError) as sweep_err:
        plan_from_dict(table, None, "s.toml: ")
    hint = "did you mean 'surveillance.online.recall_dissent'?"
    assert str(scenario_err.value).endswith(hint) and str(sweep_err.value).endswith(hint)


def test_the_stored_grid_keeps_the_order_of_mixed_axes(tmp_path):
    p = plan({FPIR: [0.001, 0.01], "run.steps": {"start": 10, "stop": 30, "step": 10},
              "safeguards.appeals": [False, True]}, seed=5)
    (tmp_path / "base.toml").write_text(p.base.to_toml())
    (tmp_path / "sweep.toml").write_text(sweep_toml(p))
    again = load_sweep(tmp_path / "sweep.toml")
    assert [a.key for a in again.axes] == [a.key for a in p.axes]
    assert again.design.points == p.design.points and again.digest() == p.digest()


def test_address_without_dask_is_refused_where_the_executor_is_chosen():
    with pytest.raises(SweepError, match="--address tcp://h:1 needs --executor dask"):
        make_executor("local", "tcp://h:1", 1)


def test_missing_and_malformed_files_are_one_line_errors(tmp_path):
    with pytest.raises(SweepError, match="does not exist"):
        load_sweep(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\n")
    with pytest.raises(SweepError, match="is not valid TOML"):
        load_sweep(bad)


# -------------------------------------------------------------------- designs
def test_grid_is_the_full_factorial_last_axis_fastest():
    p = plan({FPIR: [0.001, 0.01], "run.steps": {"start": 10, "stop": 30, "step": 10},
              "safeguards.appeals": [False, True]}, replicates=3)
    assert p.n_points == 2 * 3 * 2 and p.n_runs == 36
    assert p.design.points[0] == {FPIR: 0.001, "run.steps": 10, "safeguards.appeals": False}
    assert p.design.points[1] == {FPIR: 0.001, "run.steps": 10, "safeguards.appeals": True}
    assert p.design.points[-1] == {FPIR: 0.01, "run.steps": 30, "safeguards.appeals": True}
    assert all(isinstance(pt["run.steps"], int) for pt in p.design.points)


def test_ranges_by_count_and_on_a_log_scale():
    p = plan({FPIR: {"start": 0.0001, "stop": 0.01, "num": 3, "log": True},
              "scoring.w_network": {"start": 0, "stop": 1, "num": 5}})
    fpir = sorted({pt[FPIR] for pt in p.design.points})
    assert fpir == pytest.approx([0.0001, 0.001, 0.01])
    assert sorted({pt["scoring.w_network"] for pt in p.design.points}) == [0, 0.25, 0.5, 0.75, 1]


def test_no_axis_is_one_point_of_replicates():
    p = plan({}, replicates=5)
    assert p.n_points == 1 and p.n_runs == 5 and p.design.points == [{}]


def test_latin_hypercube_puts_one_point_in_each_stratum_of_every_axis():
    n = 16
    p = plan({FPIR: {"min": 0.0001, "max": 0.1, "log": True},
              "scoring.w_political": {"min": 0, "max": 60}}, design="lhs", samples=n)
    x = p.design.matrix
    assert x.shape == (n, 2)
    for j, (lo, hi) in enumerate([(-4, -1), (0, 60)]):
        strata = np.floor((x[:, j] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))
    values = np.array([pt[FPIR] for pt in p.design.points])
    assert values.min() >= 0.0001 and values.max() <= 0.1


@pytest.mark.parametrize("name,samples,second,expected", [
    ("sobol", 8, False, 8 * (3 + 2)), ("sobol", 8, True, 8 * (2 * 3 + 2)),
    ("morris", 5, False, 5 * (3 + 1))])
def test_salib_designs_have_their_textbook_sizes(name, samples, second, expected):
    p = plan({FPIR: {"min": 0.0001, "max": 0.01}, "scoring.w_political": {"min": 0, "max": 60},
              "run.steps": {"min": 10, "max": 40}}, design=name, samples=samples,
             second_order=second)
    assert p.n_points == expected
    steps = [pt["run.steps"] for pt in p.design.points]
    assert all(isinstance(s, int) and 10 <= s <= 40 for s in steps)


def test_designs_are_reproducible_from_the_root_seed():
    axes = {FPIR: {"min": 0.0001, "max": 0.01}, "scoring.w_political": {"min": 0, "max": 60}}
    a = plan(axes, design="lhs", samples=8, seed=3)
    b = plan(axes, design="lhs", samples=8, seed=3)
    c = plan(axes, design="lhs", samples=8, seed=4)
    assert a.design.points == b.design.points and a.digest() == b.digest()
    assert a.design.points != c.design.points


# ---------------------------------------------------------------------- seeds
def test_replicate_seeds_are_spawned_from_the_root_and_distinct():
    seeds = run_seeds(42, 5, 4, common=False)
    assert seeds.shape == (5, 4) and len(np.unique(seeds)) == 20
    assert (seeds >= 0).all() and (seeds < 2**63).all()
    assert np.array_equal(seeds, run_seeds(42, 5, 4, common=False))
    assert np.array_equal(run_seeds(42, 8, 4, common=False)[:5], seeds)  # stable prefix
    assert not np.array_equal(seeds, run_seeds(43, 5, 4, common=False))
    common = run_seeds(42, 5, 4, common=True)
    assert (common == common[0]).all() and len(np.unique(common[0])) == 4


def test_every_run_gets_its_seed_in_its_scenario():
    p = plan({FPIR: [0.001, 0.01]}, replicates=2, seed=9)
    runs = p.runs()
    assert [r.run_id for r in runs] == ["p00000-r000", "p00000-r001", "p00001-r000",
                                         "p00001-r001"]
    for r in runs:
        sc = p.scenario_dict(r)
        assert sc["run"]["seed"] == r.seed == p.seeds[r.point, r.replicate]
        assert sc["run"]["replicates"] == 1 and sc["population"]["size"] == 500
        assert sc["surveillance"]["cameras"]["fpir"] == p.design.points[r.point][FPIR]


def test_the_stored_sweep_file_reproduces_the_same_sweep(tmp_path):
    path = write_sweep(tmp_path, f'"{FPIR}" = {{ min = 0.0001, max = 0.01, log = true }}\n'
                                 '"network.mean_friends" = { min = 5, max = 30 }',
                       design="sobol", samples=4, replicates=1)
    p = load_sweep(path)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "base.toml").write_text(p.base.to_toml())
    (tmp_path / "copy" / "sweep.toml").write_text(sweep_toml(p))
    assert load_sweep(tmp_path / "copy" / "sweep.toml").digest() == p.digest()


def test_overrides_change_the_sweep_or_the_scenario(tmp_path):
    path = write_sweep(tmp_path, f'"{FPIR}" = [0.001]', replicates=2)
    p = load_sweep(path, {"sweep.replicates": 3, "run.steps": 15})
    assert p.replicates == 3 and p.base.run.steps == 15


# ------------------------------------------------------------------ intervals
def test_bca_interval_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(2)
    x = rng.lognormal(0, 1, size=(3, 20))
    lo, hi = aggregate.bca_interval(x, np.random.default_rng(3), n_boot=20000)
    for i in range(3):
        ref = stats.bootstrap((x[i],), np.mean, method="BCa", n_resamples=20000,
                              rng=np.random.default_rng(4)).confidence_interval
        width = ref.high - ref.low
        assert abs(lo[i] - ref.low) < 0.05 * width and abs(hi[i] - ref.high) < 0.05 * width
        assert lo[i] < x[i].mean() < hi[i]


# ---------------------------------------------------------------- sensitivity
def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


AXES = [design.Axis(f"x{i}", "bounds", low=-math.pi, high=math.pi) for i in (1, 2, 3)] + [
    design.Axis("dummy", "bounds", low=0.0, high=1.0)]


def test_sobol_indices_of_the_ishigami_function_are_the_known_ones():
    d = design.design_sobol(AXES, 1024, rng_seed=5)
    y = ishigami(d.matrix)
    table, _ = sensitivity.analyze_design("sobol", design.salib_problem(AXES), d.matrix, y,
                                          resamples=200, seed=1)
    t = table.set_index("parameter")
    # Analytic values: S1 = (0.314, 0.442, 0, 0), ST = (0.558, 0.442, 0.244, 0).
    assert t.loc[["x1", "x2", "x3", "dummy"], "S1"].to_numpy() == pytest.approx(
        [0.314, 0.442, 0.0, 0.0], abs=0.05)
    assert t.loc[["x1", "x2", "x3", "dummy"], "ST"].to_numpy() == pytest.approx(
        [0.558, 0.442, 0.244, 0.0], abs=0.05)
    assert (t["S1_low"] <= t["S1"]).all() and (t["ST"] <= t["ST_high"]).all()
    assert list(table["parameter"][:3]) == ["x1", "x2", "x3"]
    assert t.loc[["x1", "x2", "x3"], "drives"].all() and not t.loc["dummy", "drives"]
    text = sensitivity.verdict("y", "effect", "sobol", table)
    assert text.startswith("y (effect) is driven by x1 (ST 0.5") and "not by dummy" in text


def test_morris_screens_out_the_inert_parameter():
    d = design.design_morris(AXES, 40, rng_seed=6, levels=4)
    y = ishigami(d.matrix)
    table, _ = sensitivity.analyze_design("morris", design.salib_problem(AXES), d.matrix, y,
                                          levels=4, resamples=200, seed=2)
    t = table.set_index("parameter")
    assert t.loc["dummy", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert not t.loc["dummy", "drives"] and t.loc[["x1", "x2"], "drives"].all()
    assert (t["mu_star_low"] <= t["mu_star"]).all() and (t["sigma"] >= 0).all()
    assert t.loc["x3", "nonlinear"]  # x3 acts only through its interaction with x1


def test_delta_indices_on_a_latin_hypercube():
    d = design.design_lhs(AXES, 512, rng_seed=7)
    y = ishigami(d.matrix)
    table, _ = sensitivity.analyze_design("delta", design.salib_problem(AXES), d.matrix, y,
                                          resamples=10, seed=3)
    t = table.set_index("parameter")
    assert t.loc["x2", "drives"] and t.loc["x2", "delta"] > t.loc["dummy", "delta"]
    assert table["parameter"].iloc[-1] == "dummy" and (t["delta_low"] <= t["delta"]).all()

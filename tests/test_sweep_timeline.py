"""Sweeps over the timeline and the regions: a timeline entry's day or set value, a
region's own rule and a region's share on an axis, with bounds from the underlying
parameter and one-line errors naming the axis key. Plans are built and every point's
scenario validated; one small sweep runs end to end through the command line."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from panoptisim.experiments import SweepError, load_sweep
from panoptisim.experiments.spec import plan_from_dict, sweep_param
from panoptisim.scenario import Scenario

SCENARIO = """base = "baseline"
[run]
steps = 30
[population]
size = 300
[regions.rural.scoring]
w_political = 10
[[timeline]]
day = 5
set = { "safeguards.dur_appeal" = 20 }
[[timeline]]
day = 10
action = "abolish"
regions = ["rural"]
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "tl.toml").write_text(SCENARIO)
    return tmp_path


def plan(folder, axes, design="grid", samples=None, settings=None):
    sweep = {"scenario": "tl.toml", "design": design}
    if samples is not None:
        sweep["samples"] = samples
    return plan_from_dict({"sweep": sweep, "set": settings or {}, "axes": axes},
                          folder / "s.toml")


def scenarios(p):
    """The validated scenario of every run of plan ``p``."""
    return [Scenario.model_validate(p.scenario_dict(r)) for r in p.runs()]


def test_a_timeline_entry_day_on_an_axis(folder):
    p = plan(folder, {"timeline.0.day": [0, 3, 9]})
    assert [sc.timeline[0].day for sc in scenarios(p)] == [0, 3, 9]
    assert all(sc.timeline[1].day == 10 for sc in scenarios(p))


def test_a_timeline_set_value_on_an_axis_is_kept_as_its_parameter_holds_it(folder):
    p = plan(folder, {"timeline.0.set.safeguards.dur_appeal": [10, 40]})
    assert p.design.points == [{"timeline.0.set.safeguards.dur_appeal": 10},
                                {"timeline.0.set.safeguards.dur_appeal": 40}]
    got = [sc.timeline[0].set for sc in scenarios(p)]
    assert got == [{"safeguards.dur_appeal": 10}, {"safeguards.dur_appeal": 40}]
    assert all(type(s["safeguards.dur_appeal"]) is int for s in got)


def test_a_fractional_value_listed_for_an_integer_timeline_setting_is_refused(folder):
    # values listed on an axis get the scenario file's strict types: 10.0 is not a day count
    with pytest.raises(SweepError, match=r"dur_appeal = 10\.0.*expected an integer"):
        plan(folder, {"timeline.0.set.safeguards.dur_appeal": [10.0, 40]})


def test_a_regions_rule_and_a_regions_share_on_axes(folder):
    p = plan(folder, {"regions.rural.scoring.w_political": [0, 50],
                      "population.regions.0.share": [0.5, 0.8]})
    got = [(sc.regions["rural"]["scoring"]["w_political"],
            [r.share for r in sc.population.regions]) for sc in scenarios(p)]
    assert got == [(0, [0.5, 0.5]), (0, [0.8, 0.2]), (50, [0.5, 0.5]), (50, [0.8, 0.2])]


def test_a_swept_share_leaves_the_rest_to_the_others_in_their_proportions(folder):
    three = SCENARIO.replace("[population]\nsize = 300", """[population]
size = 300
regions = [{ name = "urban", share = 0.5 }, { name = "rural", share = 0.3 },
           { name = "remote", share = 0.2, urbanity = 0 }]""")
    (folder / "tl.toml").write_text(three)
    sc, = scenarios(plan(folder, {"population.regions.2.share": [0.6]}))
    assert [r.share for r in sc.population.regions] == pytest.approx([0.25, 0.15, 0.6])


def test_nested_axis_tables_reach_the_same_keys(folder):
    p = plan(folder, {"timeline": {"0": {"day": [1, 2], "set": {
        "safeguards.dur_appeal": [7]}}}, "regions": {"rural": {"scoring": {"w_political": [3]}}}})
    assert set(p.design.points[0]) == {"timeline.0.day", "timeline.0.set.safeguards.dur_appeal",
                                       "regions.rural.scoring.w_political"}


def test_sampled_designs_draw_days_as_integers_within_the_run(folder):
    p = plan(folder, {"timeline.1.day": {"min": 6, "max": 29},
                      "regions.rural.scoring.w_political": {"min": 0, "max": 60}},
             design="lhs", samples=8)
    days = [pt["timeline.1.day"] for pt in p.design.points]
    assert all(isinstance(d, int) and 6 <= d <= 29 for d in days)
    assert len(scenarios(p)) == 8


def test_bounds_come_from_the_underlying_parameter():
    assert sweep_param("timeline.3.set.safeguards.dur_appeal").bounds.lo == 1
    assert sweep_param("regions.x.surveillance.cameras.fpir").bounds.hi == 1
    assert sweep_param("population.regions.0.share").bounds.lo_open
    day = sweep_param("timeline.0.day")
    assert day.annotation is int and day.bounds.lo == 0
    assert sweep_param("timeline.0.bogus") is None and sweep_param("regions.x") is None


@pytest.mark.parametrize("axes, design, needle", [
    ({"timeline.0.day": [3, 30]}, "grid", "axes.timeline.0.day = 30 is out of range; allowed: "
                                          "integer in [0, 29]"),
    ({"timeline.0.day": [-1]}, "grid", "axes.timeline.0.day = -1"),
    ({"timeline.0.day": [11]}, "grid", "axes.timeline.0.day = 11: timeline.1.day = 10 comes "
                                       "before"),
    ({"timeline.0.day": {"min": 0, "max": 40}}, "lhs", "axes.timeline.0.day.max = 40 is not "
                                                      "allowed"),
    ({"timeline.0.day": {"min": 0, "max": 8.5}}, "lhs", "axes.timeline.0.day.max = 8.5"),
    ({"timeline.0.day": {"start": 0, "stop": 9, "step": 0.5}}, "grid", "axes.timeline.0.day"),
    ({"timeline.4.day": [3]}, "grid", "axes.timeline.4.day = 3: 'timeline.4.day': timeline "
                                      "has 2 entries"),
    ({"timeline.0.dya": [3]}, "grid", "unknown key 'axes.timeline.0.dya'"),
    ({"timeline.0.set.safeguards.dur_appeal": [10, -3]}, "grid",
     "axes.timeline.0.set.safeguards.dur_appeal = -3"),
    ({"timeline.0.set.safeguards.dur_appeal": {"min": 0, "max": 9}}, "lhs",
     "axes.timeline.0.set.safeguards.dur_appeal.min = 0 is not allowed"),
    ({"timeline.0.set.safeguards.dur_apeal": [10]}, "grid",
     "did you mean 'safeguards.dur_appeal'"),
    ({"timeline.0.set.population.size": [300]}, "grid",
     "axes.timeline.0.set.population.size: 'population.size' is fixed when the society is "
     "built"),
    ({"timeline.0.set.run.seed": [3]}, "grid", "axes.timeline.0.set.run.seed cannot be set"),
    ({"regions.rural.scoring.w_political": [-1]}, "grid",
     "axes.regions.rural.scoring.w_political = -1"),
    ({"regions.rural.behavior.beta_cost": [1]}, "grid", "cannot differ by region"),
    ({"regions.town.scoring.w_political": [1]}, "grid", "no region 'town'"),
    ({"population.regions.0.share": [1.2]}, "grid",
     "axes.population.regions.0.share = 1.2 leaves -0.2 for the other regions"),
    ({"population.regions.0.sahre": [0.3]}, "grid",
     "unknown key 'axes.population.regions.0.sahre'"),
])
def test_invalid_axes_are_one_line_naming_the_axis_key(folder, axes, design, needle):
    with pytest.raises(SweepError) as exc:
        plan(folder, axes, design=design, samples=4 if design != "grid" else None)
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg, msg


def test_an_invalid_point_names_the_point_and_its_keys(folder):
    # each day is valid alone; together they break the day order
    with pytest.raises(SweepError, match=r"point 1 \(timeline.0.day=9, timeline.1.day=8\).*"
                                         "day order"):
        plan(folder, {"timeline.0.day": [9], "timeline.1.day": [10, 8]})


def test_set_may_hold_timeline_and_region_keys(folder):
    p = plan(folder, {"timeline.1.day": [20]},
             settings={"timeline.0.set.safeguards.dur_appeal": 12,
                       "regions.rural.scoring.regime": "fico"})
    sc, = scenarios(p)
    assert sc.timeline[0].set == {"safeguards.dur_appeal": 12}
    assert sc.regions["rural"]["scoring"]["regime"] == "fico"


def test_a_sweep_file_over_a_timeline_day_loads_from_toml(folder):
    (folder / "s.toml").write_text('[sweep]\nscenario = "tl.toml"\n[axes]\n'
                                   '"timeline.0.day" = { start = 2, stop = 8, step = 3 }\n'
                                   '[axes.regions.rural.scoring]\nw_political = [0, 20]\n')
    p = load_sweep(folder / "s.toml")
    assert p.n_points == 6
    assert [pt["timeline.0.day"] for pt in p.design.points] == [2, 2, 5, 5, 8, 8]


def test_a_two_point_sweep_over_a_timeline_day_runs_end_to_end(folder):
    (folder / "s.toml").write_text('[sweep]\nscenario = "tl.toml"\n[set]\n'
                                   '"run.steps" = 20\n"run.control" = false\n'
                                   '[axes]\n"timeline.0.day" = [2, 8]\n')
    out = folder / "out"
    res = subprocess.run([sys.executable, "-m", "panoptisim", "sweep", str(folder / "s.toml"),
                          "--out", str(out), "--jobs", "1", "--quiet"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    days = sorted(tomllib.loads(p.read_text())["timeline"][0]["day"]
                  for p in (out / "runs").glob("*/scenario.toml"))
    assert days == [2, 8]

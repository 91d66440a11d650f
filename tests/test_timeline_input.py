"""Malformed timelines and regions through the command line and the Python API: one line
on stderr naming the entry, the key and the value, exit status 2, nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panoptisim.api import build_scenario
from panoptisim.errors import ScenarioError
from panoptisim.scenario import FEEDS, REGIMES, iter_params, load_scenario
from panoptisim.scenario.timeline import build_time, schedule

STEPS = 30
HEAD = f'base = "baseline"\n[run]\nsteps = {STEPS}\n[population]\nsize = 200\n'


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "panoptisim", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def entry(day, **fields) -> str:
    lines = ["[[timeline]]", f"day = {day}"]
    lines += [f"{k} = {v}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


OK = entry(5, set='{ "safeguards.appeals" = true }')

#: (scenario file body after HEAD, what the one line must contain)
MALFORMED = {
    "unknown key in set": (
        OK + entry(8, set='{ "safeguards.apeals" = true }'),
        ["timeline.1", "safeguards.apeals", "True", "did you mean 'safeguards.appeals'"]),
    "build-time key": (
        entry(5, set='{ "population.size" = 500 }'),
        ["timeline.0", "population.size", "500", "fixed when the society is built"]),
    "day out of range": (
        OK + entry(STEPS, action='"abolish"'),
        ["timeline.1.day", f"{STEPS}", f"[0, {STEPS - 1}]"]),
    "day negative": (
        entry(-1, action='"abolish"'), ["timeline.0.day", "-1", ">= 0"]),
    "bad value": (
        OK + entry(9, set='{ "safeguards.dur_appeal" = -3 }'),
        ["timeline.1", "safeguards.dur_appeal", "-3", "[1, 3650]"]),
    "out of day order": (
        OK + entry(3, action='"abolish"'),
        ["timeline.1.day", "3", "timeline.0.day = 5", "day order"]),
    "unknown action": (
        entry(5, action='"ban"'), ["timeline.0.action", "'ban'", "abolish | introduce"]),
    "unknown region": (
        entry(5, action='"abolish"', regions='["town"]'),
        ["timeline.0.regions", "town", "urban, rural"]),
    "unknown field": (
        OK + entry(6, action='"abolish"', when="3"),
        ["timeline.1.when", "day, action, regions"]),
    "unknown region of an override": (
        '[regions.town.scoring]\nregime = "fico"\n' + OK,
        ["regions.town", "urban, rural"]),
    "region override of a rule that cannot differ": (
        '[regions.rural.behavior]\nbeta_cost = 2.0\n',
        ["regions.rural", "behavior.beta_cost", "2.0", "cannot differ by region"]),
    "shares not summing to 1": (
        '[[population.regions]]\nname = "urban"\nshare = 0.5\n'
        '[[population.regions]]\nname = "rural"\nshare = 0.4\n' + OK,
        ["population.regions", "0.9", "sum to 1"]),
    "a region set in a region-scoped entry": (
        entry(5, regions='["rural"]', set='{ "behavior.beta_cost" = 2.0 }'),
        ["timeline.0", "behavior.beta_cost", "2.0", "cannot differ by region"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_timeline_is_one_line_exit_2_and_writes_nothing(tmp_path, case):
    body, needles = MALFORMED[case]
    (tmp_path / "s.toml").write_text(HEAD + body)
    out = tmp_path / "out"
    res = cli("run", "s.toml", "--out", str(out), "--quiet", "--no-report", cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_set_moves_an_entry_and_a_missing_entry_is_one_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('base = "baseline"\n[population]\nsize = 200\n' + OK)
    sc = load_scenario(path, {"timeline.0.day": 200})
    assert sc.timeline[0].day == 200 and sc.timeline[0].set == {"safeguards.appeals": True}
    sc = load_scenario(path, {"timeline.0.set.safeguards.dur_appeal": 12})
    assert sc.timeline[0].set == {"safeguards.appeals": True, "safeguards.dur_appeal": 12}
    res = cli("run", str(path), "--set", "timeline.5.day=1", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "timeline.5.day" in lines[0] and "1 entries" in lines[0], lines
    assert not (tmp_path / "o").exists()


def test_the_api_takes_a_timeline_and_regions_and_refuses_them_as_files_are():
    small = {"population.size": 200, "run.steps": STEPS}
    sc = build_scenario("baseline", small,
                        timeline=[{"day": 4, "set": {"safeguards": {"appeals": True}}},
                                  {"day": 9, "action": "abolish", "regions": ["rural"]}],
                        regions={"rural": {"scoring.w_political": 5}})
    assert sc.timeline[0].set == {"safeguards.appeals": True}
    assert sc.regions == {"rural": {"scoring": {"w_political": 5}}}
    moved = build_scenario("baseline", dict(small, **{"timeline.1.day": 12}),
                           timeline=sc.timeline)
    assert [e.day for e in moved.timeline] == [4, 12]
    for kwargs, needle in [
        ({"timeline": {"day": 3}}, "timeline = {'day': 3} is not allowed: give a list"),
        ({"timeline": [3]}, "timeline.0 = 3 is not allowed"),
        ({"timeline": [{"day": STEPS, "action": "abolish"}]}, "timeline.0.day = 30"),
        ({"timeline": [{"day": 1, "set": {"safeguards.dur_appeal": -3}}]},
         "safeguards.dur_appeal = -3"),
        ({"regions": {"town": {"scoring.regime": "fico"}}}, "no region 'town'"),
        ({"regions": ["rural"]}, "regions = ['rural'] is not allowed"),
    ]:
        with pytest.raises(ScenarioError) as exc:
            build_scenario("baseline", small, **kwargs)
        assert needle in str(exc.value) and "\n" not in str(exc.value), str(exc.value)


# ------------------------------------------------------------------ property test
#: Keys a timeline may set, with a valid value drawn for each.
SETTABLE = [p for p in iter_params() if not build_time(p.key)
            and (p.annotation in (int, float, bool) or p.choices)]


@st.composite
def settable_value(draw):
    p = draw(st.sampled_from(SETTABLE))
    if p.annotation is bool:
        return p.key, draw(st.booleans())
    if p.choices:
        many = "list" in str(p.annotation)
        pick = st.sampled_from(p.choices)
        return p.key, (sorted(set(draw(st.lists(pick, max_size=3)))) if many else draw(pick))
    b = p.bounds
    lo, hi = (b.lo if b.lo is not None else -1e3), (b.hi if b.hi is not None else 1e3)
    if p.annotation is int:
        return p.key, draw(st.integers(int(lo) + b.lo_open, int(min(hi, lo + 5000))))
    return p.key, draw(st.floats(lo, hi, allow_nan=False, exclude_min=b.lo_open,
                                 exclude_max=b.hi_open))


@st.composite
def timeline_entry(draw):
    doc = {"day": draw(st.integers(0, STEPS - 1))}
    action = draw(st.sampled_from([None, "abolish", "introduce", "reveal"]))
    if action is not None:
        doc["action"] = action
        if action == "introduce" and draw(st.booleans()):
            doc["regime"] = draw(st.sampled_from(REGIMES))
        if action == "reveal" and draw(st.booleans()):
            doc["feeds"] = draw(st.lists(st.sampled_from(FEEDS), min_size=1, max_size=2,
                                         unique=True))
    if draw(st.booleans()):
        doc["regions"] = draw(st.lists(st.sampled_from(["urban", "rural"]), min_size=1,
                                       max_size=2, unique=True))
    doc["set"] = dict(draw(st.lists(settable_value(), max_size=3)))
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(timeline_entry(), min_size=1, max_size=4), st.booleans())
def test_random_timelines_load_or_give_one_line_never_another_exception(entries, ordered):
    if ordered:
        entries = sorted(entries, key=lambda e: e["day"])
    try:
        sc = build_scenario("baseline", {"population.size": 200, "run.steps": STEPS},
                            timeline=entries)
    except ScenarioError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, msg
        return
    assert len(sc.timeline) == len(entries)


def test_a_scenario_with_a_timeline_is_written_as_toml():
    sc = build_scenario("baseline", {"run.steps": STEPS},
                        timeline=[{"day": 3, "action": "abolish"}])
    assert "abolish" in sc.to_toml() and len(schedule(sc).periods) == 2

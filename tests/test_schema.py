"""The scenario schema: every parameter declared with unit, range and source; bad input is
one clear line; valid values round-trip through TOML (property tests)."""

from __future__ import annotations

import tomllib
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panoptisim.scenario import (
    Scenario,
    ScenarioError,
    builtin_names,
    iter_params,
    load_scenario,
    parse_override,
)

PARAMS = iter_params()
NUMERIC = [p for p in PARAMS if p.annotation in (int, float)]


def bounds(key: str) -> tuple[float | None, float | None, bool]:
    section, name = key.rsplit(".", 1)
    model: type = Scenario
    for part in section.split("."):
        model = typing.get_type_hints(model)[part]
    lo = hi = None
    strict = False
    for m in model.model_fields[name].metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, strict = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
    return lo, hi, strict


def test_every_parameter_is_documented():
    assert len(PARAMS) > 80
    for p in PARAMS:
        assert p.unit and p.source and p.description, p.key
        assert p.allowed, p.key


def test_every_numeric_parameter_has_a_range():
    for p in NUMERIC:
        lo, hi, _ = bounds(p.key)
        assert lo is not None and hi is not None, f"{p.key} has no allowed range"
        assert lo <= p.default <= hi, p.key


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_load_and_round_trip(name):
    sc = load_scenario(name)
    assert sc.name == name and sc.description
    again = Scenario.model_validate(tomllib.loads(sc.to_toml()))
    assert again == sc and again.digest() == sc.digest()


def test_required_builtins_exist():
    assert {"baseline", "fico", "sesame", "no-surveillance", "safeguards"} <= set(builtin_names())
    assert load_scenario("baseline").scoring.regime == "citizen"
    assert load_scenario("safeguards").safeguards.appeals


def test_unknown_key_suggests_the_nearest():
    with pytest.raises(ScenarioError, match=r"unknown key 'surveillance.cameras.fpri'.*"
                                            r"did you mean 'surveillance.cameras.fpir'"):
        load_scenario("baseline", {"surveillance.cameras.fpri": 0.1})


def test_unknown_key_in_file_suggests_the_nearest(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[population]\nsize = 1000\nsizee = 3\n")
    with pytest.raises(ScenarioError, match=r"unknown key 'population.sizee'.*population.size"):
        load_scenario(f)


def test_out_of_range_names_key_value_and_range():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("baseline", {"surveillance.cameras.fpir": 1.5})
    msg = str(exc.value)
    assert "surveillance.cameras.fpir" in msg and "1.5" in msg and "[0, 1]" in msg
    assert "\n" not in msg


def test_wrong_type_names_key_and_value():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("baseline", {"population.size": "many"})
    msg = str(exc.value)
    assert "population.size" in msg and "'many'" in msg and "integer" in msg


def test_wrong_choice_lists_the_choices():
    with pytest.raises(ScenarioError, match=r"scoring.regime.*'orwell'.*fico"):
        load_scenario("baseline", {"scoring.regime": "orwell"})


def test_malformed_and_missing_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nsteps = 3")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="unknown scenario 'baseline2'.*baseline"):
        load_scenario("baseline2")


def test_score_range_is_consistent():
    with pytest.raises(ScenarioError, match="score_min"):
        load_scenario("baseline", {"scoring.score_min": 900, "scoring.score_max": 800})


def test_override_values_are_read_as_toml():
    assert parse_override("surveillance.cameras.fpir=0.003") == ("surveillance.cameras.fpir",
                                                                  0.003)
    assert parse_override("safeguards.appeals=true") == ("safeguards.appeals", True)
    assert parse_override('safeguards.data_minimisation=["online"]')[1] == ["online"]
    assert parse_override("scoring.regime=fico") == ("scoring.regime", "fico")
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        parse_override("population.size")


def test_base_scenarios_inherit(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('base = "safeguards"\nname = "mine"\n[run]\nsteps = 30\n')
    sc = load_scenario(f)
    assert sc.safeguards.appeals and sc.run.steps == 30 and sc.name == "mine"


@st.composite
def valid_assignment(draw):
    p = draw(st.sampled_from(NUMERIC))
    lo, hi, strict = bounds(p.key)
    if p.annotation is int:
        value = draw(st.integers(int(lo), int(min(hi, lo + 10_000))))
    else:
        value = draw(st.floats(lo, hi, allow_nan=False, exclude_min=strict))
    return p.key, value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_assignment())
def test_valid_values_are_accepted_and_round_trip(assignment):
    key, value = assignment
    try:
        sc = load_scenario("baseline", {key: value})
    except ScenarioError as exc:  # only the cross-field score rule may refuse
        assert "score_" in str(exc)
        return
    again = Scenario.model_validate(tomllib.loads(sc.to_toml()))
    assert again == sc


@st.composite
def invalid_assignment(draw):
    p = draw(st.sampled_from(NUMERIC))
    lo, hi, strict = bounds(p.key)
    above = draw(st.booleans())
    if above:
        value = hi + draw(st.floats(1e-6, 1e6)) if p.annotation is float else \
            int(hi) + draw(st.integers(1, 10**6))
    else:
        value = lo - draw(st.floats(1e-6, 1e6)) if p.annotation is float else \
            int(lo) - draw(st.integers(1, 10**6))
    return p.key, value


@settings(max_examples=150, deadline=None)
@given(invalid_assignment())
def test_out_of_range_values_are_always_refused_in_one_line(assignment):
    key, value = assignment
    with pytest.raises(ScenarioError) as exc:
        load_scenario("baseline", {key: value})
    msg = str(exc.value)
    assert key in msg and "\n" not in msg

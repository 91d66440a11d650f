"""Baseline's calibrated defaults are the posterior medians of the built-in calibration
``published``, as its stored record (``calibrations/published.result.json``, written by
scripts/adopt_calibration.py) says; the record is of the targets file as it is now; and
``baseline-assumed`` keeps the values the calibration started from."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest

from panoptisim.scenario import load_scenario
from panoptisim.scenario.params import iter_params, param_info

SETS = "penney2016, pen2013, china2018"
CALIBRATIONS = resources.files("panoptisim") / "calibrations"
RECORD = json.loads((CALIBRATIONS / "published.result.json").read_text())
PARAMETERS = RECORD["result"]["parameters"]


def significant(value: float) -> float:
    """Three significant figures: the precision a calibrated default keeps."""
    return float(f"{value:.3g}")


def value_of(scenario, key: str):
    section, name = key.split(".")
    return getattr(getattr(scenario, section), name)


def test_the_record_is_of_the_targets_file_as_it_is():
    """Changing published.toml (a target, a prior, the settings) without calibrating again
    and adopting the result fails here."""
    inputs = tomllib.loads((CALIBRATIONS / "published.toml").read_text())
    inputs["calibration"].pop("name")
    assert inputs == RECORD["inputs"]
    assert RECORD["result"]["misfits"] == []  # adopted only from a calibration that fits


@pytest.mark.parametrize("key", sorted(PARAMETERS))
def test_each_constrained_parameter_defaults_to_its_posterior_median(key):
    summary, info = PARAMETERS[key], param_info(key)
    if summary["constrained"]:
        assert info.default == significant(summary["median"])
        low, high = summary["ci90"]
        assert low <= info.default <= high
        assert info.source.startswith(f"calibrated: {SETS} (posterior median")
    else:  # the targets leave it free: the default stays the assumption it was
        assert info.default == summary["default"]
        assert not info.source.startswith("calibrated")


def test_only_the_calibrated_parameters_claim_to_be_calibrated():
    claimed = {p.key for p in iter_params() if p.source.startswith("calibrated")}
    assert claimed == {k for k, s in PARAMETERS.items() if s["constrained"]}


def test_baseline_assumed_keeps_the_values_before_calibration():
    assumed, baseline = load_scenario("baseline-assumed"), load_scenario("baseline")
    for key, summary in PARAMETERS.items():
        assert value_of(assumed, key) == summary["default"], key
        if summary["constrained"]:
            assert value_of(baseline, key) != summary["default"], key

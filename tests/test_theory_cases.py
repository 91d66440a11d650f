"""The theory cases of ``panoptisim validate``: registered, runnable in quick mode with finite
rows (they are directional predictions the current model may fail: pass/fail is reported,
not asserted), one-sided checks, and the paired-run helpers they share."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from panoptisim.validation import CASES, paired, run_validation
from panoptisim.validation.cases import MODULES
from panoptisim.validation.registry import SECTIONS, Check, at_least, at_most
from panoptisim.validation.runner import fmt_tolerance

THEORY = ("theory-consequences", "theory-certainty", "theory-fear-fades",
          "theory-steady-state", "theory-abolition", "theory-pariahs", "theory-no-runaway",
          "theory-opinions", "theory-tipping")
#: The cases that run paired simulations (no-runaway runs the treated arm alone; the
#: tipping case solves the mean field).
PAIRED = tuple(n for n in THEORY if n not in ("theory-no-runaway", "theory-tipping"))
#: Quick runs over ~20 s on a shared machine; each is run quick in the fast suite at the
#: assumed deterrence weight, where its predictions are asserted (below).
SLOW_QUICK = ("theory-consequences", "theory-certainty")


def test_registry_lists_the_theory_cases_after_the_others():
    names = list(CASES)
    assert [n for n in names if n.startswith("theory-")] == list(THEORY)
    assert names[-len(THEORY):] == list(THEORY)
    assert len(MODULES) == len(CASES)


@pytest.mark.parametrize("name", THEORY)
def test_theory_case_prose_cites_its_sources(name):
    case = CASES[name]
    assert case.title and case.summary and case.method and case.inputs
    assert case.sources and all("(19" in s or "(20" in s for s in case.sources)
    keys = {p.key for p in case.params}
    assert {"agents", "seed"} <= keys
    assert name not in PAIRED or {"days", "replicates"} <= keys
    assert case.quick["agents"] < case.defaults().agents  # quick runs are smaller
    assert SECTIONS == ("How it is checked", "Inputs: published and assumed", "Sources")


def _quick_rows_are_finite(name: str) -> None:
    """The case runs at its quick size, every row is finite, and its prediction holds
    (unless the case declares it a known gap, which docs/validation.md explains)."""
    report = run_validation([name], quick=True)
    (result,) = report.results
    assert result.checks, name
    for c in result.checks:
        assert not c.quantity.startswith("error"), c.quantity
        assert math.isfinite(c.expected) and math.isfinite(c.observed), c
        assert math.isfinite(c.tolerance) and c.tolerance >= 0
    if not CASES[name].known_gap:
        assert result.passed, [c for c in result.checks if not c.passed]
    assert report.ok


@pytest.mark.parametrize("name", [n for n in THEORY if n not in SLOW_QUICK])
def test_theory_case_runs_in_quick_mode(name):
    _quick_rows_are_finite(name)


def _passes_at_the_assumed_deterrence_weight(name: str) -> None:
    """The case's predictions all hold where the expected cost weighs (behavior.beta_cost
    0.5, the pre-calibration assumption): at the calibrated 0.0292 they are its known gap."""
    report = run_validation([name], [f"{name}.beta_cost=0.5"], quick=True)
    (result,) = report.results
    assert CASES[name].known_gap and result.passed, result.checks


def test_certainty_deters_more_than_severity_at_the_assumed_deterrence_weight():
    _passes_at_the_assumed_deterrence_weight("theory-certainty")


def test_longer_sanctions_chill_more_at_the_assumed_deterrence_weight():
    _passes_at_the_assumed_deterrence_weight("theory-consequences")


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_QUICK)
def test_slow_theory_case_runs_in_quick_mode(name):
    _quick_rows_are_finite(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", THEORY)
def test_theory_case_runs_at_its_full_defaults(name):
    report = run_validation([name])
    assert all(math.isfinite(c.observed) for c in report.results[0].checks)


# ------------------------------------------------------------ one-sided checks
def test_a_known_gap_does_not_fail_the_suite_but_an_error_does():
    from panoptisim.validation.runner import CaseResult, Report
    gap = dataclasses.replace(CASES["theory-pariahs"], known_gap="not yet met")
    miss = at_least("a prediction", 1.0, 0.5, "stated")
    error = Check("error: boom", math.nan, math.nan, 0.0, "error")
    assert Report([CaseResult(gap, {}, [miss], 0.0)], quick=True).ok
    assert not Report([CaseResult(gap, {}, [error], 0.0)], quick=True).ok
    plain = CASES["theory-pariahs"]
    assert not plain.known_gap
    assert not Report([CaseResult(plain, {}, [miss], 0.0)], quick=True).ok


def test_one_sided_checks_pass_on_their_side_only():
    assert at_most("q", 0.5, 0.4, "stated").passed
    assert not at_most("q", 0.5, 0.6, "stated").passed
    assert at_most("q", 0.5, 0.6, "stated", tolerance=0.1).passed
    assert at_least("q", 0.5, 0.6, "stated").passed
    assert not at_least("q", 0.5, 0.4, "stated").passed
    assert at_least("q", 0.0, 0.0, "stated").passed  # the bound itself
    assert not at_least("q", 0.5, math.nan, "stated").passed
    # a far-off value passes a bound that a two-sided check with the same numbers fails
    assert at_least("q", 0.0, 100.0, "stated").passed
    assert not Check("q", 0.0, 100.0, 0.0, "stated").passed
    with pytest.raises(ValueError, match="side"):
        Check("q", 0.0, 0.0, 0.0, "stated", "<")


def test_one_sided_checks_say_their_side_in_the_table():
    assert fmt_tolerance(at_most("q", 1.0, 0.5, "stated")) == "observed <= expected (stated)"
    assert fmt_tolerance(at_least("q", 1.0, 0.5, "t 95%", 0.01)) == \
        "observed >= expected - 0.01 (t 95%)"
    assert fmt_tolerance(Check("q", 1.0, 1.0, 0.5, "stated")) == "±0.5 (stated)"


# ------------------------------------------------------------ paired helpers
def test_ols_slope_and_its_interval_over_replicates():
    rng = np.random.default_rng(3)
    t = np.arange(200)
    assert paired.ols_slope(2.0 + 0.01 * t) == pytest.approx(0.01)
    trend = 2.0 + 0.01 * t + rng.normal(0, 0.1, (5, 200))
    slope, low, high = paired.slope_interval(trend, slice(100, 200))
    assert low < 0.01 < high and low > 0  # a clear trend is not indistinguishable from 0
    flat, low, high = paired.slope_interval(3.0 + rng.normal(0, 1e-3, (5, 50)), slice(None))
    assert low < 0 < high
    # a slow random walk within each run: days are correlated, replicates are not
    walk = np.cumsum(rng.normal(0, 1.0, (40, 6, 300)), axis=2)
    covered = [paired.slope_interval(w, slice(200, 300))[1] <= 0
               <= paired.slope_interval(w, slice(200, 300))[2] for w in walk]
    assert np.mean(covered) >= 0.85


@pytest.mark.slow
def test_steady_state_check_finds_the_drift_of_records_that_never_expire():
    """The power of theory-steady-state: the same statistic at the case's full size finds
    the falling expression of a regime whose records never expire (flags and credits kept
    100 years), and does not at the default retention."""
    from panoptisim.validation.cases.theory_steady_state import Inputs, last_quarter_slope
    never = {key: 36_500 for key in paired.keys_like("scoring", "dur_retention_")}
    assert "scoring.dur_retention_credit" in never and len(never) == 7
    _, _, high, _ = last_quarter_slope(Inputs(), never)
    assert high < 0
    _, low, high, _ = last_quarter_slope(Inputs(), {})
    assert low <= 0 <= high


def test_quarters_and_mean_interval():
    assert paired.quarters(730) == (slice(0, 182), slice(548, 730))
    mean, low, high = paired.mean_interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0 and low < 2.0 < high
    assert math.isnan(paired.mean_interval(np.array([1.0]))[1])


def test_scaled_overrides_multiply_the_baseline():
    durations = paired.keys_like("sanctions", "dur_")
    assert "sanctions.dur_travel_ban" in durations and len(durations) >= 5
    out = paired.scaled(durations, 4.0)
    for key in durations:
        assert out[key] == 4 * paired.default(key) and isinstance(out[key], int)
    capped = paired.scaled(["surveillance.online.p_scan"], 10.0, ceiling=1.0)
    assert capped == {"surveillance.online.p_scan": 1.0}


def test_window_chilling_and_ties_lost_of_a_small_run():
    runs = paired.simulate({}, size=400, steps=30, replicates=2, seed=5)
    whole = runs.chilling()
    treated = runs.series("treated").sum(axis=1)
    control = runs.series("control").sum(axis=1)
    np.testing.assert_allclose(whole, 1 - treated / control)
    assert runs.ties_lost.shape == (2, 2)
    assert np.all((runs.ties_lost >= 0) & (runs.ties_lost <= 1))
    # the dissenters' share kept over the others' is the summary's dissenter_degree_ratio
    kept = 1 - runs.ties_lost
    ratio = runs.summary["metrics"]["dissenter_degree_ratio"]["treated"]
    assert np.mean(kept[:, 0] / kept[:, 1]) == pytest.approx(ratio)
    assert paired.simulate({}, size=400, steps=30, replicates=2, seed=5) is runs  # reused

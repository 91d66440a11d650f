"""Directional tests of the model: each a quantitative assertion across paired replicates
(common random numbers), not a single lucky run. Small societies, a full year.

A run several tests read (``baseline`` at the small size is read by six) is made once per
process (``cached_run``); the module is one xdist group, so under ``--dist loadgroup`` its
tests share one worker and its runs."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import panoptisim
from panoptisim.api import Result

pytestmark = pytest.mark.xdist_group("directional-runs")

SMALL = {"population.size": 4000, "run.steps": 365, "run.replicates": 4}
#: Only camera errors produce false flags, so wrongful sanctions are the cameras' doing.
CAMERA_ERRORS_ONLY = {"surveillance.online.false_flag_rate": 0.0,
                      "surveillance.informants.p_malicious": 0.0,
                      "surveillance.financial.p_record_error": 0.0,
                      "surveillance.commerce.p_miscategorised": 0.0}
STRONG_NETWORK = {"scoring.w_network": 2.0, "social.p_cut_max": 0.05}


@functools.cache
def _run(name: str, seed: int, overrides: tuple[tuple[str, object], ...]) -> Result:
    return panoptisim.run(name, seed=seed, overrides=dict(overrides))


def cached_run(name: str, seed: int, overrides: dict) -> Result:
    """``panoptisim.run`` of a built-in scenario, made once per process for each scenario,
    seed and overrides (tests only read the result)."""
    return _run(name, seed, tuple(sorted(overrides.items())))


def summary(name: str, seed: int = 11, **overrides) -> dict:
    return cached_run(name, seed, {**SMALL, **overrides}).summary["metrics"]


def per_replicate(name: str, metric: str, arm: str = "treated", seed: int = 11,
                  **overrides) -> np.ndarray:
    r = cached_run(name, seed, {**SMALL, **overrides})
    df = r.metrics[r.metrics.arm == arm]
    return df.groupby("replicate")[metric].sum().to_numpy()


#: Baseline's weight of the expected cost of speaking before calibration (an assumption):
#: where a test needs deterrence strong enough to stand out of a small run's seed noise.
ASSUMED_DETERRENCE = {"behavior.beta_cost": 0.5}


def test_surveillance_chills():
    """At the calibrated defaults the chilling index is about 0.05 at this size (0.066 at
    100,000 agents): small, and its interval clear of zero."""
    chill = summary("baseline")["chilling_index"]
    assert chill["ci95"][0] > 0.02, chill


# ---------------------------------------------------------------- placebo: a blind scorer
# The citizen regime with every feed switched off: a scorer that sees nothing. No sensor
# gives no flag, no flag no sanction (sanctions need counting flags). What it announces
# (behavior.prior_certainty, plus the ambiguity premium under opaque rules: Ellsberg 1961;
# both assumptions) chills at first, and fades as posts go unpunished.
NO_SENSORS = {f"surveillance.{feed}.enabled": False
              for feed in ("online", "cameras", "commerce", "financial", "informants")}
PLACEBO = {"population.size": 2000, "run.steps": 365, "run.replicates": 3}


def blind_scorer(**overrides: object) -> Result:
    """The citizen regime (``baseline``) with no sensor, small, paired with its control."""
    return cached_run("baseline", 11, {**PLACEBO, **NO_SENSORS, **overrides})


def assert_nothing_seen(result: Result) -> None:
    """No flag, no sanction, no tie cut and no score change in either arm on any day."""
    m = result.metrics
    for column in ("flags_true", "flags_false", "sanctions_new", "wrongful_sanctions",
                   "ties_cut", "shamed_daily", "people_shamed", "travel_denials"):
        assert (m[column] == 0).all(), (column, m.loc[m[column] != 0, column].head())
    assert (result.metrics.groupby("replicate").score_mean.nunique() == 1).all()


def assert_arms_identical(result: Result) -> None:
    """Treated and control arms expressed dissent identically, day by day."""
    m = result.metrics.sort_values(["replicate", "day"])
    treated = m[m.arm == "treated"].expressed_dissent_rate.to_numpy()
    control = m[m.arm == "control"].expressed_dissent_rate.to_numpy()
    np.testing.assert_array_equal(treated, control)


def test_blind_scorer_announcing_nothing_chills_no_one():
    """No sensor and no announced chance of punishment: no flag, no sanction, no belief,
    chilling exactly 0 and the arms identical, opaque or transparent."""
    for transparent in (True, False):
        r = blind_scorer(**{"safeguards.transparent": transparent,
                            "behavior.prior_certainty": 0.0,
                            "behavior.ambiguity_premium": 0.0})
        assert_nothing_seen(r)
        m = r.summary["metrics"]
        assert m["perceived_risk_mean"]["treated"] == 0.0, m["perceived_risk_mean"]
        assert m["chilling_index"]["effect"] == 0.0
        assert_arms_identical(r)


@pytest.mark.parametrize("transparent", [False, True])
def test_announced_fear_without_sensors_fades(transparent):
    """The announced chance of punishment (and, under opaque rules, the ambiguity premium)
    chills at first; unpunished posts teach otherwise (Anwar & Loughran 2011), so the
    belief falls and the chilling with it. At the assumed deterrence: the calibrated weight
    of the cost makes the first quarter's chilling about 0.02, too near seed noise here."""
    r = blind_scorer(**{"safeguards.transparent": transparent, **ASSUMED_DETERRENCE})
    assert_nothing_seen(r)
    m = r.metrics.sort_values(["replicate", "day"])
    risk = m[m.arm == "treated"].groupby("day").perceived_risk_mean.mean().to_numpy()
    assert risk[-1] < risk[0] / 2, (risk[0], risk[-1])

    def chilling(days: slice) -> float:
        t = m[(m.arm == "treated") & m.day.isin(range(days.start, days.stop))]
        c = m[(m.arm == "control") & m.day.isin(range(days.start, days.stop))]
        return 1.0 - t.expressed_dissent_rate.sum() / c.expressed_dissent_rate.sum()

    first, last = chilling(slice(0, 90)), chilling(slice(275, 365))
    assert first > 0.05 and last < first / 3, (first, last)


def test_opacity_slows_the_fading_of_fear():
    """Opaque rules start from a higher belief and learn from noisier evidence: the belief
    stays higher than under transparent rules, but it too falls."""
    def risk(transparent):
        r = blind_scorer(**{"safeguards.transparent": transparent})
        m = r.metrics[r.metrics.arm == "treated"]
        return m.groupby("day").perceived_risk_mean.mean().to_numpy()
    opaque, clear = risk(False), risk(True)
    assert (opaque[30:] > clear[30:]).all()
    assert opaque[-1] < opaque[0] / 2


def test_fico_leaves_political_expression_unchilled():
    chill = summary("fico")["chilling_index"]
    assert abs(chill["effect"]) < 0.01 and chill["ci95"][1] < 0.01, chill
    assert summary("baseline")["chilling_index"]["effect"] > 10 * max(chill["effect"], 0.001)


def test_opacity_chills_more_than_transparency():
    """The ambiguity premium of opaque rules (Ellsberg 1961) adds to the cost of speaking,
    so it chills where that cost weighs: at the assumed deterrence, 0.42 against 0.37 at
    this size. At the calibrated weight both chill about 0.05 (docs/calibration.md)."""
    opaque = summary("baseline", **{"safeguards.transparent": False,
                                    **ASSUMED_DETERRENCE})["chilling_index"]
    transparent = summary("baseline", **{"safeguards.transparent": True,
                                         **ASSUMED_DETERRENCE})["chilling_index"]
    assert opaque["ci95"][0] > transparent["ci95"][1], (opaque, transparent)


def test_wrongful_sanctions_scale_with_fpir():
    low = per_replicate("baseline", "wrongful_sanctions", **CAMERA_ERRORS_ONLY,
                        **{"surveillance.cameras.fpir": 0.001})
    high = per_replicate("baseline", "wrongful_sanctions", **CAMERA_ERRORS_ONLY,
                         **{"surveillance.cameras.fpir": 0.01})
    ratio = high.sum() / max(low.sum(), 1)
    assert (high > low).all(), (low, high)
    assert 5.0 < ratio < 20.0, f"10x FPIR gave {ratio:.1f}x wrongful sanctions ({low}, {high})"


def test_network_term_isolates_dissenters_and_removing_it_removes_the_effect():
    with_term = summary("baseline", **STRONG_NETWORK)
    without = summary("baseline", **{**STRONG_NETWORK, "scoring.w_network": 0.0})
    ratio = with_term["dissenter_degree_ratio"]
    assert ratio["ci95"][1] < -0.05, ratio  # effect on the ratio: treated - control
    # friends go first: family ties are worth more than their association cost
    friends = with_term["dissenter_friend_ties_lost"]
    family = with_term["dissenter_family_ties_lost"]
    assert friends["ci95"][0] > 0.05 and friends["treated"] > 5 * family["treated"], \
        (friends, family)
    assert without["ties_cut"]["treated"] == 0
    for key in ("dissenter_degree_ratio", "isolated_dissenters_share",
                "dissenter_friend_ties_lost", "dissenter_family_ties_lost"):
        assert abs(without[key]["effect"]) < 0.02, (key, without[key])


def test_appeals_lower_wrongful_sanctions():
    without = per_replicate("baseline", "wrongful_sanctions")
    with_appeals = per_replicate("baseline", "wrongful_sanctions",
                                 **{"safeguards.appeals": True})
    assert (with_appeals <= without).all(), (without, with_appeals)
    assert with_appeals.sum() < 0.8 * without.sum(), (without, with_appeals)


def test_safeguards_scenario_undoes_part_of_the_harm():
    base = summary("baseline")
    safe = summary("safeguards")
    assert safe["chilling_index"]["effect"] < base["chilling_index"]["effect"]
    assert safe["wrongful_sanctions"]["treated"] < base["wrongful_sanctions"]["treated"]


@pytest.mark.parametrize("scenario", ["baseline", "sesame", "fico", "safeguards"])
def test_scored_societies_lose_score_only_in_the_treated_arm(scenario):
    m = summary(scenario)
    assert m["flags_true"]["control"] == 0 and m["sanctions_new"]["control"] == 0
    assert m["flags_true"]["treated"] > 0

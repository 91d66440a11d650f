"""Directional tests of the model: each a quantitative assertion across paired replicates
(common random numbers), not a single lucky run. Small societies, a full year."""

from __future__ import annotations

import numpy as np
import pytest

import panoptisim

SMALL = {"population.size": 4000, "run.steps": 365, "run.replicates": 4}
#: Only camera errors produce false flags, so wrongful sanctions are the cameras' doing.
CAMERA_ERRORS_ONLY = {"surveillance.online.false_flag_rate": 0.0,
                      "surveillance.informants.p_malicious": 0.0,
                      "surveillance.financial.p_record_error": 0.0,
                      "surveillance.commerce.p_miscategorised": 0.0}
STRONG_NETWORK = {"scoring.w_network": 2.0, "social.p_cut_max": 0.05}


def summary(name: str, seed: int = 11, **overrides) -> dict:
    return panoptisim.run(name, seed=seed, overrides={**SMALL, **overrides}).summary["metrics"]


def per_replicate(name: str, metric: str, arm: str = "treated", seed: int = 11,
                  **overrides) -> np.ndarray:
    r = panoptisim.run(name, seed=seed, overrides={**SMALL, **overrides})
    df = r.metrics[r.metrics.arm == arm]
    return df.groupby("replicate")[metric].sum().to_numpy()


def test_surveillance_chills_and_placebo_does_not():
    chill = summary("baseline")["chilling_index"]
    lo, hi = chill["ci95"]
    assert lo > 0.1, chill
    placebo = summary("no-surveillance")["chilling_index"]
    lo, hi = placebo["ci95"]
    assert lo <= 0.0 <= hi and abs(placebo["effect"]) < 1e-12, placebo


def test_fico_leaves_political_expression_unchilled():
    chill = summary("fico")["chilling_index"]
    assert abs(chill["effect"]) < 0.01 and chill["ci95"][1] < 0.01, chill
    assert summary("baseline")["chilling_index"]["effect"] > 10 * max(chill["effect"], 0.001)


def test_opacity_chills_more_than_transparency():
    opaque = summary("baseline", **{"safeguards.transparent": False})["chilling_index"]
    transparent = summary("baseline", **{"safeguards.transparent": True})["chilling_index"]
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
    isolated = with_term["isolated_dissenters_share"]
    assert isolated["ci95"][0] > 0.01, isolated
    assert without["ties_cut"]["treated"] == 0
    for key in ("dissenter_degree_ratio", "isolated_dissenters_share"):
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

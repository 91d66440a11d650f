"""Population scaling (``population.scale``): counts reported x scale, rates unchanged, and a
scaled small society agrees on rates with a larger unscaled one."""

from __future__ import annotations

import numpy as np
import pytest

import panoptisim
from panoptisim.metrics import COUNT_METRICS, METRIC_NAMES

SMALL = {"population.size": 2000, "run.steps": 20}


def test_scaled_counts_are_simulated_times_scale_and_rates_unchanged():
    plain = panoptisim.run("baseline", seed=4, overrides=SMALL)
    scaled = panoptisim.run("baseline", seed=4, overrides={**SMALL, "population.scale": 25})
    m0, m1 = plain.metrics, scaled.metrics
    for name in METRIC_NAMES:  # the simulation itself is untouched by scaling
        assert np.array_equal(m0[name].to_numpy(), m1[name].to_numpy()), name
    assert not any(c.endswith("_scaled") for c in m0.columns)
    for name in COUNT_METRICS:
        assert np.array_equal(m1[f"{name}_scaled"].to_numpy(), m1[name].to_numpy() * 25.0)
    assert "expressed_dissent_rate_scaled" not in m1.columns
    s = scaled.summary
    assert s["scale"] == 25 and s["population_scaled"] == 2000 * 25
    for name in COUNT_METRICS:
        entry = s["metrics"][name]
        for arm in ("treated", "control", "effect"):
            assert entry["scaled"][arm] == pytest.approx(entry[arm] * 25)
    rate = s["metrics"]["expressed_dissent_rate"]
    assert "scaled" not in rate
    assert rate == plain.summary["metrics"]["expressed_dissent_rate"]
    assert "scale" not in plain.summary


RATES = ("expressed_dissent_rate", "preference_falsification_rate", "perceived_risk_mean",
         "benign_post_rate", "infraction_rate", "chilling_index")


@pytest.mark.slow
def test_scaled_1e5_agrees_with_unscaled_1e6_on_rates():
    small = panoptisim.run("baseline", seed=11, overrides={
        "population.size": 100_000, "population.scale": 10, "run.steps": 60,
        "run.replicates": 4}).summary
    large = panoptisim.run("baseline", seed=12, overrides={
        "population.size": 1_000_000, "run.steps": 60, "run.replicates": 3}).summary
    for name in RATES:
        a, b = small["metrics"][name], large["metrics"][name]
        half = sum((ci[1] - ci[0]) / 2 for ci in (a["ci95"], b["ci95"]))
        assert abs(a["effect"] - b["effect"]) <= half + 1e-12, (name, a, b)
    n_flags = large["metrics"]["flags_true"]["treated"]
    scaled = small["metrics"]["flags_true"]["scaled"]["treated"]
    assert scaled == pytest.approx(n_flags, rel=0.1)

"""Reproducibility: same scenario and seed give bit-identical files; streams split by
purpose give treated and control arms common random numbers."""

from __future__ import annotations

import numpy as np

import panoptisim
from panoptisim.metrics import METRIC_NAMES

SMALL = {"population.size": 3000, "run.steps": 60}


def _files(path):
    return (path / "metrics.parquet").read_bytes(), (path / "summary.json").read_bytes()


def test_same_seed_gives_bit_identical_outputs(tmp_path):
    a = panoptisim.run("baseline", seed=5, out=tmp_path / "a", overrides=SMALL)
    b = panoptisim.run("baseline", seed=5, out=tmp_path / "b", overrides=SMALL)
    assert _files(a.path) == _files(b.path)


def test_different_seeds_differ(tmp_path):
    a = panoptisim.run("baseline", seed=5, out=tmp_path / "a", overrides=SMALL)
    b = panoptisim.run("baseline", seed=6, out=tmp_path / "b", overrides=SMALL)
    assert _files(a.path)[0] != _files(b.path)[0]
    assert _files(a.path)[1] != _files(b.path)[1]


def _arm(result, arm):
    df = result.metrics[result.metrics.arm == arm]
    return df[list(METRIC_NAMES)].to_numpy()


def test_control_arm_is_the_same_whatever_the_regime():
    """The control arm draws the same numbers whatever is treated: common random numbers."""
    runs = [panoptisim.run(name, seed=9, overrides=SMALL) for name in ("baseline", "fico",
                                                                       "safeguards")]
    first = _arm(runs[0], "control")
    for r in runs[1:]:
        np.testing.assert_array_equal(_arm(r, "control"), first)


def test_placebo_treated_arm_equals_its_control_exactly():
    r = panoptisim.run("no-surveillance", seed=9, overrides=SMALL)
    np.testing.assert_array_equal(_arm(r, "treated"), _arm(r, "control"))


def test_arms_share_behaviour_draws_day_one():
    """On day 0 nobody has been scored yet, so both arms behave identically."""
    r = panoptisim.run("baseline", seed=9, overrides=SMALL)
    day0 = r.metrics[r.metrics.day == 0].set_index("arm")
    for col in ("expressed_dissent_rate", "benign_post_rate", "infraction_rate", "defaults"):
        assert day0.loc["treated", col] == day0.loc["control", col], col


def test_replicates_are_spawned_and_give_intervals():
    r = panoptisim.run("baseline", seed=9, overrides={**SMALL, "run.replicates": 3})
    assert sorted(r.metrics.replicate.unique()) == [0, 1, 2]
    lo, hi = r.summary["metrics"]["chilling_index"]["ci95"]
    assert lo < r.summary["metrics"]["chilling_index"]["effect"] < hi
    single = panoptisim.run("baseline", seed=9, overrides=SMALL)
    rep0 = r.metrics[r.metrics.replicate == 0].reset_index(drop=True)
    np.testing.assert_array_equal(rep0[list(METRIC_NAMES)].to_numpy(),
                                  single.metrics[list(METRIC_NAMES)].to_numpy())

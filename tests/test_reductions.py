"""The compiled reductions behind the day's float metrics (panoptisim.reductions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from panoptisim import reductions
from panoptisim.metrics import gini


def lane_sum(x: np.ndarray) -> float:
    """The documented order, written out: element i into lane i mod 8, lanes combined as
    ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))."""
    lanes = [0.0] * 8
    for i, v in enumerate(np.asarray(x, np.float64).tolist()):
        lanes[i % 8] += v
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) \
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))


@pytest.mark.parametrize("n", [0, 1, 5, 8, 9, 15, 16, 1001])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_follows_the_documented_lane_order(n, dtype):
    x = (np.random.default_rng(n).random(n) * 1e3).astype(dtype)
    # bit for bit: the order is fixed by the length alone
    assert reductions.float_sum(x) == lane_sum(x)
    assert reductions.float_sum(x) == pytest.approx(math.fsum(x.astype(np.float64)),
                                                    rel=1e-13, abs=0)
    assert reductions.float_mean(x) == (lane_sum(x) / n if n else 0.0)


def test_kept_shares_sum_each_agents_share_over_dissenters_and_all():
    rng = np.random.default_rng(3)
    n = 1003
    degree = rng.integers(0, 30, n).astype(np.float32)
    inverse = np.where(rng.random(n) < 0.9, 1.0 / rng.integers(1, 40, n), 0.0)
    dissenter = rng.random(n) < 0.3
    kept = degree.astype(np.float64) * inverse
    of_dissenters, of_all = reductions.kept_shares(degree, inverse, dissenter)
    assert of_dissenters == lane_sum(np.where(dissenter, kept, 0.0))
    assert of_all == lane_sum(kept)
    assert of_dissenters < of_all


def numpy_binned_gini(x, lo, hi, resolution):
    """The binned Gini as numpy computed it (bincount over every bin, pairwise sums)."""
    n = len(x)
    bins = int(np.ceil((hi - lo) / resolution)) + 1
    idx = np.clip(np.rint((x - lo) / resolution), 0, bins - 1).astype(np.int64)
    counts = np.bincount(idx, minlength=bins).astype(np.float64)
    values = lo + np.arange(bins) * resolution
    below = np.cumsum(counts) - counts
    total = float((counts * values).sum())
    return float((values * counts * (2.0 * below + counts - n)).sum() / (n * total))


@pytest.mark.parametrize("n", [1, 2, 10, 5000])
def test_binned_gini_counts_the_same_bins_as_numpy(n):
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.normal(640, 60, n), [300.0, 1000.0]])  # out of range: clipped
    ours = reductions.binned_gini(x, 350, 950, 0.01)
    assert ours == pytest.approx(numpy_binned_gini(x, 350, 950, 0.01), rel=1e-12)
    assert abs(ours - gini(np.clip(x, 350, 950))) < 0.01 / x.mean()
    assert reductions.binned_gini(np.full(7, 640.0), 350, 950, 0.01) == 0.0
    assert reductions.binned_gini(np.array([]), 350, 950, 0.01) == 0.0


@pytest.mark.parametrize("per_agent_threshold", [False, True])
@pytest.mark.parametrize("per_agent_who", [False, True])
def test_count_at_least_matches_numpy(per_agent_threshold, per_agent_who):
    rng = np.random.default_rng(7)
    score = rng.normal(650, 80, 999)
    threshold = rng.choice([650.0, 700.0], 999) if per_agent_threshold else 700.0
    who = rng.random(999) < 0.5 if per_agent_who else True
    expected = int(((score >= threshold) & who).sum())
    assert reductions.count_at_least(score, threshold, who) == expected
    assert reductions.count_at_least(score, threshold, False) == 0

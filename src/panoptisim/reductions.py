"""Compiled float reductions over the agents for the day's metrics.

numpy sums floats pairwise, in an order that depends on the dtype, the mask (``where=``)
and its internal buffers; the metrics took a dozen such passes and temporaries a day (the
share of ties kept built a float64 array of the population first, the score Gini 60,000
bins of arrays). Here each reduction is one compiled pass in a fixed order: eight
interleaved float64 accumulators (element ``i`` goes to lane ``i mod 8``) combined as
``((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))``. The order depends on nothing but
the array's length, so a replay, a second thread or another machine gives the same bits;
eight independent chains also keep the adder busy (a single running sum waits on each
addition). The error of a float64 sum of n terms of one sign stays below n x 2^-53 of the
total (Higham 2002, §4.2): under 1e-10 of it at 10^6 agents.
"""

from __future__ import annotations

import numba as nb
import numpy as np

LANES = 8


@nb.njit(cache=True, nogil=True, inline="always")
def _lanes(a0, a1, a2, a3, a4, a5, a6, a7):
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@nb.njit(cache=True, nogil=True)
def _sum(x):
    # the eight lanes as scalars, unrolled: the compiler keeps them in registers (2.8x
    # faster than an array of lanes, same bits)
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    n = len(x)
    full = n - (n & 7)
    for i in range(0, full, LANES):
        a0 += np.float64(x[i])
        a1 += np.float64(x[i + 1])
        a2 += np.float64(x[i + 2])
        a3 += np.float64(x[i + 3])
        a4 += np.float64(x[i + 4])
        a5 += np.float64(x[i + 5])
        a6 += np.float64(x[i + 6])
        a7 += np.float64(x[i + 7])
    rest = n - full
    if rest > 0:
        a0 += np.float64(x[full])
    if rest > 1:
        a1 += np.float64(x[full + 1])
    if rest > 2:
        a2 += np.float64(x[full + 2])
    if rest > 3:
        a3 += np.float64(x[full + 3])
    if rest > 4:
        a4 += np.float64(x[full + 4])
    if rest > 5:
        a5 += np.float64(x[full + 5])
    if rest > 6:
        a6 += np.float64(x[full + 6])
    return _lanes(a0, a1, a2, a3, a4, a5, a6, a7)


def float_sum(x: np.ndarray) -> float:
    """Sum of a 1-D float or integer array in float64, in the fixed lane order."""
    return float(_sum(x))


def float_mean(x: np.ndarray) -> float:
    """Mean of a 1-D array in float64 (0 for an empty one), in the fixed lane order."""
    return float(_sum(x)) / len(x) if len(x) else 0.0


@nb.njit(cache=True, nogil=True, inline="always")
def _kept(degree, inverse, dissenter, i):
    kept = np.float64(degree[i]) * inverse[i]
    return kept, kept * np.float64(dissenter[i])  # kept x 0 = +0: exact


@nb.njit(cache=True, nogil=True)
def _kept_shares(degree, inverse, dissenter):
    # element i into lane i mod 8 of each sum, the lanes as scalars (as in _sum)
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    d0 = d1 = d2 = d3 = d4 = d5 = d6 = d7 = 0.0
    n = len(degree)
    full = n - (n & 7)
    for i in range(0, full, LANES):
        k, d = _kept(degree, inverse, dissenter, i)
        a0 += k
        d0 += d
        k, d = _kept(degree, inverse, dissenter, i + 1)
        a1 += k
        d1 += d
        k, d = _kept(degree, inverse, dissenter, i + 2)
        a2 += k
        d2 += d
        k, d = _kept(degree, inverse, dissenter, i + 3)
        a3 += k
        d3 += d
        k, d = _kept(degree, inverse, dissenter, i + 4)
        a4 += k
        d4 += d
        k, d = _kept(degree, inverse, dissenter, i + 5)
        a5 += k
        d5 += d
        k, d = _kept(degree, inverse, dissenter, i + 6)
        a6 += k
        d6 += d
        k, d = _kept(degree, inverse, dissenter, i + 7)
        a7 += k
        d7 += d
    tail_all = np.zeros(LANES, np.float64)
    tail_dissenters = np.zeros(LANES, np.float64)
    for i in range(full, n):
        tail_all[i - full], tail_dissenters[i - full] = _kept(degree, inverse, dissenter, i)
    return (_lanes(d0 + tail_dissenters[0], d1 + tail_dissenters[1],
                   d2 + tail_dissenters[2], d3 + tail_dissenters[3],
                   d4 + tail_dissenters[4], d5 + tail_dissenters[5],
                   d6 + tail_dissenters[6], d7 + tail_dissenters[7]),
            _lanes(a0 + tail_all[0], a1 + tail_all[1], a2 + tail_all[2], a3 + tail_all[3],
                   a4 + tail_all[4], a5 + tail_all[5], a6 + tail_all[6], a7 + tail_all[7]))


def kept_shares(degree: np.ndarray, inverse: np.ndarray, dissenter: np.ndarray
                ) -> tuple[float, float]:
    """Sums of each agent's share of its ties at build still live (``degree x inverse``,
    ``inverse`` = 1 / ties at build, 0 for agents built without one): over the agents of
    the mask ``dissenter``, and over all."""
    of_dissenters, of_all = _kept_shares(degree, inverse, dissenter)
    return float(of_dissenters), float(of_all)


@nb.njit(cache=True, nogil=True)
def _binned_gini(x, lo, resolution, bins):
    n = len(x)
    counts = np.zeros(bins, np.int64)
    first, last = bins, -1
    for i in range(n):
        b = np.rint((x[i] - lo) / resolution)
        k = 0 if b < 0 else (bins - 1 if b > bins - 1 else np.int64(b))
        counts[k] += 1
        first = min(first, k)
        last = max(last, k)
    total = 0.0
    weighted = 0.0
    below = 0
    for k in range(first, last + 1):  # empty bins add nothing: only the occupied range
        c = counts[k]
        if c:
            value = lo + k * resolution
            total += c * value
            weighted += value * c * (2.0 * below + c - n)
            below += c
    return total, weighted


def binned_gini(x: np.ndarray, lo: float, hi: float, resolution: float) -> float:
    """Gini of ``x`` (float64) rounded to ``resolution`` within [lo, hi]: one pass to count
    the bins, one over the occupied bins (see ``metrics.gini_binned``)."""
    n = len(x)
    bins = int(np.ceil((hi - lo) / resolution)) + 1
    if n == 0:
        return 0.0
    total, weighted = _binned_gini(np.asarray(x, np.float64), float(lo), float(resolution),
                                   bins)
    return float(weighted / (n * total)) if total > 0 else 0.0


@nb.njit(cache=True, nogil=True)
def _count_at_least(x, threshold, who):
    total = 0
    for i in range(len(x)):
        total += np.int64(x[i] >= threshold[i]) & np.int64(who[i])
    return total


def count_at_least(x: np.ndarray, threshold: np.ndarray | float,
                   who: np.ndarray | bool) -> int:
    """How many agents of ``who`` (a mask, or one flag for all) have ``x >= threshold``
    (one threshold, or one per agent)."""
    n = len(x)
    return int(_count_at_least(x, np.broadcast_to(np.asarray(threshold, x.dtype), (n,)),
                               np.broadcast_to(np.asarray(who, np.bool_), (n,))))


def warm_up() -> None:
    """Compile (or load from cache) the reductions for the dtypes the metrics use."""
    for dtype in (np.float32, np.float64):
        float_sum(np.ones(3, dtype))
    mask = np.array([True, False, True])
    kept_shares(np.ones(3, np.float32), np.ones(3), mask)
    binned_gini(np.array([400.0, 500.0, 900.0]), 350.0, 950.0, 0.01)
    count_at_least(np.ones(3), 1.0, True)
    count_at_least(np.ones(3), np.ones(3), mask)

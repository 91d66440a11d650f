"""Cascades of expressed dissent, measured against the noise a run would show without one.

A cascade (Granovetter 1978; Kuran 1991) is a fast rise in expressed dissent. Its measure:

- :func:`largest_weekly_rise`: the largest week-on-week rise of the 7-day mean of the
  daily expressed-dissent rate, ``max(0, max_t M_t - M_{t-7})`` with ``M_t`` the mean of
  days ``[t-6, t]`` (both weeks inside the series; 0 for fewer than 14 days). In share of
  agents per day.
- :func:`noise_floor`: the value that statistic reaches by chance in a stationary series
  of the same mean rate ``p``, population ``n`` and length: each day's rate a binomial
  share, so a difference of two 7-day means has sd ``sigma = sqrt(2 p (1 - p) / (7 n))``,
  and the maximum over the run's ``K = days - 13`` windows is taken at its 95% quantile
  by the independent-normal (Gumbel-domain) maximum, ``sigma * Phi^{-1}(0.95^{1/K})``.
  Two approximations, both conservative (they raise the floor): overlapping windows are
  positively correlated, so their maximum is smaller than that of K independent ones; and
  agents with unequal probabilities have a smaller variance than a binomial of the mean
  rate. A seeded simulation in tests/test_metrics.py checks the 95% level.
- the excess ``max(rise - floor, 0)``: a rise the noise does not explain (0: none).

References: Granovetter 1978, doi:10.1086/226707; Kuran 1991, "Now out of never",
World Politics 44(1), doi:10.2307/2010422.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

#: Days in each of the two means compared by the weekly rise.
WEEK = 7
#: Quantile of the stationary maximum taken as the noise floor.
NOISE_QUANTILE = 0.95


def weekly_means(series: np.ndarray, span: int = WEEK) -> np.ndarray:
    """Means of full ``span``-day windows: entry ``i`` averages days ``[i, i + span)``
    (length ``len(series) - span + 1``, empty if shorter); same unit as the series.
    O(days x span)."""
    x = np.asarray(series, dtype=np.float64)
    if len(x) < span:
        return np.zeros(0)
    # each window summed on its own (not a running cumsum): equal days give equal means
    # to the bit, so a flat series has no round-off rise
    return np.lib.stride_tricks.sliding_window_view(x, span).mean(axis=1)


def rise_windows(days: int, span: int = WEEK) -> int:
    """How many week-on-week rises a series of ``days`` days has: ``days - 2 span + 1``."""
    return max(days - 2 * span + 1, 0)


def largest_weekly_rise(series: np.ndarray, day: int = 0, span: int = WEEK) -> float:
    """The largest rise of the ``span``-day mean from one week to the next, both weeks on or
    after ``day``: ``max(0, max_t M_t - M_{t-span})`` (share of agents per day); 0 if it
    never rises or there are fewer than ``2 span`` days."""
    means = weekly_means(np.asarray(series, dtype=np.float64)[day:], span)
    if len(means) <= span:
        return 0.0
    return float(max((means[span:] - means[:-span]).max(), 0.0))


def noise_floor(rate: float, agents: int, days: int, span: int = WEEK,
                quantile: float = NOISE_QUANTILE) -> float:
    """The ``quantile`` (95%) of :func:`largest_weekly_rise` in a stationary binomial series
    of mean rate ``rate`` (share of agents per day), ``agents`` agents and ``days`` days:
    ``sqrt(2 p (1 - p) / (span n)) * Phi^{-1}(quantile^{1/K})``, K = :func:`rise_windows`
    (independent-normal maximum: conservative, see the module). 0 without a window."""
    k = rise_windows(days, span)
    p = min(max(float(rate), 0.0), 1.0)
    if k == 0 or agents <= 0:
        return 0.0
    sd = math.sqrt(2.0 * p * (1.0 - p) / (span * agents))
    return float(max(sd * norm.ppf(quantile ** (1.0 / k)), 0.0))


def excess(rise: float, floor: float) -> float:
    """The part of a rise the noise floor does not explain: ``max(rise - floor, 0)``."""
    return float(max(rise - floor, 0.0))

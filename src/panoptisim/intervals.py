"""The Student-t interval of a mean: one function for the summary of a run, the report's
day-by-day bands and a sweep's per-point table.

``mean +/- t(1/2 + confidence/2, n - 1) sd / sqrt(n)``, with ``sd`` the sample standard
deviation (ddof = 1) of ``n`` replicates.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def t_interval(mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided t interval of the mean, elementwise over arrays (or scalars): ``(low,
    high)`` in the unit of ``mean``; NaN where ``n < 2``."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.t.ppf(0.5 + confidence / 2, np.where(n >= 2, n - 1, np.nan))
        half = q * np.asarray(sd) / np.sqrt(n)
    return mean - half, mean + half

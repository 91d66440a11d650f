"""The Student-t interval of a mean: one function for the summary of a run, the report's
day-by-day bands and a sweep's per-point table; and the entry every summary writes for a
quantity (each arm, the effect, its interval: :func:`arm_entry`).

``mean +/- t(1/2 + confidence/2, n - 1) sd / sqrt(n)``, with ``sd`` the sample standard
deviation (ddof = 1) of ``n`` replicates.
"""

from __future__ import annotations

import math
from typing import Any

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


def clean(v: float) -> float | None:
    """A number as summary.json writes it: None for NaN or infinity."""
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


def interval(samples: list[float], floor: float | None = None) -> list[float] | None:
    """Two-sided 95% t interval of the mean of ``samples`` (:func:`t_interval`) as
    summary.json writes it; None with fewer than two. ``floor``: both bounds at least this
    (0 for a quantity that cannot be negative)."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 2:
        return None
    low, high = t_interval(x.mean(), x.std(ddof=1), len(x))
    if floor is not None:
        low, high = max(low, floor), max(high, floor)
    return [clean(low), clean(high)]


def arm_entry(per_arm: dict[str, list[float]], nonneg: bool = False) -> dict[str, Any]:
    """Each arm's mean over replicates (``per_arm``: arm -> one value per replicate, treated
    first), then with a control arm the effect (mean of the paired treated - control
    differences) and its 95% interval, else the treated value's interval; in the unit of
    the values. ``nonneg``: the quantity cannot be negative, so the treated value's interval
    is floored at 0, and so is the effect's when the control arm has none of it (the effect
    is then the treated value)."""
    out: dict[str, Any] = {arm: clean(np.mean(values)) for arm, values in per_arm.items()}
    if "control" in per_arm:
        effects = [t - c for t, c in zip(per_arm["treated"], per_arm["control"], strict=True)]
        out["effect"] = clean(np.mean(effects))
        structural = nonneg and not any(per_arm["control"])
        out["ci95"] = interval(effects, 0.0 if structural else None)
    else:
        out["ci95"] = interval(per_arm["treated"], 0.0 if nonneg else None)
    return out

"""Granovetter (1978) riot, normal thresholds.

With thresholds Normal(mean 25, sd) in a crowd of 100, the number of rioters follows
r <- 100 Phi((r - 25)/sd) from r = 0. As sd grows the low equilibrium vanishes at a tangency:
just below the critical sd the riot stalls at a handful of people, just above it all 100
join. Granovetter reports the critical value 12.2.

How it is checked
-----------------
Expected critical sd: the sd at which the map's local minimum touches the diagonal
(solved exactly; 12.22 at the defaults). Observed: bisection on sd of
`contagion.threshold_cascade` (complete graph, count thresholds) on `scale` copies of the
crowd with thresholds at the midpoint quantiles of the normal (10,000 agents at the
defaults: the continuous limit); tolerance 0.05 (the paper's one decimal). Both sides:
the kernel on the crowd of n agents at sd = critical -/+ delta against the map's smallest
fixed point; tolerance 1 + 0.5/(1 - slope of the map there), a stated allowance for the
finite crowd: one person because the kernel counts whole people, half a person because each
quantile threshold stands for a slice of the distribution, amplified where the map is nearly
parallel to the diagonal (close to the critical sd a crowd of 100 cannot resolve the
difference, and the allowance grows accordingly).

Inputs: published and assumed
-----------------------------
Published: n = 100, mean 25 and the critical sd 12.2 (Granovetter 1978). Assumed: a finite
crowd realises the normal by its midpoint quantiles (no sampling noise); delta = 0.5.

Sources
-------
- Granovetter, M. (1978). Threshold models of collective behavior. *American Journal of
  Sociology*, 83(6), 1420-1443. doi:10.1086/226707
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import model_validator
from scipy import stats

from panoptisim import contagion
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs
from panoptisim.validation.registry import Check, define


class Inputs(CaseInputs):
    """The crowd, its mean threshold, the probes either side and the continuum's size."""

    n: int = param(100, ge=10, le=100_000, unit="people",
                   source="Granovetter 1978: a crowd of 100", description="Crowd size.")
    mean: float = param(25.0, ge=0.0, le=1e5, unit="people",
                        source="Granovetter 1978: mean threshold 25",
                        description="Mean threshold (people).")
    delta: float = param(0.5, gt=0.0, le=1e4, unit="people (sd)",
                         source="assumption: close to the critical sd, yet far enough for a "
                                "crowd of 100 to show the jump",
                         description="Distance of the two sides from the critical sd.")
    scale: int = param(100, ge=1, le=10_000, unit="copies",
                       source="assumption: 10,000 agents approximate the continuous limit "
                              "within the paper's one decimal",
                       description="Copies of the crowd used to estimate the critical sd in "
                                   "the continuous limit.")

    @model_validator(mode="after")
    def _mean_inside_and_size_bounded(self) -> Inputs:
        if self.mean >= self.n:
            raise ValueError(f"mean = {self.mean:g} must be below n = {self.n}")
        if self.n * self.scale > 10_000_000:
            raise ValueError(f"n x scale = {self.n * self.scale:,} must be at most 10,000,000")
        return self


def _quantile_thresholds(n: int, mean: float, sd: float, scale: int = 1) -> np.ndarray:
    """Thresholds of n x scale agents at the midpoint quantiles of Normal(mean, sd),
    in units of 1/scale person (so ``scale`` copies of the crowd approximate the
    continuous distribution)."""
    q = (np.arange(n * scale) + 0.5) / (n * scale)
    return scale * (mean + sd * stats.norm.ppf(q))


def _rioters(n: int, mean: float, sd: float, scale: int = 1) -> int:
    return int(contagion.threshold_cascade(_quantile_thresholds(n, mean, sd, scale)).final_size)


def run(p: Inputs) -> list[Check]:
    """Critical sd of the normal-threshold riot, and the riot just below and above it."""
    n, mean, delta, scale = p.n, p.mean, p.delta, p.scale
    critical = theory.granovetter_critical_sd(n, mean)
    lo, hi = critical / 2.0, critical * 2.0
    half = n * scale / 2
    if _rioters(n, mean, lo, scale) >= half or _rioters(n, mean, hi, scale) < half:
        observed = math.nan  # the kernel's transition is not inside the bracket
    else:
        while hi - lo > 1e-4:
            mid = 0.5 * (lo + hi)
            if _rioters(n, mean, mid, scale) >= half:
                hi = mid
            else:
                lo = mid
        observed = 0.5 * (lo + hi)
    rows = [Check(f"critical sd (kernel, {n * scale:,} agents; paper: 12.2 at n=100, mean=25)",
                  critical, observed, 0.05, "stated: paper's precision")]
    for side, sd in (("below", critical - delta), ("above", critical + delta)):
        if sd <= 0:
            continue
        fixed = theory.granovetter_equilibrium(n, mean, sd)
        slope = theory.granovetter_slope(fixed, n, mean, sd)
        tol = 1.0 + 0.5 / max(1.0 - slope, 1e-9)
        rows.append(Check(f"rioters just {side} (sd = {sd:.2f}, n = {n:,})", fixed,
                          _rioters(n, mean, sd), tol, "finite crowd vs continuous map"))
    return rows


CASE = define("granovetter-normal", __doc__, Inputs, run)

"""Analytic expectations of the validation cases, computed from the cases' inputs.

Nothing here simulates: every function solves the textbook equation for the inputs it is
given (fixed points, generating functions, closed forms), so that a case can be run at any
inputs and compared with what the project's kernels produce.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

# ----------------------------------------------------------------- Granovetter


def granovetter_map(r: np.ndarray | float, n: int, mean: float, sd: float
                    ) -> np.ndarray | float:
    """Granovetter's continuous map: people whose threshold is at most r, n Phi((r - mu)/sd)."""
    return n * stats.norm.cdf((np.asarray(r, np.float64) - mean) / sd)


def granovetter_equilibrium(n: int, mean: float, sd: float) -> float:
    """Smallest fixed point of r = n Phi((r - mu)/sd) reached from r = 0 (the riot's size)."""
    r = np.linspace(0.0, float(n), 20 * n + 1)
    h = granovetter_map(r, n, mean, sd) - r
    below = np.flatnonzero(h <= 0.0)
    if len(below) == 0:
        return float(n)
    i = int(below[0])
    if i == 0 or h[i] == 0.0:
        return float(r[i])
    return float(optimize.brentq(lambda x: granovetter_map(x, n, mean, sd) - x,
                                 r[i - 1], r[i], xtol=1e-12))


def granovetter_slope(r: float, n: int, mean: float, sd: float) -> float:
    """Derivative of the map at r: n phi((r - mu)/sd) / sd."""
    return float(n * stats.norm.pdf((r - mean) / sd) / sd)


def granovetter_critical_sd(n: int, mean: float) -> float:
    """Standard deviation at which the riot's low equilibrium disappears (tangency).

    Below the mean, n Phi((r - mu)/s) - r has a local minimum where n phi(x)/s = 1, i.e.
    x = -sqrt(2 ln(n / (s sqrt(2 pi)))); the critical s makes that minimum zero.
    Granovetter (1978) reports 12.2 for n = 100, mu = 25.
    """
    def gap(s: float) -> float:
        a = n / (s * math.sqrt(2.0 * math.pi))
        if a <= 1.0:  # no local minimum: the map is flatter than the diagonal everywhere
            return -mean
        x = -math.sqrt(2.0 * math.log(a))
        return n * stats.norm.cdf(x) - (mean + s * x)

    grid = np.geomspace(1e-3 * max(mean, 1.0), 10.0 * n, 4000)
    values = np.array([gap(s) for s in grid])
    sign = np.flatnonzero((values[:-1] < 0) & (values[1:] >= 0))
    if len(sign) == 0:
        raise ValueError(f"no critical standard deviation for n = {n}, mean = {mean}: the "
                         "riot is either always total or never starts")
    i = int(sign[0])
    return float(optimize.brentq(gap, grid[i], grid[i + 1], xtol=1e-12))


# ------------------------------------------------------------ random graphs


def poisson_pmf(c: float, tail: float = 1e-15) -> np.ndarray:
    """Poisson(c) probabilities p_0..p_K with the tail beyond K below ``tail``."""
    k_max = int(stats.poisson.isf(tail, c)) + 2 if c > 0 else 1
    return stats.poisson.pmf(np.arange(k_max + 1), c)


def regular_pmf(k: int) -> np.ndarray:
    """Every node of degree k."""
    p = np.zeros(k + 1)
    p[k] = 1.0
    return p


def degree_moments(pmf: np.ndarray) -> tuple[float, float]:
    """<k> and <k^2> of a degree distribution."""
    k = np.arange(len(pmf), dtype=np.float64)
    return float(k @ pmf), float((k * k) @ pmf)


def percolation_threshold(pmf: np.ndarray) -> float:
    """Bond-percolation (SIR epidemic) threshold T_c = <k> / (<k^2> - <k>) of a
    configuration-model graph (Molloy & Reed 1995; Newman 2002)."""
    m1, m2 = degree_moments(pmf)
    return m1 / (m2 - m1) if m2 > m1 else math.inf


def _smallest_root(f, tol: float = 1e-13) -> float:
    """Smallest root in [0, 1] of u = f(u) for f increasing with f(1) = 1: iterate from 0."""
    u = 0.0
    for _ in range(200_000):
        nxt = float(f(u))
        if abs(nxt - u) < tol:
            return nxt
        u = nxt
    return u


def bond_percolation_giant(pmf: np.ndarray, transmissibility: float) -> float:
    """Giant-component share after keeping each tie with probability T (generating
    functions, Newman 2002): u = G1(1 - T + T u), S = 1 - G0(1 - T + T u)."""
    k = np.arange(len(pmf), dtype=np.float64)
    mean = float(k @ pmf)
    if mean == 0:
        return 0.0
    q = (k[1:] * pmf[1:]) / mean  # excess degree k-1 with probability q_{k-1}
    t = float(transmissibility)

    def g1(u: float) -> float:
        x = 1.0 - t + t * u
        return float(q @ x ** (k[1:] - 1.0))

    u = _smallest_root(g1)
    x = 1.0 - t + t * u
    s = 1.0 - float(pmf @ x ** k)
    return max(s, 0.0) if s > 1e-9 else 0.0


def er_giant_component(c: float) -> float:
    """Giant-component share of G(n, c/n) as n grows: the root of S = 1 - exp(-c S)
    (0 for c <= 1). Erdős & Rényi 1960."""
    if c <= 1.0:
        return 0.0
    return float(optimize.brentq(lambda s: s - (1.0 - math.exp(-c * s)), 1e-12, 1.0,
                                 xtol=1e-14))


# -------------------------------------------------------------------- Watts


def watts_vulnerable_degree(phi: float) -> int:
    """Largest degree k at which one active neighbour suffices: 1/k >= phi, K* = floor(1/phi)."""
    return int(math.floor(1.0 / phi + 1e-9))


def watts_condition(z: float, phi: float) -> float:
    """Left side of Watts' cascade condition on Erdős–Rényi graphs,
    z P(Poisson(z) <= K* - 2); global cascades are possible where it exceeds 1."""
    return float(z * stats.poisson.cdf(watts_vulnerable_degree(phi) - 2, z))


def watts_window(phi: float) -> tuple[float, float] | None:
    """Mean degrees (z_low, z_high) between which Watts' condition holds; None if nowhere."""
    k_star = watts_vulnerable_degree(phi)
    if k_star < 2:
        return None
    z_hi_search = 4.0 * k_star + 40.0
    grid = np.linspace(1e-3, z_hi_search, 20_000)
    values = grid * stats.poisson.cdf(k_star - 2, grid) - 1.0
    peak = int(values.argmax())
    if values[peak] <= 0:
        return None
    g = lambda z: watts_condition(z, phi) - 1.0  # noqa: E731
    low = optimize.brentq(g, grid[0], grid[peak], xtol=1e-12)
    high = optimize.brentq(g, grid[peak], z_hi_search, xtol=1e-12)
    return float(low), float(high)


def watts_cascade_probability(z: float, phi: float) -> float:
    """Chance that one random seed triggers a global cascade on an Erdős–Rényi graph of mean
    degree z with uniform threshold phi: the seed's share of the extended vulnerable
    cluster (Watts 2002; Gleeson & Cahalane 2007). With q_j = P(Poisson(z) = j) the chance
    that a tie leads to a vulnerable neighbour of excess degree j (j <= K* - 1),
    u = 1 - sum_j q_j + sum_j q_j u^j is the chance that a tie leads only to a finite
    vulnerable tree, and the seed cascades globally with probability 1 - exp(-z (1 - u))."""
    k_star = watts_vulnerable_degree(phi)
    if k_star < 1 or z <= 0:
        return 0.0
    j = np.arange(k_star, dtype=np.float64)
    q = stats.poisson.pmf(j, z)
    u = _smallest_root(lambda x: 1.0 - q.sum() + float(q @ x ** j))
    p = 1.0 - math.exp(-z * (1.0 - u))
    return p if p > 1e-9 else 0.0


# ------------------------------------------------------------------ sensors


def positive_predictive_value(prevalence: float, tpir: float, fpir: float) -> float:
    """Share of alerts that are true: p TPIR / (p TPIR + (1 - p) FPIR)."""
    hit = prevalence * tpir
    miss = (1.0 - prevalence) * fpir
    return hit / (hit + miss) if hit + miss > 0 else 0.0


def binomial_half_width(trials: int, p: float, confidence: float) -> float:
    """Half-width (in counts) of the central ``confidence`` interval of Binomial(trials, p),
    taken as the larger distance from the mean to either end."""
    lo, hi = stats.binom.interval(confidence, int(trials), float(p))
    mean = trials * p
    return float(max(mean - lo, hi - mean))


# --------------------------------------------------------- spiral of silence


def displayed_confidence(inner: float) -> float:
    """Ross et al. (2019): displayed confidence 2 / (1 + e^(-c)) - 1 of inner confidence c."""
    return 2.0 / (1.0 + math.exp(-inner)) - 1.0

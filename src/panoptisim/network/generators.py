"""Network generators with one signature: ``make_<name>(n, ..., rng) -> (u, v)`` edge arrays.

Each returns the endpoints of undirected ties (duplicates and self-loops allowed; the graph
builder drops them). Every generator is vectorised (numpy, or one compiled pass): no per-node
Python loop.
"""

from __future__ import annotations

import numpy as np


def make_households(n: int, mean_size: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partition ``n`` agents (in order) into households of size 1 + Poisson(mean_size - 1).

    Returns (household id per agent, u, v) where (u, v) are the complete graph inside each
    household. O(n * mean_size). Reference: China 7th census 2020 (mean 2.62).
    """
    if n < 1 or mean_size < 1:
        raise ValueError(f"households need n >= 1 and mean_size >= 1, n = {n}, "
                         f"mean_size = {mean_size}")
    est = int(n / mean_size * 1.2) + 16
    sizes = 1 + rng.poisson(mean_size - 1.0, size=est)
    while sizes.sum() < n:  # extremely rare: draw more
        sizes = np.concatenate([sizes, 1 + rng.poisson(mean_size - 1.0, size=est)])
    ends = np.cumsum(sizes)
    last = int(np.searchsorted(ends, n))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(ends[last] - n)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    household = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    us, vs = [], []
    for s in np.unique(sizes[sizes > 1]):
        first = starts[sizes == s]
        a, b = np.triu_indices(int(s), 1)
        us.append((first[:, None] + a[None, :]).ravel())
        vs.append((first[:, None] + b[None, :]).ravel())
    u = np.concatenate(us) if us else np.empty(0, np.int64)
    v = np.concatenate(vs) if vs else np.empty(0, np.int64)
    return household, u, v


def make_small_world(n: int, mean_degree: float, p_rewire: float, rng: np.random.Generator,
                     block: np.ndarray | None = None, p_cross_block: float = 1.0,
                     sociability: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Watts–Strogatz small world over agents in index order, with block homophily and,
    optionally, heterogeneous degrees.

    Each agent links to the next ``mean_degree / 2`` agents in order (fractional parts drawn);
    each tie's far end is rewired with probability ``p_rewire`` to a random agent of the same
    block (``block`` sorted, e.g. region), or of any block with probability ``p_cross_block``.
    Clustering falls from 3/4 as ``(1 - p_rewire)**3`` (Barrat & Weigt 2000).

    With ``sociability`` (mean 1), a denser lattice is thinned: tie (i, j) is kept with
    probability ``min(1, s_i * s_j / 2)`` (a fitness model, Caldarelli et al. 2002,
    doi:10.1103/PhysRevLett.89.258702), so degrees spread in proportion to s while the mean
    stays ``mean_degree`` and ties stay local (clustering is kept).
    Reference: Watts & Strogatz 1998, doi:10.1038/30918. O(n * mean_degree).
    """
    if n < 2 or mean_degree < 0 or not 0 <= p_rewire <= 1:
        raise ValueError(f"small world needs n >= 2, mean_degree >= 0 and 0 <= p_rewire <= 1, "
                         f"n = {n}, mean_degree = {mean_degree}, p_rewire = {p_rewire}")
    if sociability is not None:
        s = np.asarray(sociability, dtype=np.float64)
        probe = rng.integers(0, n, size=(2, 20_000))
        keep_rate = float(np.minimum(1.0, s[probe[0]] * s[probe[1]] / 2.0).mean())
        u, v = make_small_world(n, min(mean_degree / max(keep_rate, 1e-9), n - 1), p_rewire,
                                rng, block, p_cross_block)
        from panoptisim import kernels  # numba loads on first use, not at import
        # tie k kept when draw_k < min(1, s_u s_v / 2), drawn and compared in chunks
        kept = 0
        for lo in range(0, len(u), DRAW_CHUNK):
            kept = kernels.keep_fit(u, v, s, lo, rng.random(min(len(u) - lo, DRAW_CHUNK)), kept)
        return u[:kept], v[:kept]  # views: the caller concatenates them with other ties
    half = mean_degree / 2.0
    whole = int(np.floor(half))
    frac = half - whole
    # the lattice: offsets 1 .. whole from every agent, then whole + 1 from the agents whose
    # draw is under the fractional part; built in one compiled pass, tie after tie
    extra = np.flatnonzero(rng.random(n) < frac) if frac > 0 else np.empty(0, np.int64)
    from panoptisim import kernels  # numba loads on first use, not at import
    u, v = kernels.ring_lattice(n, whole, extra)
    rewire_far_ends(u, v, uniform_below(rng, len(u), p_rewire), rng, n, block, p_cross_block)
    return u, v


def rewire_far_ends(u: np.ndarray, v: np.ndarray, rewire: np.ndarray, rng: np.random.Generator,
                    n: int, block: np.ndarray | None, p_cross_block: float) -> None:
    """Move the far end ``v`` of the ties ``rewire`` (bool per tie), in place, to a random
    agent: of any block with probability ``p_cross_block``, else of the source's block
    (``block`` sorted; anywhere when there is none)."""
    k = int(np.count_nonzero(rewire))
    if block is None:
        v[rewire] = rng.integers(0, n, size=k)
        return
    block = np.asarray(block)
    counts = np.bincount(block)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    src_block = block[u[rewire]]
    local = starts[src_block] + (rng.random(k) * counts[src_block]).astype(np.int64)
    anywhere = rng.integers(0, n, size=k)
    v[rewire] = np.where(rng.random(k) < p_cross_block, anywhere, local)


#: Draws per chunk of ``uniform_below`` (8 MiB of float64).
DRAW_CHUNK = 1 << 20


def uniform_below(rng: np.random.Generator, m: int, p: float) -> np.ndarray:
    """``rng.random(m) < p`` drawn in chunks of ``DRAW_CHUNK``: the same draws in the same
    order (each float64 takes one 64-bit output of the bit generator), without an array of
    ``m`` floats (at 10^7 agents a lattice has over 10^8 ties)."""
    out = np.empty(m, np.bool_)
    for lo in range(0, m, DRAW_CHUNK):
        hi = min(m, lo + DRAW_CHUNK)
        np.less(rng.random(hi - lo), p, out=out[lo:hi])
    return out


def make_erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Erdős–Rényi G(n, p) with p = mean_degree / (n - 1), sampled as Binomial many pairs.

    Pairs are drawn uniformly with replacement; the few duplicates the builder drops are
    O(c^2) out of cn/2 and are compensated by drawing p' = -log(1 - p) pairs per slot.
    Reference: Erdős & Rényi 1960. O(n * mean_degree).
    """
    if n < 2 or mean_degree < 0 or mean_degree > n - 1:
        raise ValueError(f"Erdős–Rényi needs n >= 2 and 0 <= mean_degree <= n - 1, n = {n}, "
                         f"mean_degree = {mean_degree}")
    pairs = n * (n - 1) / 2
    p = mean_degree / (n - 1)
    lam = -np.log1p(-p) if p < 1 else np.inf
    m = rng.poisson(pairs * lam) if np.isfinite(lam) else int(pairs)
    u = rng.integers(0, n, size=m)
    v = rng.integers(0, n - 1, size=m)
    v = v + (v >= u)  # uniform over v != u
    return u, v


def make_configuration(degrees: np.ndarray, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Erased configuration model: half-edges paired uniformly at random (Molloy & Reed
    1995).

    Self-loops and multi-edges are erased by the builder, a vanishing share for bounded
    degrees. O(sum of degrees).
    """
    degrees = np.asarray(degrees, dtype=np.int64)
    if (degrees < 0).any():
        raise ValueError("configuration model needs degrees >= 0")
    half_edges = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
    if len(half_edges) % 2:
        half_edges = half_edges[:-1]
    rng.shuffle(half_edges)
    return half_edges[0::2].copy(), half_edges[1::2].copy()

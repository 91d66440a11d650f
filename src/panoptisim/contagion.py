"""Contagion kernels: threshold cascades and bond percolation on the project's graphs.

Pure, vectorised functions over a ``network.Graph`` (or, for Granovetter's crowd, the
complete graph), used by the validation suite and available to any stage:

- ``threshold_cascade``: the deterministic threshold rule iterated synchronously to its
  fixed point. An inactive agent becomes active once it would express by
  ``deterministic_expression``: the engine's own expression utility
  (``behavior.expression_utility``) in its deterministic limit, where it reduces to support
  reaching the threshold; nobody deactivates. Support is the number of active others (count
  thresholds, Granovetter 1978) or the share of one's live ties who are active, computed by
  ``behavior.support_share`` exactly as the expression rule computes social support
  (fractional thresholds, Watts 2002). Several independent cascades run at once when the
  seed array is (n, k).
- ``bond_percolation`` / ``component_labels`` / ``giant_component_share``: ties kept with
  probability T and connected components by ``scipy.sparse.csgraph``. The final size of a
  large SIR outbreak with per-tie transmissibility T is the giant component of the
  bond-percolated graph (Newman 2002, doi:10.1103/PhysRevE.66.016128).

References: Granovetter 1978, doi:10.1086/226707; Watts 2002, doi:10.1073/pnas.082090499.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from panoptisim import behavior
from panoptisim.behavior import support_share
from panoptisim.network import Graph

#: Absolute slack when comparing a share of ties with a fractional threshold, so that an
#: exact tie (1 of 5 neighbours against phi = 0.2) counts as reaching the threshold.
FRACTION_SLACK = 1e-12


def deterministic_expression(support: np.ndarray, threshold: np.ndarray, *,
                             slack: float = 0.0) -> np.ndarray:
    """Whether an agent expresses under the engine's expression rule in its deterministic
    limit: no noise (express iff utility >= -slack), no intercept, no weight on one's own
    latent dissent, no cost (certainty x consequence = 0) and unit weight on support, so
    utility = support - threshold (``behavior.expression_utility``, called here so that a
    change of the rule changes every threshold cascade). ``slack`` absorbs round-off in
    shares of ties. Bool, the broadcast shape of ``support`` and ``threshold``."""
    utility = behavior.expression_utility(
        latent_dissent=0.0, support=support, threshold=threshold, certainty=0.0,
        consequence=0.0, intercept=0.0, beta_dissent=0.0, beta_support=1.0, beta_cost=0.0)
    return np.asarray(utility) >= -slack


@dataclass(frozen=True)
class Cascade:
    """Outcome of a threshold cascade.

    ``active`` has the shape of the seeds: (n,) or (n, k) for k cascades run together;
    ``sizes`` is the number of active agents after each round (round 0: the seeds), one row
    per round, one column per cascade; ``rounds`` counts the rounds until nothing changed.
    """

    active: np.ndarray
    sizes: np.ndarray
    rounds: int

    @property
    def final_size(self) -> np.ndarray | int:
        """Active agents at the fixed point (one per cascade)."""
        return self.sizes[-1] if self.sizes.ndim == 1 else self.sizes[-1, :]


def support(active: np.ndarray, graph: Graph | None = None, *, fractional: bool = False,
            degree: np.ndarray | None = None) -> np.ndarray:
    """Support of every agent for the active state ``active`` ((n,) or (n, k), 0/1).

    With ``graph=None`` the population is a complete graph (Granovetter's crowd): support
    is the number of *other* active agents. On a graph it is the number of active live
    neighbours, or with ``fractional`` their share of the agent's live ties
    (``behavior.support_share``; ``degree`` defaults to the live degree).
    """
    values = np.asarray(active, np.float64)
    if graph is None:
        if fractional:
            raise ValueError("fractional support needs a graph: the complete graph has "
                             "count support (others active)")
        return values.sum(axis=0) - values
    if not fractional:
        return graph.neighbour_sum(values)
    if degree is None:
        degree = graph.neighbour_sum(np.ones(graph.n, np.float64))
    degree = np.asarray(degree, np.float64)
    if values.ndim == 2 and degree.ndim == 1:
        degree = degree[:, None]
    return support_share(graph, values, degree)


def threshold_cascade(thresholds: np.ndarray, seeds: np.ndarray | None = None,
                      graph: Graph | None = None, *, fractional: bool = False,
                      max_rounds: int | None = None) -> Cascade:
    """Run the threshold rule synchronously from ``seeds`` to its fixed point.

    Each round, every inactive agent who expresses by :func:`deterministic_expression` (its
    support, see ``support``, at least its threshold) becomes active; active agents stay
    active, so the process is monotone and ends after at most n rounds. ``thresholds`` is
    (n,): counts of active others (or of active neighbours) or, with ``fractional``, shares
    of live ties. ``seeds`` (bool, (n,) or (n, k)) are active from the start; by default
    nobody is, so only agents with a threshold of 0 or less start a cascade. Columns of a
    (n, k) seed array are independent cascades sharing the thresholds and the graph;
    finished columns drop out of the work.
    O(rounds x ties x k).
    """
    thresholds = np.asarray(thresholds, np.float64)
    n = len(thresholds) if graph is None else graph.n
    if len(thresholds) != n:
        raise ValueError(f"thresholds must have one entry per agent, got {len(thresholds)} "
                         f"for n = {n}")
    active = np.zeros(n, bool) if seeds is None else np.array(seeds, dtype=bool, copy=True)
    if active.shape[0] != n or active.ndim not in (1, 2):
        raise ValueError(f"seeds must be (n,) or (n, k) with n = {n}, got {active.shape}")
    single = active.ndim == 1
    state = active[:, None] if single else active
    need = thresholds[:, None]
    slack = FRACTION_SLACK if fractional else 0.0
    degree = None
    if graph is not None and fractional:
        degree = graph.neighbour_sum(np.ones(n, np.float64))[:, None]
    sizes = [state.sum(axis=0)]
    running = np.arange(state.shape[1])
    limit = n if max_rounds is None else max_rounds
    rounds = 0
    while len(running) and rounds < limit:
        block = state[:, running]
        s = support(block, graph, fractional=fractional, degree=degree)
        new = ~block & deterministic_expression(s, need, slack=slack)
        changed = new.any(axis=0)
        block |= new
        state[:, running] = block
        rounds += 1
        sizes.append(state.sum(axis=0))
        running = running[changed]
    out = state[:, 0] if single else state
    history = np.array(sizes)
    return Cascade(out, history[:, 0] if single else history, rounds)


def live_ties(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Each live undirected tie once, as (u, v) with u < v."""
    src = graph.sources
    keep = (graph.active > 0) & (src < graph.indices)
    return src[keep].astype(np.int64), graph.indices[keep].astype(np.int64)


def component_labels(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes joined by undirected ties (u, v)."""
    m = sp.csr_matrix((np.ones(len(u), np.int8), (u, v)), shape=(n, n))
    _, labels = connected_components(m, directed=False)
    return labels


def component_sizes(labels: np.ndarray) -> np.ndarray:
    """Size of every component, largest first."""
    return np.sort(np.bincount(labels))[::-1]


def giant_component_share(graph: Graph) -> float:
    """Share of nodes in the largest connected component over live ties."""
    u, v = live_ties(graph)
    return float(component_sizes(component_labels(graph.n, u, v))[0] / graph.n)


def bond_percolation(graph: Graph, transmissibility: float, u_tie: np.ndarray) -> np.ndarray:
    """Component labels after keeping each live tie with probability ``transmissibility``.

    ``u_tie`` holds one uniform per live tie (in ``live_ties`` order): tie kept iff
    ``u < T``. Reusing one ``u_tie`` across T couples the percolated graphs (nested as T
    grows, Newman & Ziff 2000), so a sweep over T has no sampling noise between points.
    """
    u, v = live_ties(graph)
    if len(u_tie) != len(u):
        raise ValueError(f"u_tie needs one uniform per live tie ({len(u)}), got {len(u_tie)}")
    keep = u_tie < transmissibility
    return component_labels(graph.n, u[keep], v[keep])


def outbreak_sizes(labels: np.ndarray, index_cases: np.ndarray) -> np.ndarray:
    """Final size of the SIR outbreak started by each index case: its component's size."""
    return np.bincount(labels)[labels[np.asarray(index_cases, np.int64)]]


def susceptibility(labels: np.ndarray) -> float:
    """Mean size of the component of a random node, the largest component excluded
    (the percolation susceptibility; it peaks at the threshold in a finite graph)."""
    sizes = component_sizes(labels)[1:].astype(np.float64)
    n = len(labels)
    return float((sizes ** 2).sum() / n)

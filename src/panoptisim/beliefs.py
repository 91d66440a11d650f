"""Compiled update of every agent's Beta belief about the certainty of punishment.

The arithmetic of ``perception.learn_certainty`` in two passes over the agents (first
beliefs; then forgetting, today's evidence and the mean) instead of some fifteen numpy
passes and their float32 temporaries. Each operation is the one numpy made, in the same precision
and order (float32 where numpy computed in float32, float64 then rounded to float32 where
numpy promoted), so the beliefs are bit-identical to the numpy form (tests/test_perception).
Neighbour sums (today's dissenting posts and punishments among an agent's ties) are
computed before, by the graph's kernels.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from panoptisim.philox import of_agent


@nb.njit(cache=True, nogil=True)
def _first(hits, misses, penalty, known, prior, n0, prior_penalty):
    believers = 0
    for i in range(len(hits)):
        h = hits[i]
        m = misses[i]
        if of_agent(known, i) and h + m <= 0:  # first learns that a scorer watches it
            p0 = of_agent(prior, i)
            h = np.float32(n0 * p0)
            m = np.float32(n0 * (1.0 - p0))
            hits[i] = h
            misses[i] = m
            penalty[i] = prior_penalty
        believers += h + m > 0
    return believers


@nb.njit(cache=True, nogil=True)
def _learn(hits, misses, risk, keep, weight, expressed, own_hits, seen_trials, seen_hits,
           rel_neighbour):
    with_own = len(own_hits) > 0
    with_trials = len(seen_trials) > 0
    with_hits = len(seen_hits) > 0
    for i in range(len(hits)):
        h = hits[i]
        m = misses[i]
        if not h + m > 0:  # no belief yet: nothing to forget or learn
            continue
        h = h * keep
        m = m * keep
        trials = np.float32(expressed[i])
        if with_trials:
            trials = trials + rel_neighbour * seen_trials[i]
        caught = np.float32(own_hits[i]) if with_own else np.float32(0.0)
        if with_hits:
            caught = caught + rel_neighbour * seen_hits[i]
        unpunished = trials - caught  # a hit is a punished post: the rest went unpunished
        if unpunished < 0:
            unpunished = np.float32(0.0)
        w = of_agent(weight, i)
        h = h + np.float32(w * caught)
        m = m + np.float32(w * unpunished)
        hits[i] = h
        misses[i] = m
        if h + m > 0:
            risk[i] = h / (h + m)


def _per_agent_or_one(x, dtype):
    return np.ascontiguousarray(x, dtype) if isinstance(x, np.ndarray) and x.ndim else \
        dtype(x)


NONE_F32 = np.empty(0, np.float32)
NONE_BOOL = np.empty(0, np.bool_)


def first_beliefs(hits: np.ndarray, misses: np.ndarray, penalty: np.ndarray, *,
                  known: np.ndarray | bool, prior: np.ndarray | float, n_prior: float,
                  prior_penalty: float) -> int:
    """Agents ``known`` to be watched that hold no belief (``hits``, ``misses``: float32
    pseudo-counts, in place) take the ``prior`` with the weight of ``n_prior`` posts, and
    the rumoured ``prior_penalty``. Returns how many agents now hold a belief."""
    return int(_first(hits, misses, penalty, _per_agent_or_one(known, np.bool_),
                      _per_agent_or_one(prior, np.float64), np.float32(n_prior),
                      np.float32(prior_penalty)))


def learn(hits: np.ndarray, misses: np.ndarray, risk: np.ndarray, *, keep: float,
          weight: np.ndarray | float, expressed: np.ndarray, own_hits: np.ndarray | None,
          seen_trials: np.ndarray | None, seen_hits: np.ndarray | None,
          rel_neighbour: float) -> None:
    """Every agent holding a belief forgets (pseudo-counts x ``keep``), then counts today's
    trials (its own dissenting post, ``expressed``, and ``rel_neighbour`` x
    ``seen_trials``, its ties' visible posts) and hits (a political flag it was told of,
    ``own_hits``, and ``rel_neighbour`` x ``seen_hits``, ties seen punished), each weighed
    ``weight``: one value (computed in float32, as numpy computes a Python float with
    float32 arrays) or float64 per agent. ``risk`` becomes the belief's mean. None: no such
    evidence today."""
    weight = _per_agent_or_one(weight, np.float64) if isinstance(weight, np.ndarray) \
        else np.float32(weight)
    _learn(hits, misses, risk, np.float32(keep), weight, expressed,
           NONE_BOOL if own_hits is None else own_hits,
           NONE_F32 if seen_trials is None else seen_trials,
           NONE_F32 if seen_hits is None else seen_hits, np.float32(rel_neighbour))


def warm_up() -> None:
    """Compile (or load from cache) both passes for the argument types a run uses."""
    for known in (True, np.ones(3, bool)):
        for prior in (0.5, np.full(3, 0.5)):
            first_beliefs(np.zeros(3, np.float32), np.zeros(3, np.float32),
                          np.zeros(3, np.float32), known=known, prior=prior, n_prior=5.0,
                          prior_penalty=10.0)
    for weight in (1.0, np.ones(3)):
        for own, seen in ((None, None), (np.ones(3, bool), np.ones(3, np.float32))):
            learn(np.ones(3, np.float32), np.ones(3, np.float32), np.zeros(3, np.float32),
                  keep=0.99, weight=weight, expressed=np.ones(3, bool), own_hits=own,
                  seen_trials=seen, seen_hits=seen, rel_neighbour=0.1)

"""Shared builders for the mechanism tests: small contexts, quiet days and binomial bounds.

Every mechanism test builds a small society with ``build_society``, picks an arm with
``make_arm`` and calls one stage function directly, so that a broken or removed mechanism
shows up as a failed quantitative or directional assertion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from panoptisim.context import Context
from panoptisim.network import Graph
from panoptisim.population import build_society
from panoptisim.scenario import load_scenario
from panoptisim.state import CATEGORIES, SANCTIONS, SENSORS, Today
from panoptisim.streams import Streams

#: Two-sided 99.9% normal quantile, for sums of non-identical Bernoulli trials.
Z999 = 3.29

#: The behaviour fields of ``Today`` that later stages read: the behaviour stage's masks.
BEHAVIOUR_FIELDS = Today.written_by("behaviour", np.bool_)


#: The scenario with baseline's values before calibration (docs/calibration.md): the
#: travel ban is the first sanction a falling score meets (550 points, above the visa
#: denial's 540, throttling's 520, shaming's 500 and the employer's 450) and the expected
#: cost weighs 0.5 logit per income-day. Unit tests that place a score between two of those
#: thresholds, or need the cost of speaking to be large, are written for it; the
#: calibrated 494 puts the travel ban below throttling and shaming.
ASSUMED_LADDER = "baseline-assumed"


def make_ctx(overrides: dict[str, Any] | None = None, arm: str = "treated", n: int = 2000,
             seed: int = 7, scenario: str = "baseline") -> Context:
    """A fresh context: scenario ``scenario`` with ``overrides``, ``n`` agents, arm ``arm``."""
    ov: dict[str, Any] = {"population.size": n}
    ov.update(overrides or {})
    sc = load_scenario(scenario, ov, seed=seed)
    streams = Streams(sc.run.seed)
    state = build_society(sc, streams)
    return Context.first_day(sc, arm, streams, state)


def mask(n: int, who: Any) -> np.ndarray:
    """A boolean mask of length ``n`` from True (everyone), a mask, or agent indices."""
    if who is True:
        return np.ones(n, bool)
    if who is False or who is None:
        return np.zeros(n, bool)
    who = np.asarray(who)
    if who.dtype == bool:
        assert len(who) == n
        return who.copy()
    out = np.zeros(n, bool)
    out[who] = True
    return out


def quiet_today(ctx: Context, t: int, **events: Any) -> Today:
    """A day on which nobody does anything except the given events (True, mask or indices)."""
    n = ctx.state.n
    today = Today(t)
    for name in BEHAVIOUR_FIELDS:
        setattr(today, name, np.zeros(n, bool))
    today.support = np.zeros(n, np.float32)
    for name, who in events.items():
        assert name in BEHAVIOUR_FIELDS, name
        setattr(today, name, mask(n, who))
    return today


def add_flags(today: Today, agents: Any, sensor: str, category: str, is_true: bool) -> Today:
    """Append flags (one per entry of ``agents``) to today's flag arrays."""
    agents = np.atleast_1d(np.asarray(agents, np.int64))
    k = len(agents)
    today.flag_agent = np.concatenate([today.flag_agent, agents])
    today.flag_sensor = np.concatenate([today.flag_sensor,
                                        np.full(k, SENSORS.index(sensor), np.int8)])
    today.flag_category = np.concatenate([today.flag_category,
                                          np.full(k, CATEGORIES.index(category), np.int8)])
    today.flag_true = np.concatenate([today.flag_true, np.full(k, is_true, bool)])
    return today


def sanction_index(kind: str) -> int:
    """Row of ``kind`` in ``sanction_days_left``."""
    return SANCTIONS.index(kind)


def assert_binomial(observed: float, trials: int, p: float, what: str = "count",
                    conf: float = 0.999) -> None:
    """``observed`` lies in the central ``conf`` interval of Binomial(trials, p)."""
    lo, hi = stats.binom.interval(conf, int(trials), float(p))
    assert lo <= observed <= hi, (f"{what}: observed {observed} outside the {conf:.1%} interval "
                                  f"[{lo:.0f}, {hi:.0f}] of Binomial({trials}, {p:.4g})")


def assert_bernoulli_sum(observed: float, probs: np.ndarray, what: str = "count") -> None:
    """``observed`` is within 3.29 sd (99.9%) of a sum of independent Bernoulli(probs)."""
    probs = np.asarray(probs, np.float64)
    mean = probs.sum()
    sd = np.sqrt((probs * (1.0 - probs)).sum())
    assert abs(observed - mean) <= Z999 * sd + 1.0, (
        f"{what}: observed {observed} but expected {mean:.1f} +- {Z999 * sd:.1f} (99.9%)")


def live_edges(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Undirected live ties as (u, v) with u < v, in (u, v) order, by a plain loop.

    An oracle that shares no code with ``contagion.live_ties``: it walks the CSR rows entry
    by entry (``indptr``, ``indices`` and ``active`` as Python lists, not ``Graph.sources``)
    and collects the live directed entries in a set. It also checks what the CSR promises:
    no live entry twice, and every live tie live in both directions (a cut cuts both).
    """
    indptr = np.asarray(graph.indptr).tolist()
    indices = np.asarray(graph.indices).tolist()
    active = np.asarray(graph.active).tolist()
    live: set[tuple[int, int]] = set()
    for row in range(len(indptr) - 1):
        for entry in range(indptr[row], indptr[row + 1]):
            if active[entry] > 0:
                pair = (row, indices[entry])
                assert pair not in live, f"live entry {pair} appears twice"
                live.add(pair)
    one_way = [(a, b) for a, b in live if (b, a) not in live]
    assert not one_way, f"ties live in one direction only: {sorted(one_way)[:5]}"
    pairs = sorted((a, b) for a, b in live if a < b)
    u = np.array([a for a, _ in pairs], np.int64)
    v = np.array([b for _, b in pairs], np.int64)
    return u, v

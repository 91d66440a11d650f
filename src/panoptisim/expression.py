"""Expression of dissent in one compiled pass over the agents who have a chance to speak.

The rule is ``behavior``'s (Kuran 1995's preference falsification as a logit choice,
McFadden 1974; the expected cost is the perceived certainty times the consequence a flag
would bring, Becker 1968; Nagin 2013): for each agent with a chance, the penalty it
expects (``behavior.perceived_penalty``), the chance that it tips its score under each
sanction's threshold and the fast track's (``behavior.crossing_chance``), the consequence
in days of income (``behavior.expected_consequence``), the certainty lowered by safety in
numbers (``behavior.effective_certainty``), the utility (``behavior.expression_utility``),
its logistic function and the draw. ``behavior`` keeps those functions as the readable
reference; this pass computes the same floating-point operations in the same order and
dtypes (float32 where the numpy chain is float32, float64 where it is float64), so its
results are bit-identical to them (tests/test_expression.py), without the ~40 arrays of
temporaries of the chain.

scipy's own ``ndtr`` and ``expit`` (double) are called inside the pass through
``scipy.special.cython_special``: each is registered with LLVM under a symbol name of its
own at import (``llvmlite.binding.add_symbol``) and called as a ``types.ExternalFunction``
by that name, so compiled code refers to the symbol, not to an address: the kernel is
cached on disk like the others and every process links it to its own scipy.

The pass is bound by those ndtr calls (two per threshold, twelve per agent, ~16 ns each:
about 10 of its 11 ms a day for the ~50,000 agents with a chance at 10^6 agents, one
thread). It splits over the threads by chunks of agents when a core is spare
(``cores.spare_threads``; each agent is written by one thread, so the bits do not depend
on the threads), and skips them where ``expected_consequence`` replaces the sum by 0 (an
expected penalty that is not positive).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import binding as _llvm
from numba.extending import get_cython_function_address

from panoptisim import cores
from panoptisim.philox import uniform_of

_CYTHON_SPECIAL = "scipy.special.cython_special"
# cython_special's fused cpdef functions take a trailing ``int __pyx_skip_dispatch``; the
# double versions are ndtr's fuse 1 (fuse 0 is complex) and expit's fuse 0 (1 is float)
_llvm.add_symbol("panoptisim_scipy_ndtr",
                 get_cython_function_address(_CYTHON_SPECIAL, "__pyx_fuse_1ndtr"))
_llvm.add_symbol("panoptisim_scipy_expit",
                 get_cython_function_address(_CYTHON_SPECIAL, "__pyx_fuse_0expit"))
_SIG = nb.types.float64(nb.types.float64, nb.types.int32)
#: scipy.special.ndtr and scipy.special.expit on one double (the same C functions).
ndtr = nb.types.ExternalFunction("panoptisim_scipy_ndtr", _SIG)
expit = nb.types.ExternalFunction("panoptisim_scipy_expit", _SIG)

#: Columns of the rule table (one row per region; ``behavior.expression_rules``): the five
#: sanctions' thresholds (``state.SANCTIONS`` order, points), the fast track's, the
#: sanctions' values (days of income), whether the region sanctions (1.0 or 0.0), the
#: published penalty (points; NaN: learnt).
THRESHOLD, FAST, VALUE, SANCTIONING, PUBLISHED = 0, 5, 6, 11, 12
COLUMNS = 13


@nb.njit(cache=True, nogil=True)
def _penalty_signs(agents, table, region, regional, learnt):
    """Whether every agent's expected penalty is <= 0, and whether some agent's is."""
    every, some = True, False
    for j in range(len(agents)):
        i = agents[j]
        r = region[i] if regional else 0
        penalty = table[r, PUBLISHED]
        if not np.isfinite(penalty):
            penalty = np.float64(learnt[i])
        every &= penalty <= 0.0
        some |= penalty <= 0.0
    return every, some


@nb.njit(cache=True, nogil=True)
def _express(lo, hi, agents, support, risk, dissent, threshold, score, learnt, table, region,
             regional, marked, degree, switches, f32, f64, key, expressed):
    # the probabilities of agents[lo:hi] (and their decisions, given an expressed array)
    # switches: cost (some penalty > 0), sanction terms, salience, nil where penalty <= 0
    # f32: intercept, beta_dissent, beta_support, beta_cost, safety in numbers, salience
    # f64: value_flag, sigma, value_fast_track_day, discount horizon
    cost, sanctions, salient, nil_unless_positive = switches
    intercept, beta_dissent, beta_support, beta_cost, safety, salience = f32
    value_flag, sigma, fast_day, horizon = f64
    one, half = np.float32(1.0), np.float32(0.5)
    decide = len(expressed) > 0
    p = np.empty(hi - lo, np.float64)  # a fresh array: no argument aliases it
    for j in range(hi - lo):
        i = agents[lo + j]
        consequence = 0.0
        if cost:  # behavior.expected_consequence (days of income), the rules in row r
            r = region[i] if regional else 0
            penalty = table[r, PUBLISHED]
            if not np.isfinite(penalty):
                penalty = np.float64(learnt[i])
            # where the penalty is not positive the sum is replaced by 0: skip its 12 ndtr
            if not (nil_unless_positive and not penalty > 0.0):
                total = value_flag
                if sanctions:
                    s = score[i]
                    step = penalty / sigma
                    for k in range(FAST - THRESHOLD):  # crossing_chance x value x sanctioning
                        z = (table[r, THRESHOLD + k] - s) / sigma
                        total += (ndtr(z + step, 0) - ndtr(z, 0)) * table[r, VALUE + k] \
                            * table[r, SANCTIONING]
                    z = (table[r, FAST] - s) / sigma
                    total += (ndtr(z + step, 0) - ndtr(z, 0)) * fast_day * horizon \
                        * table[r, SANCTIONING]
                if salient:  # the float32 share of ties on a public list, as numpy has it
                    share = np.float32(marked[i]) / max(degree[i], one)
                    total *= np.float64(one + salience * share)
                consequence = total
        sup = support[i]
        certainty = risk[i] * (one - safety * sup)  # float32
        utility = intercept + beta_dissent * (dissent[i] - half)  # float32
        utility = utility + beta_support * (sup - threshold[i])
        p[j] = expit(np.float64(utility) - np.float64(beta_cost * certainty) * consequence, 0)
        if decide:
            expressed[i] = uniform_of(key[0], key[1], key[2], i) < p[j]
    return p


#: Agents per chunk of the pass split over the threads.
CHUNK = 1 << 11
#: An agent of this pass (12 ndtr, ~0.2 us) weighs as much as this many agents of a simple
#: per-agent pass (``cores.SPLIT_MIN_AGENTS``): the pass splits, when a core is spare, from
#: 4096 agents with a chance (about 1 ms of work).
AGENT_WEIGHT = 64


@nb.njit(parallel=True, cache=True, nogil=True)
def _express_split(agents, support, risk, dissent, threshold, score, learnt, table, region,
                   regional, marked, degree, switches, f32, f64, key, expressed):
    # _express over chunks of CHUNK agents, one thread a chunk: each agent's own arithmetic
    # and draw, written to its own entries, so the same bits as one thread. The tuples go
    # into the loop as scalars (numba's parallel loops do not take tuples of scalars)
    p = np.empty(len(agents), np.float64)
    w, x, y, z = switches
    a, b, c, d, e, f = f32
    g, h, k, m = f64
    k0, k1, day = key
    for chunk in nb.prange((len(agents) + CHUNK - 1) // CHUNK):
        lo, hi = chunk * CHUNK, min(len(agents), (chunk + 1) * CHUNK)
        p[lo:hi] = _express(lo, hi, agents, support, risk, dissent, threshold, score, learnt,
                            table, region, regional, marked, degree, (w, x, y, z),
                            (a, b, c, d, e, f), (g, h, k, m), (k0, k1, day), expressed)
    return p


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


#: The region index read when the rules are the same everywhere (read-only, as the State's
#: ``region``: one compiled signature for both).
ONE_REGION = _read_only(np.zeros(1, np.int8))


def penalty_signs(agents: np.ndarray, table: np.ndarray, region: np.ndarray, regional: bool,
                  learnt: np.ndarray) -> tuple[bool, bool]:
    """Whether every one of ``agents``' expected penalty (the table's published one, else
    the ``learnt`` one) is <= 0, and whether some agent's is."""
    return _penalty_signs(agents, table, region, regional, learnt)


def express(agents: np.ndarray, support: np.ndarray, risk: np.ndarray, dissent: np.ndarray,
            threshold: np.ndarray, score: np.ndarray, learnt: np.ndarray, table: np.ndarray,
            region: np.ndarray, regional: bool, marked: np.ndarray, degree: np.ndarray,
            switches: tuple[bool, bool, bool, bool], f32: tuple, f64: tuple, key: tuple,
            expressed: np.ndarray) -> np.ndarray:
    """The probability (float64) that each of ``agents`` expresses dissent, and with a
    non-empty ``expressed`` (bool, (n,)) its decision by the draw of ``key`` (written in
    place), split over the threads when a core is spare. The arguments are the State's
    arrays, the rule table (``COLUMNS``, one row per region or one for all) and the
    switches and parameters ``behavior.expression_probability`` reads from the scenario."""
    args = (agents, support, risk, dissent, threshold, score, learnt, table, region,
            regional, marked, degree, switches, f32, f64, key, expressed)
    with cores.spare_threads(len(agents) * AGENT_WEIGHT) as split:
        return _express_split(*args) if split else _express(0, len(agents), *args)


def warm_up() -> None:
    """Compile (or load from cache) the pass with the types a run gives it (the State's
    ``expression_threshold`` and ``region`` are read-only)."""
    agents = np.array([0, 2], np.int64)
    ones32 = np.ones(3, np.float32)
    threshold = _read_only(np.ones(3, np.float32))
    table = np.zeros((1, COLUMNS))
    _penalty_signs(agents, table, ONE_REGION, False, ones32)
    args = (agents, ones32, ones32, ones32, threshold, np.ones(3), ones32, table,
            ONE_REGION, False, np.ones(3, np.int32), ones32, (True, True, True, True),
            (np.float32(1.0),) * 6, (1.0,) * 4, (np.uint32(1), np.uint32(2), np.uint32(3)),
            np.zeros(3, np.bool_))
    _express(0, len(agents), *args)
    with cores.PARALLEL_LOCK:
        _express_split(*args)

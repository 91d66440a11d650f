"""Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, SC'11,
doi:10.1145/2063384.2063405).

Philox is a keyed bijection of a 128-bit counter: ten rounds of two 32x32->64-bit
multiplications and xors with a 64-bit key bumped by Weyl constants. Its output for a
counter depends on nothing else, so a draw is a function of *what it is for*, not of how
many numbers were drawn before it: the draw of decision ``purpose`` by agent ``i`` on day
``t`` is word ``i mod 4`` of ``philox(counter=(i // 4, t, 0, 0), key=key(seed, purpose))``,
a float32 in [0, 1) from its top 24 bits (as numpy's ``random(dtype=float32)``). Hence:

- one draw can be computed where it is used, inside a compiled pass, without an array of
  draws in memory, and only for the agents who make that decision today;
- the two arms of a pair draw the same number for the same agent, decision and day however
  their histories diverge (common random numbers agent by agent, as the Starsim framework
  designs them);
- the result does not depend on the number of threads or the order of evaluation.

The authors report that Philox4x32-10 passes TestU01's BigCrush for sequential counters and
for keys and counters varied in every bit (Salmon et al. 2011). Here ``tests/test_philox.py``
checks Random123's published known-answer vectors, an independent numpy implementation, and
a battery at the size of one day of a 10^6-agent run (frequency and Kolmogorov-Smirnov,
runs up and down, serial pairs, correlation between neighbouring agents, days, purposes and
seeds; Knuth 1998, TAOCP vol. 2 §3.3.2), which fails on deliberately broken generators.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from panoptisim import cores

#: Philox4x32's multipliers and Weyl key increments (Salmon et al. 2011; Random123).
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
ROUNDS = 10

#: 2^-24: a float32 in [0, 1) from a word's top 24 bits.
_FLOAT32_UNIT = np.float32(1.0 / 16777216.0)


@nb.njit(inline="always", cache=True, nogil=True)
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``
    (all uint32): four uint32 words."""
    c0, c1, c2, c3 = np.uint32(c0), np.uint32(c1), np.uint32(c2), np.uint32(c3)
    k0, k1 = np.uint32(k0), np.uint32(k1)
    for _ in range(ROUNDS):
        p0 = np.uint64(M0) * np.uint64(c0)
        p1 = np.uint64(M1) * np.uint64(c2)
        c0, c1, c2, c3 = (np.uint32(p1 >> np.uint64(32)) ^ c1 ^ k0,
                          np.uint32(p1 & np.uint64(0xFFFFFFFF)),
                          np.uint32(p0 >> np.uint64(32)) ^ c3 ^ k1,
                          np.uint32(p0 & np.uint64(0xFFFFFFFF)))
        k0 = np.uint32(k0 + np.uint32(W0))
        k1 = np.uint32(k1 + np.uint32(W1))
    return c0, c1, c2, c3


@nb.njit(inline="always", cache=True, nogil=True)
def to_unit(word):
    """A uint32 word as a float32 in [0, 1): its top 24 bits times 2^-24."""
    return np.float32(np.uint32(word) >> np.uint32(8)) * _FLOAT32_UNIT


@nb.njit(inline="always", cache=True, nogil=True)
def uniform_of(k0, k1, day, agent):
    """The draw of one agent on one day under the key ``(k0, k1)`` of one purpose."""
    # word agent mod 4, picked by two selects on its bits (a chain of branches on the lane
    # stops loops of draws from vectorising: 12.9 ns a draw against 1.6)
    position = np.uint64(agent)
    one, two = np.uint64(1), np.uint64(2)
    w0, w1, w2, w3 = philox4x32(np.uint32(position >> two), np.uint32(day), 0, 0, k0, k1)
    odd = (position & one) == one
    low = w1 if odd else w0
    high = w3 if odd else w2
    return to_unit(high if (position & two) == two else low)


@nb.njit(inline="always", cache=True, nogil=True)
def _fill_block(out, block, k0, k1, day):
    """Agents ``4 block .. 4 block + 3``'s draws (those under ``len(out)``)."""
    w0, w1, w2, w3 = philox4x32(block, day, 0, 0, k0, k1)
    n, i = len(out), 4 * block
    out[i] = to_unit(w0)
    if i + 1 < n:
        out[i + 1] = to_unit(w1)
    if i + 2 < n:
        out[i + 2] = to_unit(w2)
    if i + 3 < n:
        out[i + 3] = to_unit(w3)


@nb.njit(cache=True, nogil=True)
def _uniform_all(k0, k1, day, n):
    # one thread: the loop vectorises (SIMD multiplies), about 0.5 ns a draw, faster than
    # the same loop split over two threads
    out = np.empty(n, np.float32)
    for block in range((n + 3) // 4):
        _fill_block(out, block, k0, k1, day)
    return out


@nb.njit(cache=True, nogil=True)
def _uniform_at(k0, k1, day, agents):
    # unsigned positions: the loop vectorises (1.6 ns a draw at 1.5*10^5 agents)
    out = np.empty(len(agents), np.float32)
    positions = agents.view(np.uint64)
    for j in range(np.uint64(len(agents))):
        out[j] = uniform_of(k0, k1, day, positions[j])
    return out


def uniform_all(key: tuple[int, int], day: int, n: int) -> np.ndarray:
    """The draws of agents ``0 .. n-1`` on ``day`` (float32, (n,)); the same numbers as
    ``uniform_at`` for any subset, for any number of threads."""
    return _uniform_all(np.uint32(key[0]), np.uint32(key[1]), np.uint32(day & 0xFFFFFFFF),
                        np.int64(n))


def uniform_at(key: tuple[int, int], day: int, agents: np.ndarray) -> np.ndarray:
    """The draws of agents ``agents`` (any integer indices) on ``day`` (float32)."""
    return _uniform_at(np.uint32(key[0]), np.uint32(key[1]), np.uint32(day & 0xFFFFFFFF),
                       np.ascontiguousarray(agents, np.int64))


def of_agent(x, i):  # pragma: no cover - replaced by the overload below when compiled
    """Agent ``i``'s value of ``x``: ``x[i]`` for a per-agent array, ``x`` for one value,
    ``table[row[i]]`` for ``(table, row)`` and ``table[row[i], col[i]]`` for
    ``(table, row, col)`` (a value by category, looked up per agent without an array of
    the agents' values). Compiled code: one loop per combination of argument types."""
    if isinstance(x, tuple):
        return x[0][x[1][i]] if len(x) == 2 else x[0][x[1][i], x[2][i]]
    return x[i] if isinstance(x, np.ndarray) else x


@nb.extending.overload(of_agent, inline="always")
def _per_agent_overload(x, i):
    """``x[i]`` for a per-agent array, ``x`` for one value, a table lookup for a tuple:
    each combination of the arguments compiles to its own tight loop."""
    if isinstance(x, nb.types.BaseTuple):
        if len(x) == 2:
            return lambda x, i: x[0][x[1][i]]
        return lambda x, i: x[0][x[1][i], x[2][i]]
    if isinstance(x, nb.types.Array):
        return lambda x, i: x[i]
    return lambda x, i: x


@nb.njit(inline="always", cache=True, nogil=True)
def _happens_one(u, i, p, times, forgone, among):
    # branch-free (a short-circuit ``and`` stops the loop from vectorising)
    return of_agent(among, i) & (u < p * of_agent(times, i) * (1.0 - of_agent(forgone, i)))


@nb.njit(cache=True, nogil=True)
def _decide(first, last, n, k0, k1, day, p, times, forgone, among):
    # the decisions of agents 4 first .. min(4 last, n) - 1 (Philox blocks first .. last -
    # 1), in a fresh array: unsigned positions and an output no argument can alias let the
    # loop vectorise (about 0.5 ns an agent), also when it is one chunk of _decide_split
    first, last = np.uint64(first), np.uint64(last)
    n = np.uint64(n)
    full = min(last, n // np.uint64(4))
    out = np.empty(min(np.uint64(4) * last, n) - np.uint64(4) * first, np.bool_)
    for b in range(full - first):  # four agents' draws from one Philox call
        block = first + b
        w0, w1, w2, w3 = philox4x32(block, day, 0, 0, k0, k1)
        i, o = np.uint64(4) * block, np.uint64(4) * b
        out[o] = _happens_one(to_unit(w0), i, p, times, forgone, among)
        out[o + np.uint64(1)] = _happens_one(to_unit(w1), i + np.uint64(1), p, times,
                                             forgone, among)
        out[o + np.uint64(2)] = _happens_one(to_unit(w2), i + np.uint64(2), p, times,
                                             forgone, among)
        out[o + np.uint64(3)] = _happens_one(to_unit(w3), i + np.uint64(3), p, times,
                                             forgone, among)
    for i in range(np.uint64(4) * full, min(np.uint64(4) * last, n)):  # a last partial block
        out[i - np.uint64(4) * first] = _happens_one(uniform_of(k0, k1, day, i), i, p, times,
                                                     forgone, among)
    return out


#: Philox blocks (4 agents each) per chunk of a decision split over threads.
CHUNK_BLOCKS = 1 << 14


@nb.njit(parallel=True, cache=True, nogil=True)
def _decide_split(n, k0, k1, day, p, times, forgone, among):
    # _decide over chunks of CHUNK_BLOCKS blocks, one thread a chunk: each agent's decision
    # is its own (no sum, no order), so the result does not depend on the threads
    out = np.empty(n, np.bool_)
    blocks = (n + 3) // 4
    for c in nb.prange((blocks + CHUNK_BLOCKS - 1) // CHUNK_BLOCKS):
        first = c * CHUNK_BLOCKS
        last = min(blocks, first + CHUNK_BLOCKS)
        out[4 * first: min(4 * last, n)] = _decide(first, last, n, k0, k1, day, p, times,
                                                   forgone, among)
    return out


def _scalar_or_array(x, dtype):
    """A per-agent array as the kernel reads it, one value of ``dtype``, or a lookup
    ``(table, row[, col])`` (contiguous arrays, the table float32 or ``dtype``). A float32
    array is read as it is (no float64 copy): each value widens exactly in the kernel."""
    if isinstance(x, tuple):
        table = x[0] if x[0].dtype == np.float32 else np.asarray(x[0], dtype)
        return (np.ascontiguousarray(table),) + tuple(np.ascontiguousarray(k) for k in x[1:])
    if isinstance(x, np.ndarray) and x.ndim:
        if dtype is np.float64 and x.dtype == np.float32 and x.flags.c_contiguous:
            return x
        return np.ascontiguousarray(x, dtype)
    return dtype(x)


def happens(key: tuple[int, int], day: int, n: int, p: np.ndarray | float,
            times: np.ndarray | float = 1.0, forgone: np.ndarray | float = 0.0,
            among: np.ndarray | bool = True) -> np.ndarray:
    """Which of agents ``0 .. n-1`` take a yes/no decision on ``day`` (bool, (n,)): agent
    ``i`` does when it is ``among`` the candidates and its draw is under
    ``p_i times_i (1 - forgone_i)`` (each of ``p``, ``times``, ``forgone``, ``among`` per
    agent or one value, and ``times`` or ``forgone`` also a lookup ``(table, row[, col])``
    by the agents' categories; probabilities in float64, the draw a float32). One compiled pass,
    the draws made inside it (no array of draws): the same decisions as comparing
    ``uniform_all``."""
    if isinstance(p, np.ndarray) and p.ndim:
        p, times = 1.0, p * times  # one per-agent factor: the same products
    args = (np.uint32(key[0]), np.uint32(key[1]), np.uint32(day & 0xFFFFFFFF),
            np.float64(p), _scalar_or_array(times, np.float64),
            _scalar_or_array(forgone, np.float64), _scalar_or_array(among, np.bool_))
    with cores.spare_threads(n) as split:
        return _decide_split(np.int64(n), *args) if split else \
            _decide(0, (n + 3) // 4, n, *args)

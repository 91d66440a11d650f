"""Compiled kernels (numba) for the deterministic array logic of the hot path.

Every kernel here reproduces, bit for bit, the numpy/scipy expression it replaces: the
same values in the same order, with the same floating-point accumulation order. None
draws random numbers (draws stay with the callers and their named streams).

Edge loops run over unsigned positions (``np.uint64``/``np.uint32``): numba then omits the
negative-index wrap-around on every access, which made the row passes 1.3-1.5x slower
(benchmarks/roofline.py). Parallel kernels (``parallel=True``) only split work by CSR row
or by chunk of agents, each row or agent written by one thread with the sequential order
of the serial code, and add chunks' partial results only where they are integers (exact in
any order), so their results do not depend on the number of threads
(tests/test_parallel.py). Passes with a split form take it only when a core is spare
(``cores.spare_threads``).
Kernels are cached on disk (``cache=True``): the first call in a fresh environment
compiles them (``benchmarks/scale.py`` reports that time), later processes load them.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from panoptisim.cores import PARALLEL_LOCK, SPLIT_CHUNK, spare_threads
from panoptisim.philox import of_agent


@nb.njit(parallel=True, cache=True, nogil=True)
def _csr_matvec_par(indptr, indices, data, x):
    """``A @ x`` split by row over the threads: per row, entries in CSR order, accumulated
    in ``x``'s dtype from 0 (compiled once per dtype)."""
    n = len(indptr) - 1
    out = np.zeros(n, x.dtype)
    for i in nb.prange(n):
        acc = out[i]
        for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            acc += data[e] * x[np.uint32(indices[e])]
        out[i] = acc
    return out


@nb.njit(cache=True, nogil=True)
def _csr_matvec_seq(indptr, indices, data, x):
    """The one-thread form of ``_csr_matvec_par`` (for benchmarks/roofline.py)."""
    n = len(indptr) - 1
    out = np.zeros(n, x.dtype)
    for i in range(n):
        acc = out[i]
        for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            acc += data[e] * x[np.uint32(indices[e])]
        out[i] = acc
    return out


#: Below this many CSR entries a pass runs on one thread: the fork/join costs more than it
#: saves (and much more on a loaded machine). Results are identical either way.
PARALLEL_MIN_ENTRIES = 1 << 21


@nb.njit(cache=True, nogil=True)
def _census(x):
    """How many entries of ``x`` are non-zero, and whether none is negative (or NaN)."""
    count = 0
    signed = False
    for j in range(len(x)):
        count += x[j] != 0
        signed |= not x[j] >= 0
    return count, not signed


@nb.njit(cache=True, nogil=True)
def _scatter(indptr, indices, data, x):
    """``A @ x`` pushed from the non-zeros of ``x`` (see neighbour_sum), in ``x``'s dtype."""
    out = np.zeros(len(indptr) - 1, x.dtype)
    for j in range(len(x)):  # ascending: each row receives its terms in CSR order
        xj = x[j]
        if xj == 0:
            continue
        for e in range(np.uint64(indptr[j]), np.uint64(indptr[j + 1])):
            out[np.uint32(indices[e])] += data[e] * xj
    return out


#: Edge data the kernels take: the graph's live-tie mask (uint8) or float32 weights. A
#: uint8 times a float32 is a float32 in numba, so a 0/1 mask gives the same bits as 0.0/1.0.
MASK_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))

#: The push (scatter) form is used when at most this share of ``x`` is non-zero.
SCATTER_MAX_SHARE = 0.25


def neighbour_sum(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                  x: np.ndarray) -> np.ndarray | None:
    """``A @ x`` (A symmetric, as the social graph is), exactly as scipy computes it.

    With a sparse non-negative ``x`` (most of the day's masks: who expressed recently, who
    is on a public list) the sum is pushed from the non-zero entries of ``x``, visited in
    ascending order: every row then receives its non-zero terms in CSR order, and the
    terms it skips are ``data x 0 = +0.0``, which leave a sum of non-negative terms
    unchanged. The result is bit-identical to the pull (row) form, in
    O(non-zeros x degree) instead of O(edges). The term of entry (i, j) is read from the
    entry (j, i) itself: ties are undirected, so the entries (i, j) and (j, i) hold the
    same value (Graph.cut clears both directions). Otherwise the row-parallel pull form.
    Returns None for inputs the kernels do not cover (the caller uses scipy)."""
    if x.ndim != 1 or data.dtype not in MASK_DTYPES or x.dtype not in (np.float32, np.float64):
        return None
    nonzero, unsigned = _census(x)
    if nonzero <= SCATTER_MAX_SHARE * len(x) and (nonzero == 0 or unsigned):
        return _scatter(indptr, indices, data, x)
    return csr_matvec(indptr, indices, data, x)


def csr_matvec(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
               x: np.ndarray) -> np.ndarray | None:
    """``A @ x`` for a CSR matrix with float32 or uint8 ``data`` (the live-tie mask) and a
    1-D float32 or float64 ``x``, exactly as scipy's ``csr_matvec`` computes it (per row,
    entries in CSR order, accumulated in the result dtype from 0), split by row over
    numba's threads. Returns None for small graphs (fewer than PARALLEL_MIN_ENTRIES
    entries) and other inputs: the caller then uses scipy, which gives the same bits on one
    thread."""
    if x.ndim != 1 or data.dtype not in MASK_DTYPES or x.dtype not in (np.float32, np.float64):
        return None
    if len(indices) < PARALLEL_MIN_ENTRIES:
        return None  # one thread: scipy's loop is as fast or faster (benchmarks/roofline.py)
    with PARALLEL_LOCK:
        return _csr_matvec_par(indptr, indices, data, x)


#: Rows up to this long are sorted in place by insertion; longer ones by ``np.sort``.
SHORT_ROW = 64


@nb.njit(cache=True, nogil=True)
def _csr_from_pairs(n, u, v):
    """Sorted, de-duplicated symmetric CSR (indptr, indices) of the pairs (u, v) and (v, u),
    self-loops dropped."""
    count = np.zeros(n + 1, np.int64)
    m = len(u)
    for k in range(m):
        a, b = u[k], v[k]
        if a != b:
            count[a + 1] += 1
            count[b + 1] += 1
    start = np.empty(n + 1, np.int64)
    start[0] = 0
    for i in range(n):
        start[i + 1] = start[i] + count[i + 1]
    buf = np.empty(start[n], np.int32)
    fill = start[:n].copy()
    for k in range(m):
        a, b = u[k], v[k]
        if a != b:
            buf[fill[a]] = b
            fill[a] += 1
            buf[fill[b]] = a
            fill[b] += 1
    # sort each row, drop duplicates, compact in place
    indptr = np.empty(n + 1, np.int64)
    indptr[0] = 0
    w = 0
    for i in range(n):
        lo, hi = start[i], start[i + 1]
        if hi - lo <= SHORT_ROW:
            # insertion sort in place: a society's rows are short (degree tens), and one
            # allocation per row cost more than the sort (a third of the CSR build at 10^6)
            for p in range(lo + 1, hi):
                x = buf[p]
                q = p - 1
                while q >= lo and buf[q] > x:
                    buf[q + 1] = buf[q]
                    q -= 1
                buf[q + 1] = x
        else:
            buf[lo:hi] = np.sort(buf[lo:hi])
        prev = -1
        for p in range(lo, hi):
            j = buf[p]
            if j != prev:
                buf[w] = j
                w += 1
                prev = j
        indptr[i + 1] = w
    return indptr, buf[:w].copy()


def csr_from_pairs(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indptr int64, indices int32) of the simple undirected graph on the pairs: each row
    sorted by target, without duplicates or self-loops."""
    return _csr_from_pairs(np.int64(n), np.ascontiguousarray(u, np.int64),
                           np.ascontiguousarray(v, np.int64))


@nb.njit(cache=True, nogil=True)
def _position(indices, lo, hi, target):
    """Position of ``target`` in the sorted ``indices[lo:hi]`` (binary search; present)."""
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if indices[mid] <= target:
            lo = mid
        else:
            hi = mid
    return lo


@nb.njit(cache=True, nogil=True)
def _reverse_entries(indptr, indices, entries):
    out = np.empty(len(entries), np.int64)
    n = len(indptr) - 1
    for k in range(len(entries)):
        e = entries[k]
        i = _position(indptr, 0, n + 1, e)  # the row holding entry e
        j = indices[e]
        out[k] = _position(indices, indptr[j], indptr[j + 1], i)
    return out


def reverse_entries(indptr: np.ndarray, indices: np.ndarray, entries: np.ndarray
                    ) -> np.ndarray:
    """CSR position of the reverse (j, i) of each entry (i, j) in ``entries`` (int64): two
    binary searches an entry (its row in ``indptr``, then ``i`` in row ``j``, whose targets
    are sorted), instead of a stored reverse index of 4 bytes an entry. Few ties change a
    day (``baseline``: about 30 cut and 14 restored per 10^5 agents), so the searches cost
    less than the index's memory (at 10^7 agents about 740 MiB: BENCHMARKS.md §15)."""
    return _reverse_entries(indptr, indices, np.ascontiguousarray(entries, np.int64))


@nb.njit(cache=True, nogil=True)
def _keep_fit(u, v, sociability, lo, draws, kept):
    for k in range(len(draws)):
        a, b = u[lo + k], v[lo + k]
        if draws[k] < min(1.0, sociability[a] * sociability[b] / 2.0):
            u[kept] = a
            v[kept] = b
            kept += 1
    return kept


def keep_fit(u: np.ndarray, v: np.ndarray, sociability: np.ndarray, lo: int,
             draws: np.ndarray, kept: int) -> int:
    """The fitness thinning of ties ``lo .. lo + len(draws) - 1`` of (u, v) (int64), in
    place: tie k is kept when its draw is under ``min(1, s_u s_v / 2)`` (float64, the
    operations of the numpy expression in the same order, so the same ties) and moved to
    position ``kept`` onwards (never past its own); returns the new count kept. Chunk after
    chunk, it leaves the kept ties in order at the front, without tie-sized temporaries."""
    return _keep_fit(u, v, np.ascontiguousarray(sociability, np.float64), np.int64(lo),
                     np.ascontiguousarray(draws, np.float64), np.int64(kept))


@nb.njit(cache=True, nogil=True)
def _ring_lattice(n, whole, extra):
    m = whole * n + len(extra)
    u = np.empty(m, np.int64)
    v = np.empty(m, np.int64)
    e = 0
    for offset in range(1, whole + 1):
        for i in range(n):
            u[e] = i
            v[e] = (i + offset) % n
            e += 1
    for i in extra:
        u[e] = i
        v[e] = (i + whole + 1) % n
        e += 1
    return u, v


def ring_lattice(n: int, whole: int, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ties (u, v) of a ring lattice over agents ``0 .. n-1``: every agent to the agent
    ``offset`` places on for ``offset`` 1 .. ``whole``, offset after offset, then the agents
    ``extra`` to the agent ``whole + 1`` on (int64): the Watts-Strogatz lattice before
    rewiring, in one pass instead of a list of shifted copies and their concatenation."""
    return _ring_lattice(np.int64(n), np.int64(whole), np.ascontiguousarray(extra, np.int64))


@nb.njit(cache=True, nogil=True)
def _same_group(indptr, indices, group):
    out = np.empty(len(indices), np.bool_)
    for i in range(len(indptr) - 1):
        g = group[i]
        for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            out[e] = group[np.uint32(indices[e])] == g
    return out


def same_group(indptr: np.ndarray, indices: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Whether each CSR entry's two ends share ``group`` (per agent), in one pass over the
    rows: ``group[sources] == group[indices]`` without the entries' sources (an int32 an
    entry) or the two gathered copies of ``group``."""
    return _same_group(indptr, indices, group)


@nb.njit(cache=True, nogil=True)
def _row_counts(indptr, mask):
    out = np.zeros(len(indptr) - 1, np.int64)
    for i in range(len(indptr) - 1):
        c = 0
        for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            c += mask[e]
        out[i] = c
    return out


def row_counts(indptr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many entries of each CSR row ``mask`` (bool per entry) selects (int64): the
    ``np.bincount(sources[mask], minlength=n)`` of the rows, without the sources."""
    return _row_counts(indptr, mask)


@nb.njit(cache=True, nogil=True)
def _entries_into(indptr, indices, active, targets):
    total = 0
    for j in targets:
        for e in range(indptr[j], indptr[j + 1]):
            if active[e] > 0:  # both directions of a tie are cut together (Graph.cut)
                total += 1
    out = np.empty(total, np.int64)
    w = 0
    for j in targets:
        for e in range(indptr[j], indptr[j + 1]):
            if active[e] > 0:
                i = indices[e]
                out[w] = _position(indices, indptr[i], indptr[i + 1], j)
                w += 1
    out.sort()
    return out


def live_entries_into(indptr: np.ndarray, indices: np.ndarray, active: np.ndarray,
                      targets: np.ndarray) -> np.ndarray:
    """CSR positions (ascending) of the live entries whose target is in ``targets``:
    equal to ``np.flatnonzero(mask[indices] & (active > 0))`` for the mask of ``targets``,
    in O(degree of the targets) instead of O(edges)."""
    return _entries_into(indptr, indices, active, np.ascontiguousarray(targets, np.int64))


@nb.njit(cache=True, nogil=True)
def _pick_in_random_order(indptr, rows, picks, keys):
    total = 0
    for j in range(len(rows)):
        total += picks[j]
    entries = np.empty(total, np.int64)
    which = np.empty(total, np.int64)
    order = np.empty(0, np.int64)
    out = 0
    at = 0  # position of row j's first key
    for j in range(len(rows)):
        lo, hi = np.int64(indptr[rows[j]]), np.int64(indptr[rows[j] + 1])
        m = hi - lo
        if len(order) < m:
            order = np.empty(m, np.int64)
        for q in range(m):  # stable insertion sort of the row's positions by key (rows are
            pos = q           # short); equal keys keep their row order, as lexsort does
            key = keys[at + q]
            while pos > 0 and keys[at + order[pos - 1]] > key:
                order[pos] = order[pos - 1]
                pos -= 1
            order[pos] = q
        for q in range(picks[j]):
            entries[out] = lo + order[q]
            which[out] = j
            out += 1
        at += m
    return entries, which


def pick_in_random_order(indptr: np.ndarray, rows: np.ndarray, picks: np.ndarray,
                         keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first ``picks[j]`` CSR entries of row ``rows[j]`` in the order of their ``keys``
    (one key per entry of the rows, row after row; equal keys in row order), row after
    row, and for each the position ``j`` of its row: the entries ``np.lexsort((keys,
    which))`` puts first in each row, in that order, without the sort of every entry."""
    return _pick_in_random_order(indptr, np.ascontiguousarray(rows, np.int64),
                                 np.ascontiguousarray(picks, np.int64),
                                 np.ascontiguousarray(keys, np.float64))


@nb.njit(cache=True, nogil=True)
def _push_membership(indptr, indices, active, changed, members, count):
    for j in changed:  # a change of one agent's membership: +-1 along its live ties
        step = np.int32(1) if members[j] else np.int32(-1)
        for e in range(np.uint64(indptr[j]), np.uint64(indptr[j + 1])):
            if active[e] > 0:
                count[np.uint32(indices[e])] += step


def push_membership(indptr: np.ndarray, indices: np.ndarray, active: np.ndarray,
                    changed: np.ndarray, members: np.ndarray, count: np.ndarray) -> None:
    """Add +1 (``members[j]``) or -1 to ``count`` (int32, in place) over the live ties of
    each agent ``j`` in ``changed``: the push that keeps counts of live ties to members of
    a set in step when agents join or leave it (``tiecounts``). Integer sums: any order
    gives the same counts."""
    _push_membership(indptr, indices, active, np.ascontiguousarray(changed, np.int64),
                     members, count)


@nb.njit(cache=True, nogil=True)
def _regroup(counted, members):
    changed = np.empty(len(counted), np.int64)
    k = 0
    for i in range(len(counted)):
        if counted[i] != members[i]:
            counted[i] = members[i]
            changed[k] = i
            k += 1
    return changed[:k].copy()


def regroup(counted: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The agents whose membership differs between ``counted`` and ``members`` (ascending),
    with ``counted`` set to ``members`` for them, in place: one pass."""
    return _regroup(counted, members)


@nb.njit(cache=True, nogil=True)
def _ties_held(degree, who):
    total = 0
    for i in range(len(who)):  # branch-free: the compiler vectorises it
        total += np.int64(who[i]) * np.int64(degree[i])
    return total


def ties_held(degree: np.ndarray, who: np.ndarray) -> int:
    """Sum of ``degree`` (whole numbers of ties, any numeric dtype) over the agents of the
    mask ``who``: an exact integer, equal to the float64 sum numpy would give."""
    return int(_ties_held(degree, who))


@nb.njit(cache=True, nogil=True)
def _credits(total, points, retention, repaid_weight, repaid, favoured_weight, favoured):
    with_repaid = len(repaid) > 0
    with_favoured = len(favoured) > 0
    for i in range(len(points)):
        fade = points[i] / retention[i]
        t = total[i] - fade
        p = points[i] - fade
        if with_repaid and repaid[i]:
            w = repaid_weight[i]
            t += w
            p += w
        if with_favoured and favoured[i]:
            w = favoured_weight[i]
            t += w
            p += w
        total[i] = t
        points[i] = p


@nb.njit(parallel=True, cache=True, nogil=True)
def _credits_split(total, points, retention, repaid_weight, repaid, favoured_weight,
                   favoured):
    # _credits over chunks of SPLIT_CHUNK agents, one thread a chunk: each agent's own
    # arithmetic, so the same bits as one thread (an empty mask slices to an empty mask)
    n = len(points)
    for c in nb.prange((n + SPLIT_CHUNK - 1) // SPLIT_CHUNK):
        lo, hi = c * SPLIT_CHUNK, min(n, (c + 1) * SPLIT_CHUNK)
        _credits(total[lo:hi], points[lo:hi], retention[lo:hi], repaid_weight[lo:hi],
                 repaid[lo:hi], favoured_weight[lo:hi], favoured[lo:hi])


NO_MASK = np.empty(0, np.bool_)


def credits(total: np.ndarray, points: np.ndarray, retention: np.ndarray | float,
            earned: tuple[tuple[np.ndarray | float, np.ndarray | None], ...]) -> None:
    """In one pass, in place (float64 arrays): credits fade, ``fade = points / retention;
    total -= fade; points -= fade``, then each ``(weight, mask)`` of ``earned`` adds its
    weight (one value or one per agent) to ``total`` and ``points`` of the agents of the
    mask (None: no one), in order: the same bits as those numpy passes."""
    n = points.shape
    args = []
    for weight, mask in earned:
        args += [np.broadcast_to(np.asarray(weight, np.float64), n),
                 NO_MASK if mask is None else mask]
    args = (total, points, np.broadcast_to(np.asarray(retention, np.float64), n), *args)
    with spare_threads(len(points)) as split:
        (_credits_split if split else _credits)(*args)


@nb.njit(cache=True, nogil=True)
def _zero_below(x, eps):
    for i in range(len(x)):
        if x[i] < eps:  # NaN stays NaN, as through np.maximum and the comparison
            x[i] = 0.0


def zero_below(x: np.ndarray, eps: float) -> None:
    """``np.maximum(x, 0, out=x); x[x < eps] = 0`` (``eps`` > 0) in one pass, in place."""
    _zero_below(x, x.dtype.type(eps))


@nb.njit(cache=True, nogil=True)
def _count_down(days_left):
    flat = days_left.reshape(-1)
    for i in range(len(flat)):  # branch-free: the compiler vectorises it
        flat[i] -= flat[i] > 0


def count_down(days_left: np.ndarray) -> None:
    """One day off every running count (``days_left > 0``), in place, in one pass over a
    C-contiguous integer array: ``np.subtract(x, 1, out=x, where=x > 0)``."""
    _count_down(days_left)


@nb.njit(cache=True, nogil=True)
def _due_sanctions(n_flags, points_true, points_false, region, min_own, sanctioning,
                   days_left, score, thresholds):
    kinds = days_left.shape[0]
    n = len(n_flags)
    who = np.empty(n, np.int64)
    due_bits = np.empty(n, np.uint8)  # bit k: due sanction k (at most 8: due_sanctions)
    offsets = np.zeros(kinds + 1, np.int64)
    m = 0
    for i in range(n):  # own flags counting, enough own points, a sanctioner, due
        if n_flags[i] > 0:
            r = region[i]
            if points_true[i] + points_false[i] >= min_own[r] and sanctioning[r]:
                bits = 0
                for k in range(kinds):
                    bits |= np.int64((days_left[k, i] <= 1) & (score[i] < thresholds[k, r])) << k
                if bits:
                    who[m] = i
                    due_bits[m] = bits
                    m += 1
                    for k in range(kinds):
                        offsets[k + 1] += (bits >> k) & 1
    for k in range(kinds):
        offsets[k + 1] += offsets[k]
    due = np.empty(offsets[kinds], np.int64)
    ran_out = np.empty(offsets[kinds], np.bool_)
    fill = offsets[:kinds].copy()
    for j in range(m):
        i = who[j]
        for k in range(kinds):
            if (due_bits[j] >> k) & 1:
                due[fill[k]] = i
                ran_out[fill[k]] = days_left[k, i] == 1
                fill[k] += 1
    return due, ran_out, offsets


def due_sanctions(n_flags: np.ndarray, points_true: np.ndarray, points_false: np.ndarray,
                  region: np.ndarray, min_own: np.ndarray, sanctioning: np.ndarray,
                  days_left: np.ndarray, score: np.ndarray, thresholds: np.ndarray
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The agents due each sanction today, in one pass over the agents: those with own
    flags counting (``n_flags > 0``) whose own points (``points_true + points_false``)
    reach their region's ``min_own`` and whose region sanctions (``sanctioning``), who are
    not under sanction ``k`` after today's count-down (``days_left[k] <= 1``, read before
    it) and whose score is under their region's ``thresholds[k]`` (per-region tables,
    float64). Returns, per sanction, the due agents (ascending) and whether each one's
    running sanction runs out today (``days_left[k] == 1``): the numpy selections of
    ``sanctions.step``, the same agents in the same order."""
    if days_left.shape[0] > 8:  # the pass keeps an agent's due sanctions as bits of a byte
        raise ValueError(f"due_sanctions handles at most 8 kinds, {days_left.shape[0]} given")
    due, ran_out, offsets = _due_sanctions(
        n_flags, points_true, points_false, region,
        np.ascontiguousarray(min_own, np.float64), np.ascontiguousarray(sanctioning, np.bool_),
        days_left, score, np.ascontiguousarray(thresholds, np.float64))
    cuts = offsets[1:-1]
    return np.split(due, cuts), np.split(ran_out, cuts)


@nb.njit(cache=True, nogil=True)
def _climate(spoke, degree, chance_share):
    out = np.empty(len(spoke), np.float32)
    floor = np.float32(1e-6)
    for i in range(len(spoke)):  # branch-free: the compiler vectorises it
        expected = degree[i] * chance_share
        share = np.float32(spoke[i]) / max(expected, floor)
        out[i] = min(share, np.float32(1.0))
    return out


def climate(spoke: np.ndarray, degree: np.ndarray, chance_share: float) -> np.ndarray:
    """``min(spoke / max(degree x chance_share, 1e-6), 1)`` in float32, in one pass: the
    share of the chances to speak that an agent's live ties (``degree``, float32) were
    expected to have in which they spoke (``spoke``, integer counts)."""
    return _climate(spoke, degree, np.float32(chance_share))


#: What :func:`day_counts` counts, in the order of its result: the day's events and the
#: stocks of the metrics that are counts over the agents (``metrics``).
DAY_COUNTS = ("expressed", "dissenter_chance", "dissenter_silent", "benign_post",
              "disfavoured", "infraction", "defaulted", "travel_denied", "visa_denied",
              "wrongful_sanction_days", "isolated_dissenters", "ever_shamed")


@nb.njit(cache=True, nogil=True)
def _count(mask):
    """True entries of a 1-D mask (a tight loop the compiler vectorises)."""
    total = 0
    for i in range(len(mask)):
        total += mask[i]
    return total


@nb.njit(cache=True, nogil=True)
def _day_counts(lo, hi, expressed, chance, dissenter, benign, disfavoured, infraction,
                defaulted, travel_denied, visa_denied, days_left, wrongful, ever, shaming,
                built_dissenter, active_degree, urban, group, quintile, region, n_regions):
    # the counts of agents lo .. hi - 1; one tight loop per array or pair of arrays: streams
    # the compiler vectorises and the prefetcher follows (one loop reading all twenty-odd
    # arrays at once ran 5x slower)
    lo, hi = np.uint64(lo), np.uint64(hi)
    n_expressed = n_chance = n_silent = n_isolated = 0
    by_region = np.zeros((2, n_regions), np.int64)  # expressed, chances to express
    for i in range(lo, hi):
        e = np.int64(expressed[i])
        c = np.int64(chance[i])
        both = c & np.int64(dissenter[i])
        n_expressed += e
        n_chance += both
        n_silent += both & (1 - e)
    for i in range(lo, hi):
        if chance[i]:  # expressions and chances are few: counted where they occur
            by_region[1, region[i]] += 1
        if expressed[i]:
            by_region[0, region[i]] += 1
    for i in range(lo, hi):
        n_isolated += np.int64(built_dissenter[i]) & np.int64(active_degree[i] == 0)
    kinds = days_left.shape[0]
    under = np.zeros(kinds, np.int64)
    n_wrongful_days = 0
    had = np.zeros(hi - lo, np.bool_)
    for k in range(kinds):
        u = 0
        for i in range(lo, hi):
            running = days_left[k, i] > 0
            u += running
            n_wrongful_days += running & wrongful[k, i]
            had[i - lo] |= ever[k, i]
        under[k] = u
    # subgroups in SUBGROUP_KEYS order: urban, rural, group_0, group_1, income_q1..q5
    ever_any = np.zeros(9, np.int64)
    for i in range(lo, hi):
        if had[i - lo]:  # the ever-sanctioned are few
            ever_any[0 if urban[i] else 1] += 1
            ever_any[2 + group[i]] += 1
            ever_any[4 + quintile[i]] += 1
    counts = np.array([n_expressed, n_chance, n_silent, _count(benign[lo:hi]),
                       _count(disfavoured[lo:hi]), _count(infraction[lo:hi]),
                       _count(defaulted[lo:hi]), _count(travel_denied[lo:hi]),
                       _count(visa_denied[lo:hi]), n_wrongful_days, n_isolated,
                       _count(ever[shaming, lo:hi])], np.int64)
    return counts, under, ever_any, by_region


@nb.njit(parallel=True, cache=True, nogil=True)
def _day_counts_split(n, *arrays):
    # _day_counts over chunks, one thread a chunk, then the chunks' counts added: integer
    # sums, exact in any order, so the same counts as one thread
    chunks = (n + SPLIT_CHUNK - 1) // SPLIT_CHUNK
    kinds, n_regions = arrays[9].shape[0], arrays[-1]
    counts = np.zeros((chunks, 12), np.int64)
    under = np.zeros((chunks, kinds), np.int64)
    ever_any = np.zeros((chunks, 9), np.int64)
    by_region = np.zeros((chunks, 2, n_regions), np.int64)
    for c in nb.prange(chunks):
        part = _day_counts(c * SPLIT_CHUNK, min(n, (c + 1) * SPLIT_CHUNK), *arrays)
        counts[c], under[c], ever_any[c], by_region[c] = part
    return counts.sum(axis=0), under.sum(axis=0), ever_any.sum(axis=0), by_region.sum(axis=0)


def day_counts(expressed: np.ndarray, chance: np.ndarray, dissenter: np.ndarray,
               behaviour: tuple[np.ndarray, ...], days_left: np.ndarray, wrongful: np.ndarray,
               ever: np.ndarray, shaming: int, built_dissenter: np.ndarray,
               active_degree: np.ndarray, urban: np.ndarray, group: np.ndarray,
               quintile: np.ndarray, region: np.ndarray, n_regions: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The day's integer counts over the agents in one compiled call (integer sums: exact in
    any order, so equal to the numpy reductions they replace). ``behaviour``: today's
    benign post, disfavoured purchase, infraction, default, travel and visa denial masks.
    Returns (the ``DAY_COUNTS``, agents under each sanction, the members of each subgroup
    ever sanctioned (SUBGROUP_KEYS order: urban, rural, the two groups, the five income
    quintiles), expressions and chances to express by region (2 x regions))."""
    n = len(expressed)
    arrays = (expressed, chance, dissenter, *behaviour, days_left, wrongful, ever, shaming,
              built_dissenter, active_degree, urban, group, quintile, region, n_regions)
    with spare_threads(n) as split:
        return _day_counts_split(n, *arrays) if split else _day_counts(0, n, *arrays)


@nb.njit(cache=True, nogil=True)
def _gather_sums(agents, weights, where, sums, seen):
    # each agent's sum over its entries ``where``, from 0.0 in the order given (as
    # np.bincount adds them), into ``sums``; ``seen`` marks the agents summed
    for k in range(len(agents)):
        if of_agent(where, k):
            a = np.uint64(agents[k])
            sums[a] += of_agent(weights, k)
            seen[a] = True


@nb.njit(cache=True, nogil=True)
def _add_sums(acc, agents, weights, where, negate, sums, seen):
    _gather_sums(agents, weights, where, sums, seen)
    for k in range(len(agents)):  # once per agent, at its first entry; buffers left zeroed
        a = np.uint64(agents[k])
        if seen[a]:
            seen[a] = False
            total = sums[a]
            sums[a] = 0.0
            acc[a] = acc[a] - total if negate else acc[a] + total


@nb.njit(cache=True, nogil=True)
def _sums_of(agents, weights, sums, seen):
    _gather_sums(agents, weights, True, sums, seen)
    ids = np.empty(len(agents), np.int64)
    k = 0
    for j in range(len(agents)):
        a = np.uint64(agents[j])
        if seen[a]:
            seen[a] = False
            ids[k] = a
            k += 1
    ids = np.sort(ids[:k])
    out = np.empty(k, np.float64)
    for j in range(k):
        a = np.uint64(ids[j])
        out[j] = sums[a]
        sums[a] = 0.0
    return ids, out


def _per_entry(x, dtype):
    """``None`` as one value (1 each, or every entry), else a contiguous array."""
    return dtype(1) if x is None else np.ascontiguousarray(x)


def add_sums(acc: np.ndarray, agents: np.ndarray, weights: np.ndarray | None,
             where: np.ndarray | None, negate: bool, sums: np.ndarray, seen: np.ndarray
             ) -> None:
    """``acc[ids] = acc[ids] +- bincount(...)[ids]`` for the agents ``ids`` among
    ``agents[where]``: each agent's ``weights`` (1 each if None) summed from 0.0 in the
    order given, as ``np.bincount`` sums them, then added to (or, ``negate``, subtracted
    from) ``acc`` (float64, or int32 for counts) once. O(entries): the per-agent buffers
    ``sums`` (float64) and ``seen`` (bool), all zero, replace a sort; they are left zero."""
    if acc.dtype != np.float64 and not (acc.dtype == np.int32 and weights is None):
        raise TypeError(f"add_sums adds float64 sums, or counts to int32, not {acc.dtype}")
    _add_sums(acc, np.ascontiguousarray(agents), _per_entry(weights, np.float64),
              _per_entry(where, np.bool_), bool(negate), sums, seen)


def sums_of(agents: np.ndarray, weights: np.ndarray, sums: np.ndarray, seen: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The agents listed in ``agents``, ascending (int64), and each one's ``weights``
    summed from 0.0 in the order given (float64): ``np.unique`` and ``np.bincount`` of the
    entries, in O(entries) with the zeroed per-agent buffers of ``add_sums``."""
    return _sums_of(np.ascontiguousarray(agents), np.ascontiguousarray(weights), sums, seen)


def warm_up() -> float:
    """Compile (or load from cache) every kernel; returns the seconds it took."""
    import time
    t0 = time.perf_counter()
    indptr, indices = csr_from_pairs(3, np.array([0, 1]), np.array([1, 2]))
    active = np.ones(len(indices), np.uint8)  # the graph's live-tie mask, and the view of
    all_live = np.broadcast_to(np.uint8(1), active.shape)  # an arm that cut none yet
    flag = np.array([True, False, True])
    for mask in (active, all_live):
        for x in (np.ones(3, np.float32), np.ones(3, np.float64)):
            _csr_matvec_par(indptr, indices, mask, x)
            _csr_matvec_seq(indptr, indices, mask, x)
        for x in (np.array([0, 1, 0], np.float32), np.array([0, 1, 0], np.float64)):
            neighbour_sum(indptr, indices, mask, x)
        push_membership(indptr, indices, mask, np.array([1]), flag, np.zeros(3, np.int32))
    live_entries_into(indptr, indices, active, np.array([1]))
    reverse_entries(indptr, indices, np.array([0, 1]))
    pick_in_random_order(indptr, np.array([1]), np.array([1]), np.array([0.5, 0.2]))
    keep_fit(np.array([0, 1]), np.array([1, 2]), np.ones(3), 0, np.array([0.2, 0.9]), 0)
    ring_lattice(3, 1, np.array([0]))
    for group in (np.zeros(3, np.int64), np.zeros(3, np.int8)):
        row_counts(indptr, same_group(indptr, indices, group))
    small = np.zeros(3, np.int8)
    day_counts(flag, flag, flag, (flag,) * 6, np.zeros((5, 3), np.int32),
               np.zeros((5, 3), np.bool_), np.zeros((5, 3), np.bool_), 3, flag,
               np.ones(3, np.float32), flag, small, small, small, 1)
    from panoptisim import philox
    ties_held(np.ones(3, np.float32), flag)
    philox.uniform_all((1, 2), 3, 5)
    philox.uniform_at((1, 2), 3, np.array([0, 4]))
    for retention in (2.0, np.full(3, 2.0)):
        credits(np.ones(3), np.ones(3), retention, ((1.0, flag), (np.ones(3), None)))
    zero_below(np.ones(3), 1e-9)
    sums, seen = np.zeros(3), np.zeros(3, np.bool_)
    agents = np.array([2, 0, 2], np.int32)
    for acc, weights in ((np.zeros(3), np.ones(3)), (np.zeros(3), np.ones(3, np.float32)),
                         (np.zeros(3, np.int32), None)):
        for where in (None, flag):
            add_sums(acc, agents, weights, where, True, sums, seen)
    sums_of(agents, np.ones(3), sums, seen)
    climate(np.ones(3, np.int32), np.ones(3, np.float32), 0.5)
    regroup(flag.copy(), ~flag)
    count_down(np.ones((5, 3), np.int32))
    due_sanctions(np.ones(3, np.int32), np.ones(3), np.ones(3), np.zeros(3, np.int8), [1.0],
                  [True], np.ones((5, 3), np.int32), np.ones(3), np.full((5, 1), 2.0))
    from panoptisim import beliefs, expression, reductions
    reductions.warm_up()
    beliefs.warm_up()
    expression.warm_up()
    return time.perf_counter() - t0

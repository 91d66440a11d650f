"""The provenance logs keep their rows in their own memory mappings (spare capacity not
resident) and keep the flags pending their end compactly, returning the same ids in the same
order as a plain list of id arrays would."""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
import pytest

from panoptisim.flags import ACTIVE, EXPIRED, GROWTH, REVERSED, FlagLog, SanctionLog


def _sanctions(log: SanctionLog, agents: np.ndarray, day: int) -> None:
    k = len(agents)
    log.append(agent=agents, day=np.full(k, day), kind=np.zeros(k, np.int8),
               points_true=np.ones(k, np.float32), points_false=np.zeros(k, np.float32),
               wrongful=np.zeros(k, bool))


def test_logs_grow_and_keep_their_rows_and_count_the_rows_in_use():
    log = SanctionLog()
    start = len(log._cols["agent"])
    rows = []
    for k in range(40):
        agents = np.arange(k * 100, k * 100 + 100, dtype=np.int32)
        _sanctions(log, agents, k)
        rows.append(agents)
    np.testing.assert_array_equal(log.agent, np.concatenate(rows))
    np.testing.assert_array_equal(log.day, np.repeat(np.arange(40), 100))
    cap = len(log._cols["agent"])
    assert len(log) <= cap <= GROWTH * len(log) and cap > start
    assert log.nbytes == len(log) * 18  # the rows in use, not the capacity


def _resident_bytes(column: np.ndarray) -> int:
    """Bytes of the pages of ``column`` (its whole capacity) that are resident (mincore)."""
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    page = mmap.PAGESIZE
    start = column.ctypes.data // page * page
    length = column.ctypes.data + column.nbytes - start
    pages = (length + page - 1) // page
    vec = (ctypes.c_ubyte * pages)()
    assert libc.mincore(start, length, vec) == 0, ctypes.get_errno()
    return sum(v & 1 for v in vec) * page


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's mincore")
def test_spare_capacity_is_not_resident():
    log = SanctionLog()
    _sanctions(log, np.arange(3_000_000, dtype=np.int32), 0)
    _sanctions(log, np.arange(10, dtype=np.int32), 1)  # grows: capacity about twice the rows
    column = log._cols["agent"]
    assert len(column) >= 2 * 3_000_000
    used = len(log) * 4
    assert used <= _resident_bytes(column) <= used + 8192


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's mremap")
def test_a_growing_column_moves_its_mapping_instead_of_copying_it():
    from panoptisim.allocator import mapping_of

    log = SanctionLog()
    _sanctions(log, np.arange(5000, dtype=np.int32), 0)
    before = {name: mapping_of(column) for name, column in log._cols.items()}
    _sanctions(log, np.arange(5000, 9000, dtype=np.int32), 1)  # past the capacity: grows
    assert len(log._cols["agent"]) >= 9000
    for name, column in log._cols.items():  # the same mapping, grown in place
        assert mapping_of(column) is before[name], name
    np.testing.assert_array_equal(log.agent, np.arange(9000))
    np.testing.assert_array_equal(log.day, np.repeat([0, 1], [5000, 4000]))
    assert not log._cols["agent"][9000:].any()  # the new capacity reads as zeros


def test_a_column_with_a_view_held_elsewhere_is_copied_and_the_view_still_reads():
    log = SanctionLog()
    _sanctions(log, np.arange(3000, dtype=np.int32), 0)
    held = log.agent  # a caller's view: the mapping cannot move under it
    _sanctions(log, np.arange(3000, 7000, dtype=np.int32), 1)
    np.testing.assert_array_equal(held, np.arange(3000))
    np.testing.assert_array_equal(log.agent, np.arange(7000))
    np.testing.assert_array_equal(log.day, np.repeat([0, 1], [3000, 4000]))


def _reference_due(calls, statuses_at, days):
    """The ids each day's ``due`` returned when every pending flag's id was kept as is."""
    due = defaultdict(list)
    for ids, day, status in calls:
        order = np.argsort(day, kind="stable")
        ids, day = ids[order].astype(np.int32), day[order]
        cuts = np.flatnonzero(np.diff(day)) + 1
        for chunk_ids, chunk_day in zip(np.split(ids, cuts), np.split(day, cuts), strict=True):
            due[int(chunk_day[0])].append((chunk_ids, status))
    out = {}
    for d in days:
        status = statuses_at[d]
        out[d] = [(ids[status[ids] == ACTIVE], k) for ids, k in due.pop(d, [])]
        out[d] = [(ids, k) for ids, k in out[d] if len(ids)]
    return out


def test_due_returns_the_same_ids_in_the_same_order_as_a_list_of_id_arrays():
    rng = np.random.default_rng(7)
    log = FlagLog()
    calls = []
    for t in range(30):
        k = int(rng.integers(0, 400))
        ids = log.append(agent=rng.integers(0, 50, k).astype(np.int32), day=np.full(k, t),
                         sensor=np.zeros(k, np.int8), category=np.zeros(k, np.int8),
                         is_true=np.ones(k, bool), points=np.ones(k, np.float32),
                         status=np.full(k, ACTIVE), end_day=np.full(k, -1))
        won = rng.random(k) < 0.3
        ends = t + 1 + rng.choice([3, 5, 5, 5, 20, int(rng.integers(1, 40))], k)
        for kind, sel in ((REVERSED, won), (EXPIRED, ~won)):
            pick = ids[sel]
            if t % 7 == 3:  # ids out of order and sparse: kept as they are
                pick = rng.permutation(pick)[: len(pick) // 3]
            calls.append((pick, ends[sel][: len(pick)], kind))
            log.schedule(pick, ends[sel][: len(pick)], kind)
    forms = {isinstance(p, np.ndarray) for chunks in log._due.values() for p, _ in chunks}
    assert forms == {True, False}  # kept as ids and as bitmasks
    statuses = {}
    got = {}
    status = log.column("status")
    for d in range(80):
        status[rng.random(len(log)) < 0.01] = REVERSED  # some end early, by other means
        statuses[d] = status.copy()
        got[d] = log.due(d)
        for ids, kind in got[d]:
            status[ids] = kind
    want = _reference_due(calls, statuses, range(80))
    assert sum(len(v) for v in want.values()) > 50
    for d in range(80):
        assert len(got[d]) == len(want[d]), d
        for (a, ka), (b, kb) in zip(got[d], want[d], strict=True):
            assert ka == kb and a.dtype == b.dtype == np.int32
            np.testing.assert_array_equal(a, b)

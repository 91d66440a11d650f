"""The provenance logs keep their rows in their own memory mappings: their spare capacity is
not resident."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from panoptisim.flags import GROWTH, SanctionLog


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

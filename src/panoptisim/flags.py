"""Provenance logs: every flag and every sanction, so each sanction can be traced to flags.

A flag is one adverse record against one agent: which sensor produced it, what it is about,
whether it is true (the agent did it) or false (sensor error or malicious report), how many
points it cost, and how it ended (still counting, reversed on appeal, expired by sunset).
Logs are column arrays that double their capacity when full: appending a day's flags is
O(flags), amortised. Each column lives in its own anonymous memory mapping
(``allocator.mapped_zeros``), so its spare capacity is address space only, never resident;
a full column's mapping grows in place, and the heap is left without holes.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from panoptisim.allocator import mapped_zeros, mapping_of, remapped

#: How a flag ended: still counting, reversed on appeal, expired by sunset, or ended with the
#: regime that raised it (abolished by the timeline).
ACTIVE, REVERSED, EXPIRED, ABOLISHED = 0, 1, 2, 3


#: Factor by which a log's capacity grows when full. The spare capacity is not resident
#: (``allocator.mapped_zeros``): doubling costs address space only, and a column's mapping
#: grows in place (``_Columns._grow``), its rows moved, not copied.
GROWTH = 2.0
#: Rows of a new log's columns.
FIRST_ROWS = 1024


class _Columns:
    """Growable column store: named numpy arrays with a shared length."""

    dtypes: dict[str, type] = {}

    def __init__(self) -> None:
        self.size = 0
        self._cols = {k: mapped_zeros(FIRST_ROWS, d) for k, d in self.dtypes.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.size]
        raise AttributeError(name)

    def __len__(self) -> int:
        return self.size

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Append rows; returns their ids."""
        k = len(next(iter(values.values())))
        need = self.size + k
        cap = len(next(iter(self._cols.values())))
        if need > cap:
            new_cap = max(need, int(GROWTH * cap))
            for name in list(self._cols):
                self._grow(name, new_cap)
        for name, arr in self._cols.items():
            arr[self.size: need] = values[name]
        ids = np.arange(self.size, need, dtype=np.int64)
        self.size = need
        return ids

    def _grow(self, name: str, rows: int) -> None:
        """Grow column ``name`` to ``rows``: its mapping in place (``allocator.remapped``:
        the rows written are moved, not copied, so they are never resident twice; a copy
        of the association log's points column at 10^7 agents held 0.5 GB twice while it
        ran); where that is not possible (a view of the column still held, no ``mremap``),
        a copy, one column at a time."""
        column = self._cols.pop(name)
        dtype, mapping = column.dtype, mapping_of(column)
        if mapping is not None:
            del column  # the log's own reference: the mapping can move if no view is left
            grown = remapped(mapping, rows, dtype)
            if grown is not None:
                self._cols[name] = grown
                return
            column = np.frombuffer(mapping, dtype)
        grown = mapped_zeros(rows, dtype)
        grown[: self.size] = column[: self.size]
        self._cols[name] = grown

    @property
    def nbytes(self) -> int:
        """Bytes of the rows in use: what the columns keep resident (their spare capacity is
        address space only, ``allocator.mapped_zeros``)."""
        return sum(arr.dtype.itemsize * self.size for arr in self._cols.values())

    def column(self, name: str) -> np.ndarray:
        """Writable view of a column."""
        return self._cols[name][: self.size]


#: Flags ending on one day, as ``FlagLog.schedule`` keeps them: their ids (int32), or, when
#: that is smaller, a bitmask over their span (first id, span, ``np.packbits`` of the span).
Pending = np.ndarray | tuple[int, int, np.ndarray]


def _pending(ids: np.ndarray) -> Pending:
    """``ids`` (int32, unique) in the smaller exact form: as they are, or, when they ascend,
    as a bitmask over their span. A day's flags that end on one day are most of that day's
    ids, so the bitmask takes an eighth of a byte a flag instead of four."""
    lo, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span < 1 or (span + 7) // 8 >= 4 * len(ids) or (np.diff(ids) <= 0).any():
        return ids
    bits = np.zeros(span, np.bool_)
    bits[ids - lo] = True
    return lo, span, np.packbits(bits)


def _ids(pending: Pending) -> np.ndarray:
    """The ids (int32, in their order) that ``_pending`` kept."""
    if isinstance(pending, np.ndarray):
        return pending
    lo, span, bits = pending
    return (lo + np.flatnonzero(np.unpackbits(bits, count=span))).astype(np.int32)


class FlagLog(_Columns):
    """Every flag raised, with provenance and its scheduled end (appeal or sunset)."""

    dtypes = {"agent": np.int32, "day": np.int32, "sensor": np.int8, "category": np.int8,
              "is_true": np.bool_, "points": np.float32, "status": np.int8,
              "end_day": np.int32}

    def __init__(self) -> None:
        super().__init__()
        self._due: dict[int, list[tuple[Pending, int]]] = defaultdict(list)

    def schedule(self, ids: np.ndarray, day: np.ndarray, status: int) -> None:
        """Schedule flags ``ids`` to end on ``day`` (per flag) with ``status``."""
        if len(ids) == 0:
            return
        if "end_day" in self.dtypes:
            self.column("end_day")[ids] = day
        order = np.argsort(day, kind="stable")
        ids, day = ids[order].astype(np.int32), day[order]
        cuts = np.flatnonzero(np.diff(day)) + 1
        for chunk_ids, chunk_day in zip(np.split(ids, cuts), np.split(day, cuts), strict=True):
            self._due[int(chunk_day[0])].append((_pending(chunk_ids), status))

    def due(self, day: int) -> list[tuple[np.ndarray, int]]:
        """Flags scheduled to end on ``day`` that are still counting, with the end status."""
        out = []
        status = self.column("status")
        for pending, kind in self._due.pop(day, []):
            ids = _ids(pending)
            ids = ids[status[ids] == ACTIVE]
            if len(ids):
                out.append((ids, kind))
        return out


class SanctionLog(_Columns):
    """Every sanction imposed, with the penalty points behind it at the moment it started."""

    dtypes = {"agent": np.int32, "day": np.int32, "kind": np.int8, "points_true": np.float32,
              "points_false": np.float32, "wrongful": np.bool_}


class AssociationLog(FlagLog):
    """Association points charged to each agent for its ties' events, one row per agent and
    day (the day's points summed), scheduled to expire like flags (``FlagLog.due``). A row
    ends ``scoring.dur_retention_association`` days after its day (or a shorter sunset), or
    with the regime (status ``ABOLISHED``); unlike a flag's, its end day is not kept per
    row (4 bytes a row, 260 MB at 10^7 agents over a year), since it follows from its day
    and the rules."""

    dtypes = {"agent": np.int32, "day": np.int32, "points": np.float64, "status": np.int8}

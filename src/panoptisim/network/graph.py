"""The social graph: CSR arrays with an active-edge mask, so ties are cut without rebuilding."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class Graph:
    """An undirected graph stored as a symmetric CSR adjacency.

    ``indptr`` (n+1,) and ``indices`` (2E,) list each agent's neighbours, each row sorted
    by target (so the reverse of an entry is found by binary search: ``reverse``);
    ``active`` (2E,) uint8 is 1 for a live tie and 0 for a cut one (it doubles as the
    sparse matrix's data: one byte an entry and arm). The other arm's graph starts with a
    read-only view of 1 for every entry that takes no memory (``for_other_arm``) and has a
    mask of its own only once it cuts or restores a tie: an arm without a regime never does.
    ``cut_ties`` lists the ties cut now (the lower CSR position of each, in the order they
    were cut), so that cut ties are found without a pass over every entry.
    """

    indptr: np.ndarray
    indices: np.ndarray
    active: np.ndarray = field(repr=False)
    cut_ties: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False)
    _scipy: tuple[np.ndarray, sp.csr_matrix] | None = field(default=None, init=False,
                                                             repr=False)

    @property
    def _matrix(self) -> sp.csr_matrix:
        """The live ties as a scipy CSR matrix whose data is ``active`` itself, so a cut
        shows in it at once (a mask not yet the arm's own, ``for_other_arm``, is given as
        ones): for what the compiled kernels do not cover (``neighbour_sum``). Made again
        only when the mask array is replaced."""
        if self._scipy is None or self._scipy[0] is not self.active:
            n = len(self.indptr) - 1
            data = self.active if self.active.strides[0] else \
                np.ones(len(self.indices), np.uint8)
            matrix = sp.csr_matrix((data, self.indices, self.indptr), shape=(n, n),
                                   copy=False)
            matrix.data = data
            self._scipy = (self.active, matrix)
        return self._scipy[1]

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected ties ever created (cut ones included)."""
        return len(self.indices) // 2

    @property
    def sources(self) -> np.ndarray:
        """Row (source agent) of each CSR entry."""
        return np.repeat(np.arange(self.n, dtype=self.indices.dtype), np.diff(self.indptr))

    def reverse(self, entries: np.ndarray) -> np.ndarray:
        """CSR position of the reverse (j, i) of each entry (i, j) in ``entries`` (int64)."""
        from panoptisim import kernels  # numba loads on first use, not at import
        return kernels.reverse_entries(self.indptr, self.indices, entries)

    def sources_of(self, entries: np.ndarray) -> np.ndarray:
        """Row (source agent) of each CSR entry in ``entries`` (int64): one binary search an
        entry, instead of ``sources`` for every entry."""
        return np.searchsorted(self.indptr, entries, side="right") - 1

    def within(self, group: np.ndarray) -> np.ndarray:
        """Mask of the CSR entries whose two ends share ``group`` (per agent), e.g. the
        family ties when ``group`` is the household (one compiled pass over the rows)."""
        from panoptisim import kernels  # numba loads on first use, not at import
        return kernels.same_group(self.indptr, self.indices, np.ascontiguousarray(group))

    def degree(self) -> np.ndarray:
        """Degree counting every tie ever created."""
        return np.diff(self.indptr)

    def active_degree(self) -> np.ndarray:
        """Number of live ties of each agent (float32)."""
        return self.neighbour_sum(np.ones(self.n, dtype=np.float32))

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each agent's live ties (one pass over the edges).

        A 1-D float32/float64 ``values`` goes through compiled kernels (a push from the
        non-zeros when ``values`` is sparse, else a row-parallel pull) that give exactly
        scipy's result; anything else through the scipy CSR product."""
        from panoptisim import kernels  # numba loads on first use, not at import
        out = kernels.neighbour_sum(self.indptr, self.indices, self.active, values)
        if out is not None:
            return out
        # the sums in the dtype they had when the mask was float32 (never in the mask's
        # uint8, which would overflow at 256)
        return self._matrix @ np.asarray(values, np.result_type(np.float32, values))

    def for_other_arm(self) -> "Graph":
        """This graph for the other arm, made at build: the CSR arrays shared, the cut ties
        copied, and the live-tie mask, if no tie is cut yet, a read-only view of 1 for every
        entry that takes no memory (a byte an entry and arm, 193 MB at 10^7 agents); the
        arm gets a mask of its own when it first cuts or restores a tie (``_own_mask``)."""
        live = np.broadcast_to(np.uint8(1), self.active.shape) if len(self.cut_ties) == 0 \
            and bool(self.active.all()) else self.active.copy()
        return Graph(self.indptr, self.indices, live, self.cut_ties.copy())

    def _own_mask(self) -> None:
        """Before a tie is cut or restored: a mask still the shared view becomes this arm's
        own array."""
        if not self.active.flags.writeable:
            self.active = np.array(self.active)

    def _ties(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ties at CSR positions ``entries`` (either direction, repeats allowed), once
        each: their lower CSR positions (ascending) and the upper ones."""
        reverse = self.reverse(entries)
        lower, first = np.unique(np.minimum(entries, reverse), return_index=True)
        return lower, np.maximum(entries, reverse)[first]

    def cut(self, entries: np.ndarray) -> np.ndarray:
        """Cut the ties at CSR positions ``entries`` (both directions).

        Returns one CSR position per tie newly cut (the lower of its two positions).
        """
        entries, reverse = self._ties(entries[self.active[entries] > 0])
        if len(entries):
            self._own_mask()
            self.active[entries] = 0
            self.active[reverse] = 0
            self.cut_ties = np.concatenate([self.cut_ties, entries.astype(np.int64)])  # no sort
        return entries

    def restore(self, entries: np.ndarray) -> np.ndarray:
        """Restore the cut ties at CSR positions ``entries`` (both directions): the inverse
        of :meth:`cut`.

        Returns one CSR position per tie newly restored (the lower of its two positions).
        """
        entries, reverse = self._ties(entries[self.active[entries] == 0])
        if len(entries):
            self._own_mask()
            self.active[entries] = 1
            self.active[reverse] = 1
            self.cut_ties = self.cut_ties[self.active[self.cut_ties] == 0]  # O(cut ties)
        return entries


def from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Graph:
    """Build a simple undirected graph from edge endpoint arrays.

    Self-loops and duplicate ties are dropped. O(E) plus per-row sorts.
    """
    if n > np.iinfo(np.int32).max:
        raise ValueError(f"graphs are limited to 2**31-1 nodes, n = {n}")
    # A counting sort by source, a sort within each row and a neighbour compare
    # (compiled: O(E) plus the small per-row sorts).
    from panoptisim import kernels  # numba loads on first use, not at import
    indptr, indices = kernels.csr_from_pairs(n, u, v)
    active = np.ones(len(indices), dtype=np.uint8)
    return Graph(indptr=indptr, indices=indices, active=active)

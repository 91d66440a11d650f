"""Each agent's number of live ties to members of a set, kept up to date incrementally.

Two sets change a little each day and are read by every agent: the recent speakers (whose
visible expression is within the support memory: the climate of ``behavior.social_support``)
and the agents on a public list (``State.marked``: the salience of consequences). Instead of
a pass over every tie each day, each count is kept in step by pushes along live ties: when
an agent joins or leaves the set, +1 or -1 to each of its live ties' counts; when a tie is
cut or restored, -1 or +1 to each end's count if the other end is a member. A day then
costs O(agents) to find who changed plus O(changes x degree), not O(ties).

The invariant: ``count[i]`` is the number of live ties of ``i`` to agents of ``counted``
(the set as of the last ``follow``). Counts are exact integers, so the climate computed
from them is bit-identical to the one recomputed from scratch. ``run.check_tie_counts``
recomputes them every day and stops at the first difference (``verify``).
"""

from __future__ import annotations

import numpy as np

from panoptisim import kernels
from panoptisim.network import Graph


def follow(graph: Graph, counted: np.ndarray, count: np.ndarray, members: np.ndarray,
           check_as: str | None = None) -> np.ndarray:
    """Bring ``count`` (int32, in place) and ``counted`` (bool, in place) from the set
    ``counted`` to the set ``members``: pushes along the live ties of the agents that joined
    or left. With ``check_as`` (what the set is, for the message), ``verify`` the result
    (``run.check_tie_counts``). Returns ``count``."""
    changed = kernels.regroup(counted, members)  # counted becomes members
    if len(changed):
        kernels.push_membership(graph.indptr, graph.indices, graph.active, changed,
                                members, count)
    if check_as is not None:
        verify(graph, counted, count, check_as)
    return count


def ties_changed(graph: Graph, counted: np.ndarray, count: np.ndarray, ties: np.ndarray,
                 sign: int, sources: np.ndarray | None = None) -> None:
    """Keep ``count`` in step with ties (CSR entries, one per tie) just cut (``sign`` -1) or
    restored (+1): each end gains or loses the other end if it is counted. ``sources``: the
    entries' rows, if the caller has them (else found by ``Graph.sources_of``)."""
    a = graph.sources_of(ties) if sources is None else sources
    b = graph.indices[ties]
    np.add.at(count, a, np.int32(sign) * counted[b])
    np.add.at(count, b, np.int32(sign) * counted[a])


def recount(graph: Graph, members: np.ndarray) -> np.ndarray:
    """Each agent's live ties to ``members``, from scratch (int32): one pass over the ties."""
    return graph.neighbour_sum(members.astype(np.float32)).astype(np.int32)


def verify(graph: Graph, counted: np.ndarray, count: np.ndarray, what: str) -> None:
    """Raise RuntimeError if ``count`` differs from the recount of ``counted``."""
    fresh = recount(graph, counted)
    wrong = np.flatnonzero(fresh != count)
    if len(wrong):
        i = int(wrong[0])
        raise RuntimeError(f"run.check_tie_counts: live ties to {what} kept incrementally "
                           f"differ from a recount for {len(wrong)} agents (agent {i}: "
                           f"{int(count[i])} kept, {int(fresh[i])} recounted)")

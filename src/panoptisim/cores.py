"""How the compiled kernels share the machine's cores.

The engine steps the two arms of a run in two threads (``engine.iter_days``), and some
passes have a form split in chunks over numba's threads. This module says how many threads
there are, which threads are stepping an arm now, and whether a pass may split: only when
a core is spare (fewer arms stepping than threads), so a split never oversubscribes the
cores. It imports numba only when asked for the number of threads.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

# numba's parallel kernels run on GNU OpenMP here (its "omp" threading layer), whose
# workers spin for a while after each parallel pass by default: 40% more CPU seconds for
# the same run, taken from the thread stepping the other arm. Passive waiting costs nothing
# measurable (BENCHMARKS.md §13). Read when the OpenMP runtime loads, at the first parallel
# kernel; a value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: numba's threading layer must not be entered by two threads at once where it is its
#: workqueue layer (not thread-safe; here it is GNU OpenMP, but the layer depends on what is
#: installed): the engine steps the two arms in two threads, so parallel kernels take turns
#: (a pass with a one-thread form runs that instead of waiting: ``spare_threads``).
PARALLEL_LOCK = threading.Lock()

#: From this many agents a pass that has a split form (a per-agent decision, the day's
#: counts, the credits) splits over the threads when a core is spare (benchmarks/roofline.py:
#: 1.7x a decision pass with two threads at 10^6 agents; below, the fork and join cost more
#: than they save).
SPLIT_MIN_AGENTS = 1 << 18
#: Agents per chunk of a pass split over the threads (the day's counts, credits).
SPLIT_CHUNK = 1 << 16

_stepping = [0]  # threads stepping an arm's day now (engine._step_day)
_stepping_lock = threading.Lock()


def threads() -> int:
    """Threads the kernels (and the engine's two arms) may use: ``NUMBA_NUM_THREADS``,
    by default the number of cores."""
    import numba  # loaded on first use, not at import

    return numba.config.NUMBA_NUM_THREADS


@contextlib.contextmanager
def stepping() -> Iterator[None]:
    """Mark this thread as stepping an arm's day (the engine's ``_step_day``), so that passes
    split over the threads only when a core is spare (``may_split``)."""
    with _stepping_lock:
        _stepping[0] += 1
    try:
        yield
    finally:
        with _stepping_lock:
            _stepping[0] -= 1


def may_split() -> bool:
    """Whether a pass may be split over the kernels' threads now: when fewer arms are being
    stepped than there are threads. While both arms step side by side each has a core;
    once the lighter arm (control) has finished its day, the treated arm, which sets the
    pace of the day, splits its passes over both. Splitting while the other arm runs
    oversubscribes the cores (each pass waits for its slowest chunk) and was twice as
    slow."""
    return threads() > _stepping[0]


@contextlib.contextmanager
def spare_threads(n: int) -> Iterator[bool]:
    """Whether a pass over ``n`` agents is to split over the threads now (enough agents, a
    core spare, no other parallel kernel running); while it does, it holds
    ``PARALLEL_LOCK``. A split form must give the bits of the one-thread form."""
    if n >= SPLIT_MIN_AGENTS and may_split() and PARALLEL_LOCK.acquire(blocking=False):
        try:
            yield True
        finally:
            PARALLEL_LOCK.release()
    else:
        yield False

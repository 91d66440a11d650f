"""Keep the memory of freed large arrays in the process, instead of returning it to the OS.

glibc serves every allocation above its mmap threshold (which its dynamic rule never raises
past 32 MiB) with fresh pages from ``mmap`` and gives them back on ``free``. Above about
4 million agents every per-day temporary array (a float64 column is 80 MB at 10^7 agents)
is over that limit, so each one is page-faulted in and zeroed by the kernel again, every
stage of every day: at 10^7 agents that was a third of the step loop's time, spent in the
kernel (benchmarks/scale.py, BENCHMARKS.md §1). Raising the mmap threshold to 1 GiB and the
trim threshold out of reach lets the heap reuse those pages. The same holds for the second
thread, where the control arm steps: glibc gives each thread an arena of its own, whose heaps
never exceed 64 MiB, so every array larger than that (a float64 column from 8.4 million
agents) was a fresh mapping there whatever the threshold. One arena for every thread
(``M_ARENA_MAX`` 1) serves them from the tuned heap; the arrays are large and few, so the
threads rarely wait for each other's allocations. Values are untouched (this is
only where bytes live), so results are bit-identical; peak RSS grows by a few percent of
fragmentation at most. The setting is process-wide and stays: a long-lived process (the
dashboard, a sweep worker) keeps the heap of its largest run resident for the next one
instead of returning it. glibc only; elsewhere (macOS, musl) nothing is changed.

What a build frees is the exception: the society's build (``population.build_society``)
frees more than a day ever uses again (its edge lists and draws), which the heap would keep
resident, free, for the whole run. ``release_free_memory`` gives it back once, after the
build; the days then grow the heap only to what they use.
"""

from __future__ import annotations

import ctypes
import mmap
import sys

import numpy as np

#: mallopt parameters (glibc malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: Arrays above this still get their own mapping: the graph's CSR arrays and other
#: allocations that live for the whole run (bytes).
MMAP_THRESHOLD = 1 << 30
#: Free memory at the top of the heap kept for reuse before any is returned (bytes).
TRIM_THRESHOLD = (1 << 31) - 1

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for large, short-lived arrays (once per process); True if done."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if sys.platform.startswith("linux"):
        try:
            mallopt = ctypes.CDLL("libc.so.6").mallopt
        except (OSError, AttributeError):  # not glibc
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                        and mallopt(M_ARENA_MAX, 1))
    return _applied


def release_free_memory() -> bool:
    """Return the heap's free pages to the system now (glibc ``malloc_trim(0)``: also the
    free pages between the arrays in use, not only the top); True if any were returned.
    Values are untouched; only which pages are resident changes. Elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False
    trim.argtypes = [ctypes.c_size_t]
    return bool(trim(0))


def mapped_zeros(shape: int | tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """A zeroed array in an anonymous private mapping of its own: a page becomes resident
    only when it is first written (reads of unwritten pages map the kernel's shared zero
    page; with ``MAP_NORESERVE``, where Python's mmap offers it, they are not reserved
    either), and the whole mapping goes back to the system when the array and its views are
    gone. Used for what a run may never write in full: the spare capacity of a log, the
    counters and sums an arm without a regime never touches (``State.allocate``). Where
    ``mmap`` has no such flags (Windows), an ordinary ``np.zeros``."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    if not hasattr(mmap, "MAP_PRIVATE"):
        return np.zeros(shape, dtype)
    flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_NORESERVE", 0)
    buffer = mmap.mmap(-1, max(count, 1) * dtype.itemsize, flags=flags)
    return np.frombuffer(buffer, dtype, count=count).reshape(shape)


def mapping_of(array: np.ndarray) -> mmap.mmap | None:
    """The memory mapping ``array`` lives in (one of ``mapped_zeros``), or None."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    base = getattr(base, "obj", base)  # a memoryview of the mapping
    return base if isinstance(base, mmap.mmap) else None


def remapped(mapping: mmap.mmap, count: int, dtype: np.dtype) -> np.ndarray | None:
    """The mapping grown to ``count`` elements of ``dtype`` (the new ones zero), as an
    array, or None if it cannot grow in place. Linux moves a mapping's pages to the larger
    address range (``mremap``) instead of copying them, so rows already written are never
    resident twice. It fails while any array or view of the mapping is alive (the caller
    then copies)."""
    try:
        mapping.resize(count * np.dtype(dtype).itemsize)
    except (BufferError, OSError, SystemError, TypeError, ValueError):
        return None
    return np.frombuffer(mapping, dtype, count=count)

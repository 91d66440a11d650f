"""Random streams split by purpose, so that paired arms share common random numbers.

Every random decision has a stable name (``"behavior.expression"``, ``"sensors.cameras"``)
and draws from its own stream: a child of the run's root ``numpy.random.SeedSequence``
whose spawn key is derived from the name (so adding a stage or reordering stages never
shifts another stage's draws) and from the day (so one day's draws never depend on how
many numbers an arm consumed on earlier days). Treated and control arms build their
streams from the same root, hence draw the same numbers for the same decision on the
same day and differ only through the regime (common random numbers).
"""

from __future__ import annotations

import threading
import zlib

import numpy as np


def purpose_key(name: str) -> int:
    """A stable 32-bit key for a stream name (CRC-32; independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named random streams derived from one root seed."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.root = seed if isinstance(seed, np.random.SeedSequence) else \
            np.random.SeedSequence(seed)
        self._uniform_cache: dict = {}
        self._uniform_lock = threading.Lock()  # the engine may step the two arms in threads

    def child(self, name: str, day: int | None = None) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (on ``day``, if given)."""
        key = (purpose_key(name),) if day is None else (purpose_key(name), int(day))
        return np.random.SeedSequence(self.root.entropy,
                                      spawn_key=tuple(self.root.spawn_key) + key)

    def generator(self, name: str, day: int | None = None) -> np.random.Generator:
        """A fresh generator for stream ``name`` on ``day`` (PCG64)."""
        return np.random.Generator(np.random.PCG64(self.child(name, day)))

    def uniform(self, name: str, day: int, n: int) -> np.ndarray:
        """``generator(name, day).random(n, dtype=float32)``, drawn once per day and shared
        (read-only) by every caller of the same day: the two arms of a pair draw the same
        numbers, so the second gets the first's array instead of drawing it again.
        Thread-safe: the arms of a pair may step in two threads on the same day."""
        with self._uniform_lock:
            cache = self._uniform_cache
            if cache.get("day") != day:
                cache.clear()
                cache["day"] = day
            key = (name, n)
            u = cache.get(key)
            if u is None:
                u = self.generator(name, day).random(n, dtype=np.float32)
                u.setflags(write=False)
                cache[key] = u
            return u

    def replicate(self, index: int) -> "Streams":
        """Streams of replicate ``index``: replicate 0 is the root itself, the others are
        spawned from it and independent of one another."""
        if index == 0:
            return self
        return Streams(np.random.SeedSequence(self.root.entropy,
                                              spawn_key=tuple(self.root.spawn_key)
                                              + (purpose_key("replicate"), index)))

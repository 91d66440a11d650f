"""Random streams split by purpose, so that paired arms share common random numbers.

Every random decision has a stable name (``"behavior.expression"``, ``"sensors.cameras"``)
and draws from its own stream, keyed by the name (so adding a stage or reordering stages
never shifts another stage's draws) and by the day (so one day's draws never depend on how
many numbers an arm consumed on earlier days). Treated and control arms build their
streams from the same root, hence draw the same numbers for the same decision on the
same day and differ only through the regime (common random numbers).

Two kinds of stream:

- a decision every agent may take each day (``uniform``, ``uniform_at``, ``key``): a
  counter-based draw per (purpose, day, agent), Philox4x32-10 keyed by the root seed and
  the purpose (``panoptisim.philox``). An agent's draw is the same whether it is computed
  for everyone or for the few who take the decision today, in an array or inside a
  compiled pass, so the arms stay aligned agent by agent however their histories diverge;
- anything else (the build, the draws per flag or per tie): a fresh PCG64 generator of a
  child of the root ``numpy.random.SeedSequence`` whose spawn key is derived from the name
  and the day (``generator``).
"""

from __future__ import annotations

import zlib

import numpy as np

from panoptisim import philox


def purpose_key(name: str) -> int:
    """A stable 32-bit key for a stream name (CRC-32; independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named random streams derived from one root seed."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.root = seed if isinstance(seed, np.random.SeedSequence) else \
            np.random.SeedSequence(seed)
        self._keys: dict[str, tuple[int, int]] = {}

    def child(self, name: str, day: int | None = None) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (on ``day``, if given)."""
        key = (purpose_key(name),) if day is None else (purpose_key(name), int(day))
        return np.random.SeedSequence(self.root.entropy,
                                      spawn_key=tuple(self.root.spawn_key) + key)

    def generator(self, name: str, day: int | None = None) -> np.random.Generator:
        """A fresh generator for stream ``name`` on ``day`` (PCG64)."""
        return np.random.Generator(np.random.PCG64(self.child(name, day)))

    def key(self, name: str) -> tuple[int, int]:
        """The Philox key (two uint32) of the per-agent decision ``name`` under this root:
        the first two words of the name's child seed sequence. For compiled passes that
        draw inside (``philox.uniform_of(k0, k1, day, agent)``)."""
        key = self._keys.get(name)
        if key is None:
            words = self.child(name).generate_state(2, np.uint32)
            key = self._keys[name] = (int(words[0]), int(words[1]))
        return key

    def uniform(self, name: str, day: int, n: int) -> np.ndarray:
        """Every agent's draw of decision ``name`` on ``day`` (float32, (n,)). The model
        draws inside its compiled passes (``philox.happens``) or for the agents who decide
        (``uniform_at``); this full array is the reference they are tested against."""
        return philox.uniform_all(self.key(name), day, n)

    def uniform_at(self, name: str, day: int, agents: np.ndarray) -> np.ndarray:
        """The draws of decision ``name`` on ``day`` of agents ``agents`` only (float32):
        equal to ``uniform(name, day, n)[agents]``, in O(len(agents))."""
        return philox.uniform_at(self.key(name), day, agents)

    def replicate(self, index: int) -> "Streams":
        """Streams of replicate ``index``: replicate 0 is the root itself, the others are
        spawned from it and independent of one another."""
        if index == 0:
            return self
        return Streams(np.random.SeedSequence(self.root.entropy,
                                              spawn_key=tuple(self.root.spawn_key)
                                              + (purpose_key("replicate"), index)))

"""The rules each agent lives under on a given day: its region's, as the timeline has them.

A scenario's policy parameters (surveillance, scoring, safeguards, sanctions) can differ by
region and change on timeline days (:mod:`panoptisim.scenario.timeline`). Stages read them
through :class:`Rules`: ``ctx.rules.of("surveillance.cameras.fpir")`` is a number when every
region has the same value (the common case, as fast as reading the scenario) and otherwise
an array over agents holding each agent's region's value, so every formula applies each
resident's own rules without a loop over agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from panoptisim.scenario import Scenario
from panoptisim.scenario.keys import value_at


def all_same(values: Sequence[Any]) -> bool:
    """Whether every value equals the first (NaN equals NaN: an unpublished weight is the
    same in every region that does not publish it)."""
    first = values[0]
    return all(v == first or (v != v and first != first) for v in values[1:])


def at(value: Any, agents: np.ndarray) -> Any:
    """A rule read per agent (``Rules.of``) for ``agents`` only: the number itself, or the
    array's entries."""
    return value[agents] if isinstance(value, np.ndarray) else value


class Rules:
    """One arm's rules for one period: each region's scenario, read per agent."""

    def __init__(self, regions: Sequence[Scenario], region_of: np.ndarray) -> None:
        self.regions = tuple(regions)
        self.region_of = region_of
        self._of: dict[str, Any] = {}

    def table(self, key: str) -> list[Any]:
        """The value of ``key`` in each region (``population.regions`` order)."""
        return [value_at(sc, key) for sc in self.regions]

    def uniform(self, key: str) -> bool:
        """Whether every region has the same value of ``key``."""
        return all_same(self.table(key))

    def of(self, key: str) -> Any:
        """``key`` for every agent: the value itself when all regions agree, else an array
        over agents (each agent's region's value)."""
        if key not in self._of:
            values = self.table(key)
            self._of[key] = values[0] if self.uniform(key) else \
                np.asarray(values)[self.region_of]
        return self._of[key]

    def per_agent(self, values: Sequence[Any], dtype: Any = None) -> Any:
        """Values given per region, for every agent: the value itself when all are equal,
        else an array over agents."""
        if all_same(values):
            return values[0]
        return np.asarray(values, dtype=dtype)[self.region_of]

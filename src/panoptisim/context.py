"""What every stage receives: the scenario, the arm's switches, the random streams, the state."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from panoptisim.regime import Arm
from panoptisim.scenario import Scenario
from panoptisim.state import GROUPS, State
from panoptisim.streams import Streams


@dataclass
class Context:
    """One arm of a run in progress."""

    scenario: Scenario
    arm: Arm
    streams: Streams
    state: State
    #: Agents of each demographic group, for placing false matches (built once).
    group_members: list[np.ndarray] = field(default_factory=list)

    #: Masks of the reporting subgroups (SUBGROUP_KEYS), built once.
    subgroups: dict[str, np.ndarray] = field(default_factory=dict)

    #: The population's median base income (CNY/year), reference of the default rule.
    median_income: float = 0.0

    def __post_init__(self) -> None:
        if not self.median_income:
            self.median_income = float(np.median(self.state.income_base))
        if not self.subgroups:
            s = self.state
            self.subgroups = {"urban": s.urban, "rural": ~s.urban}
            self.subgroups.update({g: s.group == i for i, g in enumerate(GROUPS)})
            self.subgroups.update({f"income_q{q + 1}": s.income_quintile == q
                                   for q in range(5)})
        if not self.group_members:
            order = np.argsort(self.state.group, kind="stable")
            counts = np.bincount(self.state.group, minlength=2)
            self.group_members = np.split(order, np.cumsum(counts)[:-1])

"""What every stage receives: the scenario and rules in force, the arm's switches, the random
streams, the state, and the schedule of the rules over time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from panoptisim.regime import Arm, make_arm
from panoptisim.rules import Rules
from panoptisim.scenario import Scenario
from panoptisim.scenario.timeline import Schedule, schedule
from panoptisim.state import GROUPS, SUBGROUP_KEYS, State
from panoptisim.streams import Streams


@dataclass(frozen=True)
class TiesAtBuild:
    """Each agent's ties when the society was built, for the tie-loss metrics."""

    #: 1 / degree at build (0 for an agent built without a tie).
    inverse: np.ndarray
    #: Dissenters built with at least one tie.
    dissenter: np.ndarray
    #: How many dissenters, and how many others, were built with at least one tie.
    dissenters: int
    others: int
    #: Family (household) ties and friend ties of dissenters at build (tie ends they hold).
    dissenter_family: float = 0.0
    dissenter_friends: float = 0.0

    @classmethod
    def of(cls, state: State) -> "TiesAtBuild":
        """From the state's graph (every tie is live at build)."""
        degree = np.diff(state.graph.indptr)
        has = degree > 0
        inverse = np.zeros(state.n, np.float64)
        np.divide(1.0, degree, out=inverse, where=has)
        dissenter = state.dissenter & has
        n_d = int(dissenter.sum())
        family = float(state.family_degree.sum(dtype=np.float64, where=state.dissenter))
        return cls(inverse, dissenter, n_d, int(has.sum()) - n_d, family,
                   float(degree.sum(dtype=np.float64, where=state.dissenter)) - family)


@dataclass
class Context:
    """One arm of a run in progress.

    ``scenario`` is the scenario in force today nationally (what people do comes from it);
    ``arm`` and ``rules`` say what the system does to each agent under its region's rules
    today. The policy stage replaces them when the schedule enters a new period.
    """

    scenario: Scenario
    arm: Arm
    streams: Streams
    state: State
    schedule: Schedule
    #: Agents of each demographic group, for placing false matches (built once).
    group_members: list[np.ndarray] = field(default_factory=list)

    #: Masks of the reporting subgroups (SUBGROUP_KEYS), built once.
    subgroups: dict[str, np.ndarray] = field(default_factory=dict)

    #: Members of each reporting subgroup (SUBGROUP_KEYS order), counted once.
    subgroup_members: np.ndarray | None = None

    #: The population's median base income (CNY/year), reference of the default rule.
    median_income: float = 0.0

    #: Each agent's ties at build (built once, for the tie-loss metrics).
    ties_at_build: TiesAtBuild | None = None

    #: Per-agent buffers (float64 zeros, bool False) for sums per agent, made at first use.
    _sum_buffers: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def first_day(cls, scenario: Scenario, arm: str, streams: Streams, state: State
                  ) -> "Context":
        """Arm ``arm`` (treated or control) of ``scenario`` on day 0, on ``state``."""
        plan = schedule(scenario)
        first = plan.periods[0]
        return cls(first.national, make_arm(arm, Rules(first.regions, state.region)),
                   streams, state, plan)

    def is_family(self, entries: np.ndarray, sources: np.ndarray | None = None
                  ) -> np.ndarray:
        """Whether each CSR entry in ``entries`` is a family tie (both ends in one
        household), else a friend's, compared at its ends (``sources``: the entries' rows,
        if known) instead of a mask of a byte an entry: the stages ask it of the few
        entries they touch a day."""
        g, household = self.state.graph, self.state.household
        if sources is None:
            sources = g.sources_of(entries)
        return household[sources] == household[g.indices[entries]]

    def sum_buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """This arm's per-agent buffers (float64 zeros, bool False) for sums per agent
        (``scoring.PerAgentSums``), left zeroed after each use; 9 bytes an agent, made at
        the first sum, so an arm that scores nothing never holds them."""
        if self._sum_buffers is None:
            self._sum_buffers = (np.zeros(self.state.n), np.zeros(self.state.n, np.bool_))
        return self._sum_buffers

    @property
    def rules(self) -> Rules:
        """Each agent's rules today (its region's)."""
        return self.arm.rules

    def __post_init__(self) -> None:
        built = self.state.derived()  # shared with the other arm: the first one computes
        if self.ties_at_build is None:
            self.ties_at_build = _once(built, "ties_at_build", lambda: TiesAtBuild.of(self.state))
        if not self.median_income:
            self.median_income = _once(built, "median_income",
                                       lambda: float(np.median(self.state.income_base)))
        if not self.subgroups:
            self.subgroups = _once(built, "subgroups", self._subgroups)
        if self.subgroup_members is None:
            self.subgroup_members = _once(built, "subgroup_members", lambda: np.array(
                [self.subgroups[k].sum() for k in SUBGROUP_KEYS], np.int64))
        if not self.group_members:
            self.group_members = _once(built, "group_members", self._group_members)

    def _subgroups(self) -> dict[str, np.ndarray]:
        """Masks of the reporting subgroups and of the regions, by name."""
        s = self.state
        masks = {"urban": s.urban, "rural": ~s.urban}
        masks.update({f"region_{r.name}": s.region == i for i, r in
                      enumerate(self.scenario.population.regions)})
        masks.update({g: s.group == i for i, g in enumerate(GROUPS)})
        masks.update({f"income_q{q + 1}": s.income_quintile == q for q in range(5)})
        return masks

    def _group_members(self) -> list[np.ndarray]:
        """Agents of each demographic group, in agent order."""
        order = np.argsort(self.state.group, kind="stable")
        counts = np.bincount(self.state.group, minlength=2)
        return np.split(order, np.cumsum(counts)[:-1])


def _once(built: dict[str, Any], key: str, compute: Callable[[], Any]) -> Any:
    """``built[key]``, computed first if missing, with every array in it made read-only:
    the arms share it (``State.derived``)."""
    if key not in built:
        built[key] = _read_only(compute())
    return built[key]


def _read_only(value: Any) -> Any:
    """``value``, each array in it (itself, or in a dict, list or dataclass) made read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (dict, list)):
        for v in value.values() if isinstance(value, dict) else value:
            _read_only(v)
    elif is_dataclass(value):
        for f in fields(value):
            _read_only(getattr(value, f.name))
    return value

"""Scoring regimes as weights over one machinery, and what each arm of a run switches on
in each region.

A regime (``none``, ``fico``, ``sesame``, ``citizen``) names which categories of behaviour
count toward the score; the weights themselves live in ``scoring.w_*``. The control arm is
the ``none`` regime with no sensors and no sanctions: the society without the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from panoptisim.rules import Rules
from panoptisim.scenario import FEEDS, Scenario
from panoptisim.scenario.timeline import schedule
from panoptisim.state import CATEGORIES

#: Categories each regime scores, and whether it has the network ("guilt by association")
#: term. fico: repayment history; sesame: + purchases; citizen: + infractions, politics.
REGIME_CATEGORIES: dict[str, tuple[str, ...]] = {
    "none": (),
    "fico": ("default",),
    "sesame": ("default", "disfavoured"),
    "citizen": ("default", "disfavoured", "infraction", "watchlist", "political"),
}
REGIME_NETWORK = {"none": False, "fico": False, "sesame": False, "citizen": True}
#: Which sensors observe which category.
FEEDS_OF_CATEGORY: dict[str, tuple[str, ...]] = {
    "default": ("financial",),
    "disfavoured": ("commerce",),
    "infraction": ("cameras", "informants"),
    "watchlist": ("cameras",),
    "political": ("online", "informants"),
}


@dataclass(frozen=True)
class RegionArm:
    """What one region's scorer has switched on in one arm, derived from its rules."""

    regime: str
    weights: np.ndarray          # points per flag, by CATEGORIES index (0: not scored)
    w_repayment: float           # credit per on-time payment (0: not scored)
    w_favoured: float            # credit per favoured purchase (0: not scored)
    w_network: float             # association points per event of a tie (0: off)
    feeds: frozenset[str]        # sensors whose records reach the scorer
    seen: frozenset[str]         # of those, the ones agents know of (not unseen)
    sanctions: bool
    transparent: bool

    @property
    def scoring(self) -> bool:
        """Whether a scorer runs here."""
        return self.regime != "none"

    def scores(self, category: str) -> bool:
        """Whether flags of ``category`` change the score."""
        return bool(self.weights[CATEGORIES.index(category)] > 0)

    def uses(self, feed: str) -> bool:
        """Whether the scorer receives records from sensor ``feed``."""
        return feed in self.feeds

    @property
    def known(self) -> bool:
        """Whether agents know a scorer watches them: it runs and a feed of it is seen."""
        return self.scoring and (bool(self.seen) or not self.feeds)

    def believed_scored(self, category: str) -> bool:
        """Whether agents believe ``category`` is scored: the truth when rules are
        transparent; anything may be when they are opaque (over-deterrence); nothing while
        every feed is unseen."""
        if not self.known:
            return False
        if not self.transparent:
            return True
        return category in CATEGORIES and self.scores(category)

    def published_political_penalty(self) -> float:
        """Points per flagged dissenting post as published: the true weight under
        transparent rules; NaN under opaque rules (agents go by what they have learnt,
        ``State.perceived_penalty``); 0 while no scorer is known."""
        if not self.known:
            return 0.0
        if self.transparent:
            return float(self.weights[CATEGORIES.index("political")])
        return float("nan")


def region_arm(rules: Scenario, treated: bool) -> RegionArm:
    """A region's scorer under ``rules``; in the control arm, none (no sensors, no sanctions)."""
    regime = rules.scoring.regime if treated else "none"
    sc, sv, sg = rules.scoring, rules.surveillance, rules.safeguards
    scored = REGIME_CATEGORIES[regime]
    per_category = {"default": sc.w_default, "disfavoured": sc.w_disfavoured,
                    "infraction": sc.w_infraction, "watchlist": sc.w_watchlist,
                    "political": sc.w_political}
    weights = np.array([per_category[c] if c in scored else 0.0 for c in CATEGORIES])
    enabled = {"online": sv.online.enabled, "cameras": sv.cameras.enabled,
               "commerce": sv.commerce.enabled, "financial": sv.financial.enabled,
               "informants": sv.informants.enabled}
    feeds = frozenset(
        f for c in scored for f in FEEDS_OF_CATEGORY[c]
        if enabled[f] and f not in sg.data_minimisation)
    return RegionArm(
        regime=regime, weights=weights,
        w_repayment=sc.w_repayment if "default" in scored and "financial" in feeds else 0.0,
        w_favoured=sc.w_favoured if "disfavoured" in scored and "commerce" in feeds else 0.0,
        w_network=sc.w_network if REGIME_NETWORK[regime] else 0.0,
        feeds=feeds,
        seen=frozenset(f for f in feeds if f not in sv.unseen),
        sanctions=rules.sanctions.enabled and regime != "none",
        transparent=sg.transparent,
    )


@dataclass(frozen=True)
class Arm:
    """What one arm of a run has switched on today, region by region.

    The questions stages ask of the whole arm (does any scorer run, use this feed, score
    this category) are answered for any region; what differs by region is read per agent
    (:meth:`per_agent`, :meth:`watched`): a number when all regions agree, else an array
    over agents.
    """

    name: str
    regions: tuple[RegionArm, ...]
    rules: Rules

    @property
    def regime(self) -> str:
        """The regime of every region, or ``mixed``."""
        regimes = {r.regime for r in self.regions}
        return regimes.pop() if len(regimes) == 1 else "mixed"

    @property
    def scoring(self) -> bool:
        """Whether any scorer runs in this arm."""
        return any(r.scoring for r in self.regions)

    @property
    def sanctions(self) -> bool:
        """Whether sanctions apply anywhere in this arm."""
        return any(r.sanctions for r in self.regions)

    def scores(self, category: str) -> bool:
        """Whether flags of ``category`` change some region's scores."""
        return any(r.scores(category) for r in self.regions)

    def uses(self, feed: str) -> bool:
        """Whether some region's scorer receives records from sensor ``feed``."""
        return any(r.uses(feed) for r in self.regions)

    def per_agent(self, attr: str) -> Any:
        """A RegionArm attribute (or no-argument method) for every agent: the value itself
        when all regions agree, else an array over agents."""
        return self.rules.per_agent(self.region_values(attr))

    def region_values(self, attr: str) -> list[Any]:
        """A RegionArm attribute (or no-argument method) of each region, in
        ``population.regions`` order."""
        values = [getattr(r, attr) for r in self.regions]
        return [v() if callable(v) else v for v in values]

    def believed_scored(self, category: str) -> Any:
        """Whether each agent believes ``category`` is scored (bool, or bool per agent)."""
        return self.rules.per_agent([r.believed_scored(category) for r in self.regions])

    def weight_table(self) -> np.ndarray:
        """Points per flag by (region, category)."""
        return np.stack([r.weights for r in self.regions])

    def watched(self, sensor: str, category: str) -> np.ndarray | None:
        """Whether each region's scorer takes ``sensor``'s flags of ``category`` (bool per
        region), or None when every region does."""
        table = np.array([r.uses(sensor) and r.scores(category) for r in self.regions])
        return None if table.all() else table

    def seen_table(self) -> np.ndarray:
        """Whether agents of each region know of each sensor (bool, region x sensor)."""
        return np.array([[f in r.seen for f in FEEDS] for r in self.regions])


def make_arm(name: str, rules: Rules) -> Arm:
    """The arm ``name`` under ``rules``: the treated arm runs each region's regime; the
    control arm runs ``none`` everywhere (the society without the system)."""
    return Arm(name, tuple(region_arm(sc, name == "treated") for sc in rules.regions), rules)


def arm_on_day_0(scenario: Scenario, name: str, region_of: np.ndarray | None = None) -> Arm:
    """The arm ``name`` of ``scenario`` on day 0, for agents in regions ``region_of``
    (default: one agent in the first region)."""
    region_of = np.zeros(1, np.int8) if region_of is None else region_of
    return make_arm(name, Rules(schedule(scenario).periods[0].regions, region_of))

"""Scoring regimes as weights over one machinery, and what each arm of a run switches on.

A regime (``none``, ``fico``, ``sesame``, ``citizen``) names which categories of behaviour
count toward the score; the weights themselves live in ``scoring.w_*``. The control arm is
the ``none`` regime with no sensors and no sanctions: the society without the system.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoptisim.scenario import Scenario
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
class Arm:
    """What one arm of a run has switched on, derived once from the scenario."""

    name: str
    regime: str
    weights: np.ndarray          # points per flag, by CATEGORIES index (0: not scored)
    w_repayment: float           # credit per on-time payment (0: not scored)
    w_favoured: float            # credit per favoured purchase (0: not scored)
    w_network: float             # points/day per share of marked neighbours (0: off)
    feeds: frozenset[str]        # sensors whose records reach the scorer
    sanctions: bool
    transparent: bool

    @property
    def scoring(self) -> bool:
        """Whether any scorer runs in this arm."""
        return self.regime != "none"

    def scores(self, category: str) -> bool:
        """Whether flags of ``category`` change the score."""
        return bool(self.weights[CATEGORIES.index(category)] > 0)

    def uses(self, feed: str) -> bool:
        """Whether the scorer receives records from sensor ``feed``."""
        return feed in self.feeds

    def believed_scored(self, category: str) -> bool:
        """Whether agents believe ``category`` is scored: the truth when rules are
        transparent; anything may be when they are opaque (over-deterrence)."""
        if not self.scoring:
            return False
        if not self.transparent:
            return True
        return category in CATEGORIES and self.scores(category)

    def perceived_political_penalty(self, nominal: float) -> float:
        """Points agents expect to lose per flagged dissenting post."""
        if not self.scoring:
            return 0.0
        if self.transparent:
            return float(self.weights[CATEGORIES.index("political")])
        return nominal


def make_arm(scenario: Scenario, name: str) -> Arm:
    """The treated arm runs the scenario's regime; the control arm runs ``none``."""
    regime = scenario.scoring.regime if name == "treated" else "none"
    sc, sv, sg = scenario.scoring, scenario.surveillance, scenario.safeguards
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
    return Arm(
        name=name, regime=regime, weights=weights,
        w_repayment=sc.w_repayment if "default" in scored and "financial" in feeds else 0.0,
        w_favoured=sc.w_favoured if "disfavoured" in scored and "commerce" in feeds else 0.0,
        w_network=sc.w_network if REGIME_NETWORK[regime] else 0.0,
        feeds=feeds,
        sanctions=scenario.sanctions.enabled and regime != "none",
        transparent=sg.transparent,
    )

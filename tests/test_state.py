"""The state is declared once: every agent array lives on ``State``, copied for the other arm."""

from __future__ import annotations

import numpy as np

from panoptisim import engine
from panoptisim.scenario import load_scenario


def test_the_watchlist_is_state_copied_per_arm_and_only_shrinks():
    sc = load_scenario("baseline", {"population.size": 3000, "run.steps": 40,
                                    "surveillance.cameras.p_watchlisted": 0.01,
                                    "surveillance.cameras.p_ambient_scan": 1.0}, seed=2)
    days = engine.iter_days(sc)
    first = next(days)
    treated, control = (ctx.state for ctx in first.contexts)
    assert treated.watchlisted is not control.watchlisted
    at_start = control.watchlisted.copy()  # the control arm scans nobody: its list stays
    assert at_start.sum() > 10
    for _ in days:
        pass
    assert np.array_equal(control.watchlisted, at_start)
    assert not (treated.watchlisted & ~at_start).any()  # never refilled
    assert treated.watchlisted.sum() < at_start.sum()  # caught agents left it

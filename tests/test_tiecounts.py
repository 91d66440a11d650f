"""Live ties to recent speakers and to marked agents, kept by pushes: always equal to a
recount, in a run and under any sequence of set changes and tie cuts and restorations."""

from __future__ import annotations

import numpy as np
import pytest

from panoptisim import engine, social, tiecounts
from panoptisim.network import from_edges
from panoptisim.scenario import load_scenario


def test_pushes_equal_a_recount_under_joins_leaves_cuts_and_restorations():
    rng = np.random.default_rng(4)
    n = 300
    u, v = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    g = from_edges(n, u, v)
    counted = np.zeros(n, bool)
    count = np.zeros(n, np.int32)
    for _ in range(60):
        members = rng.random(n) < rng.uniform(0.0, 0.5)
        tiecounts.follow(g, counted, count, members)
        np.testing.assert_array_equal(counted, members)
        np.testing.assert_array_equal(count, tiecounts.recount(g, members))
        cut = g.cut(rng.choice(len(g.indices), 40))
        tiecounts.ties_changed(g, counted, count, cut, -1)
        back = g.restore(g.cut_ties[rng.random(len(g.cut_ties)) < 0.3])
        tiecounts.ties_changed(g, counted, count, back, +1)
        np.testing.assert_array_equal(count, tiecounts.recount(g, counted))
    assert count.max() > 0 and len(g.cut_ties) > 0


def scenario(check: bool):
    return load_scenario("baseline", {"population.size": 3000, "run.steps": 120,
                                      "run.check_tie_counts": check}, seed=2)


def test_the_run_check_recounts_every_day_and_changes_no_result():
    plain, checked = engine.simulate(scenario(False)), engine.simulate(scenario(True))
    treated = plain.runs[0].columns
    assert treated["ties_cut"].sum() > 0  # ties were cut: the counts had to follow them
    for a, b in zip(plain.runs, checked.runs, strict=True):
        for name in a.columns:
            np.testing.assert_array_equal(a.columns[name], b.columns[name], err_msg=name)


def test_the_run_check_stops_when_a_cut_tie_is_not_followed(monkeypatch):
    """Break the pushes of cut ties once: the daily recount catches it."""
    monkeypatch.setattr(social.tiecounts, "ties_changed", lambda *a, **k: None)
    with pytest.raises(RuntimeError, match="run.check_tie_counts: live ties to"):
        engine.simulate(scenario(True))

"""Policies over time and space: what each timeline action and each region's own rules do.

Each test runs the engine on a small society and checks a prediction of the semantics in
docs/model.md (Scheduling): a change at day D leaves every day before D as it was (common
random numbers), the control arm never takes a policy change, abolition stops flags and
sanctions and returns scores while agents keep their fear, an unseen feed is not in
anyone's perceived risk until revealed, a region is scored only under its own rules, and
chilling spills into an unscored region through ties that cross the border.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from panoptisim.engine import iter_days, simulate
from panoptisim.flags import ABOLISHED, ACTIVE, REVERSED
from panoptisim.metrics import METRIC_NAMES
from panoptisim.scenario import merge
from panoptisim.scenario.load import scenario_document, validate
from panoptisim.scenario.timeline import resolve
from panoptisim.scoring import kept_share

SMALL = {"population": {"size": 2500}, "run": {"steps": 80, "seed": 5}}
D = 40


def scenario(extra: dict[str, Any], base: str = "baseline") -> Any:
    return validate(merge(merge(scenario_document(base), SMALL), extra))


def columns(sim: Any, arm: str, replicate: int = 0) -> dict[str, np.ndarray]:
    return next(r.columns for r in sim.runs if r.arm == arm and r.replicate == replicate)


def run_state(sim: Any, arm: str = "treated") -> Any:
    return next(r.state for r in sim.runs if r.arm == arm)


@pytest.fixture(scope="module")
def without() -> Any:
    return simulate(scenario({}))


@pytest.mark.parametrize("entry", [
    {"day": D, "action": "abolish"},
    {"day": D, "set": {"safeguards.appeals": True, "scoring.w_political": 60.0}},
    {"day": D, "set": {"sanctions.threshold_travel_ban": 620.0}, "regions": ["rural"]},
])
def test_a_change_on_day_d_leaves_every_earlier_day_and_the_control_arm_as_they_were(
        without, entry):
    with_entry = simulate(scenario({"timeline": [entry]}))
    for name in METRIC_NAMES:
        before, after = columns(without, "treated")[name], columns(with_entry, "treated")[name]
        np.testing.assert_array_equal(before[:D], after[:D], err_msg=name)
        # the control arm is the society without the system: no policy change reaches it
        np.testing.assert_array_equal(columns(without, "control")[name],
                                      columns(with_entry, "control")[name], err_msg=name)
    changed = [n for n in METRIC_NAMES if not np.array_equal(
        columns(without, "treated")[n][D:], columns(with_entry, "treated")[n][D:])]
    assert changed, "the entry changed nothing from its day on"


def test_a_change_to_what_people_do_reaches_both_arms(without):
    with_entry = simulate(scenario({"timeline": [
        {"day": D, "set": {"behavior.p_political_chance": 0.15}}]}))
    for arm in ("treated", "control"):
        rate = columns(with_entry, arm)["expressed_dissent_rate"]
        np.testing.assert_array_equal(rate[:D], columns(without, arm)["expressed_dissent_rate"][:D])
        assert rate[D:].mean() > 2 * columns(without, arm)["expressed_dissent_rate"][D:].mean()


def test_after_abolish_no_flag_or_sanction_and_scores_return_but_fear_fades_slowly(without):
    # at the assumed deterrence (baseline-assumed): chilling of over 10% in 40 days at 2,500
    # agents; the calibrated model chills a few percent, within one replicate's noise here
    sim = simulate(scenario({"timeline": [{"day": D, "action": "abolish"}]},
                            base="baseline-assumed"))
    c = columns(sim, "treated")
    assert c["flags_true"][:D].sum() > 0 and c["sanctions_new"][:D].sum() > 0
    for name in ("flags_true", "flags_false", "sanctions_new", "wrongful_sanctions",
                 "ties_cut", "travel_denials"):
        assert c[name][D:].sum() == 0, name
    running = sum(c[f"under_{k}"][D - 1] for k in
                  ("travel_ban", "internet_throttled", "visa_denial", "shaming",
                   "employer_notified"))
    assert running > 0 and c["sanctions_lifted"][D] == running
    s = run_state(sim)
    np.testing.assert_array_equal(s.score, s.score_start)
    for acc in (s.points_true, s.points_false, s.points_political, s.points_association,
                s.points_credit):  # no record, penalty or credit, survives the regime
        assert not acc.any()
    status = s.flags.status
    assert (status == ABOLISHED).sum() > 0 and (status == ACTIVE).sum() == 0
    risk = c["perceived_risk_mean"]
    # agents keep what they learnt: no reset on the day, then a fade as posts go unpunished
    assert risk[D] > 0.9 * risk[D - 1] > 0
    assert risk[-1] < 0.9 * risk[D - 1]
    rate = c["expressed_dissent_rate"]
    control = columns(sim, "control")["expressed_dissent_rate"]
    assert rate[D - 10:D].mean() < 0.9 * control[D - 10:D].mean()
    # expression recovers toward the control arm's (the ratio of the two arms, which share
    # their random numbers, is steadier than either rate over 10 days of 2,500 agents)
    assert rate[-10:].sum() / control[-10:].sum() > \
        rate[D - 10:D].sum() / control[D - 10:D].sum() + 0.1


def test_introduce_starts_the_regime_on_its_day():
    sim = simulate(scenario({"timeline": [{"day": D, "action": "introduce"}]}))
    c = columns(sim, "treated")
    assert (c["flags_true"][:D] + c["flags_false"][:D]).sum() == 0
    assert (c["perceived_risk_mean"][:D] == 0).all()
    assert c["flags_true"][D:].sum() > 0 and c["perceived_risk_mean"][-1] > 0


def test_introduce_needs_no_regime_in_force():
    from panoptisim.errors import ScenarioError
    with pytest.raises(ScenarioError, match=r"timeline\.2\.action = 'introduce'.*already in "
                                            r"force"):
        scenario({"timeline": [{"day": D, "action": "abolish"},
                               {"day": D + 5, "action": "introduce"},
                               {"day": D + 9, "action": "introduce"}]})


def test_before_a_reveal_no_one_holds_a_belief_about_the_scorer():
    # without sanctions, nothing else can teach fear: risk is exactly nil until the reveal
    quiet = scenario({"sanctions": {"enabled": False},
                      "timeline": [{"day": D, "action": "reveal"}]})
    c = columns(simulate(quiet), "treated")
    assert (c["perceived_risk_mean"][:D] == 0).all()
    assert c["perceived_risk_mean"][D] > 0
    assert c["flags_true"][:D].sum() > 0  # the feeds ran all along, unseen
    # with sanctions on too: no one holds a belief about a scorer it does not know of, so
    # the sanctions of the unseen feeds teach no fear before the reveal
    sc = scenario({"timeline": [{"day": D, "action": "reveal"}]})
    beliefs = {}
    for day in iter_days(sc, arms=("treated",), replicates=1):
        if day.t in (D - 1, D):
            s = day.contexts[0].state
            beliefs[day.t] = s.certainty_hits + s.certainty_misses
        if day.t == D:
            break
    assert np.all(beliefs[D - 1] == 0)
    assert np.all(beliefs[D] > 0)


def test_reveal_of_one_feed_keeps_the_others_unseen():
    sched = resolve(scenario({"timeline": [{"day": D, "action": "reveal",
                                            "feeds": ["online"]}]}))
    assert sched.at(0).regions[0].surveillance.unseen == ["online"]
    assert sched.at(D).regions[0].surveillance.unseen == []


def test_a_region_without_scoring_has_no_flags_or_sanctions_on_its_residents():
    sim = simulate(scenario({"regions": {"rural": {"scoring": {"regime": "none"}}}}))
    s = run_state(sim)
    rural = s.region == 1
    assert rural.any() and (~rural).any()
    assert not rural[s.flags.agent].any()
    assert not rural[s.sanction_log.agent].any()
    assert (~rural[s.flags.agent]).sum() > 0
    np.testing.assert_array_equal(s.score[rural], s.score_start[rural])


def test_a_regional_rule_applies_to_the_regions_residents_only():
    sim = simulate(scenario({"regions": {"urban": {"sanctions": {"enabled": False}}}}))
    s = run_state(sim)
    urban = s.region == 0
    assert not urban[s.sanction_log.agent].any()
    assert (~urban[s.sanction_log.agent]).sum() > 0
    assert urban[s.flags.agent].any()  # still scored, only not sanctioned


def test_region_scoped_entry_changes_only_that_region():
    sim = simulate(scenario({"timeline": [{"day": D, "action": "abolish",
                                           "regions": ["urban"]}]}))
    s = run_state(sim)
    flagged_after = s.flags.agent[s.flags.day >= D]
    assert len(flagged_after) > 0 and (s.region[flagged_after] == 1).all()


def test_appeals_from_a_day_on_reverse_only_flags_raised_from_that_day():
    sim = simulate(scenario({"timeline": [{"day": D, "set": {"safeguards.appeals": True}}]}))
    log = run_state(sim).flags
    assert (log.status[log.day < D] != REVERSED).all()
    assert (log.status[log.day >= D] == REVERSED).any()


def test_forgiveness_that_changes_decays_each_day_at_that_days_rate():
    sc = scenario({"safeguards": {"forgiveness": 0.01},
                   "timeline": [{"day": 10, "set": {"safeguards.forgiveness": 0.05}}]})
    from panoptisim.context import Context
    from panoptisim.population import build_society
    from panoptisim.streams import Streams
    streams = Streams(1)
    ctx = Context.first_day(sc, "treated", streams, build_society(sc, streams))
    agents = np.array([0, 1])
    share = kept_share(ctx, agents, np.array([5, 12]), 20)
    # days 6..9 at 0.01, 10..20 at 0.05; days 13..20 at 0.05
    np.testing.assert_allclose(share, [0.99**4 * 0.95**11, 0.95**8])


def test_chilling_spills_into_an_unscored_region_through_ties_across_the_border():
    def neighbour_chilling(p_cross: float) -> float:
        # the assumed weight of the cost of speaking (0.5): the spill-over, a share of the
        # scored region's chilling, stands out of two replicates' noise at 8,000 agents
        sc = validate(merge(scenario_document("pilots"), {
            "population": {"size": 8000}, "run": {"steps": 150, "replicates": 2},
            "network": {"p_cross_region": p_cross}, "behavior": {"beta_cost": 0.5}}))
        from panoptisim.summary import run_summary
        return run_summary(simulate(sc))["regions"]["neighbour"]["chilling_index"]["effect"]

    linked, apart = neighbour_chilling(1.0), neighbour_chilling(0.0)
    assert linked > 0.002 and linked > 5 * max(apart, 0.0)


def test_abolish_then_introduce_on_one_day_switches_the_regime_with_a_clean_slate():
    sched = resolve(scenario({"timeline": [{"day": D, "action": "abolish"},
                                           {"day": D, "action": "introduce",
                                            "regime": "fico"}]}))
    assert [sc.scoring.regime for sc in sched.at(D).regions] == ["fico", "fico"]
    sim = simulate(scenario({"timeline": [{"day": D, "action": "abolish"},
                                          {"day": D, "action": "introduce",
                                           "regime": "fico"}]}))
    log = run_state(sim).flags
    from panoptisim.state import CATEGORIES
    after = log.category[log.day >= D]
    assert len(after) and (after == CATEGORIES.index("default")).all()
    assert (log.status[log.day < D] == ABOLISHED).any()


def test_rules_read_a_value_shared_by_every_region_as_one_value_even_nan():
    from panoptisim.rules import Rules
    rules = Rules([], np.array([0, 1, 1, 0], np.int8))
    unpublished = rules.per_agent([float("nan"), float("nan")])
    assert isinstance(unpublished, float) and np.isnan(unpublished)
    mixed = rules.per_agent([float("nan"), 5.0])
    assert isinstance(mixed, np.ndarray) and np.isnan(mixed[[0, 3]]).all() \
        and (mixed[[1, 2]] == 5.0).all()
    assert rules.per_agent([2.0, 2.0]) == 2.0

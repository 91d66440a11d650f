"""Sanctions: thresholds and durations, traceability to flags, wrongful sanctions, and the
control arm."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import ASSUMED_LADDER, make_ctx, sanction_index

import panoptisim
from panoptisim import sanctions
from panoptisim.flags import ACTIVE
from panoptisim.state import SANCTIONS, Today

N = 500
TRAVEL = sanction_index("travel_ban")
#: Any own points carry a sanction: these tests isolate thresholds, durations and the
#: but-for accounting from the minimum of own points (tested in test_association.py).
ANY_OWN = {"sanctions.min_own_points": 0.0}


def calm(ctx):
    """Everyone far above every threshold, with no penalty points."""
    s = ctx.state
    s.score[:] = 800.0
    s.points_true[:] = s.points_false[:] = s.points_political[:] = 0.0
    s.n_flags_counting[:] = 0


def test_sanction_starts_for_its_duration_and_counts_down_to_zero():
    ctx = make_ctx({"sanctions.dur_travel_ban": 5, **ANY_OWN}, n=N, scenario=ASSUMED_LADDER)
    s, p = ctx.state, ctx.scenario.sanctions
    calm(ctx)
    s.score[0] = (p.threshold_travel_ban + p.threshold_visa_denial) / 2  # under travel only
    s.points_true[0] = 10.0
    s.n_flags_counting[0] = 1
    today = Today(0)
    sanctions.step(ctx, today)
    assert s.sanction_days_left[TRAVEL, 0] == 5
    assert s.sanction_days_left[:, 1:].sum() == 0
    assert s.sanction_days_left[np.arange(len(SANCTIONS)) != TRAVEL, 0].sum() == 0
    assert s.ever_sanctioned[TRAVEL, 0] and s.ever_sanctioned.sum() == 1
    np.testing.assert_array_equal(today.new_sanction_agent, [0])
    np.testing.assert_array_equal(today.new_sanction_kind, [TRAVEL])
    assert len(s.sanction_log) == 1 and s.sanction_log.day[0] == 0
    # under the threshold for 5 days: no second sanction while the first runs
    for t in range(1, 5):
        today = Today(t)
        sanctions.step(ctx, today)
        assert s.sanction_days_left[TRAVEL, 0] == 5 - t
        assert len(today.new_sanction_agent) == 0
    s.score[0] = 800.0
    sanctions.step(ctx, Today(5))
    assert s.sanction_days_left[TRAVEL, 0] == 0
    sanctions.step(ctx, Today(6))
    assert s.sanction_days_left[TRAVEL, 0] == 0 and len(s.sanction_log) == 1


def test_every_threshold_with_its_own_duration():
    ctx = make_ctx(ANY_OWN, n=N)
    s, p = ctx.state, ctx.scenario.sanctions
    calm(ctx)
    thresholds = np.array([getattr(p, f"threshold_{k}") for k in SANCTIONS])
    for i in range(len(SANCTIONS)):  # agent i sits just under threshold i
        s.score[i] = thresholds[i] - 1.0
        s.points_true[i] = 5.0
        s.n_flags_counting[i] = 1
    s.score[10] = thresholds.min() - 1.0  # under every threshold
    s.points_false[10] = 5.0
    s.n_flags_counting[10] = 1
    before = s.score.copy()  # a sanction may lower the score it was decided on
    sanctions.step(ctx, Today(0))
    for i in list(range(len(SANCTIONS))) + [10]:
        under = before[i] < thresholds
        for k, kind in enumerate(SANCTIONS):
            expected = getattr(p, f"dur_{kind}") if under[k] else 0
            assert s.sanction_days_left[k, i] == expected, (i, kind)
    assert (s.sanction_days_left[:, 10] > 0).all()


def test_no_sanction_without_counting_flag_points():
    ctx = make_ctx(n=N)
    s = ctx.state
    calm(ctx)
    s.score[:] = 360.0  # under every threshold, but nothing to trace it to
    today = Today(0)
    sanctions.step(ctx, today)
    assert s.sanction_days_left.sum() == 0 and len(s.sanction_log) == 0
    assert len(today.new_sanction_agent) == 0
    s.points_political[:] = 50.0  # political points alone are a subset, not a trace
    sanctions.step(ctx, Today(1))
    assert s.sanction_days_left.sum() == 0


def test_wrongful_when_the_sanction_would_not_have_come_without_its_false_points():
    # but-for: the score plus the false points still counting is not under the threshold
    ctx = make_ctx(ANY_OWN, n=N)
    s, p = ctx.state, ctx.scenario.sanctions
    calm(ctx)
    travel = p.threshold_travel_ban
    s.score[:5] = [travel - 5.0, travel - 5.0, travel - 5.0, travel - 5.0, 360.0]
    s.points_false[:5] = [20.0, 10.0, 4.0, 5.0, 5.0]
    s.points_true[:5] = [10.0, 20.0, 10.0, 0.0, 0.0]
    s.points_political[:5] = [30.0, 0.0, 5.0, 5.0, 0.0]
    s.n_flags_counting[:5] = 2
    today = Today(0)
    sanctions.step(ctx, today)
    travel_new = today.new_sanction_kind == TRAVEL
    np.testing.assert_array_equal(today.new_sanction_agent[travel_new], [0, 1, 2, 3, 4])
    # agent 1: more true than false points, yet the false ones made the difference;
    # agent 4: only false points, yet far under the threshold without them too
    expected = [True, True, False, True, False]
    np.testing.assert_array_equal(today.new_sanction_wrongful[travel_new], expected)
    np.testing.assert_array_equal(today.new_sanction_political[travel_new],
                                  [True, False, False, True, False])
    np.testing.assert_array_equal(s.sanction_wrongful[TRAVEL, :5], expected)
    log = s.sanction_log
    np.testing.assert_array_equal(log.wrongful[log.kind == TRAVEL], expected)
    np.testing.assert_allclose(log.points_false[log.kind == TRAVEL], [20, 10, 4, 5, 5])


def test_a_sanction_renewed_without_a_gap_is_a_continuation_not_a_new_one():
    ctx = make_ctx({"sanctions.dur_travel_ban": 3, **ANY_OWN}, n=N, scenario=ASSUMED_LADDER)
    s, p = ctx.state, ctx.scenario.sanctions
    calm(ctx)
    s.score[0] = (p.threshold_travel_ban + p.threshold_visa_denial) / 2  # under travel only
    s.points_true[0] = 10.0
    s.n_flags_counting[0] = 1
    continued = []
    for t in range(9):  # still under the threshold all along: one sanction, 9 days
        today = Today(t)
        sanctions.step(ctx, today)
        assert s.sanction_days_left[TRAVEL, 0] > 0, t
        continued.append(today.sanctions_continued)
        assert len(today.new_sanction_agent) == (1 if t == 0 else 0), t
    assert continued == [0, 0, 0, 1, 0, 0, 1, 0, 0]
    assert len(s.sanction_log) == 1
    # a gap of a day: then it is a new sanction
    s.score[0] = 800.0
    for t in range(9, 13):
        sanctions.step(ctx, Today(t))
    assert s.sanction_days_left[TRAVEL, 0] == 0
    s.score[0] = p.threshold_travel_ban - 1.0
    today = Today(13)
    sanctions.step(ctx, today)
    np.testing.assert_array_equal(today.new_sanction_agent, [0])
    assert today.sanctions_continued == 0 and len(s.sanction_log) == 2


@pytest.mark.parametrize("arm, overrides", [("control", {}),
                                            ("treated", {"sanctions.enabled": False}),
                                            ("treated", {"scoring.regime": "none"})])
def test_no_sanctions_when_disabled(arm, overrides):
    ctx = make_ctx(overrides, n=N, arm=arm)
    s = ctx.state
    s.score[:] = 360.0
    s.points_true[:] = 50.0
    for t in range(3):
        today = Today(t)
        sanctions.step(ctx, today)
        assert len(today.new_sanction_agent) == 0
    assert s.sanction_days_left.sum() == 0 and len(s.sanction_log) == 0


# -------------------------------------------------------------- traceability (engine)
STRESS = {"population.size": 1200, "run.steps": 90, "run.control": False,
          "scoring.w_political": 80.0, "behavior.p_political_chance": 0.2,
          "surveillance.online.false_flag_rate": 0.01}


def trace(state) -> tuple[np.ndarray, np.ndarray]:
    """For each logged sanction: (a flag of the agent logged on or before that day, one of
    them still counting that day). A flag counts from its day until the day it ended (the
    start of that day's scoring), forever if still active."""
    flags, log = state.flags, state.sanction_log
    big = 1 << 32
    agent = flags.agent.astype(np.int64)
    ended = flags.status != ACTIVE
    end = np.where(ended, flags.end_day, big - 1).astype(np.int64)
    starts = np.sort(agent * big + flags.day)
    ends = np.sort(agent * big + end)
    a, d = log.agent.astype(np.int64), log.day.astype(np.int64)
    first = np.searchsorted(starts, a * big, "left")
    logged = np.searchsorted(starts, a * big + d, "right") - first
    gone = np.searchsorted(ends, a * big + d, "right") - np.searchsorted(ends, a * big, "left")
    return logged > 0, logged - gone > 0


@pytest.mark.parametrize("scenario, extra", [
    ("baseline", {}),
    ("safeguards", {"safeguards.dur_sunset": 40, "safeguards.dur_appeal": 10,
                    "safeguards.forgiveness": 0.0})])
def test_every_sanction_traces_to_a_counting_flag(scenario, extra):
    result = panoptisim.run(scenario, overrides={**STRESS, **extra})
    state = result.final_state("treated")
    assert len(state.sanction_log) > 50  # the check is not vacuous
    any_flag, counting = trace(state)
    assert any_flag.all()
    assert counting.all()
    # the log agrees with the state
    for k in range(len(SANCTIONS)):
        had = np.zeros(state.n, bool)
        had[state.sanction_log.agent[state.sanction_log.kind == k]] = True
        np.testing.assert_array_equal(had, state.ever_sanctioned[k])
    wrongful = np.zeros(state.n, bool)
    wrongful[state.sanction_log.agent[state.sanction_log.wrongful]] = True
    np.testing.assert_array_equal(wrongful, state.ever_wrongful)


def test_no_sanction_after_every_flag_is_reversed_under_forgiveness():
    result = panoptisim.run("safeguards", overrides={
        "population.size": 1000, "run.steps": 60, "run.control": False,
        "safeguards.dur_sunset": 0, "safeguards.dur_appeal": 5,
        "safeguards.p_appeal_false": 1.0, "safeguards.p_appeal_true": 1.0,
        "safeguards.forgiveness": 0.01, "scoring.score_start": 545.0,
        "sanctions.dur_travel_ban": 10, "sanctions.dur_visa_denial": 10})
    state = result.final_state("treated")
    assert len(state.sanction_log) > 50
    any_flag, counting = trace(state)
    assert any_flag.all()
    assert counting.all(), f"{(~counting).sum()} of {len(counting)} sanctions have no " \
                           "counting flag"


# ------------------------------------------------------------------ lifted on appeal
def test_won_appeal_lifts_the_sanctions_the_restored_score_clears():
    ctx = make_ctx(n=N)
    s, p = ctx.state, ctx.scenario.sanctions
    calm(ctx)
    s.sanction_days_left[TRAVEL, :3] = 50
    s.score[0] = 800.0                           # winner, now clear of the threshold
    s.score[1] = p.threshold_travel_ban - 1.0    # winner, still under it
    s.score[2] = 800.0                           # clear, but won no appeal
    today = Today(0)
    today.appeal_winners = np.array([0, 1])
    sanctions.step(ctx, today)
    np.testing.assert_array_equal(s.sanction_days_left[TRAVEL, :3], [0, 49, 49])
    assert today.sanctions_lifted == 1


def test_count_down_takes_a_day_off_running_sanctions_only():
    from panoptisim import kernels
    days = np.random.default_rng(2).integers(-1, 40, (5, 1001)).astype(np.int32)
    want = days.copy()
    np.subtract(want, 1, out=want, where=want > 0)
    kernels.count_down(days)
    assert np.array_equal(days, want)


def test_due_sanctions_selects_the_agents_of_the_numpy_expressions():
    """kernels.due_sanctions (one pass, rules as per-region tables) gives, per sanction,
    the agents and run-outs of the numpy selections it replaced, with regions whose
    minimum own points, sanctioning and thresholds differ."""
    from panoptisim import kernels
    rng = np.random.default_rng(8)
    n, kinds = 5000, len(SANCTIONS)
    region = rng.integers(0, 3, n).astype(np.int8)
    n_flags = rng.integers(0, 3, n).astype(np.int32)
    points_true, points_false = rng.uniform(0, 40, n), rng.uniform(0, 40, n)
    points_false[:20] = 30.0 - points_true[:20]  # own points exactly at the minimum: due
    days_left = rng.integers(0, 4, (kinds, n)).astype(np.int32)
    score = rng.uniform(300, 900, n)
    min_own = np.array([30.0, 10.0, 50.0])
    sanctioning = np.array([True, True, False])
    thresholds = rng.uniform(400, 800, (kinds, 3))
    score[20:40] = thresholds[0, region[20:40]]  # exactly at the threshold: not due
    due, ran_out = kernels.due_sanctions(n_flags, points_true, points_false, region, min_own,
                                         sanctioning, days_left, score, thresholds)
    traced = np.flatnonzero(n_flags > 0)
    traced = traced[points_true[traced] + points_false[traced] >= min_own[region[traced]]]
    traced = traced[sanctioning[region[traced]]]
    for k in range(kinds):
        want = traced[(days_left[k, traced] <= 1)
                      & (score[traced] < thresholds[k, region[traced]])]
        np.testing.assert_array_equal(due[k], want)
        np.testing.assert_array_equal(ran_out[k], days_left[k, want] == 1)
        assert len(want) > 0 and ran_out[k].any() and not ran_out[k].all()
    assert not np.isin(np.flatnonzero(region == 2), np.concatenate(due)).any()

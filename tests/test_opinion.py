"""Opinions that move (knowledge falsification, grievance) and posts that vanish (censorship).

Unit tests call the stage functions on small contexts; the run-level tests compare paired
arms (or paired runs with the same seed) of small populations.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import assert_binomial, make_ctx, quiet_today

from panoptisim import behavior, opinion, sensors
from panoptisim.api import build_scenario
from panoptisim.engine import iter_days, simulate
from panoptisim.metrics import latent_dissent_drift
from panoptisim.scenario import load_scenario
from panoptisim.state import Today
from panoptisim.summary import run_summary

N = 2000
NO_GRIEVANCE = {"opinion.rel_grievance_wrongful": 0.0, "opinion.rel_grievance_tie_cut": 0.0}


def _day(ctx, t, support):
    today = quiet_today(ctx, t)
    today.support = support
    opinion.step(ctx, today)


# ------------------------------------------------------------------ unit: the update rule
def test_a_stationary_climate_moves_no_one_and_a_fall_lowers_dissent_by_the_rule():
    ctx = make_ctx(NO_GRIEVANCE, arm="control", n=N)
    op, s = ctx.scenario.opinion, ctx.state
    w, lam, sens = op.dur_warmup, op.rel_climate_smoothing, op.rel_climate_sensitivity
    climate = np.random.default_rng(1).uniform(0.0, 0.3, N).astype(np.float32)
    for t in range(w + 100):  # the same climate every day: no drift at all
        _day(ctx, t, climate)
    np.testing.assert_allclose(s.climate_reference, climate, atol=1e-6)
    np.testing.assert_allclose(s.latent_dissent, np.clip(s.dissent_built, 0, 1), atol=1e-6)
    # the climate falls by 0.1 for everyone: d falls by s x 0.1 x (1 - (1 - lambda)^k)
    k = 40
    lower = np.maximum(climate - 0.1, 0.0).astype(np.float32)
    for t in range(w + 100, w + 100 + k):
        _day(ctx, t, lower)
    expected = np.clip(s.dissent_built - sens * (climate - lower) * (1 - (1 - lam) ** k), 0, 1)
    np.testing.assert_allclose(s.latent_dissent, expected, atol=1e-5)
    assert s.latent_dissent.mean() < s.dissent_built.mean() - 0.5 * sens * 0.05
    # classification stays the build-time one
    np.testing.assert_array_equal(s.dissenter, s.dissent_built >= 0.5)


def test_opinions_hold_still_during_the_warm_up_and_without_knowledge_falsification():
    for overrides, days in (({}, None), ({"opinion.knowledge_falsification": False}, 200)):
        ctx = make_ctx({**NO_GRIEVANCE, **overrides}, n=N)
        w = ctx.scenario.opinion.dur_warmup
        days = days or w
        for t in range(days):  # a climate that keeps falling
            _day(ctx, t, np.full(N, 0.5 - t / (2.0 * days), np.float32))
        np.testing.assert_array_equal(ctx.state.latent_dissent, ctx.state.dissent_built)


def test_grievance_from_wrongful_sanctions_and_cut_ties_closes_the_gap_to_full_dissent():
    rw, rt = 0.2, 0.05
    ctx = make_ctx({"opinion.rel_grievance_wrongful": rw, "opinion.rel_grievance_tie_cut": rt},
                   n=N)
    s = ctx.state
    d0 = s.latent_dissent.copy()
    today = quiet_today(ctx, 0)
    today.new_sanction_agent = np.array([3, 4, 5], np.int64)
    today.new_sanction_wrongful = np.array([True, False, True])
    today.tie_ends_cut = np.array([5, 6, 6], np.int64)  # agent 6 lost two ties
    opinion.step(ctx, today)
    d = s.latent_dissent
    np.testing.assert_allclose(d[3], d0[3] + rw * (1 - d0[3]), rtol=1e-5)
    assert d[4] == d0[4]  # a rightful sanction is no grievance
    after_wrongful = d0[5] + rw * (1 - d0[5])
    np.testing.assert_allclose(d[5], after_wrongful + rt * (1 - after_wrongful), rtol=1e-5)
    np.testing.assert_allclose(d[6], 1 - (1 - d0[6]) * (1 - rt) ** 2, rtol=1e-5)
    others = np.setdiff1d(np.arange(N), [3, 5, 6])
    np.testing.assert_array_equal(d[others], d0[others])
    # then it fades at rel_grievance_decay a day (Epstein's grievance is current hardship)
    rate = ctx.scenario.opinion.rel_grievance_decay
    days = ctx.scenario.opinion.dur_warmup + 5
    for t in range(1, days):
        _day(ctx, t, np.zeros(N, np.float32))
    np.testing.assert_allclose(d[3], d0[3] + rw * (1 - d0[3]) * (1 - rate) ** (days - 1),
                               rtol=1e-4)
    assert d[3] < d0[3] + rw * (1 - d0[3]) - 0.01


# ------------------------------------------------------------- unit: censorship
def _censor_day(p_delete: float, voiced_before: np.ndarray | None = None):
    ctx = make_ctx({"surveillance.online.p_delete": p_delete, "surveillance.online.p_scan": 1.0,
                    "surveillance.online.recall_dissent": 1.0, "behavior.intercept": 5.0,
                    "behavior.p_political_chance": 1.0}, n=N)
    s = ctx.state
    if voiced_before is not None:
        s.ti_voiced[voiced_before] = 3
        s.ti_expressed[voiced_before] = 3
    today = Today(5)
    behavior.step(ctx, today)
    sensors.step(ctx, today)
    return ctx, today


def test_deleted_posts_are_expressed_and_flagged_but_no_one_s_support():
    earlier = np.arange(0, N, 10)
    ctx, today = _censor_day(1.0, earlier)
    s = ctx.state
    spoke = np.flatnonzero(today.expressed)
    assert len(spoke) > N // 2
    np.testing.assert_array_equal(today.deleted_agent, spoke)  # every one caught and deleted
    assert (s.ti_expressed[spoke] == 5).all()  # still expressed ...
    assert set(spoke) <= set(today.flag_agent[today.flag_sensor == 0])  # ... and flagged
    # ti_voiced back to its value before today: the earlier visible post (day 3) or never
    had = np.isin(spoke, earlier)
    assert (s.ti_voiced[spoke[had]] == 3).all() and (s.ti_voiced[spoke[~had]] == -1).all()
    support = behavior.social_support(ctx, 6)
    only_earlier = np.zeros(N, np.float32)
    only_earlier[earlier] = 1.0
    np.testing.assert_allclose(support, behavior.support_share(s.graph, only_earlier,
                                                               s.active_degree), rtol=1e-6)
    # without deletion the same day's posts are everyone's support
    ctx0, today0 = _censor_day(0.0, earlier)
    assert len(today0.deleted_agent) == 0
    np.testing.assert_array_equal(today0.expressed, today.expressed)
    assert behavior.social_support(ctx0, 6).mean() > support.mean() + 0.3


def test_deleted_share_is_p_delete_times_the_detection_share():
    p_delete = 0.5
    sc = load_scenario("baseline", {"population.size": N, "run.steps": 60, "run.control": False,
                                    "behavior.p_political_chance": 0.2,
                                    "surveillance.online.p_delete": p_delete}, seed=5)
    sim = simulate(sc)
    cols = sim.runs[0].columns
    online = sc.surveillance.online
    posts = int(cols["dissent_expressed"].sum())
    assert posts > 1000
    assert_binomial(cols["dissent_deleted"].sum(), posts,
                    p_delete * online.p_scan * online.recall_dissent, "deleted posts")
    summary = run_summary(sim)["metrics"]["dissent_deleted_share"]
    np.testing.assert_allclose(summary["treated"], cols["dissent_deleted"].sum() / posts)


# ------------------------------------------------------------ runs: paired arms
def _drifts(sim):
    """Per replicate: (treated end - start, control end - start) of mean latent dissent."""
    by = {(r.replicate, r.arm): r.columns["latent_dissent_mean"] for r in sim.runs}
    reps = sim.scenario.run.replicates
    return (np.array([by[(r, "treated")][-1] - by[(r, "treated")][0] for r in range(reps)]),
            np.array([by[(r, "control")][-1] - by[(r, "control")][0] for r in range(reps)]))


RUN = {"population.size": 4000, "run.steps": 240, "run.replicates": 3}


@pytest.mark.slow
def test_knowledge_falsification_lowers_dissent_under_the_regime_and_not_in_control():
    # the regime is introduced after the warm-up, so the reference climate is the one
    # without it (from day 0, its first chill would sit in the reference)
    warmup = load_scenario("baseline").opinion.dur_warmup
    sim = simulate(build_scenario("baseline", {**RUN, **NO_GRIEVANCE, "run.steps": 365},
                                  seed=11, timeline=[{"day": warmup, "action": "introduce"}]))
    treated, control = _drifts(sim)
    # the regime silences speech, the climate falls, fewer come to think it
    assert (treated - control < -0.002).all(), (treated, control)
    # the control arm's climate is stationary after the warm-up: no drift to speak of (at
    # 4,000 agents the noise is a few thousandths; without the reference it would be +0.04)
    assert np.abs(control).max() < 0.006, control
    assert np.abs(control).mean() < 0.4 * np.abs(treated - control).mean()
    summary = run_summary(sim)["metrics"]["latent_dissent_drift"]
    np.testing.assert_allclose(summary["effect"], (treated - control).mean(), rtol=1e-9)
    assert summary["ci95"][1] < 0


@pytest.mark.slow
def test_grievance_from_wrongful_sanctions_reverses_the_drift():
    # many false flags, hence wrongful sanctions; each closes the whole gap to full dissent
    ov = {**RUN, **NO_GRIEVANCE, "surveillance.online.false_flag_rate": 0.03}
    quiet = simulate(load_scenario("baseline", ov, seed=11))
    loud = simulate(load_scenario("baseline", {**ov, "opinion.rel_grievance_wrongful": 1.0},
                                  seed=11))
    assert run_summary(loud)["metrics"]["wrongful_sanctions"]["treated"] > 200
    t0, c0 = _drifts(quiet)
    t1, c1 = _drifts(loud)
    # without grievance the drift is down in every replicate (by 0.005 on average: the size
    # of one replicate's drift in 4,000 agents is noisy); with it, up in every replicate
    assert (t0 - c0 < 0).all() and (t0 - c0).mean() < -0.005, (t0, c0)
    assert (t1 - c1 > 0.02).all(), (t1, c1)


@pytest.mark.slow
def test_censorship_lowers_support_and_raises_chilling_against_the_same_seed():
    base = {"population.size": 4000, "run.steps": 150, **NO_GRIEVANCE}
    outcome = {}
    for p_delete in (0.0, 0.72):
        sc = load_scenario("baseline", {**base, "surveillance.online.p_delete": p_delete},
                           seed=13)
        support = []
        for day in iter_days(sc):
            treated = day.contexts[0]
            support.append(float(behavior.social_support(treated, day.t + 1).mean()))
            if day.last:
                sim_runs = day.arm_runs()
        cols = {r.arm: r.columns for r in sim_runs}
        chill = 1 - cols["treated"]["expressed_dissent_rate"].sum() / \
            cols["control"]["expressed_dissent_rate"].sum()
        outcome[p_delete] = (np.mean(support), chill, cols["treated"]["dissent_deleted"].sum())
    (s0, chill0, del0), (s1, chill1, del1) = outcome[0.0], outcome[0.72]
    assert del0 == 0 and del1 > 0
    assert s1 < 0.95 * s0, (s0, s1)
    assert chill1 > chill0 + 0.01, (chill0, chill1)


def test_drift_metric_is_the_difference_of_the_arms_changes():
    t = {"latent_dissent_mean": np.array([0.4, 0.39, 0.37])}
    c = {"latent_dissent_mean": np.array([0.4, 0.41, 0.405])}
    np.testing.assert_allclose(latent_dissent_drift(t, c), -0.03 - 0.005)


def test_the_censorship_scenario_deletes_and_introduces_the_regime_after_the_warm_up():
    sc = load_scenario("censorship")
    assert sc.surveillance.online.p_delete > 0
    assert sc.timeline and sc.timeline[0].action == "introduce"
    assert sc.timeline[0].day >= sc.opinion.dur_warmup

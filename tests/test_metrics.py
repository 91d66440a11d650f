"""Metrics: the Gini coefficient, the run-level indices of summary.py, the per-day metric
functions and the Recorder that writes them."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_mech import make_ctx, quiet_today, sanction_index
from scipy import stats

from panoptisim import behavior, cascade, cores, sanctions, scoring, sensors, social
from panoptisim.context import TiesAtBuild
from panoptisim.intervals import interval, t_interval
from panoptisim.metrics import (
    HEADLINE,
    METRIC_NAMES,
    METRICS,
    SUMMARY_METRIC_NAMES,
    Recorder,
    cascade_excess,
    cascade_noise_floor,
    cascade_rise,
    chilling_index,
    gini,
    gini_binned,
)
from panoptisim.state import SANCTIONS, SENSORS
from panoptisim.summary import aggregate

BY_NAME = {m.name: m for m in METRICS}


# --------------------------------------------------------------------------- gini
def gini_brute(x) -> float:
    x = np.asarray(x, np.float64)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def test_gini_of_equal_values_is_zero():
    assert gini(np.full(1000, 650.0)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [10, 1000])
def test_gini_of_one_hot_is_near_one(n):
    x = np.zeros(n)
    x[3] = 5.0
    assert gini(x) == pytest.approx((n - 1) / n)
    assert gini(x) >= 0.9


def test_gini_known_values():
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    x = np.random.default_rng(1).lognormal(0, 0.9, 400)
    assert gini(x) == pytest.approx(gini_brute(x), rel=1e-9)
    assert gini(x) == pytest.approx(gini(3.0 * x[::-1]), rel=1e-9)  # scale and order free
    # log-normal: G = 2 Phi(sigma / sqrt 2) - 1 = 0.4755 for sigma = 0.9
    y = np.random.default_rng(2).lognormal(0, 0.9, 200_000)
    assert gini(y) == pytest.approx(0.4755, abs=0.01)
    assert gini([]) == 0.0 and gini(np.zeros(5)) == 0.0


@pytest.mark.parametrize("sd", [0.0, 15.0, 150.0])
def test_binned_gini_is_within_resolution_of_the_exact_one(sd):
    r = np.random.default_rng(5)
    x = np.clip(r.normal(650, sd, 5000), 350, 950)
    err = abs(gini_binned(x, 350, 950) - gini(x))
    assert err < 0.01 / x.mean()
    if sd > 0:  # normal: G = sd / (mean sqrt(pi))
        assert gini_binned(x, 350, 950) == pytest.approx(sd / (650 * np.sqrt(np.pi)), rel=0.15)
    # bimodal scores: half at the floor, half at the ceiling
    y = np.repeat([350.0, 950.0], 500)
    assert gini_binned(y, 350, 950) == pytest.approx(gini(y), abs=1e-4)


# ---------------------------------------------------------------- summary indices
def _chill(treated, control):
    return chilling_index({"expressed_dissent_rate": treated},
                          {"expressed_dissent_rate": control})


def _cols(rate):
    return {"expressed_dissent_rate": np.asarray(rate, np.float64)}


def test_chilling_index():
    control = np.array([0.02, 0.03, 0.05])
    assert _chill(control / 2, control) == pytest.approx(0.5)
    assert _chill(control, control) == pytest.approx(0.0)
    assert _chill(np.zeros(3), control) == pytest.approx(1.0)
    assert _chill(control, np.zeros(3)) == 0.0  # no baseline: no index
    # summed over the run, not averaged per day
    assert _chill(np.array([0.0, 0.04]), np.array([0.01, 0.03])) == pytest.approx(0.0)
    assert _chill(control * 1.5, control) == pytest.approx(-0.5)  # backlash


def test_cascade_rise_compares_whole_weeks():
    two_weeks = np.repeat([0.1, 0.3], 7)
    assert cascade_rise(_cols(two_weeks), 1000) == pytest.approx(0.2)
    # a one-day spike moves a 7-day mean by a seventh of itself, not by all of it
    spike = np.full(28, 0.1)
    spike[20] = 0.8
    assert cascade_rise(_cols(spike), 1000) == pytest.approx(0.7 / 7)
    assert cascade_rise(_cols(two_weeks[::-1]), 1000) == 0.0  # falling
    assert cascade_rise(_cols(np.full(13, 0.1)), 1000) == 0.0  # under two weeks
    # the week-on-week rise is the largest over every pair of adjacent full weeks
    ramp = np.concatenate([np.full(10, 0.1), np.linspace(0.1, 0.5, 10), np.full(10, 0.5)])
    weekly = cascade.weekly_means(ramp)
    assert cascade_rise(_cols(ramp), 1000) == pytest.approx((weekly[7:] - weekly[:-7]).max())


def test_cascade_noise_floor_is_the_binomial_maximum():
    p, n, days = 0.05, 1000, 365
    k = days - 13
    sd = np.sqrt(2 * p * (1 - p) / (7 * n))
    expected = sd * stats.norm.ppf(0.95 ** (1 / k))
    assert cascade_noise_floor(_cols(np.full(days, p)), n) == pytest.approx(expected)
    # four times the agents halve it; no window, no floor
    assert cascade_noise_floor(_cols(np.full(days, p)), 4 * n) == pytest.approx(expected / 2)
    assert cascade_noise_floor(_cols(np.full(13, p)), n) == 0.0


@pytest.mark.parametrize("n, p, days", [(1000, 0.05, 365), (200, 0.3, 730)])
def test_cascade_noise_floor_is_reached_by_chance_about_once_in_twenty(n, p, days):
    """Seeded binomial series without a cascade: the rise exceeds the floor in at most ~5%
    of runs (the independent-normal maximum is conservative), but not in far fewer (the
    floor is not inflated)."""
    draws = np.random.default_rng(11).binomial(n, p, size=(1000, days)) / n
    exceed = np.mean([cascade_rise(_cols(x), n) > cascade_noise_floor(_cols(x), n)
                      for x in draws])
    assert 0.015 <= exceed <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 1000)


def test_cascade_excess_is_the_rise_above_the_floor():
    r = np.random.default_rng(4)
    n = 2000
    flat = r.binomial(n, 0.05, 200) / n
    assert cascade_excess(_cols(flat), n) == 0.0  # this seed: chance stays under the floor
    tipped = flat.copy()
    tipped[100:] += 0.05  # the rate doubles in a day
    rise, floor = cascade_rise(_cols(tipped), n), cascade_noise_floor(_cols(tipped), n)
    assert rise > 0.04 and 0 < floor < 0.02
    assert cascade_excess(_cols(tipped), n) == pytest.approx(rise - floor)


def test_headline_names_registered_metrics_once():
    assert len(set(HEADLINE)) == len(HEADLINE)
    assert set(HEADLINE) <= set(METRIC_NAMES) | set(SUMMARY_METRIC_NAMES)
    assert not set(METRIC_NAMES) & set(SUMMARY_METRIC_NAMES)


def test_aggregate_and_interval():
    x = np.array([1.0, 2.0, 6.0])
    assert aggregate(x, "mean") == 3.0 and aggregate(x, "sum") == 9.0
    assert aggregate(x, "last") == 6.0
    assert interval([1.0]) is None
    lo, hi = interval([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.303, sd = 1, n = 3
    assert lo == pytest.approx(2 - 4.303 / np.sqrt(3), abs=1e-3)
    assert hi == pytest.approx(2 + 4.303 / np.sqrt(3), abs=1e-3)


def test_t_interval_matches_scipy_for_scalars_and_arrays():
    rng = np.random.default_rng(1)
    x = rng.normal(3, 2, size=(4, 7))
    mean, sd = x.mean(axis=1), x.std(axis=1, ddof=1)
    lo, hi = t_interval(mean, sd, np.array([7, 7, 7, 1]))
    for i in range(3):
        ref = stats.t.interval(0.95, 6, loc=mean[i], scale=stats.sem(x[i]))
        assert (lo[i], hi[i]) == pytest.approx(ref, rel=1e-12)
        assert t_interval(mean[i], sd[i], 7) == (lo[i], hi[i])  # one form, same bits
    assert np.isnan(lo[3]) and np.isnan(hi[3])  # one replicate: no interval
    assert interval(list(x[0])) == [lo[0], hi[0]]


# ---------------------------------------------------------------- metric functions
def test_falsification_degree_ratio_and_isolation_on_hand_made_state():
    ctx = make_ctx(n=1000)
    s = ctx.state
    s.dissenter = np.arange(1000) < 200  # fixed: replaced, not written
    today = quiet_today(ctx, 0, political_chance=np.arange(1000) < 100,
                        expressed=np.arange(1000) < 30)
    # dissenters with a chance: 0..99; of them 30 spoke, 70 falsified
    assert BY_NAME["preference_falsification_rate"].fn(ctx, today) == pytest.approx(0.7)
    assert BY_NAME["expressed_dissent_rate"].fn(ctx, today) == pytest.approx(0.03)
    ctx.ties_at_build = TiesAtBuild.of(s)  # the dissenters set by hand
    built = np.diff(s.graph.indptr).astype(np.float32)
    assert (built > 0).all()
    # the control arm's view: every tie kept, no dissenter isolated
    assert BY_NAME["dissenter_degree_ratio"].fn(ctx, today) == 1.0
    assert BY_NAME["isolated_dissenters_share"].fn(ctx, today) == 0.0
    s.active_degree[:] = built * 0.8  # everyone else keeps 80% of the ties at build
    s.active_degree[:200] = built[:200] * 0.5  # dissenters half
    s.active_degree[:50] = 0.0  # 50 dissenters lost every tie: mean kept 150 * 0.5 / 200
    today = quiet_today(ctx, 1)  # a later day (a day's counts are taken once, then kept)
    assert BY_NAME["dissenter_degree_ratio"].fn(ctx, today) == pytest.approx(0.375 / 0.8)
    assert BY_NAME["isolated_dissenters_share"].fn(ctx, today) == pytest.approx(50 / 200)


def test_sanction_metrics_on_hand_made_state():
    ctx = make_ctx(n=1000)
    s = ctx.state
    s.sanction_days_left[sanction_index("shaming"), :40] = 3
    s.sanction_days_left[sanction_index("internet_throttled"), 10:25] = 3
    today = quiet_today(ctx, 0, trip_wanted=np.arange(1000) < 50,
                        travel_denied=np.arange(1000) < 7)
    today.new_sanction_agent = np.arange(6)
    today.new_sanction_kind = np.array([0, 0, 1, 3, 3, 3], np.int8)
    today.new_sanction_wrongful = np.array([1, 0, 0, 1, 0, 0], bool)
    s.ever_sanctioned[sanction_index("shaming"), :55] = True
    assert BY_NAME["shamed_daily"].fn(ctx, today) == 40
    assert BY_NAME["people_shamed"].fn(ctx, today) == 55
    assert BY_NAME["under_shaming"].fn(ctx, today) == 40
    assert BY_NAME["internet_throttled_days"].fn(ctx, today) == 15
    assert BY_NAME["travel_denials"].fn(ctx, today) == 7
    assert BY_NAME["sanctions_new"].fn(ctx, today) == 6
    assert BY_NAME["wrongful_sanctions"].fn(ctx, today) == 2
    assert BY_NAME[f"sanctions_{SANCTIONS[0]}"].fn(ctx, today) == 2
    assert BY_NAME[f"sanctions_{SANCTIONS[3]}"].fn(ctx, today) == 3


# ------------------------------------------------------------------------ recorder
PUBLIC = ("expressed_dissent_rate", "preference_falsification_rate", "flags_true",
          "flags_false", "wrongful_sanctions", "wrongful_sanction_share",
          "dissenter_degree_ratio", "isolated_dissenters_share", "ties_cut", "score_gini",
          "score_mean", "travel_denials", "internet_throttled_days", "shamed_daily",
          "people_shamed")


def test_public_metric_names_exist():
    assert set(PUBLIC) <= set(METRIC_NAMES)
    assert len(set(METRIC_NAMES)) == len(METRIC_NAMES)
    for s in SENSORS:
        assert f"flags_true_{s}" in METRIC_NAMES and f"flags_false_{s}" in METRIC_NAMES


def test_recorder_fills_a_column_per_metric():
    steps = 4
    ctx = make_ctx({"behavior.p_political_chance": 0.5,
                    "surveillance.online.false_flag_rate": 0.05}, n=1000)
    rec = Recorder(steps)
    assert list(rec.columns) == list(METRIC_NAMES)
    days = []
    for t in range(steps):
        today = quiet_today(ctx, t)
        for stage in (behavior.step, sensors.step, scoring.step, sanctions.step, social.step):
            stage(ctx, today)
        rec.record(ctx, today)
        days.append((today.expressed.mean(), int(today.flag_true.sum()),
                     int((~today.flag_true).sum()), float(ctx.state.score.mean()),
                     gini(ctx.state.score)))
    for name, col in rec.columns.items():
        assert col.shape == (steps,) and np.isfinite(col).all(), name
    c = rec.columns
    np.testing.assert_allclose(c["expressed_dissent_rate"], [d[0] for d in days])
    np.testing.assert_array_equal(c["flags_true"], [d[1] for d in days])
    np.testing.assert_array_equal(c["flags_false"], [d[2] for d in days])
    np.testing.assert_allclose(c["score_mean"][-1], days[-1][3])
    # score_gini is computed on 0.01-point bins: within resolution / mean of the exact one
    assert abs(c["score_gini"][-1] - days[-1][4]) < 0.01 / days[-1][3]
    assert c["flags_false"].sum() > 0 and c["expressed_dissent_rate"].sum() > 0
    # per-sensor columns add up to the totals; per-kind sanctions to the total
    for kind in ("true", "false"):
        per_sensor = sum(c[f"flags_{kind}_{s}"] for s in SENSORS)
        np.testing.assert_array_equal(per_sensor, c[f"flags_{kind}"])
    np.testing.assert_array_equal(sum(c[f"sanctions_{k}"] for k in SANCTIONS),
                                  c["sanctions_new"])


# -------------------------------------------------------------------- steady state
def test_steady_state_is_the_days_after_the_burn_in_beside_the_run_total():
    import panoptisim
    from panoptisim.metrics import chilling_index
    result = panoptisim.run("baseline", overrides={"population.size": 1500, "run.steps": 50,
                                                   "run.burn_in": 20, "run.replicates": 2})
    metrics, sim = result.summary["metrics"], result.simulation
    assert result.summary["burn_in"] == 20
    by = {(r.replicate, r.arm): r.columns for r in sim.runs}
    flags = [by[(r, "treated")]["flags_true"] for r in (0, 1)]
    steady = metrics["flags_true"]["steady_state"]
    assert steady["treated"] == pytest.approx(np.mean([f[20:].mean() for f in flags]))
    assert metrics["flags_true"]["treated"] == pytest.approx(np.mean([f.sum() for f in flags]))
    chill = [chilling_index({k: v[20:] for k, v in by[(r, "treated")].items()},
                            {k: v[20:] for k, v in by[(r, "control")].items()})
             for r in (0, 1)]
    assert metrics["chilling_index"]["steady_state"]["effect"] == pytest.approx(np.mean(chill))
    assert "steady_state" not in metrics["score_mean"]  # an end-of-run stock
    short = panoptisim.run("baseline", overrides={"population.size": 500, "run.steps": 20,
                                                  "run.burn_in": 20})
    assert "steady_state" not in short.summary["metrics"]["flags_true"]


def test_day_counts_of_one_compiled_pass_equal_the_numpy_reductions():
    """The day's counts over the agents (kernels.day_counts, one pass) are exactly the numpy
    reductions they stand for, whatever the state: random masks, sanctions, subgroups and
    regions."""
    from panoptisim.daycounts import SHAMING, day_counts
    from panoptisim.kernels import DAY_COUNTS
    from panoptisim.state import SUBGROUP_KEYS

    rng = np.random.default_rng(11)
    ctx = make_ctx({}, n=3000)
    s, n = ctx.state, ctx.state.n
    today = quiet_today(ctx, 5, **{f: rng.random(n) < 0.3 for f in (
        "expressed", "political_chance", "benign_post", "disfavoured", "infraction",
        "defaulted", "travel_denied", "visa_denied")})
    s.sanction_days_left[:] = rng.integers(-2, 4, s.sanction_days_left.shape) * \
        (rng.random(s.sanction_days_left.shape) < 0.2)
    s.sanction_wrongful[:] = rng.random(s.sanction_wrongful.shape) < 0.5
    s.ever_sanctioned[:] = rng.random(s.ever_sanctioned.shape) < 0.1
    s.active_degree[rng.random(n) < 0.2] = 0
    s.region = rng.integers(0, 1, n).astype(np.int8)  # fixed: replaced, not written
    counts = day_counts(ctx, today)
    assert day_counts(ctx, today) is counts  # computed once a day
    had = s.dissenter & today.political_chance
    under = s.sanction_days_left > 0
    expected = {
        "expressed": today.expressed.sum(), "dissenter_chance": had.sum(),
        "dissenter_silent": (had & ~today.expressed).sum(),
        "benign_post": today.benign_post.sum(), "disfavoured": today.disfavoured.sum(),
        "infraction": today.infraction.sum(), "defaulted": today.defaulted.sum(),
        "travel_denied": today.travel_denied.sum(), "visa_denied": today.visa_denied.sum(),
        "wrongful_sanction_days": (under & s.sanction_wrongful).sum(),
        "isolated_dissenters": (ctx.ties_at_build.dissenter & (s.active_degree == 0)).sum(),
        "ever_shamed": s.ever_sanctioned[SHAMING].sum()}
    assert set(DAY_COUNTS) == set(expected)
    assert counts.named == {k: int(v) for k, v in expected.items()}
    np.testing.assert_array_equal(counts.under, under.sum(axis=1))
    ever = s.ever_sanctioned.any(axis=0)
    for g, key in enumerate(SUBGROUP_KEYS):
        mask = ctx.subgroups[key]
        assert ctx.subgroup_members[g] == mask.sum()
        assert counts.ever_any[g] == (ever & mask).sum()
    regions = len(ctx.scenario.population.regions)
    np.testing.assert_array_equal(counts.by_region, [
        np.bincount(s.region[today.expressed], minlength=regions),
        np.bincount(s.region[today.political_chance], minlength=regions)])
    assert counts.ever_any.sum() > 0 and counts.named["wrongful_sanction_days"] > 0
    assert counts.named["isolated_dissenters"] > 0


def test_tie_metrics_are_taken_again_only_on_a_day_ties_change():
    """The metrics of the live ties (degree ratio, ties lost) keep yesterday's value on a
    day when no tie was cut or restored, and are taken afresh when one was."""
    ctx = make_ctx(n=1000)
    s = ctx.state
    s.dissenter = np.arange(1000) < 200  # fixed: replaced, not written
    ctx.ties_at_build = TiesAtBuild.of(s)
    rec = Recorder(3)
    rec.record(ctx, quiet_today(ctx, 0))
    assert rec.columns["dissenter_degree_ratio"][0] == 1.0
    s.active_degree[:200] *= 0.5  # as if ties had been cut, but the day reports none
    rec.record(ctx, quiet_today(ctx, 1))
    assert rec.columns["dissenter_degree_ratio"][1] == 1.0
    today = quiet_today(ctx, 2)
    today.ties_cut = 1
    rec.record(ctx, today)
    assert rec.columns["dissenter_degree_ratio"][2] < 0.75
    assert rec.columns["dissenter_friend_ties_lost"][2] > 0.3


def test_ties_held_is_the_exact_sum_over_the_mask():
    from panoptisim import kernels

    rng = np.random.default_rng(8)
    degree = rng.integers(0, 60, 100_001).astype(np.float32)
    who = rng.random(100_001) < 0.3
    assert kernels.ties_held(degree, who) == degree.sum(dtype=np.float64, where=who)
    assert kernels.ties_held(degree, np.zeros_like(who)) == 0


def test_day_counts_split_over_threads_equal_one_thread(monkeypatch):
    """With a core spare, the day's counts split in chunks of cores.SPLIT_CHUNK agents
    over the threads: the same integers as one pass (across chunk boundaries)."""
    from panoptisim import kernels
    rng = np.random.default_rng(12)
    n, kinds, regions = 2 * cores.SPLIT_CHUNK + 123, 5, 3
    masks = [rng.random(n) < 0.3 for _ in range(9)]
    days_left = rng.integers(0, 3, (kinds, n)).astype(np.int32)
    wrongful, ever = rng.random((kinds, n)) < 0.5, rng.random((kinds, n)) < 0.1
    args = (masks[0], masks[1], masks[2], tuple(masks[3:]), days_left, wrongful, ever, 3,
            rng.random(n) < 0.3, rng.integers(0, 3, n).astype(np.float32), rng.random(n) < .5,
            rng.integers(0, 2, n).astype(np.int8), rng.integers(0, 5, n).astype(np.int8),
            rng.integers(0, regions, n).astype(np.int8), regions)
    one = kernels.day_counts(*args)
    calls = []
    split = kernels._day_counts_split
    monkeypatch.setattr(kernels, "_day_counts_split", lambda *a: calls.append(1) or split(*a))
    monkeypatch.setattr(cores, "SPLIT_MIN_AGENTS", 0)
    monkeypatch.setattr(cores, "threads", lambda: 2)
    two = kernels.day_counts(*args)
    assert calls == [1]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert one[0][0] == masks[0].sum() and one[1].sum() == (days_left > 0).sum()


def test_whole_counts_are_integers_and_a_fraction_is_refused():
    """Counts of people and events are stored as integers, never rounded from a fraction."""
    from panoptisim.metrics import whole_counts
    counts = whole_counts("ties_cut", np.array([0.0, 3.0, 12.0]))
    assert counts.dtype == np.int64 and counts.tolist() == [0, 3, 12]
    with pytest.raises(ValueError, match="ties_cut.*fractional"):
        whole_counts("ties_cut", np.array([1.0, 2.5]))


def test_metrics_parquet_counts_are_integers_and_every_column_says_its_unit(tmp_path):
    """metrics.parquet and regions.parquet explain themselves: counts are integer columns,
    rates are floats, and each field's metadata holds a non-empty unit and meaning."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import panoptisim
    from panoptisim.metrics import COUNT_METRICS, METRIC_UNITS
    panoptisim.run("baseline", overrides={"population.size": 300, "run.steps": 8,
                                          "population.scale": 10}, out=tmp_path / "run")
    schema = pq.read_schema(tmp_path / "run" / "metrics.parquet")
    for name in COUNT_METRICS:
        assert pa.types.is_integer(schema.field(name).type), name
    assert pa.types.is_floating(schema.field("expressed_dissent_rate").type)
    assert schema.field("ties_cut_scaled").metadata[b"unit"].endswith(b"(x 10)")
    for path in ("metrics.parquet", "regions.parquet"):
        for field in pq.read_schema(tmp_path / "run" / path):
            meta = field.metadata or {}
            assert meta.get(b"unit") and meta.get(b"meaning"), (path, field.name)
    assert schema.field("wrongful_sanctions").metadata[b"unit"].decode() == \
        METRIC_UNITS["wrongful_sanctions"] == "sanctions per day"

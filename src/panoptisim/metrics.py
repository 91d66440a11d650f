"""Stage 6, metrics: one named function ``(ctx, today) -> value`` per column, written into
preallocated arrays, one row per day. Names are the public interface (DESIGN.md).

Each metric also declares how a run is summarised in ``summary.json``: ``mean`` over days
(daily rates), ``sum`` over days (counts of events), or ``last`` (stocks at the end).

A second kind of entry, :class:`SummaryMetric`, is computed once per replicate from the day
columns rather than each day (``chilling_index``, the ``cascade_*`` measures).
:data:`HEADLINE` names the metrics every table leads with: ``panoptisim run`` and
``show``, the run and sweep reports, and the default outcomes of ``panoptisim sensitivity``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from panoptisim import cascade
from panoptisim.context import Context
from panoptisim.daycounts import SHAMING, day_counts
from panoptisim.regional import RegionRecorder
from panoptisim.state import SANCTIONS, SENSORS, SUBGROUP_KEYS, Today

MetricFn = Callable[[Context, Today], float]


@dataclass(frozen=True)
class Metric:
    """A per-day metric: its name, unit, function, end-of-run aggregate and meaning.
    ``unit`` says what one day's value counts or measures (it is written with the meaning
    into metrics.parquet's schema). ``of_ties``: a function of the live ties alone
    (``active_degree``, ``family_degree``), so unchanged on a day when no tie was cut or
    restored."""

    name: str
    unit: str
    fn: MetricFn
    aggregate: str  # "mean" | "sum" | "last"
    meaning: str
    of_ties: bool = False


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, 1 concentrated)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    # elementwise product + numpy's pairwise sum: no BLAS, so the bits do not depend on
    # how many threads the BLAS library uses on a given machine
    return float(((2.0 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * total))


def gini_binned(x: np.ndarray, lo: float, hi: float, resolution: float = 0.01) -> float:
    """Gini of values in [lo, hi] rounded to ``resolution``: O(n), no sort.

    Ranks within a bin of ``c`` equal values starting after ``R`` smaller ones contribute
    ``sum(2i - n - 1) = c (2R + c - n)``. The error against the exact Gini is below
    ``resolution / mean``. One compiled pass (:func:`reductions.binned_gini`).
    """
    from panoptisim import reductions  # numba loads on first use, not at import
    return reductions.binned_gini(x, lo, hi, resolution)


def _count(name: str) -> MetricFn:
    """A count of ``kernels.DAY_COUNTS`` as a metric."""
    return lambda ctx, today: float(day_counts(ctx, today).named[name])


def _share(name: str) -> MetricFn:
    """A count of ``kernels.DAY_COUNTS`` as a share of the agents."""
    return lambda ctx, today: day_counts(ctx, today).named[name] / ctx.state.n


def _state_mean(name: str) -> MetricFn:
    """The mean over the agents of a field of State (float64, :mod:`reductions`' order)."""
    def fn(ctx: Context, today: Today) -> float:
        from panoptisim import reductions  # numba loads on first use, not at import
        return reductions.float_mean(getattr(ctx.state, name))
    return fn


def _climate_mean(ctx: Context, today: Today) -> float:
    from panoptisim import reductions  # numba loads on first use, not at import
    return reductions.float_mean(today.support)


def _score_gini(ctx: Context, today: Today) -> float:
    rules = ctx.rules
    return gini_binned(ctx.state.score, min(rules.table("scoring.score_min")),
                       max(rules.table("scoring.score_max")))


def _falsification(ctx: Context, today: Today) -> float:
    counts = day_counts(ctx, today).named
    return _ratio(counts["dissenter_silent"], counts["dissenter_chance"])


def _degree_ratio(ctx: Context, today: Today) -> float:
    """Mean share of their ties at build that dissenters still hold / the same of everyone
    else (agents built without a tie left out); 1 when either set is empty."""
    from panoptisim import reductions  # numba loads on first use, not at import
    s, ties = ctx.state, ctx.ties_at_build
    if not (ties.dissenters and ties.others):
        return 1.0
    of_dissenters, of_all = reductions.kept_shares(s.active_degree, ties.inverse,
                                                   ties.dissenter)
    return _ratio(of_dissenters / ties.dissenters,
                  (of_all - of_dissenters) / ties.others)


def _isolated(ctx: Context, today: Today) -> float:
    """Share of dissenters built with ties who have lost every one."""
    return _ratio(day_counts(ctx, today).named["isolated_dissenters"],
                  ctx.ties_at_build.dissenters)


def _dissenter_ties_lost(family: bool) -> MetricFn:
    """Share of the family (or friend) ties dissenters held at build that are cut now."""
    def fn(ctx: Context, today: Today) -> float:
        from panoptisim import kernels  # numba loads on first use, not at import
        s, ties = ctx.state, ctx.ties_at_build
        family_held = kernels.ties_held(s.family_degree, s.dissenter)
        held = family_held if family else kernels.ties_held(s.active_degree, s.dissenter) \
            - family_held  # whole numbers of ties: exact
        at_build = ties.dissenter_family if family else ties.dissenter_friends
        return _ratio(at_build - float(held), at_build)
    return fn


def _wrongful_share(ctx: Context, today: Today) -> float:
    log = ctx.state.sanction_log
    return _ratio(log.wrongful.sum(), len(log))


def _fast_track(ctx: Context, today: Today) -> float:
    from panoptisim import reductions  # numba loads on first use, not at import
    if not ctx.arm.sanctions:
        return 0.0
    return float(reductions.count_at_least(
        ctx.state.score, ctx.rules.of("sanctions.threshold_fast_track"),
        ctx.arm.per_agent("sanctions")))


def _flags(sensor: int | None, true: bool) -> MetricFn:
    def fn(ctx: Context, today: Today) -> float:
        sel = today.flag_true == true
        if sensor is not None:
            sel &= today.flag_sensor == sensor
        return float(sel.sum())
    return fn


def _new_sanctions(kind: int) -> MetricFn:
    return lambda ctx, today: float((today.new_sanction_kind == kind).sum())


def _current(kind: int) -> MetricFn:
    return lambda ctx, today: float(day_counts(ctx, today).under[kind])


def _ever_share(key: str) -> MetricFn:
    g = SUBGROUP_KEYS.index(key)

    def fn(ctx: Context, today: Today) -> float:
        return _ratio(day_counts(ctx, today).ever_any[g], ctx.subgroup_members[g])
    return fn


def _build() -> list[Metric]:
    m = [
        Metric("expressed_dissent_rate", "share of agents per day", _share("expressed"), "mean",
               "Share of agents who expressed dissent that day."),
        Metric("preference_falsification_rate", "share of dissenters with a chance, per day",
               _falsification, "mean",
               "Share of dissenters (d >= 0.5) who had the chance and did not express."),
        Metric("perceived_risk_mean", "probability (0–1), mean over agents",
               _state_mean("perceived_risk"), "mean",
               "Mean perceived certainty that a dissenting post is punished (the mean of "
               "each agent's Beta belief; 0 while no scorer is known)."),
        Metric("climate_mean", "share of chances (0–1), mean over agents", _climate_mean, "mean",
               "Mean expressed climate agents saw today: of the chances to speak their live "
               "ties were expected to have had in the support memory, the share in which "
               "they visibly voiced dissent (deleted posts do not count)."),
        Metric("latent_dissent_mean", "dissent scale (0–1), mean over agents",
               _state_mean("latent_dissent"), "last",
               "Mean latent dissent d at the end of the day (it moves with the opinion stage: "
               "knowledge falsification and grievance)."),
        Metric("benign_post_rate", "share of agents per day", _share("benign_post"), "mean",
               "Share of agents who posted something benign (over-deterrence shows here)."),
        Metric("disfavoured_purchase_rate", "share of agents per day",
               _share("disfavoured"), "mean",
               "Share of agents who made a disfavoured purchase."),
        Metric("infraction_rate", "share of agents per day", _share("infraction"), "mean",
               "Share of agents who committed a minor infraction."),
        Metric("dissent_expressed", "posts per day", _count("expressed"), "sum",
               "Dissenting posts expressed that day (deleted ones included)."),
        Metric("dissent_deleted", "posts per day", lambda c, t: float(len(t.deleted_agent)), "sum",
               "Dissenting posts the censor deleted before the author's ties saw them."),
        Metric("defaults", "defaults per day", _count("defaulted"), "sum",
               "Loan payments defaulted."),
        Metric("flags_true", "flags per day",
               _flags(None, True), "sum", "Flags on agents who did it."),
        Metric("flags_false", "flags per day", _flags(None, False), "sum",
               "Flags from sensor error or malicious reports."),
    ]
    for i, sensor in enumerate(SENSORS):
        m.append(Metric(f"flags_true_{sensor}", "flags per day", _flags(i, True), "sum",
                        f"True flags from {sensor}."))
        m.append(Metric(f"flags_false_{sensor}", "flags per day", _flags(i, False), "sum",
                        f"False flags from {sensor}."))
    m += [
        Metric("sanctions_new", "sanctions per day",
               lambda c, t: float(len(t.new_sanction_agent)), "sum",
               "Sanctions imposed that day (all types; continuations not counted)."),
        Metric("wrongful_sanctions", "sanctions per day",
               lambda c, t: float(t.new_sanction_wrongful.sum()), "sum",
               "New sanctions that would not have been imposed that day without the false "
               "points counting against the agent (but-for)."),
        Metric("wrongful_sanction_share", "share of sanctions so far (0–1)",
               _wrongful_share, "last",
               "Wrongful sanctions / all sanctions, cumulative to that day."),
        Metric("wrongful_sanction_days", "agent-days per day",
               _count("wrongful_sanction_days"), "sum",
               "Agent-days under a sanction that was wrongful when imposed (per sanction type)."),
        Metric("sanctions_continued", "sanctions per day",
               lambda c, t: float(t.sanctions_continued), "sum",
               "Sanctions renewed without a gap (the score still under the threshold when "
               "they ran out): a continuation, not a new sanction."),
        Metric("sanctions_lifted", "sanctions per day", lambda c, t: float(t.sanctions_lifted
                                                      + t.sanctions_abolished), "sum",
               "Running sanctions lifted because an appeal succeeded or the regime that "
               "imposed them was abolished."),
        Metric("sanctions_by_association", "sanctions per day",
               lambda c, t: float(t.new_sanction_by_association.sum()), "sum",
               "New sanctions that would not have been imposed that day without the "
               "association points charged for the agent's ties' events (but-for)."),
    ]
    for k, kind in enumerate(SANCTIONS):
        m.append(Metric(f"sanctions_{kind}", "sanctions per day", _new_sanctions(k), "sum",
                        f"New {kind.replace('_', ' ')} sanctions."))
        m.append(Metric(f"under_{kind}", "agents (daily stock)", _current(k), "last",
                        f"Agents under {kind.replace('_', ' ')} that day."))
    m += [
        Metric("travel_denials", "trips refused per day", _count("travel_denied"), "sum",
               "Train or plane trips refused to banned agents."),
        Metric("visa_denials", "applications refused per day", _count("visa_denied"), "sum",
               "Visa applications refused."),
        Metric("internet_throttled_days", "agents throttled per day",
               _current(SANCTIONS.index("internet_throttled")),
               "sum", "Agent-days of throttled internet."),
        Metric("shamed_daily", "agents (daily stock)", _current(SHAMING), "mean",
               "Agents publicly shamed that day, a daily stock (summary: mean over days)."),
        Metric("people_shamed", "agents shamed at least once so far", _count("ever_shamed"), "last",
               "Agents publicly shamed at least once so far (summary: over the run)."),
        Metric("fast_track", "agents (daily stock)",
               _fast_track, "last", "Agents with fast-track privileges."),
        Metric("dissenter_degree_ratio", "ratio of shares of ties kept (1 = no difference)",
               _degree_ratio, "last",
               "Mean share of their ties at build that dissenters still hold / the same of "
               "everyone else (1 = no difference; agents built without a tie left out).",
               of_ties=True),
        Metric("isolated_dissenters_share", "share of dissenters", _isolated, "last",
               "Share of dissenters built with ties who have lost every one."),
        Metric("ties_cut", "ties per day",
               lambda c, t: float(t.ties_cut), "sum", "Ties cut that day."),
        Metric("ties_restored", "ties per day", lambda c, t: float(t.ties_restored), "sum",
               "Cut ties restored that day (their cost had ended)."),
        Metric("dissenter_family_ties_lost", "share of ties held at build (0–1)",
               _dissenter_ties_lost(True), "last",
               "Share of the family (household) ties dissenters held at build that are cut.",
               of_ties=True),
        Metric("dissenter_friend_ties_lost", "share of ties held at build (0–1)",
               _dissenter_ties_lost(False), "last",
               "Share of the friend ties dissenters held at build that are cut.",
               of_ties=True),
        Metric("score_mean", "points", _state_mean("score"), "last", "Mean score."),
        Metric("score_gini", "Gini coefficient (0–1)", _score_gini, "last",
               "Gini of scores (computed on scores rounded to 0.01 point)."),
    ]
    for key in SUBGROUP_KEYS:
        m.append(Metric(f"ever_sanctioned_share_{key}", "share of the subgroup (0–1)",
                        _ever_share(key), "last",
                        f"Share of {key.replace('_', ' ')} sanctioned at least once so far."))
    return m


METRICS: tuple[Metric, ...] = tuple(_build())
METRIC_NAMES = tuple(x.name for x in METRICS)
#: What one day's value of each metric counts or measures.
METRIC_UNITS = {x.name: x.unit for x in METRICS}
#: Metrics that count people or events (not rates, shares, ratios or scores): under
#: population scaling (``population.scale`` = k people per agent) they are also reported
#: x k; rates are the same for the sample and the population it stands for.
COUNT_METRICS = tuple(x.name for x in METRICS if x.aggregate == "sum"
                      or x.name.startswith("under_")
                      or x.name in ("shamed_daily", "people_shamed", "fast_track"))


def whole_counts(name: str, values: np.ndarray) -> np.ndarray:
    """A count metric's day values (recorded as floats) as 64-bit integers; refuses a value
    that is not a whole number rather than round it away."""
    counts = values.astype(np.int64)
    if not np.array_equal(counts, values):
        raise ValueError(f"metric {name!r} counts people or events but has a fractional "
                         f"value ({values[counts != values][0]!r})")
    return counts


def column_descriptions(scale: float = 1.0) -> dict[str, tuple[str, str]]:
    """metrics.parquet's metric columns: name -> (unit, meaning), written into the
    Parquet schema so the file explains itself. ``scale``: ``population.scale``, for the
    ``*_scaled`` columns a scaled population adds."""
    out = {m.name: (m.unit, m.meaning) for m in METRICS}
    if scale != 1:
        out.update({f"{name}_scaled": (f"{METRIC_UNITS[name]}, scaled to the population "
                                       f"(x {scale:g})",
                                       f"{name} x population.scale: the count for the "
                                       f"population the sample stands for.")
                    for name in COUNT_METRICS})
    return out


Columns = Mapping[str, np.ndarray]
"""One arm's day columns in one replicate: metric name -> value per day."""


@dataclass(frozen=True)
class SummaryMetric:
    """A run-level metric: a named function over one replicate's day columns.

    ``over = "arm"``: ``fn(columns, agents)`` (``agents``: the arm's population, for
    rates' sampling noise) gives a value per arm, and the summary reports each
    arm, the effect (treated - control) and its interval, as for a per-day metric.
    ``over = "pair"``: ``fn(treated, control)`` compares the arms and gives the effect
    itself; it exists only for paired runs and leads the summary.
    """

    name: str
    fn: Callable[..., float]
    over: str  # "arm" | "pair"
    aggregate: str  # how summary.json labels the value
    meaning: str
    unit: str
    label: str  # in prose: "Chilling index"


def chilling_index(treated: Columns, control: Columns) -> float:
    """1 - expressed dissent (treated) / expressed dissent (control), both summed over the
    run (share, 1 = all dissent silenced, < 0 = backlash); 0 without dissent in control."""
    base = float(control["expressed_dissent_rate"].sum())
    return 1.0 - float(treated["expressed_dissent_rate"].sum()) / base if base > 0 else 0.0


def cascade_rise(columns: Columns, agents: int) -> float:
    """Largest week-on-week rise of the 7-day mean expressed-dissent rate
    (:func:`panoptisim.cascade.largest_weekly_rise`; share of agents per day)."""
    return cascade.largest_weekly_rise(columns["expressed_dissent_rate"])


def cascade_noise_floor(columns: Columns, agents: int) -> float:
    """What :func:`cascade_rise` reaches by chance (95%) in a stationary binomial series of
    the same mean rate, ``agents`` and days (:func:`panoptisim.cascade.noise_floor`)."""
    rate = columns["expressed_dissent_rate"]
    return cascade.noise_floor(float(rate.mean()) if len(rate) else 0.0, agents, len(rate))


def cascade_excess(columns: Columns, agents: int) -> float:
    """``max(cascade_rise - cascade_noise_floor, 0)``: a rise the noise does not explain."""
    return cascade.excess(cascade_rise(columns, agents), cascade_noise_floor(columns, agents))


def latent_dissent_drift(treated: Columns, control: Columns) -> float:
    """(treated mean latent dissent at the end - at the start) - (the same in control): the
    drift of private views the regime caused (share of the [0, 1] scale; < 0: fewer
    come to think it). Start = the first day's value, end = the last day's."""
    t, c = treated["latent_dissent_mean"], control["latent_dissent_mean"]
    return float((t[-1] - t[0]) - (c[-1] - c[0])) if len(t) else 0.0


def dissent_deleted_share(columns: Columns, agents: int) -> float:
    """Dissenting posts deleted / dissenting posts expressed over the run (0 without any;
    ``agents`` unused: every per-arm summary metric is given the population size)."""
    posts = float(columns["dissent_expressed"].sum())
    return float(columns["dissent_deleted"].sum()) / posts if posts > 0 else 0.0


SUMMARY_METRICS: tuple[SummaryMetric, ...] = (
    SummaryMetric("chilling_index", chilling_index, "pair", "ratio over run",
                  "The share of dissent that would have been expressed without the regime "
                  "and was not: 1 − expressed dissent (treated) / expressed dissent "
                  "(control), summed over the run.",
                  "share of the control arm's expressed dissent",
                  "Chilling index"),
    SummaryMetric("cascade_rise", cascade_rise, "arm", "largest weekly rise",
                  "Largest week-on-week rise of the 7-day mean expressed-dissent rate.",
                  "share of agents per day", "Cascade rise"),
    SummaryMetric("cascade_noise_floor", cascade_noise_floor, "arm", "95% of chance",
                  "The cascade rise a stationary binomial series of the same mean rate, "
                  "agents and days reaches at its 95% quantile (independent-normal maximum "
                  "over the run's weekly windows: conservative).",
                  "share of agents per day", "Cascade noise floor"),
    SummaryMetric("cascade_excess", cascade_excess, "arm", "rise above the floor",
                  "Cascade rise above its noise floor, max(rise - floor, 0): 0 when chance "
                  "explains the largest weekly rise.",
                  "share of agents per day", "Cascade excess"),
    SummaryMetric("latent_dissent_drift", latent_dissent_drift, "pair", "change over run",
                  "Change of mean latent dissent from the first to the last day, treated "
                  "minus control: private views the regime moved (knowledge falsification "
                  "down, grievance up).",
                  "share of the dissent scale", "Latent dissent drift"),
    SummaryMetric("dissent_deleted_share", dissent_deleted_share, "arm", "ratio over run",
                  "Dissenting posts deleted by the censor / dissenting posts expressed.",
                  "share of dissenting posts", "Deleted dissent share"),
)
SUMMARY_METRIC_NAMES = tuple(x.name for x in SUMMARY_METRICS)

#: The metrics every table leads with, in this order (run and sweep reports, ``panoptisim
#: run`` and ``show``, the default outcomes of ``panoptisim sensitivity``).
#: Metrics whose value can be negative: indices of the pair (a backlash raises expression)
#: and the week-on-week rises of the cascade measures. Every other metric's per-arm value
#: is a count, rate, share, mean score or ratio of non-negative things, and an interval of
#: it is kept at or above 0.
CAN_BE_NEGATIVE: frozenset[str] = frozenset({"chilling_index", "latent_dissent_drift",
                                             "cascade_rise", "cascade_noise_floor"})

HEADLINE: tuple[str, ...] = (
    "chilling_index", "expressed_dissent_rate", "preference_falsification_rate",
    "flags_true", "flags_false", "wrongful_sanctions", "wrongful_sanction_share",
    "dissenter_degree_ratio", "isolated_dissenters_share", "ties_cut", "score_mean",
    "score_gini", "travel_denials", "internet_throttled_days", "people_shamed",
    "cascade_rise", "cascade_noise_floor", "cascade_excess")


class Recorder:
    """Preallocated metric columns for one arm; ``record`` fills row ``today.t``."""

    def __init__(self, steps: int, n_regions: int = 1):
        self.columns = {m.name: np.zeros(steps, np.float64) for m in METRICS}
        self.regional = RegionRecorder(steps, n_regions)

    def record(self, ctx: Context, today: Today) -> None:
        """Evaluate every metric for today, and the counts by region. A metric of the live
        ties keeps yesterday's value when no tie was cut or restored today (the degrees
        change only then: ``social.change_degrees``)."""
        t = today.t
        ties_unchanged = t > 0 and today.ties_cut == 0 and today.ties_restored == 0
        for m in METRICS:
            column = self.columns[m.name]
            column[t] = column[t - 1] if m.of_ties and ties_unchanged else m.fn(ctx, today)
        self.regional.record(ctx, today)


def end_of_run_rates(ctx: Context) -> dict[str, dict[str, float]]:
    """Share of each subgroup that had each sanction (and any, and a wrongful one)."""
    s = ctx.state
    groups = ctx.subgroups
    kinds = {kind: s.ever_sanctioned[k] for k, kind in enumerate(SANCTIONS)}
    kinds["any"] = s.ever_sanctioned.any(axis=0)
    kinds["wrongful"] = s.ever_wrongful
    return {kind: {g: _ratio((had & mask).sum(), mask.sum()) for g, mask in groups.items()}
            for kind, had in kinds.items()}

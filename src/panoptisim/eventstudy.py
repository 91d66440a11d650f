"""Event study: what each timeline entry changed, from a run's per-day metrics.

For each entry (taking effect at the start of day ``D``) and each headline metric
(:data:`panoptisim.metrics.HEADLINE`):

- the **before** window is the days ``[D - w, D)`` and the **after** window ``[D, D + w)``,
  both clipped to the run's days ``[0, steps)``, with ``w = run.event_window`` (days);
- a per-day metric's window value is its mean over the window's days (in the metric's
  unit: a rate stays a share, a count becomes a count per day); a run-level metric
  (:data:`panoptisim.metrics.SUMMARY_METRICS`) is computed on the window's days instead of
  the run's: ``chilling_index`` = 1 - sum of the treated expressed-dissent rate / sum of
  the control's over the window, ``cascade_rise`` = the largest week-on-week rise of the
  7-day mean inside it, ``cascade_noise_floor`` its chance level for the window's days
  and ``cascade_excess`` the rise above it (:mod:`panoptisim.cascade`);
- **change** = after - before, per arm and for the effect;
- each value is reported per arm, with the effect (treated - control) and its 95% t
  interval over replicates, as ``summary.json`` reports a run (:func:`panoptisim.
  intervals.arm_entry`). An empty window (``D = 0`` before, ``D >= steps`` after) gives None.

After an entry that lifts the regime (``abolish``) or reveals it (``reveal``), three
recovery figures of expressed dissent are computed per replicate from day ``D`` on, on
7-day trailing means that damp daily noise (:func:`trailing_mean`):
:func:`recovery_days`, :func:`overshoot` and :func:`largest_weekly_rise` (the one
definition of :mod:`panoptisim.cascade`: week-on-week rise of 7-day means). They are
reported as the mean over replicates with a 95% interval clipped at 0 (none of them can be
negative).

Only aggregates: every function here takes day series (one value per day), never agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from panoptisim.cascade import WEEK, largest_weekly_rise
from panoptisim.engine import Simulation
from panoptisim.intervals import arm_entry, interval
from panoptisim.metrics import HEADLINE, METRIC_NAMES, METRIC_UNITS, SUMMARY_METRICS, Columns
from panoptisim.scenario.schema import TimelineEntry
from panoptisim.scenario.timeline import entry_label

#: Entries after which the recovery of expressed dissent is measured.
RECOVERY_ACTIONS = ("abolish", "reveal")
#: Days averaged by the trailing means of the recovery figures.
SMOOTHING_DAYS = 7
#: Recovery: the treated arm's expressed dissent back to this share of the control's.
RECOVERY_SHARE = 0.9
#: The largest rise compares means of this many days, one week after the other.
RISE_SPAN_DAYS = WEEK
#: The series the recovery figures are computed on.
EXPRESSION = "expressed_dissent_rate"

_SUMMARY_METRICS = {sm.name: sm for sm in SUMMARY_METRICS}

RECOVERY_UNITS = {
    "recovery_days": "days",
    "overshoot": "share of the control arm's expressed dissent",
    "largest_weekly_rise": "share of agents per day",
}


# ------------------------------------------------------------------- windows
def windows(day: int, window: int, steps: int) -> tuple[slice | None, slice | None]:
    """The before ``[day - window, day)`` and after ``[day, day + window)`` windows as
    slices of a day series, clipped to ``[0, steps)``; None for an empty window."""
    before = slice(max(day - window, 0), min(day, steps))
    after = slice(min(day, steps), min(day + window, steps))
    return (before if before.stop > before.start else None,
            after if after.stop > after.start else None)


def window_mean(series: np.ndarray, days: slice | None) -> float | None:
    """Mean of a day series over the window's days (the series' unit); None if empty."""
    return None if days is None else float(series[days].mean())


def _window_columns(columns: Columns, days: slice) -> dict[str, np.ndarray]:
    return {name: series[days] for name, series in columns.items()}


# ------------------------------------------------------------------ recovery
def trailing_mean(series: np.ndarray, width: int = SMOOTHING_DAYS) -> np.ndarray:
    """Trailing mean of a day series: day ``t`` averages days ``[max(0, t - width + 1),
    t]`` (the first ``width - 1`` days average the days there are); same unit."""
    x = np.asarray(series, dtype=np.float64)
    total = np.concatenate(([0.0], np.cumsum(x)))
    t = np.arange(len(x))
    start = np.maximum(t - width + 1, 0)
    return (total[t + 1] - total[start]) / (t + 1 - start)


def recovery_days(treated: np.ndarray, control: np.ndarray, day: int,
                  share: float = RECOVERY_SHARE, width: int = SMOOTHING_DAYS) -> int | None:
    """Days from ``day`` until the treated arm's expressed dissent is back to ``share``
    (90%) of the control's: the first ``t >= day`` with ``T_t >= share * C_t``, minus
    ``day``, where ``T`` and ``C`` are the arms' :func:`trailing_mean` of the series from
    ``day`` on (days before ``day`` never enter them). 0 if already there on ``day``; None
    (censored) if never within the run. In days."""
    tm = trailing_mean(treated[day:], width)
    cm = trailing_mean(control[day:], width)
    back = np.flatnonzero(tm >= share * cm)
    return int(back[0]) if len(back) else None


def overshoot(treated: np.ndarray, control: np.ndarray, day: int,
              width: int = SMOOTHING_DAYS) -> float:
    """How far the treated arm's expressed dissent rises above the control's after
    ``day``: ``max(0, max_{t >= day} T_t / C_t - 1)`` on the trailing means of
    :func:`recovery_days` (days with ``C_t = 0`` are skipped). A share of the control
    arm's rate (0.1 = 10% above it); 0 if it never exceeds it."""
    tm = trailing_mean(treated[day:], width)
    cm = trailing_mean(control[day:], width)
    seen = cm > 0
    ratio = tm[seen] / cm[seen] - 1.0
    return float(max(ratio.max(initial=0.0), 0.0))


def recovery(treated: np.ndarray, control: np.ndarray, day: int) -> dict[str, Any]:
    """The three recovery figures of one replicate (see their functions): days, share of
    the control's rate, share of agents per day."""
    return {"recovery_days": recovery_days(treated, control, day),
            "overshoot": overshoot(treated, control, day),
            "largest_weekly_rise": largest_weekly_rise(treated, day)}


# --------------------------------------------------------------- aggregation
def clipped_interval(samples: Sequence[float]) -> list[float | None] | None:
    """:func:`panoptisim.intervals.interval` clipped at 0: for figures that cannot be
    negative (days, overshoot, rise)."""
    return interval(list(samples), floor=0.0)


def _across(values: list[float | None], unit: str) -> dict[str, Any]:
    """Mean and clipped 95% interval over replicates; None (censored) if any is None."""
    out: dict[str, Any] = {"unit": unit}
    if any(v is None for v in values):
        out.update(mean=None, ci95=None, censored=True)
    else:
        out.update(mean=float(np.mean(values)), ci95=clipped_interval(values),
                   censored=False)
    out["per_replicate"] = values
    return out


def _change(before: dict[str, list[float]], after: dict[str, list[float]]
            ) -> dict[str, list[float]]:
    return {arm: [a - b for a, b in zip(after[arm], before[arm])] for arm in before}


def _entry(per_arm: dict[str, list[float]] | None) -> dict[str, Any] | None:
    """An arm entry with an explicit effect: None without a control arm."""
    if per_arm is None:
        return None
    out = arm_entry(per_arm)
    if "control" not in per_arm:
        out = {"treated": out["treated"], "effect": None, "ci95": out["ci95"]}
    return out


def _paired_entry(effects: list[float] | None) -> dict[str, Any] | None:
    if effects is None:
        return None
    return {"effect": float(np.mean(effects)), "ci95": interval(effects)}


def _metric(name: str, pairs: list[dict[str, Columns]], before: slice | None,
            after: slice | None, agents: int) -> dict[str, Any]:
    """Before, after and change of one headline metric (``pairs``: each replicate's
    columns by arm; ``agents``: the population, for the cascade noise floor)."""
    summary = _SUMMARY_METRICS.get(name)
    if summary is not None and summary.over == "pair":
        def values(days: slice | None) -> list[float] | None:
            if days is None or "control" not in pairs[0]:
                return None
            return [summary.fn(_window_columns(p["treated"], days),
                               _window_columns(p["control"], days)) for p in pairs]
        b, a = values(before), values(after)
        change = None if b is None or a is None else [y - x for x, y in zip(b, a)]
        return {"unit": summary.unit, "before": _paired_entry(b), "after": _paired_entry(a),
                "change": _paired_entry(change)}

    def per_arm(days: slice | None) -> dict[str, list[float]] | None:
        if days is None:
            return None
        if summary is not None:
            return {arm: [summary.fn(_window_columns(p[arm], days), agents) for p in pairs]
                    for arm in pairs[0]}
        return {arm: [window_mean(p[arm][name], days) for p in pairs] for arm in pairs[0]}
    b, a = per_arm(before), per_arm(after)
    change = None if b is None or a is None else _change(b, a)
    unit = summary.unit if summary is not None else METRIC_UNITS.get(name, "")
    return {"unit": unit, "before": _entry(b), "after": _entry(a), "change": _entry(change)}


def _recovery(pairs: list[dict[str, Columns]], day: int, steps: int) -> dict[str, Any] | None:
    """The recovery figures over replicates; None without a control arm or days after."""
    if "control" not in pairs[0] or day >= steps:
        return None
    per_rep = [recovery(p["treated"][EXPRESSION], p["control"][EXPRESSION], day)
               for p in pairs]
    out: dict[str, Any] = {
        name: _across([r[name] for r in per_rep], unit) for name, unit in RECOVERY_UNITS.items()}
    out.update(share=RECOVERY_SHARE, smoothing_days=SMOOTHING_DAYS, span_days=RISE_SPAN_DAYS)
    return out


def marks(timeline: Sequence[TimelineEntry]) -> list[tuple[int, str]]:
    """Where figures draw the timeline: (day, label) per entry, in timeline order."""
    return [(e.day, entry_label(e)) for e in timeline]


def event_study(sim: Simulation) -> list[dict[str, Any]]:
    """One dict per timeline entry, in timeline order: ``index``, ``day``, ``action``,
    ``regions``, ``label``, ``window`` (days), ``before_days`` and ``after_days`` (the
    windows as half-open ``[first, end)`` day ranges, None if empty), ``metrics`` (each
    headline metric's ``unit`` and its ``before``, ``after`` and ``change`` entries, each
    ``{treated, control, effect, ci95}``; ``{effect, ci95}`` for ``chilling_index``) and,
    after ``abolish`` or ``reveal``, ``recovery`` (each figure's ``mean``, ``ci95``,
    ``unit``, ``censored``, ``per_replicate``), else None. Deterministic."""
    sc = sim.scenario
    steps, w = sc.run.steps, sc.run.event_window
    arms = ("treated", "control")
    by = {(r.replicate, r.arm): r.columns for r in sim.runs}
    pairs = [{arm: by[(r, arm)] for arm in arms if (r, arm) in by}
             for r in range(sc.run.replicates)]
    names = [m for m in HEADLINE if m in METRIC_NAMES or m in _SUMMARY_METRICS]
    out = []
    for index, e in enumerate(sc.timeline):
        before, after = windows(e.day, w, steps)
        out.append({
            "index": index, "day": e.day, "action": e.action, "regions": e.regions,
            "label": entry_label(e), "window": w,
            "before_days": None if before is None else [before.start, before.stop],
            "after_days": None if after is None else [after.start, after.stop],
            "metrics": {name: _metric(name, pairs, before, after, sc.population.size)
                        for name in names},
            "recovery": (_recovery(pairs, e.day, steps) if e.action in RECOVERY_ACTIONS
                         else None),
        })
    return out

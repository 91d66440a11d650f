"""A target's statistic computed from one simulation's day columns (per arm)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from panoptisim.calibration.targets import SUMMARY_NAMES, Statistic, Target
from panoptisim.metrics import METRICS
from panoptisim.summary import aggregate

Columns = Mapping[str, np.ndarray]
#: How ``summary.json`` aggregates each day metric (mean, sum or last): the default.
DEFAULT_AGGREGATE = {m.name: m.aggregate for m in METRICS}
#: Days in a year, for ``aggregate = "yearly"`` (a window's sum scaled to 365 days).
YEAR = 365


def _window(series: np.ndarray, days: tuple[int, int] | None) -> np.ndarray:
    return series if days is None else series[days[0]: days[1] + 1]


def _aggregate(series: np.ndarray, how: str) -> float:
    """``summary.aggregate``'s mean, sum or last, or a yearly sum (scaled to 365 days)."""
    if how == "yearly":
        return float(series.sum()) * YEAR / len(series)
    return aggregate(series, how)


def of_arm(stat: Statistic, columns: Columns, agents: int) -> float:
    """``stat`` of one arm's day columns (a day metric over its window and aggregate, or an
    arm's summary metric)."""
    if stat.summary is not None:
        return float(SUMMARY_NAMES[stat.summary].fn(columns, agents))
    how = stat.aggregate or DEFAULT_AGGREGATE[stat.metric]
    return _aggregate(_window(columns[stat.metric], stat.days), how)


def statistic(stat: Statistic, arms: Mapping[str, Columns], agents: int) -> float:
    """``stat`` of one simulation: ``arms`` maps ``treated`` (and ``control`` when the
    statistic needs it) to day columns; ``agents`` is the population size."""
    if stat.summary is not None and SUMMARY_NAMES[stat.summary].over == "pair":
        return float(SUMMARY_NAMES[stat.summary].fn(arms["treated"], arms["control"]))
    if stat.arm in ("treated", "control"):
        return of_arm(stat, arms[stat.arm], agents)
    treated, control = (of_arm(stat, arms[a], agents) for a in ("treated", "control"))
    if stat.arm == "difference":
        return treated - control
    if control == 0:  # no base to compare with: no relative difference, a ratio of 1
        return 0.0 if stat.arm == "relative" else 1.0
    return treated / control - (1.0 if stat.arm == "relative" else 0.0)


def target_value(target: Target, arms: Mapping[str, Columns], agents: int) -> float:
    """A target's simulated value: its statistic (over its denominator's, if any), per
    ``per`` people and times ``times``, as the published value is stated."""
    value = statistic(target, arms, agents)
    if target.denominator is not None:
        den = statistic(target.denominator, arms, agents)
        value = value / den if den != 0 else (1.0 if target.change else 0.0)
        if target.change:  # the relative change from the denominator's value
            value -= 1.0
    if target.per is not None:
        value = value / agents * target.per
    return value * target.times

"""One function per figure of a run report. Each takes plain data (the per-day metrics
table, the summary dict, final scores) and returns a matplotlib Figure in the project's
style (:mod:`panoptisim.report.style`); nothing here reads files or runs a simulation.

Per-day series are averaged over replicates; with two or more replicates a 95% band
(t interval over replicates, day by day) is drawn around each arm. Time-series figures take
``events``, the scenario's timeline as (day, label) pairs
(:func:`panoptisim.eventstudy.marks`), and draw each as a labelled vertical line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from panoptisim.intervals import t_interval
from panoptisim.report.style import (
    ARM_COLOR,
    ARM_LABEL,
    ARM_STYLE,
    FALSE_COLOR,
    GAP_COLOR,
    HEIGHT_IN,
    TRUE_COLOR,
    WIDTH_IN,
    styled,
)
from panoptisim.state import GROUPS, SENSORS, SETTLEMENTS

ARMS = ("treated", "control")
#: A timeline entry in a figure: the day it takes effect and its label.
Events = Sequence[tuple[int, str]]


def _new(ncols: int = 1, height: float = HEIGHT_IN, width: float = WIDTH_IN) -> tuple:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def day_series(metrics: pd.DataFrame, column: str, arm: str) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray | None]:
    """Days, the mean over replicates, and the 95% band (None with one replicate)."""
    sub = metrics[metrics["arm"] == arm]
    wide = sub.pivot_table(index="day", columns="replicate", values=column, aggfunc="first")
    days = wide.index.to_numpy()
    values = wide.to_numpy(dtype=np.float64)
    mean = values.mean(axis=1)
    n = values.shape[1]
    if n < 2:
        return days, mean, None
    return days, mean, np.vstack(t_interval(mean, values.std(axis=1, ddof=1), n))


def _arms(metrics: pd.DataFrame) -> list[str]:
    present = set(metrics["arm"].unique())
    return [a for a in ARMS if a in present]


def plot_arms(ax: Any, metrics: pd.DataFrame, column: str) -> dict[str, tuple]:
    """Draw ``column``'s daily mean over replicates for each arm on ``ax``, with its 95%
    band from 2 replicates on; returns each arm's (days, mean)."""
    out = {}
    for arm in _arms(metrics):
        days, mean, band = day_series(metrics, column, arm)
        ax.plot(days, mean, ARM_STYLE[arm], color=ARM_COLOR[arm], label=ARM_LABEL[arm])
        if band is not None:
            ax.fill_between(days, band[0], band[1], color=ARM_COLOR[arm], alpha=0.15,
                            linewidth=0)
        out[arm] = (days, mean)
    return out


def mark_events(ax: Any, events: Events) -> None:
    """A labelled vertical line at each entry's day (the change takes effect at its start);
    line and label carry the gid ``event``."""
    for day, label in events:
        ax.axvline(day, color=GAP_COLOR, linewidth=0.8, linestyle="--", gid="event")
        ax.annotate(label, (day, 1), xycoords=("data", "axes fraction"), rotation=90,
                    ha="right", va="top", fontsize=6, color="#555555", gid="event",
                    xytext=(-2, -2), textcoords="offset points",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8})


def expressed_dissent(metrics: pd.DataFrame, events: Events = ()) -> Figure:
    """Expressed dissent over time, treated vs control, with the chilling gap shaded."""
    with styled():
        fig, (ax,) = _new()
        lines = plot_arms(ax, metrics, "expressed_dissent_rate")
        if "control" in lines and "treated" in lines:
            days, treated = lines["treated"]
            _, control = lines["control"]
            ax.fill_between(days, treated, control, where=control >= treated, interpolate=True,
                            color=GAP_COLOR, alpha=0.35, linewidth=0,
                            label="chilling gap (control − treated)")
        ax.set_xlabel("day")
        ax.set_ylabel("agents expressing dissent\n(share of population per day)")
        ax.set_title("Expressed dissent")
        ax.set_ylim(bottom=0)
        mark_events(ax, events)
        ax.legend(loc="best")
    return fig


def preference_falsification(metrics: pd.DataFrame, events: Events = ()) -> Figure:
    """Share of dissenters who had the chance to speak and stayed silent, per day."""
    with styled():
        fig, (ax,) = _new()
        plot_arms(ax, metrics, "preference_falsification_rate")
        ax.set_xlabel("day")
        ax.set_ylabel("silent dissenters\n(share of dissenters with a chance)")
        ax.set_ylim(0, 1.02)
        ax.set_title("Preference falsification")
        mark_events(ax, events)
        ax.legend(loc="best")
    return fig


def flags_by_sensor(metrics: pd.DataFrame) -> Figure:
    """Flags over the run by sensor, split into true and false (treated arm)."""
    sub = metrics[metrics["arm"] == "treated"]
    per_rep = sub.groupby("replicate").sum(numeric_only=True)
    true = np.array([per_rep[f"flags_true_{s}"].mean() for s in SENSORS])
    false = np.array([per_rep[f"flags_false_{s}"].mean() for s in SENSORS])
    with styled():
        fig, (ax,) = _new()
        x = np.arange(len(SENSORS))
        w = 0.38
        ax.bar(x - w / 2, true, w, color=TRUE_COLOR, label="true flags (agent did it)")
        ax.bar(x + w / 2, false, w, color=FALSE_COLOR, hatch="//", edgecolor="white",
               label="false flags (sensor error or malicious report)")
        for xi, t, f in zip(x, true, false):
            if t + f > 0:
                ax.annotate(f"{f / (t + f):.0%} false", (xi, max(t, f)), ha="center",
                            va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(x, SENSORS)
        ax.set_ylabel("flags over the run\n(count, treated arm)")
        ax.set_title("Flags by sensor, true and false")
        ax.legend(loc="best")
    return fig


def wrongful_sanctions(metrics: pd.DataFrame, events: Events = ()) -> Figure:
    """Sanctions imposed per day, the wrongful ones apart, and the cumulative wrongful share."""
    with styled():
        fig, (ax, ax2) = _new(2)
        days, total, _ = day_series(metrics, "sanctions_new", "treated")
        _, wrong, band = day_series(metrics, "wrongful_sanctions", "treated")
        ax.plot(days, total, color=ARM_COLOR["treated"], label="all new sanctions")
        ax.plot(days, wrong, ":", color=FALSE_COLOR, linewidth=2,
                label="wrongful (mostly false flags)")
        if band is not None:
            ax.fill_between(days, band[0], band[1], color=FALSE_COLOR, alpha=0.2, linewidth=0)
        ax.set_xlabel("day")
        ax.set_ylabel("sanctions imposed (count per day)")
        ax.set_title("Sanctions per day (treated)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="best")
        _, share, sband = day_series(metrics, "wrongful_sanction_share", "treated")
        ax2.plot(days, share, color=FALSE_COLOR)
        if sband is not None:
            ax2.fill_between(days, sband[0], sband[1], color=FALSE_COLOR, alpha=0.2,
                             linewidth=0)
        ax2.set_xlabel("day")
        ax2.set_ylabel("wrongful share of sanctions\n(cumulative, 0–1)")
        ax2.set_ylim(0, 1.02)
        ax2.set_title("Wrongful share so far")
        for a in (ax, ax2):
            mark_events(a, events)
    return fig


def isolation(metrics: pd.DataFrame, events: Events = ()) -> Figure:
    """Dissenters' degree ratio and the share of isolated dissenters over time."""
    with styled():
        fig, (ax, ax2) = _new(2)
        plot_arms(ax, metrics, "dissenter_degree_ratio")
        ax.axhline(1.0, color=GAP_COLOR, linewidth=0.8)
        ax.set_xlabel("day")
        ax.set_ylabel("live degree of dissenters /\nof everyone else (ratio)")
        ax.set_title("Dissenters' degree ratio")
        ax.legend(loc="best")
        plot_arms(ax2, metrics, "isolated_dissenters_share")
        ax2.set_xlabel("day")
        ax2.set_ylabel("dissenters with no live tie\n(share of dissenters)")
        ax2.set_ylim(bottom=0)
        ax2.set_title("Isolated dissenters")
        for a in (ax, ax2):
            mark_events(a, events)
    return fig


def score_distribution(scores: dict[str, np.ndarray], score_range: tuple[float, float],
                       thresholds: dict[str, float] | None = None) -> Figure:
    """Histogram of final scores, treated vs control, with the sanction thresholds."""
    lo, hi = score_range
    bins = np.linspace(lo, hi, 61)
    with styled():
        fig, (ax,) = _new()
        for arm in ARMS:
            if arm not in scores:
                continue
            s = np.asarray(scores[arm], dtype=np.float64)
            ax.hist(s, bins=bins, histtype="step", linestyle=ARM_STYLE[arm], linewidth=1.6,
                    color=ARM_COLOR[arm], label=f"{ARM_LABEL[arm]}: mean {s.mean():.0f}")
        for name, value in (thresholds or {}).items():
            if lo <= value <= hi:
                ax.axvline(value, color=GAP_COLOR, linewidth=0.8, linestyle=":")
                ax.annotate(name.replace("_", " "), (value, 1), xycoords=("data", "axes fraction"),
                            rotation=90, ha="right", va="top", fontsize=6, color="#555555")
        ax.set_xlabel("score at the end of the run (points)")
        ax.set_ylabel("agents (count per bin)")
        ax.set_yscale("log")
        ax.set_title("Score distribution at the end")
        ax.legend(loc="upper left")
    return fig


SUBGROUP_PANELS = (
    ("settlement", list(SETTLEMENTS), list(SETTLEMENTS)),
    ("demographic group", list(GROUPS), [g.replace("_", " ") for g in GROUPS]),
    ("income quintile", [f"income_q{q}" for q in range(1, 6)], [f"Q{q}" for q in range(1, 6)]),
)


def sanction_rates(summary: dict[str, Any], arm: str = "treated") -> Figure:
    """Share of each region (if more than one), settlement, group and income quintile ever
    sanctioned (any / wrongful)."""
    rates = summary.get("sanction_rates_by_subgroup", {}).get(arm, {})
    kinds = [("any", "any sanction", ARM_COLOR["treated"], None),
             ("wrongful", "a wrongful sanction", FALSE_COLOR, "//")]
    with styled():
        regions = [k for k in rates.get("any", {}) if k.startswith("region_")]
        panels = ((("region", regions, [k.removeprefix("region_") for k in regions]),)
                  if len(regions) > 1 else ()) + SUBGROUP_PANELS
        fig, axes = _new(len(panels), width=WIDTH_IN * 1.25 * len(panels) / 3)
        top = max([v or 0 for k, _, _, _ in kinds for v in rates.get(k, {}).values()] + [0])
        for ax, (title, keys, labels) in zip(axes, panels):
            x = np.arange(len(keys))
            w = 0.4
            for i, (kind, label, color, hatch) in enumerate(kinds):
                vals = [rates.get(kind, {}).get(k) or 0.0 for k in keys]
                ax.bar(x + (i - 0.5) * w, vals, w, color=color, hatch=hatch,
                       edgecolor="white", label=f"ever had {label}")
            ax.set_xticks(x, labels)
            ax.set_title(f"by {title}")
            ax.set_ylim(0, max(top * 1.15, 1e-3))
        if top == 0:
            axes[1].text(0.5, 0.5, "no sanction in this run", transform=axes[1].transAxes,
                         ha="center", va="center", color="#555555")
        axes[0].set_ylabel(f"share of the subgroup ever\nsanctioned ({arm} arm)")
        axes[0].legend(loc="upper left", fontsize=7)
        fig.suptitle("Sanction rates by region, settlement, group and income quintile",
                     fontsize=10)
    return fig


#: The run figures that take ``events`` (time series): their captions say so.
MARKED_FIGURES = ("expressed_dissent", "preference_falsification", "wrongful_sanctions",
                  "isolation")
EVENTS_CAPTION = " Dashed vertical lines: the timeline's entries, on the day they take effect."

#: The run figures in report order: file stem, caption.
RUN_FIGURES = (
    ("expressed_dissent", "Expressed dissent over time. The shaded area between the arms is "
                          "the chilling gap: dissent the regime silenced."),
    ("preference_falsification", "Preference falsification: dissenters (latent dissent ≥ 0.5) "
                                 "who had a chance to speak and kept silent."),
    ("flags_by_sensor", "Flags raised over the run by each sensor, true (the agent did it) "
                        "and false (sensor error or malicious report)."),
    ("wrongful_sanctions", "Sanctions per day and those triggered mostly by false flags; "
                           "right: the cumulative wrongful share."),
    ("isolation", "Dissenters losing their ties: live degree of dissenters relative to "
                  "everyone else (1 = no difference), and dissenters left with no live tie."),
    ("score_distribution", "Scores at the end of the run (first replicate), with sanction "
                           "thresholds dotted."),
    ("sanction_rates", "Share of each subgroup sanctioned at least once during the run "
                       "(treated arm, mean over replicates)."),
)

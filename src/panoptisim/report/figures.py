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
    OKABE_ITO,
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


def day_series(metrics: pd.DataFrame, column: str, arm: str, rolling_sum: int = 1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Days, the mean over replicates, and the 95% band (None with one replicate).

    ``rolling_sum`` > 1: each replicate's series is first summed over the trailing
    ``rolling_sum`` days (the first days sum the days there are)."""
    wide = replicate_series(metrics, column, arm)
    if rolling_sum > 1:
        wide = wide.rolling(rolling_sum, min_periods=1).sum()
    days = wide.index.to_numpy()
    values = wide.to_numpy(dtype=np.float64)
    mean = values.mean(axis=1)
    n = values.shape[1]
    if n < 2:
        return days, mean, None
    return days, mean, np.vstack(t_interval(mean, values.std(axis=1, ddof=1), n))


def replicate_series(metrics: pd.DataFrame, column: str, arm: str) -> pd.DataFrame:
    """``column`` of ``arm`` as a table: one row a day, one column a replicate."""
    sub = metrics[metrics["arm"] == arm]
    return sub.pivot_table(index="day", columns="replicate", values=column, aggfunc="first")


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


def _share_false(per_rep: pd.DataFrame, sensor: str) -> np.ndarray:
    """Each replicate's false flags of ``sensor`` as a share of its flags (NaN without any)."""
    true, false = per_rep[f"flags_true_{sensor}"], per_rep[f"flags_false_{sensor}"]
    total = (true + false).to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, false.to_numpy(np.float64) / total, np.nan)


def flags_by_sensor(metrics: pd.DataFrame) -> Figure:
    """Per sensor over the run (treated arm): the share of its flags that are false, with
    its 95% interval over replicates, and the counts of true and false flags on a log axis
    (one sensor's thousands of flags do not hide another's few)."""
    sub = metrics[metrics["arm"] == "treated"]
    per_rep = sub.groupby("replicate").sum(numeric_only=True)
    true = np.array([per_rep[f"flags_true_{s}"].mean() for s in SENSORS])
    false = np.array([per_rep[f"flags_false_{s}"].mean() for s in SENSORS])
    with styled():
        fig, (ax, ax2) = _new(2)
        y = np.arange(len(SENSORS))
        share = np.full(len(SENSORS), np.nan)
        err = np.zeros((2, len(SENSORS)))
        for i, sensor in enumerate(SENSORS):
            values = _share_false(per_rep, sensor)
            values = values[np.isfinite(values)]
            if len(values) == 0:
                continue
            share[i] = values.mean()
            if len(values) > 1:
                low, high = t_interval(share[i], values.std(ddof=1), len(values))
                err[:, i] = share[i] - max(low, 0.0), min(high, 1.0) - share[i]
        drawn = np.isfinite(share)
        ax.barh(y[drawn], share[drawn], 0.6, xerr=err[:, drawn], color=FALSE_COLOR,
                hatch="//", edgecolor="white", error_kw={"elinewidth": 0.8, "capsize": 2})
        for yi, s, e in zip(y, share, err[1]):
            text = "no flag" if not np.isfinite(s) else f"{s:.0%}"
            ax.annotate(text, (0 if not np.isfinite(s) else s + e, yi), ha="left",
                        va="center", fontsize=7, xytext=(3, 0), textcoords="offset points")
        ax.set_yticks(y, [f"{s}\n{f:,.0f} false of {t + f:,.0f}" for s, t, f in
                          zip(SENSORS, true, false)], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.15)
        ax.set_xlabel("false flags / all flags of the sensor\n(share over the run, treated)")
        ax.set_title("Share of flags that are false")
        h = 0.38
        ax2.barh(y - h / 2, np.where(true > 0, true, np.nan), h, color=TRUE_COLOR,
                 label="true (agent did it)")
        ax2.barh(y + h / 2, np.where(false > 0, false, np.nan), h, color=FALSE_COLOR,
                 hatch="//", edgecolor="white", label="false (sensor error or\nmalicious report)")
        ax2.set_yticks(y, SENSORS, fontsize=7)
        ax2.invert_yaxis()
        if (true > 0).any() or (false > 0).any():
            ax2.set_xscale("log")
        else:
            ax2.text(0.5, 0.5, "no flag in this run", transform=ax2.transAxes, ha="center",
                     va="center", color="#555555")
        ax2.set_xlabel("flags over the run\n(count, log scale, treated)")
        ax2.set_title("True and false flags")
        ax2.legend(loc="lower right", fontsize=7)
    return fig


#: Days of the trailing sum the daily sanctions are drawn as (a day's count is mostly 0).
SANCTION_WINDOW = 7


def wrongful_sanctions(metrics: pd.DataFrame, events: Events = ()) -> Figure:
    """New sanctions and the wrongful ones as a trailing 7-day sum (a day's count is mostly
    0 or 1), and the cumulative wrongful share."""
    w = SANCTION_WINDOW
    with styled():
        fig, (ax, ax2) = _new(2)
        days, total, tband = day_series(metrics, "sanctions_new", "treated", rolling_sum=w)
        _, wrong, band = day_series(metrics, "wrongful_sanctions", "treated", rolling_sum=w)
        ax.plot(days, total, color=ARM_COLOR["treated"], label="all new sanctions")
        ax.plot(days, wrong, "--", color=FALSE_COLOR, linewidth=2,
                label="wrongful (mostly false flags)")
        for b, color in ((tband, ARM_COLOR["treated"]), (band, FALSE_COLOR)):
            if b is not None:
                ax.fill_between(days, np.maximum(b[0], 0), b[1], color=color, alpha=0.15,
                                linewidth=0)
        ax.set_xlabel("day")
        ax.set_ylabel(f"sanctions imposed\n(count over the last {w} days)")
        ax.set_title(f"Sanctions, {w}-day rolling sum (treated)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left")
        _, share, sband = day_series(metrics, "wrongful_sanction_share", "treated")
        ax2.plot(days, share, color=FALSE_COLOR)
        if sband is not None:
            ax2.fill_between(days, np.clip(sband[0], 0, 1), np.clip(sband[1], 0, 1),
                             color=FALSE_COLOR, alpha=0.2, linewidth=0)
        ax2.set_xlabel("day")
        ax2.set_ylabel("wrongful share of sanctions\n(cumulative, 0–1)")
        ax2.set_ylim(0, 1.02)
        ax2.set_title("Wrongful share so far")
        for a in (ax, ax2):
            mark_events(a, events)
    return fig


#: Below this largest share, the isolated dissenters are drawn replicate by replicate.
SMALL_SHARE = 0.05


def _isolated_panel(ax: Any, metrics: pd.DataFrame) -> None:
    """The isolated dissenters: the mean over replicates with its band, or, when the share
    stays below :data:`SMALL_SHARE`, each replicate's series as a step line on an axis that
    fits it (one or two agents isolated stay visible); a note when there is none."""
    top = float(metrics["isolated_dissenters_share"].max()) if len(metrics) else 0.0
    if top >= SMALL_SHARE:
        plot_arms(ax, metrics, "isolated_dissenters_share")
        ax.set_ylim(bottom=0)
        return
    for arm in _arms(metrics):
        wide = replicate_series(metrics, "isolated_dissenters_share", arm) * 100
        for i, rep in enumerate(wide.columns):
            ax.step(wide.index, wide[rep], where="post", color=ARM_COLOR[arm],
                    linestyle=ARM_STYLE[arm], linewidth=0.9, alpha=0.8,
                    label=f"{ARM_LABEL[arm]}, each replicate" if i == 0 else None)
    ax.set_ylim(0, max(top * 100 * 1.25, 0.5))
    if top == 0:
        ax.text(0.5, 0.5, "no dissenter isolated\nin any replicate", transform=ax.transAxes,
                ha="center", va="center", color="#555555")
    else:
        ax.legend(loc="upper left", fontsize=7)


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
        _isolated_panel(ax2, metrics)
        small = float(metrics["isolated_dissenters_share"].max()) < SMALL_SHARE \
            if len(metrics) else True
        ax2.set_xlabel("day")
        ax2.set_ylabel("dissenters with no live tie\n" + (
            "(% of dissenters, each replicate)" if small else "(share of dissenters)"))
        ax2.set_title("Isolated dissenters")
        for a in (ax, ax2):
            mark_events(a, events)
    return fig


#: Colours of the sanction thresholds in the score distribution (not the arms' colours).
THRESHOLD_COLORS = tuple(OKABE_ITO[k] for k in ("black", "green", "purple", "sky", "orange",
                                                  "grey"))


def score_limits(scores: dict[str, np.ndarray], thresholds: dict[str, float],
                 score_range: tuple[float, float]) -> tuple[float, float]:
    """The score axis: the scores' range and the thresholds below their highest score (a
    threshold above every score sanctions everyone and is named in the legend), padded by
    4%, within the scoring range."""
    every = [np.asarray(s, dtype=np.float64) for s in scores.values() if len(s)]
    if not every:
        return score_range
    lo_d = min(float(s.min()) for s in every)
    hi_d = max(float(s.max()) for s in every)
    marks = [v for v in thresholds.values() if score_range[0] <= v <= hi_d]
    lo, hi = min([lo_d, *marks]), max([hi_d, *marks])
    pad = max(hi - lo, 1.0) * 0.04
    return max(lo - pad, score_range[0]), min(hi + pad, score_range[1])


def score_distribution(scores: dict[str, np.ndarray], score_range: tuple[float, float],
                       thresholds: dict[str, float] | None = None) -> Figure:
    """Histogram of final scores, treated vs control, on an axis that fits the scores, with
    the sanction thresholds as lines named in the legend (thresholds at one value share a
    line)."""
    thresholds = thresholds or {}
    lo, hi = score_limits(scores, thresholds, score_range)
    bins = np.linspace(lo, hi, 61)
    with styled():
        fig, (ax,) = _new()
        for arm in ARMS:
            if arm not in scores:
                continue
            s = np.asarray(scores[arm], dtype=np.float64)
            ax.hist(s, bins=bins, histtype="step", linestyle=ARM_STYLE[arm], linewidth=1.6,
                    color=ARM_COLOR[arm], label=f"{ARM_LABEL[arm]}: mean {s.mean():.0f}")
        by_value: dict[float, list[str]] = {}
        for name, value in thresholds.items():
            by_value.setdefault(float(value), []).append(name.replace("_", " "))
        for i, (value, names) in enumerate(sorted(by_value.items())):
            label = f"below {value:g}: {', '.join(names)}"
            if lo <= value <= hi:
                ax.axvline(value, color=THRESHOLD_COLORS[i % len(THRESHOLD_COLORS)],
                           linewidth=1.0, linestyle=(0, (1, 1.5)), label=label, gid="threshold")
            else:
                ax.plot([], [], " ", label=f"{label} (off the axis)")
        ax.set_xlim(lo, hi)
        ax.set_xlabel("score at the end of the run (points)")
        ax.set_ylabel("agents (count per bin, log scale)")
        ax.set_yscale("log")
        ax.set_title("Score distribution at the end")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  title="arms; sanction thresholds", title_fontsize=7)
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

#: The run figures in report order: file stem, what is drawn (:func:`run_caption` adds over
#: what and with which interval).
RUN_FIGURES = (
    ("expressed_dissent", "Expressed dissent over time: agents expressing dissent that day, "
                          "as a share of all agents. The grey area between the arms is the "
                          "chilling gap: dissent the regime silenced."),
    ("preference_falsification", "Preference falsification: dissenters (latent dissent ≥ 0.5) "
                                 "who had a chance to speak that day and kept silent, as a "
                                 "share of those dissenters."),
    ("flags_by_sensor", "Flags raised by each sensor over the run. Left: the share of the "
                        "sensor's flags that are false (sensor error or malicious report), "
                        "with the counts (false of all). Right: true flags (the agent did it) "
                        "and false flags, counts on a log scale."),
    ("wrongful_sanctions", f"Left: new sanctions and the wrongful ones (triggered mostly by "
                           f"false flags), each replicate's daily counts summed over the "
                           f"trailing {SANCTION_WINDOW} days. Right: the wrongful share of "
                           f"all sanctions imposed so far."),
    ("isolation", "Dissenters losing their ties. Left: live degree of dissenters relative to "
                  "everyone else (1 = no difference). Right: dissenters built with ties who "
                  f"have none left; while that share stays below {SMALL_SHARE:.0%}, each "
                  "replicate is drawn as its own step line, in % of dissenters, so that one "
                  "or two isolated agents show."),
    ("score_distribution", "Scores at the end of the run: agents per score bin, log scale. "
                           "Dotted lines: the sanction thresholds (a sanction falls on an "
                           "agent whose score is below it), named in the legend; the axis "
                           "spans the scores and the thresholds below the highest score."),
    ("sanction_rates", "Share of each subgroup sanctioned at least once during the run "
                       "(any sanction, and a wrongful one)."),
)


def _band_text(replicates: int, what: str = "light bands") -> str:
    if replicates < 2:
        return "one replicate, so no interval is drawn"
    return (f"{what}: 95% t interval of the mean over the {replicates} replicates"
            + (", day by day" if what == "light bands" else ""))


def run_caption(name: str, caption: str, summary: dict[str, Any]) -> str:
    """``caption`` (what is drawn) and what it is drawn over: which arms and days, how many
    agents and replicates, and the interval (method and level) or that there is none."""
    reps, agents, steps = summary["replicates"], summary["population"], summary["steps"]
    arms = " and ".join(summary["arms"])
    arms_text = f"{arms} arm{'s' if len(summary['arms']) > 1 else ''}"
    days = f"days 0–{steps - 1}"
    society = f"{agents:,} synthetic agents"
    over = {
        "flags_by_sensor": f"Treated arm, {society}, totals over {days}; mean over {reps} "
                           f"replicate(s); "
                           + _band_text(reps, "error bars on the shares") + ".",
        "wrongful_sanctions": f"Treated arm, {society}, {days}; mean over {reps} "
                              f"replicate(s); {_band_text(reps)}.",
        "score_distribution": f"{arms_text.capitalize()}, all {society} of the first of "
                              f"{reps} replicate(s), at the end of day {steps - 1}; one "
                              "replicate's agents, so no interval.",
        "sanction_rates": f"Treated arm, {society}, by the end of day {steps - 1}; mean over "
                          f"{reps} replicate(s); no interval drawn.",
    }.get(name, f"{arms_text.capitalize()}, {society}, {days}; mean over {reps} "
                f"replicate(s); {_band_text(reps)}.")
    text = f"{caption} {over}"
    return text + EVENTS_CAPTION if summary.get("events") and name in MARKED_FIGURES else text

"""Figures of a sweep, drawn from the experiments layer's outputs: ``summary.parquet``
(mean, sd and interval per point, metric and arm; computed with ``summarize_sweep`` when
missing) and ``sensitivity/<metric>.<arm>.parquet`` (indices per parameter).

Axes say what they show in words, with units: a metric by its label and the unit of its
run-level value (:func:`metric_axis`), a swept parameter by its description and unit
(:func:`parameter_axis`). A parameter whose values are log-spaced is drawn on a log axis.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from panoptisim.metrics import METRICS, SUMMARY_METRICS
from panoptisim.report.style import ARM_COLOR, CYCLE, HEIGHT_IN, WIDTH_IN, styled

#: How a per-day metric's run-level value is aggregated, in words (``Metric.aggregate``).
AGGREGATE_TEXT = {"mean": "mean over the days", "sum": "summed over the run",
                  "last": "at the end of the run"}
#: Markers of a grid figure's lines, one per combination of the other axes.
MARKERS = ("o", "s", "^", "D", "v", "P")


def metric_arm(table: pd.DataFrame, metric: str) -> str:
    """The arm a sweep figure shows: the effect where there is one, else treated."""
    arms = set(table.loc[table["metric"] == metric, "arm"])
    return "effect" if "effect" in arms else "treated"


def metric_axis(name: str) -> tuple[str, str]:
    """A metric's label in words and the unit of its run-level value (summary.json's):
    a run-level metric's own label and unit; a per-day metric's name in words, and its
    per-day unit with how the days are aggregated."""
    for sm in SUMMARY_METRICS:
        if sm.name == name:
            return sm.label, sm.unit
    label = name.replace("_", " ").capitalize()
    for m in METRICS:
        if m.name == name:
            how = AGGREGATE_TEXT.get(m.aggregate, m.aggregate)
            return label, f"{m.unit}, {how}"
    return label, ""


def parameter_axis(key: str, unit: str, description: str = "", width: int = 34) -> str:
    """A swept parameter's axis label: its description (first clause), the unit and key."""
    words = description.split(". ")[0].split("; ")[0].rstrip(".") or key
    tail = f"{unit}; {key}" if unit and unit not in ("-", "bool") else key
    return textwrap.fill(words, width) + f"\n({tail})"


def log_spaced(values: Any) -> bool:
    """Whether positive values are spread on a log scale: at least two distinct values,
    all > 0, and either a constant ratio between neighbours (three or more, not evenly
    spaced) or a span of 100 or more."""
    try:
        v = np.unique(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        return False
    if len(v) < 2 or not np.isfinite(v).all() or v[0] <= 0:
        return False
    if v[-1] / v[0] >= 100:
        return True
    if len(v) < 3:
        return False
    ratios, steps = v[1:] / v[:-1], np.diff(v)
    return bool(ratios.max() / ratios.min() < 1.25 and steps.max() / steps.min() > 1.5)


def varies(table: pd.DataFrame, metric: str) -> bool:
    """Whether ``metric``'s mean (on :func:`metric_arm`'s arm) differs between the sweep's
    points (beyond floating-point noise)."""
    sub = table[(table["metric"] == metric) & (table["arm"] == metric_arm(table, metric))]
    mean = sub["mean"].to_numpy(float)
    mean = mean[np.isfinite(mean)]
    if len(mean) < 2:
        return False
    return bool(np.ptp(mean) > 1e-12 * max(1.0, float(np.abs(mean).max())))


def skipped_text(metrics: list[str]) -> str:
    """The sentence naming the headline metrics a sweep report does not draw."""
    return ("Not drawn, as they do not vary across the sweep's points: "
            + ", ".join(metrics) + ".")


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _dodge(xpos: np.ndarray, i: int, k: int, log: bool, numeric: bool) -> np.ndarray:
    """Shift line ``i`` of ``k`` sideways so that intervals at one value do not overlap."""
    if k < 2:
        return xpos
    shift = (i - (k - 1) / 2) * 0.05
    if log:
        span = np.log10(xpos.max() / xpos.min()) if len(xpos) > 1 else 1.0
        return xpos * 10 ** (shift * span / max(len(xpos) - 1, 1))
    if not numeric:
        return xpos + shift * 2
    span = float(np.ptp(xpos)) if len(xpos) > 1 else 1.0
    return xpos + shift * span / max(len(xpos) - 1, 1)


#: How a summary's ``ci_method`` is named in captions.
CI_NAMES = {"t": "t", "bootstrap": "BCa bootstrap"}


def interval_level(table: pd.DataFrame) -> str:
    """The confidence of a summary table's intervals, as ``95%`` (95% when not stored)."""
    if "confidence" not in table or table.empty:
        return "95%"
    return f"{float(table['confidence'].iloc[0]) * 100:g}%"


def interval_text(table: pd.DataFrame) -> str:
    """Which interval a summary table's rows carry, from its ``ci_method`` and
    ``confidence`` columns: ``95% t interval``, ``90% BCa bootstrap interval``, or both
    kinds joined by "or" where the points differ."""
    used = set(table["ci_method"]) if "ci_method" in table else {"t"}
    kinds = " or ".join(CI_NAMES[m] for m in CI_NAMES if m in used) or "t"
    return f"{interval_level(table)} {kinds} interval"


def metric_vs_parameters(table: pd.DataFrame, metric: str, axes: list[dict[str, Any]],
                         design: str, unit_of: dict[str, str],
                         described: dict[str, str] | None = None) -> Figure:
    """One panel per swept parameter: the metric's mean per point with its interval.

    Grid designs draw one line per combination of the other axes (up to six; beyond, the
    other axes are averaged), each with its own marker and its intervals as error bars
    shifted sideways, so that lines stay apart where they overlap; sampled designs draw
    every point with its interval bar. Log-spaced values are drawn on a log axis.
    """
    described = described or {}
    arm = metric_arm(table, metric)
    sub = table[(table["metric"] == metric) & (table["arm"] == arm)]
    keys = [a["key"] for a in axes]
    n = max(len(keys), 1)
    label, unit = metric_axis(metric)
    with styled():
        fig = Figure(figsize=(min(WIDTH_IN * 0.55 * n + 1.0, WIDTH_IN * 1.6), HEIGHT_IN),
                     layout="constrained")
        panels = fig.subplots(1, n, squeeze=False, sharey=True)[0]
        for ax, axis in zip(panels, axes):
            key = axis["key"]
            others = [k for k in keys if k != key]
            x_is_num = _numeric(sub[key])
            log = x_is_num and (bool(axis.get("log")) or log_spaced(sub[key]))
            if design == "grid":
                combos = sub[others].drop_duplicates() if others else pd.DataFrame([{}])
                if len(combos) > 6:
                    combos, others = pd.DataFrame([{}]), []
                for i, (_, combo) in enumerate(combos.iterrows()):
                    sel = sub
                    for k in others:
                        sel = sel[sel[k] == combo[k]]
                    g = sel.groupby(key, sort=True)[["mean", "ci_low", "ci_high"]].mean()
                    xs = g.index.to_numpy()
                    xpos = xs.astype(float) if x_is_num else np.arange(len(xs), dtype=float)
                    xpos = _dodge(xpos, i, len(combos), log, x_is_num)
                    color = CYCLE[i % len(CYCLE)] if others else ARM_COLOR[arm]
                    name = ", ".join(f"{k.rsplit('.', 1)[-1]} = {combo[k]}" for k in others) \
                        or None
                    mean = g["mean"].to_numpy(float)
                    low, high = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
                    err = np.vstack([mean - low, high - mean])
                    ok = np.isfinite(err).all(axis=0)
                    ax.plot(xpos, mean, "-", marker=MARKERS[i % len(MARKERS)], color=color,
                            label=name, markersize=4, alpha=0.9)
                    if ok.any():
                        ax.errorbar(xpos[ok], mean[ok], yerr=np.clip(err[:, ok], 0, None),
                                    fmt="none", ecolor=color, elinewidth=1.0, capsize=3,
                                    alpha=0.9)
                    if not x_is_num:
                        ax.set_xticks(np.arange(len(xs)), [str(v) for v in xs])
                if others and len(combos) > 1:
                    ax.legend(fontsize=6, loc="best")
            else:
                xs = sub[key].to_numpy(float)
                mean = sub["mean"].to_numpy(float)
                low, high = sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float)
                err = np.vstack([mean - low, high - mean])
                ok = np.isfinite(err).all(axis=0)
                ax.errorbar(xs[ok], mean[ok], yerr=err[:, ok], fmt="o", color=ARM_COLOR[arm],
                            markersize=3, elinewidth=0.8, alpha=0.8)
                ax.plot(xs[~ok], mean[~ok], "o", color=ARM_COLOR[arm], markersize=3)
            if log:
                ax.set_xscale("log")
            if design == "grid" and x_is_num:
                values = np.unique(sub[key].to_numpy(float))
                if len(values) <= 8:  # a grid's values as its ticks
                    ax.set_xticks(values, [f"{v:g}" for v in values])
                    ax.minorticks_off()
            ax.set_xlabel(parameter_axis(key, unit_of.get(key, ""), described.get(key, ""))
                          + ("\nlog scale" if log else ""), fontsize=7)
        what = "treated − control" if arm == "effect" else "treated arm"
        panels[0].set_ylabel(textwrap.fill(f"{label} ({what})", 40)
                             + (f"\n{textwrap.fill(unit, 40)}" if unit else ""), fontsize=7)
        fig.suptitle(f"{label} against each swept parameter (mean over replicates, "
                     f"{interval_level(sub)} interval)", fontsize=9)
    return fig


#: The sensitivity indices drawn per method, and the name each is drawn under.
INDEX_COLUMNS = {"sobol": ("S1", "ST"), "morris": ("mu_star",), "delta": ("delta", "S1")}
INDEX_NAMES = {"S1": "first-order S1", "ST": "total-order ST", "mu_star": "μ*",
               "delta": "Borgonovo δ"}
#: Indices that cannot be negative (their axis starts at 0).
NONNEGATIVE = frozenset({"morris", "delta"})


def sensitivity_caption(frame: pd.DataFrame) -> str:
    """A sensitivity figure's caption: what the bars and lines are, then the verdict."""
    method = str(frame["method"].iloc[0])
    label, unit = metric_axis(str(frame["metric"].iloc[0]))
    level = float(frame["confidence"].iloc[0]) if "confidence" in frame else 0.95
    cols = [c for c in INDEX_COLUMNS.get(method, ()) if c in frame]
    lines = [c for c in cols if f"{c}_low" in frame]
    what = {"morris": f"mean absolute elementary effect μ* of each swept parameter on "
                      f"{label} ({unit or 'no unit'})",
            "sobol": f"Sobol' indices of {label}: share of its variance due to each "
                     "parameter",
            "delta": f"Borgonovo δ and first-order S1 of {label}"}.get(method, "indices")
    text = f"Bars: {what}. "
    text += (f"Lines: {level:.0%} bootstrap interval of each index (SALib)"
             + (", which cannot fall below 0." if method in NONNEGATIVE else ".")
             if lines else "No interval in the sensitivity file, so none is drawn.")
    return f"{text} {frame['verdict'].iloc[0]}"


def sensitivity_bars(frame: pd.DataFrame) -> Figure:
    """Sensitivity indices of one outcome as bars with their bootstrap intervals, where the
    file has them; the legend promises an interval only when one is drawn, and indices that
    cannot be negative (Morris μ*, δ) keep their axis and intervals at or above 0."""
    method = str(frame["method"].iloc[0])
    cols = tuple(c for c in INDEX_COLUMNS.get(method, ()) if c in frame)
    params = frame["parameter"].tolist()
    label, unit = metric_axis(str(frame["metric"].iloc[0]))
    level = float(frame["confidence"].iloc[0]) if "confidence" in frame else 0.95
    with styled():
        fig = Figure(figsize=(WIDTH_IN, max(HEIGHT_IN * 0.6, 0.35 * len(params) + 1.2)),
                     layout="constrained")
        ax = fig.subplots()
        y = np.arange(len(params))
        h = 0.8 / max(len(cols), 1)
        for i, c in enumerate(cols):
            est = frame[c].to_numpy(float)
            if method in NONNEGATIVE:
                est = np.maximum(est, 0.0)
            xerr, name = None, INDEX_NAMES.get(c, c)
            if f"{c}_low" in frame:
                low, high = frame[f"{c}_low"].to_numpy(float), frame[f"{c}_high"].to_numpy(float)
                if method in NONNEGATIVE:
                    low = np.maximum(low, 0.0)
                xerr = np.clip(np.vstack([est - low, high - est]), 0, None)
                name += f" with its {level:.0%} interval"
            ax.barh(y + (i - (len(cols) - 1) / 2) * h, est, h, xerr=xerr,
                    color=CYCLE[i % len(CYCLE)], label=name,
                    error_kw={"elinewidth": 0.9, "capsize": 3})
        if method == "delta" and "delta_dummy" in frame:
            ax.axvline(float(frame["delta_dummy"].iloc[0]), color="#555555", linestyle=":",
                       label="dummy input (noise level)")
        ax.set_yticks(y, params)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.6)
        if method in NONNEGATIVE:
            ax.set_xlim(left=0)
        ax.set_xlabel({"sobol": "Sobol' index (share of output variance)",
                       "morris": "mean absolute elementary effect μ*"
                                 + (f"\n({unit})" if unit else ""),
                       "delta": "Borgonovo δ / first-order S1 (0–1)"}.get(method, "index"))
        what = "treated − control" if frame["arm"].iloc[0] == "effect" else \
            f"{frame['arm'].iloc[0]} arm"
        ax.set_title(f"Sensitivity of {label} ({what}), {method}", fontsize=9)
        if cols:
            ax.legend(loc="lower right", fontsize=7)
    return fig


def parameter_combos(axes: list[dict[str, Any]]) -> int:
    """How many grid combinations the axes span (for captions)."""
    return int(np.prod([len(a.get("values") or []) or 1 for a in axes])) if axes else 1


__all__ = ["interval_text", "metric_vs_parameters", "sensitivity_bars", "sensitivity_caption",
           "metric_arm", "metric_axis", "parameter_axis", "log_spaced", "varies",
           "parameter_combos"]

"""Figures of a sweep, drawn from the experiments layer's outputs: ``summary.parquet``
(mean, sd and interval per point, metric and arm; computed with ``summarize_sweep`` when
missing) and ``sensitivity/<metric>.<arm>.parquet`` (indices per parameter).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from panoptisim.report.style import ARM_COLOR, CYCLE, HEIGHT_IN, WIDTH_IN, styled


def metric_arm(table: pd.DataFrame, metric: str) -> str:
    """The arm a sweep figure shows: the effect where there is one, else treated."""
    arms = set(table.loc[table["metric"] == metric, "arm"])
    return "effect" if "effect" in arms else "treated"


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def metric_vs_parameters(table: pd.DataFrame, metric: str, axes: list[dict[str, Any]],
                         design: str, unit_of: dict[str, str]) -> Figure:
    """One panel per swept parameter: the metric's mean per point with its 95% interval.

    Grid designs draw one line per combination of the other axes (up to six; beyond, the
    other axes are averaged); sampled designs draw every point with its interval bar.
    """
    arm = metric_arm(table, metric)
    sub = table[(table["metric"] == metric) & (table["arm"] == arm)]
    keys = [a["key"] for a in axes]
    n = max(len(keys), 1)
    with styled():
        fig = Figure(figsize=(min(WIDTH_IN * 0.55 * n + 1.0, WIDTH_IN * 1.6), HEIGHT_IN),
                     layout="constrained")
        panels = fig.subplots(1, n, squeeze=False, sharey=True)[0]
        for ax, axis in zip(panels, axes):
            key = axis["key"]
            others = [k for k in keys if k != key]
            x_is_num = _numeric(sub[key])
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
                    xpos = xs.astype(float) if x_is_num else np.arange(len(xs))
                    color = CYCLE[i % len(CYCLE)] if others else ARM_COLOR[arm]
                    label = ", ".join(f"{k.rsplit('.', 1)[-1]}={combo[k]}" for k in others) \
                        or None
                    ax.plot(xpos, g["mean"], "o-", color=color, label=label, markersize=3)
                    low, high = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
                    if np.isfinite(low).any():
                        ax.fill_between(xpos, low, high, color=color, alpha=0.18, linewidth=0)
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
            if axis.get("log") and x_is_num:
                ax.set_xscale("log")
            unit = unit_of.get(key, "")
            ax.set_xlabel(f"{key}" + (f"\n({unit})" if unit and unit != "-" else ""))
        band = "95% band" if design == "grid" else "95% interval"
        panels[0].set_ylabel(f"{metric}\n({arm}; mean over replicates, {band})")
        fig.suptitle(f"{metric} against each swept parameter", fontsize=10)
    return fig




def sensitivity_bars(frame: pd.DataFrame) -> Figure:
    """Sensitivity indices of one outcome as bars with their intervals."""
    method = str(frame["method"].iloc[0])
    cols = {"sobol": ("S1", "ST"), "morris": ("mu_star",), "delta": ("delta", "S1")}.get(
        method, ())
    cols = tuple(c for c in cols if c in frame)
    params = frame["parameter"].tolist()
    with styled():
        fig = Figure(figsize=(WIDTH_IN, max(HEIGHT_IN * 0.6, 0.35 * len(params) + 1.2)),
                     layout="constrained")
        ax = fig.subplots()
        y = np.arange(len(params))
        h = 0.8 / max(len(cols), 1)
        for i, c in enumerate(cols):
            est = frame[c].to_numpy(float)
            xerr = None
            if f"{c}_low" in frame:
                low, high = frame[f"{c}_low"].to_numpy(float), frame[f"{c}_high"].to_numpy(float)
                xerr = np.clip(np.vstack([est - low, high - est]), 0, None)
            ax.barh(y + (i - (len(cols) - 1) / 2) * h, est, h, xerr=xerr,
                    color=CYCLE[i % len(CYCLE)], label=c, error_kw={"elinewidth": 0.8})
        if method == "delta" and "delta_dummy" in frame:
            ax.axvline(float(frame["delta_dummy"].iloc[0]), color="#555555", linestyle=":",
                       label="dummy input (noise level)")
        ax.set_yticks(y, params)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.6)
        ax.set_xlabel({"sobol": "Sobol' index (share of output variance)",
                       "morris": "mean absolute elementary effect μ* (metric units)",
                       "delta": "Borgonovo δ / first-order S1 (0–1)"}.get(method, "index"))
        ax.set_title(f"Sensitivity of {frame['metric'].iloc[0]} ({frame['arm'].iloc[0]}), "
                     f"{method}")
        if cols:
            ax.legend(loc="best")
    return fig


def parameter_combos(axes: list[dict[str, Any]]) -> int:
    """How many grid combinations the axes span (for captions)."""
    return int(np.prod([len(a.get("values") or []) or 1 for a in axes])) if axes else 1


__all__ = ["metric_vs_parameters", "sensitivity_bars", "metric_arm", "parameter_combos"]

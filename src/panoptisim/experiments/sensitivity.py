"""Global sensitivity analysis of a sampled sweep through SALib.

The outcome of a point is the mean over its finished replicates of one metric's
end-of-run value in one arm (by default the effect, treated - control). The analysis
pairs with the design the sweep was sampled with (SALib's ``sample/x`` with
``analyze/x``):

- ``sobol``: first-order ``S1`` and total-order ``ST`` Sobol' indices with bootstrap
  confidence intervals (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018; Jansen 1999).
  A parameter *drives* the outcome when ``ST >= DRIVE_ST`` and its interval excludes 0.
- ``morris``: elementary effects ``mu``, ``mu_star`` (mean absolute effect, with a bootstrap
  interval) and ``sigma`` (Morris 1991; Campolongo et al. 2007). A parameter drives the
  outcome when ``mu_star >= DRIVE_MU_STAR`` x the largest ``mu_star`` and its interval
  excludes 0; ``sigma > mu_star`` marks a non-linear or interacting effect.
- ``lhs``: Borgonovo's moment-independent ``delta`` and a first-order ``S1`` estimated
  from the given sample (Plischke, Borgonovo & Smith 2013, doi:10.1016/j.ejor.2012.11.047).
  The estimator is biased upward at small samples, so a dummy input (noise the outcome
  ignores) is analysed alongside: a parameter drives the outcome when the lower end of
  its ``delta`` interval lies above the upper end of the dummy's (``delta_dummy``).

Interval columns are ``<index>_low`` and ``<index>_high`` (estimate -/+ SALib's
half-width at the chosen confidence level).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from panoptisim.experiments.spec import SweepError
from panoptisim.experiments.store import SweepStore
from panoptisim.fmt import figure
from panoptisim.io import write_json_atomic, write_parquet_atomic
from panoptisim.streams import Streams

DRIVE_ST = 0.05
DRIVE_MU_STAR = 0.1
METHOD_OF_DESIGN = {"sobol": "sobol", "morris": "morris", "lhs": "delta"}


@dataclass
class Sensitivity:
    """Indices of one outcome: a row per parameter, and what drives it in one line."""

    metric: str
    arm: str
    method: str
    table: pd.DataFrame
    verdict: str
    n_points: int
    second_order: pd.DataFrame | None = None
    path: Path | None = None


def _ci(out: dict[str, Any], name: str, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    half = np.asarray(out[f"{name}_conf"], dtype=np.float64)
    return est - half, est + half


def analyze_design(method: str, problem: dict[str, Any], X: np.ndarray | None,
                   Y: np.ndarray, *, second_order: bool = False, levels: int = 4,
                   confidence: float = 0.95, resamples: int = 1000,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Indices of output ``Y`` over design ``X`` (rows in sampled order) with SALib."""
    Y = np.asarray(Y, dtype=np.float64)
    names = problem["names"]
    df = pd.DataFrame({"parameter": names})
    s2 = None
    if method == "sobol":
        from SALib.analyze import sobol

        out = sobol.analyze(problem, Y, calc_second_order=second_order,
                            num_resamples=resamples, conf_level=confidence, seed=seed)
        for name in ("S1", "ST"):
            est = np.asarray(out[name], dtype=np.float64)
            df[name] = est
            df[f"{name}_low"], df[f"{name}_high"] = _ci(out, name, est)
        df["drives"] = (df["ST"] >= DRIVE_ST) & (df["ST_low"] > 0)
        df = df.sort_values("ST", ascending=False, kind="stable")
        if second_order:
            rows = []
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    est, half = out["S2"][i, j], out["S2_conf"][i, j]
                    rows.append((names[i], names[j], est, est - half, est + half))
            s2 = pd.DataFrame(rows, columns=["parameter", "parameter_2", "S2", "S2_low",
                                             "S2_high"])
    elif method == "morris":
        from SALib.analyze import morris

        out = morris.analyze(problem, np.asarray(X), Y, num_resamples=resamples,
                             conf_level=confidence, num_levels=levels, seed=seed)
        df["mu"] = np.asarray(out["mu"], dtype=np.float64)
        df["mu_star"] = est = np.asarray(out["mu_star"], dtype=np.float64)
        low, high = _ci(out, "mu_star", est)
        # mu* is a mean of absolute effects: its interval stays at or above 0
        df["mu_star_low"], df["mu_star_high"] = np.maximum(low, 0.0), high
        df["sigma"] = np.asarray(out["sigma"], dtype=np.float64)
        top = np.nanmax(est) if len(est) and np.isfinite(est).any() else 0.0
        df["drives"] = (df["mu_star"] >= DRIVE_MU_STAR * top) & (df["mu_star_low"] > 0) & (
            top > 0)
        df["nonlinear"] = df["sigma"] > df["mu_star"]
        df = df.sort_values("mu_star", ascending=False, kind="stable")
    elif method == "delta":
        from SALib.analyze import delta

        # A dummy input (uniform noise the output ignores) measures the estimator's
        # bias at this sample size: a parameter drives the outcome only above it.
        noise = np.random.default_rng(seed).random((len(Y), 1))
        aug = {"num_vars": len(names) + 1, "names": [*names, "(dummy)"],
               "bounds": [*problem["bounds"], [0.0, 1.0]]}
        out = dict(delta.analyze(aug, np.hstack([np.asarray(X), noise]), Y,
                                 num_resamples=resamples, conf_level=confidence, seed=seed))
        if "delta" not in out:  # SALib >= 1.5: the balanced-bootstrap estimate
            out["delta"], out["delta_conf"] = out["delta_balanced"], out["delta_balanced_conf"]
        for name in ("delta", "S1"):
            est = np.asarray(out[name], dtype=np.float64)
            low, high = _ci(out, name, est)
            df[name], df[f"{name}_low"], df[f"{name}_high"] = est[:-1], low[:-1], high[:-1]
        df["delta_dummy"] = float(np.asarray(out["delta"])[-1]
                                  + np.asarray(out["delta_conf"])[-1])
        df["drives"] = df["delta_low"] > df["delta_dummy"]
        df = df.sort_values("delta", ascending=False, kind="stable")
    else:
        raise SweepError(f"sensitivity method {method!r} is not known "
                         f"(allowed: sobol | morris | delta)")
    df.insert(1, "rank", np.arange(1, len(df) + 1, dtype=np.int32))
    return df.reset_index(drop=True), s2


def verdict(metric: str, arm: str, method: str, table: pd.DataFrame,
            constant: bool = False) -> str:
    """One line: which parameters drive the outcome, with their indices and intervals."""
    what = f"{metric} ({arm})"
    if constant:
        return f"{what} does not vary across the design: no parameter drives it."
    key = {"sobol": "ST", "morris": "mu_star", "delta": "delta"}[method]
    label = {"sobol": "ST", "morris": "mu*", "delta": "delta"}[method]
    drivers = table[table["drives"]]
    others = table[~table["drives"]]
    parts = [f"{r.parameter} ({label} {figure(getattr(r, key))} "
             f"[{figure(getattr(r, key + '_low'))}, {figure(getattr(r, key + '_high'))}])"
             for r in drivers.itertuples()]
    rule = {"sobol": f"ST >= {DRIVE_ST} with an interval above 0",
            "morris": f"mu* >= {DRIVE_MU_STAR:g} x the largest with an interval above 0",
            "delta": "a delta interval above a dummy input's"}[method]
    if parts:
        text = f"{what} is driven by " + ", ".join(parts)
    else:
        text = f"{what}: no parameter reaches {rule}"
    if len(others) and parts:
        text += "; not by " + ", ".join(others["parameter"])
    if method == "sobol" and len(table):
        total = float(np.nansum(table["S1"]))
        text += f"; first-order indices sum to {figure(total)}"
        if 0 <= total < 0.8:
            text += " (the rest is interactions)"
    widths = (table[f"{key}_high"] - table[f"{key}_low"]).to_numpy(dtype=np.float64) \
        if f"{key}_low" in table else np.array([])
    widths = widths[np.isfinite(widths)]
    scale = np.abs(table[key].to_numpy(dtype=np.float64)) if key in table else np.array([])
    scale = scale[np.isfinite(scale)]
    limit = 0.5 * max(scale.max(initial=0.0), 1e-12) if method == "morris" else 0.5
    if len(widths) and widths.max() > limit:
        text += "; intervals are wide: raise sweep.samples (or replicates) for firmer indices"
    if method == "morris":
        nl = table[table["drives"] & table["nonlinear"]]["parameter"].tolist()
        if nl:
            text += "; non-linear or interacting: " + ", ".join(nl)
    return text + "."


def _outcome(store: SweepStore, metric: str, arm: str | None,
             n_points: int) -> tuple[np.ndarray, str]:
    results = store.results()
    if results.empty:
        raise SweepError(f"no finished run in '{store.root}' yet: run or resume the sweep")
    known = list(dict.fromkeys(results["metric"]))
    if metric not in known:
        close = difflib.get_close_matches(metric, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (e.g. {', '.join(known[:4])})"
        raise SweepError(f"--metric '{metric}' is not a metric of this sweep{hint}")
    rows = results[results["metric"] == metric]
    if arm is None:
        arm = "effect" if rows["effect"].notna().any() else "treated"
    if arm not in ("treated", "control", "effect"):
        raise SweepError(f"--arm '{arm}' is not allowed (allowed: treated | control | effect)")
    if rows[arm].isna().all():
        raise SweepError(f"--metric {metric} has no '{arm}' value in this sweep "
                         f"(choose another --arm)")
    means = rows.groupby("point")[arm].mean()
    missing = sorted(set(range(n_points)) - set(means.dropna().index))
    if missing:
        shown = ", ".join(str(p) for p in missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise SweepError(f"{len(missing)} of {n_points} points have no finished run "
                         f"(points {shown}): finish the sweep with --resume "
                         f"(--retry-failed for failed runs) before the analysis")
    return means.reindex(range(n_points)).to_numpy(dtype=np.float64), arm


def analyze_sweep(root: str | Path, metric: str, arm: str | None = None,
                confidence: float = 0.95, resamples: int = 1000,
                write: bool = True) -> Sensitivity:
    """Sensitivity indices of ``metric`` over the sweep at ``root`` (sobol, morris, lhs)."""
    store = SweepStore(root)
    info = store.info()
    design = info["design"]
    if design not in METHOD_OF_DESIGN:
        raise SweepError(f"sweep '{info['name']}' has design '{design}': a sensitivity "
                         f"analysis needs design 'sobol', 'morris' or 'lhs' (bounds "
                         f"sampled by the design)")
    if not 0 < confidence < 1:
        raise SweepError(f"--confidence {confidence} is not allowed (allowed: number in "
                         f"(0, 1))")
    method = METHOD_OF_DESIGN[design]
    problem = info["problem"]
    Y, arm = _outcome(store, metric, arm, info["n_points"])
    X = pd.read_parquet(store.root / "design.parquet")[problem["names"]].to_numpy()
    seed = int(Streams(info["root_seed"]).generator("experiments.sensitivity")
               .integers(2**31 - 1))
    opts = info["design_options"]
    constant = bool(np.nanmax(Y) - np.nanmin(Y) == 0)
    if constant:
        table = pd.DataFrame({"parameter": problem["names"]})
        table.insert(1, "rank", np.arange(1, len(table) + 1, dtype=np.int32))
        table["drives"] = False
        s2 = None
    else:
        with np.errstate(all="ignore"):
            table, s2 = analyze_design(method, problem, X, Y,
                                       second_order=opts.get("second_order", False),
                                       levels=opts.get("levels", 4), confidence=confidence,
                                       resamples=resamples, seed=seed)
    text = verdict(metric, arm, method, table, constant)
    result = Sensitivity(metric, arm, method, table, text, info["n_points"], s2)
    if write:
        folder = store.root / "sensitivity"
        folder.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{metric}.{arm}")
        frame = table.copy()
        frame.insert(0, "method", method)
        frame.insert(0, "arm", arm)
        frame.insert(0, "metric", metric)
        frame.insert(0, "sweep_id", info["sweep_id"])
        frame["confidence"] = confidence
        frame["verdict"] = text
        write_parquet_atomic(folder / f"{stem}.parquet",
                             pa.Table.from_pandas(frame, preserve_index=False))
        doc = {"sweep_id": info["sweep_id"], "metric": metric, "arm": arm,
               "method": method, "confidence": confidence, "resamples": resamples,
               "n_points": info["n_points"], "verdict": text,
               "indices": json.loads(table.to_json(orient="records"))}
        if s2 is not None:
            doc["second_order"] = json.loads(s2.to_json(orient="records"))
        write_json_atomic(folder / f"{stem}.json", doc)
        result.path = folder / f"{stem}.parquet"
    return result

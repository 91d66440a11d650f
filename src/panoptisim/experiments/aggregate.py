"""Aggregation: mean, standard deviation and 95% interval per point, metric and arm.

The input is the result files of a sweep (one row per finished run and metric, with the
end-of-run value of the treated arm, the control arm and the effect treated - control);
the output is a tidy table, one row per (point, metric, arm), written to
``SWEEP_DIR/summary.parquet`` and ``summary.csv``.

Intervals (``ci_method``):

- ``t``: Student-t interval of the mean, ``mean +/- t(0.975, n-1) sd / sqrt(n)``;
- ``bootstrap``: bias-corrected and accelerated (BCa) bootstrap of the mean (Efron 1987,
  doi:10.1080/01621459.1987.10478410), 2,000 resamples by default, seeded from the
  sweep's root seed;
- ``none``: fewer than two finished replicates.

A quantity that cannot be negative keeps a non-negative interval (``floored``): the treated
and control values of every metric but those in ``metrics.CAN_BE_NEGATIVE``, and the effect
of such a metric at a point where the control arm is 0 in every replicate (the effect is
then the treated value). A t interval of a rare count can otherwise reach below 0 (its
normal approximation is poor there); the bootstrap's cannot.

With ``ci="auto"`` (the default) a group gets the bootstrap interval when it has at least
``AUTO_MIN_N`` replicates and a sample skewness beyond ``AUTO_SKEW`` in absolute value
(counts of rare events, ratios near a bound: where the t interval's normal approximation
is poor and there are enough replicates to resample), and the t interval otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from panoptisim.experiments.spec import SweepError
from panoptisim.experiments.store import SweepStore
from panoptisim.intervals import t_interval
from panoptisim.io import write_bytes_atomic, write_parquet_atomic
from panoptisim.metrics import CAN_BE_NEGATIVE
from panoptisim.streams import Streams

ARMS = ("treated", "control", "effect")
AUTO_MIN_N = 10
AUTO_SKEW = 1.0
CI_METHODS = ("auto", "t", "bootstrap")


def bca_interval(samples: np.ndarray, rng: np.random.Generator, confidence: float = 0.95,
                 n_boot: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """BCa bootstrap interval of the mean for each row of ``samples`` (groups x n).

    Rows share the resampling indices (each row's interval is marginal). The jackknife of
    the mean is exact: leave-one-out means are ``(sum - x_i) / (n - 1)``.
    """
    x = np.asarray(samples, dtype=np.float64)
    g, n = x.shape
    theta = x.mean(axis=1)
    low, high = np.empty(g), np.empty(g)
    idx = rng.integers(0, n, size=(n_boot, n))
    alpha = (1 - confidence) / 2
    z = stats.norm.ppf([alpha, 1 - alpha])
    chunk = max(1, int(2e7 // (n_boot * n)))
    for s in range(0, g, chunk):
        xs = x[s:s + chunk]
        boot = np.sort(xs[:, idx].mean(axis=2), axis=1)  # (chunk, n_boot)
        th = theta[s:s + chunk, None]
        p = np.clip((boot < th).mean(axis=1), 1 / n_boot, 1 - 1 / n_boot)
        z0 = stats.norm.ppf(p)
        jack = (xs.sum(axis=1, keepdims=True) - xs) / (n - 1)
        d = jack.mean(axis=1, keepdims=True) - jack
        ss = (d ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.where(ss > 0, (d ** 3).sum(axis=1) / (6 * ss ** 1.5), 0.0)
        for j, zj in enumerate(z):
            adj = stats.norm.cdf(z0 + (z0 + zj) / (1 - a * (z0 + zj)))
            pos = adj * (n_boot - 1)
            lo_i = np.clip(np.floor(pos).astype(int), 0, n_boot - 1)
            hi_i = np.clip(lo_i + 1, 0, n_boot - 1)
            frac = pos - lo_i
            rows = np.arange(len(xs))
            val = boot[rows, lo_i] * (1 - frac) + boot[rows, hi_i] * frac
            (low if j == 0 else high)[s:s + chunk] = val
    return low, high


def nonnegative(table: pd.DataFrame) -> pd.Series:
    """Rows (point, metric, arm) whose quantity cannot be negative: a per-arm value of a
    metric not in ``CAN_BE_NEGATIVE``, or its effect where the control arm is 0 in every
    replicate (a non-negative control whose mean is 0)."""
    signed = table["metric"].isin(CAN_BE_NEGATIVE)
    control = table.loc[table["arm"] == "control", ["point", "metric", "mean"]]
    none = table[["point", "metric"]].merge(control, how="left")["mean"].eq(0).to_numpy()
    arm = table["arm"].isin(("treated", "control"))
    return ~signed & (arm | ((table["arm"] == "effect") & none))


def _long(results: pd.DataFrame) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(dict.fromkeys(results["metric"]))}
    long = results.melt(id_vars=["point", "replicate", "metric"], value_vars=list(ARMS),
                        var_name="arm", value_name="value").dropna(subset=["value"])
    long["metric_order"] = long["metric"].map(order)
    long["arm_order"] = long["arm"].map({a: i for i, a in enumerate(ARMS)})
    return long.sort_values(["point", "metric_order", "arm_order", "replicate"])


def summarize_sweep(root: str | Path, ci: str = "auto", confidence: float = 0.95,
                    n_boot: int = 2000, write: bool = True) -> pd.DataFrame:
    """The tidy summary of a sweep: one row per (point, metric, arm)."""
    if ci not in CI_METHODS:
        raise SweepError(f"--ci {ci!r} is not allowed (allowed: {' | '.join(CI_METHODS)})")
    store = SweepStore(root)
    info = store.info()
    results = store.results()
    if results.empty:
        raise SweepError(f"no finished run in '{store.root}' yet: run or resume the sweep")
    long = _long(results)
    keys = ["point", "metric", "arm"]
    grouped = long.groupby(keys, sort=False)["value"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    table["sd"] = table["sd"].where(table["n"] >= 2)
    low, high = t_interval(table["mean"].to_numpy(), table["sd"].to_numpy(),
                           table["n"].to_numpy(), confidence)
    table["ci_low"], table["ci_high"] = low, high
    table["ci_method"] = np.where(table["n"] >= 2, "t", "none")

    if ci != "t":
        skew = grouped.apply(lambda v: stats.skew(v.to_numpy(), bias=False)
                             if len(v) >= 3 and v.std() > 0 else 0.0).to_numpy()
        boot = (table["n"] >= 2) & (table["sd"] > 0)
        if ci == "auto":
            boot &= (table["n"] >= AUTO_MIN_N) & (np.abs(np.nan_to_num(skew)) > AUTO_SKEW)
        rng = Streams(info["root_seed"]).generator("experiments.bootstrap")
        values = grouped.apply(lambda v: v.to_numpy()).to_numpy()
        for n in sorted(set(table.loc[boot, "n"])):
            rows = np.flatnonzero(boot & (table["n"] == n))
            lo, hi = bca_interval(np.vstack([values[i] for i in rows]), rng, confidence,
                                  n_boot)
            table.loc[rows, "ci_low"] = lo
            table.loc[rows, "ci_high"] = hi
            table.loc[rows, "ci_method"] = "bootstrap"
    flat = table["sd"] == 0
    table.loc[flat, ["ci_low", "ci_high"]] = np.c_[table.loc[flat, "mean"],
                                                   table.loc[flat, "mean"]]
    table["floored"] = nonnegative(table) & (table["ci_low"] < 0)
    table.loc[table["floored"], "ci_low"] = 0.0

    failed = pd.Series([r["point"] for r in store.failed().values()], dtype="int64")
    table["n_failed"] = table["point"].map(failed.value_counts()).fillna(0).astype("int32")
    table["n"] = table["n"].astype("int32")
    points = pd.read_parquet(store.root / "points.parquet").drop(columns=["sweep_id"])
    table = table.merge(points, on="point", how="left")
    axes = [c for c in points.columns if c != "point"]
    table.insert(0, "sweep_id", info["sweep_id"])
    table = table[["sweep_id", "point", *axes, "metric", "arm", "n", "n_failed", "mean",
                   "sd", "ci_low", "ci_high", "ci_method", "floored"]]
    table["confidence"] = confidence
    if write:
        write_parquet_atomic(store.root / "summary.parquet",
                             pa.Table.from_pandas(table, preserve_index=False))
        write_bytes_atomic(store.root / "summary.csv", table.to_csv(index=False).encode())
    return table


"""Headline results per replicate: what comparisons across runs pair.

``summary.json`` gives each headline metric's mean over replicates; a comparison of two
scenarios, or of posterior draws, needs each replicate's value to pair them (replicate r
of two runs from one seed shares its random numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim.errors import InputError
from panoptisim.metrics import (
    CAN_BE_NEGATIVE,
    HEADLINE,
    METRIC_NAMES,
    METRICS,
    SUMMARY_METRICS,
    Columns,
)
from panoptisim.summary import aggregate

_AGGREGATE = {m.name: m.aggregate for m in METRICS}
_SUMMARY = {m.name: m for m in SUMMARY_METRICS}
#: How a day metric's end-of-run value aggregates its days, in words.
_OVER = {"mean": "daily mean", "sum": "sum over run", "last": "last day"}


def aggregate_label(name: str) -> str:
    """What a headline result aggregates, in the words of summary.json ("sum over run",
    "ratio over run", ...)."""
    return _SUMMARY[name].aggregate if name in _SUMMARY else _OVER[_AGGREGATE[name]]


def replicate_values(sim: Any) -> dict[str, tuple[list[float], bool]]:
    """Each headline result of each replicate of a finished simulation
    (:func:`values_of_runs`)."""
    return values_of_runs({(r.replicate, r.arm): r.columns for r in sim.runs},
                          sim.scenario.population.size)


def folder_columns(path: Path) -> dict[tuple[int, str], Columns]:
    """A run folder's day columns by (replicate, arm), read from its metrics.parquet as
    the float arrays a run records (counts are stored as integers: exact as floats).
    InputError (one line) when the file is missing or lacks a metric."""
    file = Path(path) / "metrics.parquet"
    try:
        table = pq.read_table(file).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"'{file}' cannot be read as a run's metrics ({exc})") from None
    missing = [name for name in METRIC_NAMES if name not in table.columns]
    if missing:
        raise InputError(f"'{file}' has no column {missing[0]!r}: it was written by another "
                         "version of panoptisim; run its scenario again")
    return {(int(rep), str(arm)): {name: rows[name].to_numpy(np.float64)
                                   for name in METRIC_NAMES}
            for (rep, arm), rows in table.sort_values("day", kind="stable")
            .groupby(["replicate", "arm"], sort=True)}


def values_of_runs(columns: Mapping[tuple[int, str], Columns],
                   agents: int) -> dict[str, tuple[list[float], bool]]:
    """Each headline result of each replicate (the effect, treated - control, with a
    control arm, else the treated value; pair summary metrics as they are), and whether it
    cannot be negative: a per-arm headline value is a count, rate, share, score (>= 0) or
    ratio unless ``metrics.CAN_BE_NEGATIVE`` names it (a weekly rise can be a fall), so a
    treated value cannot, nor an effect where the control arm has none.
    ``columns``: the day columns by (replicate, arm); ``agents``: the population size."""
    reps = sorted({rep for rep, _ in columns})
    paired = any(arm == "control" for _, arm in columns)
    out: dict[str, tuple[list[float], bool]] = {}

    def of_arm(name: str, r: int, arm: str) -> float:
        if name in _SUMMARY:
            return float(_SUMMARY[name].fn(columns[(r, arm)], agents))
        return float(aggregate(columns[(r, arm)][name], _AGGREGATE[name]))

    for name in HEADLINE:
        if name in _SUMMARY and _SUMMARY[name].over == "pair":
            if paired:  # an index of the pair: it may be negative (a backlash)
                out[name] = ([float(_SUMMARY[name].fn(columns[(r, "treated")],
                                                      columns[(r, "control")]))
                              for r in reps], False)
            continue
        treated = [of_arm(name, r, "treated") for r in reps]
        if not paired:
            out[name] = (treated, name not in CAN_BE_NEGATIVE)
            continue
        control = [of_arm(name, r, "control") for r in reps]
        out[name] = ([t - c for t, c in zip(treated, control, strict=True)],
                     name not in CAN_BE_NEGATIVE and not any(control))
    return out

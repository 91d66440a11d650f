"""The run folder: scenario.toml, metrics.parquet, regions.parquet, summary.json,
manifest.json, and with ``run.snapshots`` the folder snapshots/ (:mod:`panoptisim.snapshots`).

Written atomically (:func:`panoptisim.io.folder_atomic`, entered before the run so the
snapshots go there as the run reaches them): everything, the report included when the
command line writes one, goes to a folder inside a hidden partial folder beside the
destination, which is renamed to the final name only when complete. An interrupted or
killed run leaves no folder under the final name; the partial folder of a killed one is
removed by the next run into the same parent.
"""

from __future__ import annotations

import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim import __version__
from panoptisim.io import json_text
from panoptisim.scenario import Scenario

FILES = ("scenario.toml", "metrics.parquet", "regions.parquet", "summary.json",
         "manifest.json")


#: The key columns of metrics.parquet and regions.parquet: name -> (unit, meaning).
KEY_COLUMNS = {
    "replicate": ("index", "Replicate number (0-based); the arms of a replicate share "
                           "their random numbers."),
    "arm": ("label", "treated (the scenario's regime) or control (the same society, no "
                     "scoring)."),
    "day": ("day", "Day of the run (0-based)."),
    "region": ("label", "Region of the agents counted (population.regions)."),
}


def metrics_arrow(columns: dict[str, np.ndarray],
                  described: dict[str, tuple[str, str]]) -> pa.Table:
    """The per-day columns (:func:`panoptisim.engine.day_columns`, or
    :func:`panoptisim.regional.region_rows`) as the Arrow table the Parquet file stores
    (arm and region as string columns). Each field carries its unit and meaning in the
    schema's field metadata (``unit``, ``meaning``): ``described`` gives them for every
    column but the key ones (:data:`KEY_COLUMNS`)."""
    described = {**KEY_COLUMNS, **described}
    fields, arrays = [], []
    for name, values in columns.items():
        array = pa.array(values.tolist() if values.dtype == object else values)
        unit, meaning = described[name]
        fields.append(pa.field(name, array.type, metadata={"unit": unit, "meaning": meaning}))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def manifest(scenario: Scenario, timings: dict[str, float], started: datetime,
             finished: datetime) -> dict[str, Any]:
    """Provenance of a run: version, seed, scenario hash, timings, platform. With two
    threads the arms step side by side and the step phases' times are thread-seconds."""
    from panoptisim import cores
    return {
        "panoptisim_version": __version__,
        "seed": scenario.run.seed,
        "scenario_hash": scenario.digest(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "wall_time_s": {k: round(v, 4) for k, v in timings.items()},
        "threads": cores.threads(),
        "platform": {"python": sys.version.split()[0], "system": platform.platform(),
                     "machine": platform.machine(), "numpy": np.__version__,
                     "pandas": pd.__version__, "pyarrow": pa.__version__},
    }


def write_run(folder: Path, scenario: Scenario, table: pa.Table, summary: dict[str, Any],
              manifest_doc: dict[str, Any], regions: pa.Table | None = None) -> None:
    """Write the run's files into ``folder``: the run's temporary folder
    (``io.folder_atomic``), renamed to the run folder when complete. ``regions``: the
    daily counts by region (regions.parquet), if given."""
    t0 = time.perf_counter()
    (folder / "scenario.toml").write_text(scenario.to_toml())
    pq.write_table(table, folder / "metrics.parquet")
    if regions is not None:
        pq.write_table(regions, folder / "regions.parquet")
    (folder / "summary.json").write_text(json_text(summary))
    manifest_doc["wall_time_s"]["output"] = round(time.perf_counter() - t0, 4)
    (folder / "manifest.json").write_text(json_text(manifest_doc))


def now() -> datetime:
    """Current UTC time (for the manifest only: never in metrics or summary)."""
    return datetime.now(UTC)

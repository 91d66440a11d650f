"""The run folder: scenario.toml, metrics.parquet, regions.parquet, summary.json,
manifest.json.

Written atomically (:func:`panoptisim.io.folder_atomic`): everything, the report included
when the command line writes one, goes to a folder inside a hidden partial folder beside
the destination, which is renamed to the final name only when complete. An interrupted or
killed run leaves no folder under the final name; the partial folder of a killed one is
removed by the next run into the same parent.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim import __version__
from panoptisim.io import folder_atomic, json_text
from panoptisim.scenario import Scenario

FILES = ("scenario.toml", "metrics.parquet", "regions.parquet", "summary.json",
         "manifest.json")


def metrics_arrow(columns: dict[str, np.ndarray]) -> pa.Table:
    """The per-day columns (:func:`panoptisim.engine.day_columns`) as the Arrow table that
    metrics.parquet stores (arm as a string column)."""
    arrays = {k: pa.array(v.tolist() if v.dtype == object else v) for k, v in columns.items()}
    return pa.table(arrays)


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


def write_run(path: Path, scenario: Scenario, table: pa.Table, summary: dict[str, Any],
              manifest_doc: dict[str, Any], regions: pa.Table | None = None,
              finish: Callable[[Path], None] | None = None) -> Path:
    """Write the run folder atomically; returns its path. ``regions``: the daily counts
    by region (regions.parquet), if given. ``finish(folder)`` is called once the data files
    are in the folder, before it is renamed to ``path``: what it adds appears with them, and
    an exception it raises leaves no folder. Check ``path`` before the run
    (:func:`panoptisim.io.check_new_folder`); one filled meanwhile is refused here."""
    path = Path(path)
    with folder_atomic(path) as tmp:
        t0 = time.perf_counter()
        (tmp / "scenario.toml").write_text(scenario.to_toml())
        pq.write_table(table, tmp / "metrics.parquet")
        if regions is not None:
            pq.write_table(regions, tmp / "regions.parquet")
        (tmp / "summary.json").write_text(json_text(summary))
        manifest_doc["wall_time_s"]["output"] = round(time.perf_counter() - t0, 4)
        (tmp / "manifest.json").write_text(json_text(manifest_doc))
        if finish is not None:
            finish(tmp)
    return path


def now() -> datetime:
    """Current UTC time (for the manifest only: never in metrics or summary)."""
    return datetime.now(UTC)

"""The run folder: scenario.toml, metrics.parquet, summary.json, manifest.json.

Written atomically: everything goes to a hidden sibling folder, which is renamed to the
final name only when complete. An interrupted run leaves no folder under the final name.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim import __version__
from panoptisim.scenario import Scenario

FILES = ("scenario.toml", "metrics.parquet", "summary.json", "manifest.json")


class RunFolderError(ValueError):
    """The run folder cannot be created where asked."""


def check_destination(path: Path) -> None:
    """Refuse a destination that exists and is not empty, or whose parent is a file."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RunFolderError(f"--out '{path}' already exists and is not empty: choose a new "
                             f"folder")
    parent = path.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise RunFolderError(f"--out '{path}' cannot be created: '{parent}' is not a writable "
                             f"folder")


def metrics_table(columns: dict[str, np.ndarray]) -> pa.Table:
    """Arrow table of the per-day metrics (arm as a string column)."""
    arrays = {k: pa.array(v.tolist() if v.dtype == object else v) for k, v in columns.items()}
    return pa.table(arrays)


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Deterministic JSON (stable key order, no NaN)."""
    path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")


def manifest(scenario: Scenario, timings: dict[str, float], started: datetime,
             finished: datetime) -> dict[str, Any]:
    """Provenance of a run: version, seed, scenario hash, timings, platform. With two
    threads the arms step side by side and the step phases' times are thread-seconds."""
    from panoptisim import kernels  # numba is loaded by the run already
    return {
        "panoptisim_version": __version__,
        "seed": scenario.run.seed,
        "scenario_hash": scenario.digest(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "wall_time_s": {k: round(v, 4) for k, v in timings.items()},
        "threads": kernels.threads(),
        "platform": {"python": sys.version.split()[0], "system": platform.platform(),
                     "machine": platform.machine(), "numpy": np.__version__,
                     "pandas": pd.__version__, "pyarrow": pa.__version__},
    }


def write_run(path: Path, scenario: Scenario, table: pa.Table, summary: dict[str, Any],
              manifest_doc: dict[str, Any]) -> Path:
    """Write the run folder atomically; returns its path."""
    path = Path(path)
    check_destination(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        t0 = time.perf_counter()
        (tmp / "scenario.toml").write_text(scenario.to_toml())
        pq.write_table(table, tmp / "metrics.parquet")
        write_json(tmp / "summary.json", summary)
        manifest_doc["wall_time_s"]["output"] = round(time.perf_counter() - t0, 4)
        write_json(tmp / "manifest.json", manifest_doc)
        if path.exists():  # an empty folder the user made
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def now() -> datetime:
    """Current UTC time (for the manifest only: never in metrics or summary)."""
    return datetime.now(timezone.utc)

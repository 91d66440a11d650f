"""What a worker does with one run of a sweep, on any executor.

:func:`execute` runs the scenario into a private attempt folder with
:func:`panoptisim.run` (which writes atomically), then renames it to
``runs/<run_id>``. If that folder already exists complete (a previous attempt, or an
orphaned task of an interrupted session, got there first) it is used as it is: the run
is deterministic, so both are the same. An exception raised by the model is returned as
an error record (a deterministic failure, not retried); only a dying worker is retried.

Tests inject faults at the point ``worker.halfway`` (key ``<sweep name>/<run_id>``): the
worker dies or the run raises halfway through (:mod:`panoptisim.faults`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panoptisim import faults


def _halfway(key: str) -> Callable[[int, int], None]:
    """A progress callback that offers the fault hook ``worker.halfway`` each day from the
    run's middle on (a no-op unless a test set PANOPTISIM_FAULTS)."""
    def progress(done: int, total: int) -> None:
        if done >= max(1, total // 2):
            faults.check("worker.halfway", key)

    return progress


def worker_name() -> str:
    """Host and process id of this worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Run one run of a sweep; returns ``{"status": "done", "summary": ...}`` or
    ``{"status": "error", "error": ..., "traceback": ...}``."""
    from panoptisim.api import run
    from panoptisim.scenario import Scenario

    t0 = time.perf_counter()
    runs_dir = Path(task["root"]) / "runs"
    final = runs_dir / task["run_id"]
    # The run is built in a folder of its own inside a hidden attempt folder: the run's own
    # safety steps (check of --out, removal of stale partial folders) then read that folder,
    # not runs/, which a large sweep fills with up to 100,000 run folders (every run read
    # them all: quadratic in the number of runs). An interrupted session's attempt folders
    # are removed by SweepStore.clean_stale (hidden entries of runs/).
    attempt = runs_dir / f".{task['run_id']}.attempt-{uuid.uuid4().hex[:12]}"
    attempt_dir = attempt / task["run_id"]
    base = {"worker": worker_name(), "run_id": task["run_id"]}
    try:
        if not (final / "summary.json").exists():
            progress = _halfway(f"{task['sweep_name']}/{task['run_id']}")
            attempt.mkdir(parents=True)
            run(Scenario.model_validate(task["scenario"]), out=attempt_dir, progress=progress)
            try:
                os.rename(attempt_dir, final)
            except OSError:
                if not (final / "summary.json").exists():
                    raise
            shutil.rmtree(attempt, ignore_errors=True)
        summary = json.loads((final / "summary.json").read_text())
        return {**base, "status": "done", "summary": summary,
                "wall_s": time.perf_counter() - t0}
    except Exception as exc:  # the model failed: record it, do not retry
        shutil.rmtree(attempt, ignore_errors=True)
        return {**base, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "wall_s": time.perf_counter() - t0}

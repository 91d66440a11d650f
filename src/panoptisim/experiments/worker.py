"""What a worker does with one run of a sweep, on any executor.

:func:`execute` runs the scenario into a private attempt folder with
:func:`panoptisim.run` (which writes atomically), then renames it to
``runs/<run_id>``. If that folder already exists complete (a previous attempt, or an
orphaned task of an interrupted session, got there first) it is used as it is: the run
is deterministic, so both are the same. An exception raised by the model is returned as
an error record (a deterministic failure, not retried); only a dying worker is retried.

Fault injection (tests only). ``PANOPTISIM_FAULT`` holds ``;``-separated rules
``ACTION:PATTERN[:TIMES]``: ``ACTION`` is ``kill`` (the worker process SIGKILLs itself
halfway through the run) or ``raise`` (the run raises RuntimeError halfway); ``PATTERN``
is matched (fnmatch) against ``<sweep name>/<run_id>``; ``TIMES`` bounds how many
attempts the rule fires on, counted with marker files in ``PANOPTISIM_FAULT_DIR``
(without that folder a rule fires on every attempt).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import socket
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable

FAULT_ENV = "PANOPTISIM_FAULT"
FAULT_DIR_ENV = "PANOPTISIM_FAULT_DIR"


def _fault(target: str) -> str | None:
    """The fault action to inject into this attempt of ``target``, if any."""
    rules = os.environ.get(FAULT_ENV, "")
    for rule in filter(None, (r.strip() for r in rules.split(";"))):
        parts = rule.split(":")
        action, pattern = parts[0], parts[1] if len(parts) > 1 else "*"
        if action not in ("kill", "raise") or not fnmatch.fnmatchcase(target, pattern):
            continue
        times = int(parts[2]) if len(parts) > 2 else None
        folder = os.environ.get(FAULT_DIR_ENV)
        if times is None or not folder:
            return action
        tag = f"{action}-{target.replace('/', '_')}"
        for k in range(times):
            try:
                fd = os.open(Path(folder) / f"{tag}-{k}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            os.close(fd)
            return action
    return None


def _fault_progress(action: str | None) -> Callable[[int, int], None] | None:
    if action is None:
        return None

    def progress(done: int, total: int) -> None:
        if done >= max(1, total // 2):
            if action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(60)  # never reached: the signal is immediate
            raise RuntimeError("injected fault (PANOPTISIM_FAULT): the run raised halfway")

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
    attempt_dir = runs_dir / f".{task['run_id']}.attempt-{uuid.uuid4().hex[:12]}"
    base = {"worker": worker_name(), "run_id": task["run_id"]}
    try:
        if not (final / "summary.json").exists():
            progress = _fault_progress(_fault(f"{task['sweep_name']}/{task['run_id']}"))
            run(Scenario.model_validate(task["scenario"]), out=attempt_dir, progress=progress)
            try:
                os.rename(attempt_dir, final)
            except OSError:
                if not (final / "summary.json").exists():
                    raise
                shutil.rmtree(attempt_dir, ignore_errors=True)
        summary = json.loads((final / "summary.json").read_text())
        return {**base, "status": "done", "summary": summary,
                "wall_s": time.perf_counter() - t0}
    except Exception as exc:  # the model failed: record it, do not retry
        shutil.rmtree(attempt_dir, ignore_errors=True)
        return {**base, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "wall_s": time.perf_counter() - t0}

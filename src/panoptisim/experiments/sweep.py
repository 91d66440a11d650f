"""The sweep driver: plan, resume, execute, retry, record.

``run_sweep(plan, out, ...)``:

1. creates the sweep folder atomically (or, with ``resume``, checks that it holds the
   same sweep, or the same with replicates added, which it then records) and takes its
   lock;
2. removes what an interrupted session left (temporary files, attempt folders) and
   recovers runs whose folder is complete but whose result file was not yet written;
3. submits every run that is missing (and, with ``retry_failed``, every failed one; a
   failed run is otherwise kept as failed, not counted as finished);
4. as runs finish, writes each one's result file (or failure record) atomically, so a
   session can be interrupted at any instant and resumed;
5. resubmits a run whose worker died, at most ``retries`` more times; a run that raises
   is recorded as failed with its error and does not stop the others.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from panoptisim.experiments.executors import make_executor
from panoptisim.experiments.spec import Plan, RunSpec
from panoptisim.experiments.store import SweepStore, utcnow
from panoptisim.terminal import person_watching


@dataclass
class SweepReport:
    """What a session did."""

    path: Path
    sweep_id: str
    session: int
    total: int
    done: int = 0
    failed: int = 0
    executed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    #: Runs that had finished successfully before this session (not run again).
    skipped: int = 0
    #: Runs that had failed before this session: left failed, or (``retry_failed``) run
    #: again, in ``executed``.
    failed_before: int = 0
    retried: int = 0
    wall_s: float = 0.0
    status: str = "running"
    executor: str = ""
    #: With replicates added on resume: how many the sweep had before.
    replicates_before: int | None = None

    @property
    def missing(self) -> int:
        """Runs neither done nor failed."""
        return self.total - self.done - self.failed


class _Bar:
    """Runs done, failed, retried and estimated time left (stderr; off when quiet)."""

    def __init__(self, total: int, completed: int, failed: int, enabled: bool,
                 label: str):
        self.progress = None
        if enabled:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("runs  failed {task.fields[failed]}  retried "
                           "{task.fields[retried]}"),
                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self.progress.start()
            self.task = self.progress.add_task(label, total=total, completed=completed,
                                               failed=failed, retried=0)

    def update(self, report: SweepReport) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=report.done + report.failed,
                                 failed=report.failed, retried=report.retried)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _task(plan: Plan, store: SweepStore, run: RunSpec, attempt: int) -> dict[str, Any]:
    return {"sweep_id": store.sweep_id, "sweep_name": plan.name, "run_id": run.run_id,
            "point": run.point, "replicate": run.replicate, "seed": run.seed,
            "scenario": plan.scenario_dict(run), "root": str(store.root),
            "attempt": attempt}


def run_sweep(plan: Plan, out: str | Path, *, executor: str = "local",
              address: str | None = None, jobs: int | None = None, resume: bool = False,
              retry_failed: bool = False, retries: int = 2, quiet: bool | None = None,
              register: bool = True) -> SweepReport:
    """Run (or resume) the sweep ``plan`` into the folder ``out``; returns the report.
    ``quiet``: no progress bar; by default the bar is drawn when a person is watching (a
    terminal or a notebook: :func:`panoptisim.terminal.person_watching`).

    Raises SweepError (an InputError) before any run if the folder cannot hold this sweep
    or the executor cannot start (:func:`make_executor` refuses ``address`` without dask).
    KeyboardInterrupt (Ctrl-C, or SIGTERM mapped to it by the CLI) stops the workers and
    propagates; everything finished so far is on disk for ``resume``.
    """
    if quiet is None:
        quiet = not person_watching()
    store = SweepStore(out)
    create = not (resume and store.exists())
    if create:
        store.check_new()
        adding = False
    else:
        adding = store.check_same(plan)  # True: the plan adds replicates to the folder's
    # The executor starts (a cluster is reached) before anything is written.
    with make_executor(executor, address, jobs) as ex:
        if create:
            store.create(plan)
        store.lock()
        try:
            before = store.add_replicates(plan) if adding else None
            report = _session(plan, store, ex, executor, retry_failed, retries, quiet,
                              register, before)
        finally:
            store.unlock()
    return report


def _session(plan: Plan, store: SweepStore, ex: Any, executor: str, retry_failed: bool,
             retries: int, quiet: bool, register: bool,
             replicates_before: int | None) -> SweepReport:
    t0 = time.perf_counter()
    runs = plan.runs()
    by_id = {r.run_id: r for r in runs}
    session = 1 + max((s.get("session", 0) for s in store.sessions()), default=0)
    sweep_id = store.sweep_id
    report = SweepReport(store.root, sweep_id, session, len(runs), executor=executor,
                         replicates_before=replicates_before)
    store.clean_stale()
    done = store.done()
    failed = {k: v for k, v in store.failed().items() if k not in done}
    meta = {"session": session, "executor": executor}
    for run in runs:  # finished folders whose result file was never written
        if run.run_id in done:
            continue
        summary = store.completed_folder_summary(run.run_id)
        if summary is not None:
            store.write_result(sweep_id, run, summary,
                               dict(meta, attempts=0, recovered=True, worker=None))
            report.recovered.append(run.run_id)
            done.add(run.run_id)
            failed.pop(run.run_id, None)
    todo = [r for r in runs if r.run_id not in done and
            (retry_failed or r.run_id not in failed)]
    report.done = sum(1 for r in runs if r.run_id in done)
    report.failed_before = sum(1 for r in runs if r.run_id in failed)
    report.failed = report.failed_before - sum(1 for r in todo if r.run_id in failed)
    report.skipped = report.done - len(report.recovered)  # successful runs only

    if register:
        from panoptisim.experiments.catalog import register_sweep
        register_sweep(store.root, quiet=True)
    bar = _Bar(len(runs), report.done + report.failed, report.failed, not quiet,
               plan.name)
    try:
        store.log_session({"session": session, "event": "start", "at": utcnow(),
                           "pid": os.getpid(), "executor": ex.describe(),
                           "todo": [r.run_id for r in todo],
                           "recovered": report.recovered})
        waiting = iter(todo)

        def feed() -> None:
            # A bounded window of tasks in flight: a sweep of any size is never held
            # in memory as tasks, only as the plan.
            while ex.in_flight() < ex.capacity():
                run = next(waiting, None)
                if run is None:
                    return
                ex.submit(_task(plan, store, run, 1))

        feed()
        for outcome in ex.outcomes():
            task, result = outcome.task, outcome.result
            run = by_id[task["run_id"]]
            if outcome.status == "done":
                store.write_result(sweep_id, run, result["summary"], dict(
                    meta, attempts=task["attempt"], worker=result.get("worker"),
                    wall_s=result.get("wall_s")))
                report.done += 1
                report.executed.append(run.run_id)
            elif outcome.status == "crashed" and task["attempt"] <= retries:
                report.retried += 1
                ex.submit(dict(task, attempt=task["attempt"] + 1))
            else:
                error = result.get("error", "unknown error")
                if outcome.status == "crashed":
                    error = (f"gave up after {task['attempt']} attempts, each lost "
                             f"with its worker; last: {error}")
                store.write_failure(sweep_id, run, {
                    "kind": outcome.status, "error": error,
                    "traceback": result.get("traceback"), "attempts": task["attempt"],
                    "worker": result.get("worker"), "session": session,
                    "executor": executor})
                report.failed += 1
                report.executed.append(run.run_id)
            feed()
            bar.update(report)
        report.status = "finished"
        store.clean_stale()  # attempt folders of workers that died
    except KeyboardInterrupt:
        report.status = "interrupted"
        raise
    finally:
        bar.close()
        report.wall_s = time.perf_counter() - t0
        store.log_session({"session": session, "event": "end", "at": utcnow(),
                           "status": report.status, "done": report.done,
                           "failed": report.failed, "executed": report.executed,
                           "retried": report.retried, "wall_s": round(report.wall_s, 3)})
        if register and report.status == "finished":
            from panoptisim.experiments.catalog import register_sweep
            register_sweep(store.root, quiet=True)
    return report

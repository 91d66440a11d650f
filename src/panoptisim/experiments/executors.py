"""Executors: where the runs of a sweep execute.

Both have one interface: ``submit(task)`` and ``outcomes()``, which yields an
:class:`Outcome` for each submitted task as it finishes (in completion order) and keeps
yielding while tasks are pending, including tasks submitted during the iteration (the
driver's retries).

- :class:`LocalExecutor`: ``jobs`` worker processes (``spawn``), one run at a time each.
  The driver knows which run each worker holds, so a worker that dies costs exactly that
  run an attempt; the worker is replaced. Workers ignore SIGINT (the driver handles
  Ctrl-C and stops them) and exit by themselves if the driver dies (``kill -9``).
- :class:`DaskExecutor`: a ``dask.distributed`` cluster, the scheduler at ``address`` or a
  ``LocalCluster(processes=True)`` it starts. A worker that dies is handled by the
  scheduler (the task is rescheduled; after ``distributed.scheduler.allowed-failures``
  deaths it errs with ``KilledWorker``), which the driver then counts as one attempt.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from panoptisim.experiments.main_guard import require_main_guard
from panoptisim.experiments.spec import SweepError
from panoptisim.experiments.worker import execute


@dataclass
class Outcome:
    """What became of one task: ``done``, ``error`` (the run raised) or ``crashed``
    (the worker died or the cluster lost it)."""

    task: dict[str, Any]
    status: str
    result: dict[str, Any]


# ------------------------------------------------------------------------ local
def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _worker_main(conn: multiprocessing.connection.Connection, parent: int) -> None:
    """A local worker: run tasks from the pipe until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    while True:
        try:
            task = conn.recv()
            if task is None:
                return
            conn.send(execute(task))
        except (EOFError, OSError):  # the driver is gone
            return


#: One BLAS/OpenMP thread per worker process, as dask's nanny sets for its workers: the
#: cores are shared out by processes, not oversubscribed, and a run gives the same bits on
#: either executor (OpenBLAS splits a long dot product by thread, which moves the last
#: bit of a sum).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}


class _Worker:
    def __init__(self, ctx: Any):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid()),
                                   daemon=True, name="panoptisim-sweep-worker")
        saved = {k: os.environ.get(k) for k in WORKER_ENV}
        os.environ.update(WORKER_ENV)  # inherited by the spawned interpreter
        try:
            self.process.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        self.task: dict[str, Any] | None = None

    def stop(self, timeout: float = 2.0) -> None:
        if self.process.is_alive():
            if self.task is None:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
            else:
                self.process.terminate()
            self.process.join(timeout)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout)
        self.conn.close()


class LocalExecutor:
    """A pool of ``jobs`` worker processes on this machine."""

    name = "local"

    def __init__(self, jobs: int | None = None):
        require_main_guard()
        self.jobs = jobs or os.cpu_count() or 1
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._pending: deque[dict[str, Any]] = deque()

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def describe(self) -> str:
        """One line for the log."""
        return f"local, {self.jobs} worker processes"

    def capacity(self) -> int:
        """How many tasks the driver keeps in flight: two per worker."""
        return 2 * self.jobs

    def in_flight(self) -> int:
        """Tasks queued or running."""
        return len(self._pending) + sum(w.task is not None for w in self._workers)

    def submit(self, task: dict[str, Any]) -> None:
        """Queue a task."""
        self._pending.append(task)

    def _fill(self) -> None:
        while len(self._workers) < self.jobs and len(self._workers) < (
                len(self._pending) + sum(w.task is not None for w in self._workers)):
            self._workers.append(_Worker(self._ctx))
        for w in self._workers:
            if w.task is None and self._pending:
                w.task = self._pending.popleft()
                try:
                    w.conn.send(w.task)
                except OSError:
                    pass  # it died: its sentinel says so below

    def outcomes(self) -> Iterator[Outcome]:
        """Outcomes in completion order, until nothing is pending or running."""
        while True:
            self._fill()
            busy = [w for w in self._workers if w.task is not None]
            if not busy:
                return
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy])
            for w in busy:
                if w.conn not in ready and w.process.sentinel not in ready:
                    continue
                task, message, eof = w.task, None, False
                try:
                    if w.conn.poll():
                        message = w.conn.recv()
                except (EOFError, OSError):
                    eof = True
                if message is not None:
                    w.task = None
                    yield Outcome(task, message["status"], message)
                    continue
                if not eof and w.process.sentinel not in ready:
                    continue
                w.process.join(5.0)
                code = w.process.exitcode
                how = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0
                       else f"exit code {code}")
                w.task = None
                w.stop()
                self._workers.remove(w)
                yield Outcome(task, "crashed", {
                    "error": f"worker process {w.process.pid} died ({how})",
                    "worker": f"local:{w.process.pid}"})

    def close(self) -> None:
        """Stop every worker (terminating those still running a task)."""
        for w in self._workers:
            w.stop()
        self._workers.clear()
        self._pending.clear()


# ------------------------------------------------------------------------- dask
class DaskExecutor:
    """Runs on a dask.distributed cluster: ``address`` or a LocalCluster it starts."""

    name = "dask"

    def __init__(self, address: str | None = None, jobs: int | None = None,
                 allowed_failures: int = 0):
        self.address = address
        self.jobs = jobs or os.cpu_count() or 1
        self.allowed_failures = allowed_failures
        self.cluster: Any = None
        self.client: Any = None
        self._ac: Any = None
        self._tasks: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> "DaskExecutor":
        import dask
        from distributed import Client, LocalCluster, as_completed

        try:
            if self.address:
                self.client = Client(self.address, timeout="30s")
            else:
                require_main_guard()
                # Our own cluster: one task at a time per worker, and a dying worker
                # becomes KilledWorker at once for the one run it held; the driver's
                # bounded retries decide, as with the local executor.
                with dask.config.set({"distributed.scheduler.allowed-failures":
                                      self.allowed_failures,
                                      "distributed.scheduler.worker-saturation": 1.0,
                                      # The sampling profiler (every 10 ms) costs CPU and
                                      # the GIL in every run; runs are not profiled here.
                                      "distributed.worker.profile.enabled": False,
                                      # Not dask's MALLOC_TRIM_THRESHOLD_=65536: it
                                      # fixes glibc's mmap threshold, and every large
                                      # temporary array is then mapped afresh and
                                      # faulted in: runs take twice as long.
                                      "distributed.nanny.pre-spawn-environ": {
                                          **dask.config.get(
                                              "distributed.nanny.pre-spawn-environ", {}),
                                          **WORKER_ENV, "MALLOC_TRIM_THRESHOLD_": None}}):
                    self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1,
                                                processes=True, host="127.0.0.1",
                                                dashboard_address=None,
                                                silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.address or "a local cluster"
            raise SweepError(f"--address {where}: cannot reach the dask scheduler "
                             f"({exc})") from None
        self._ac = as_completed()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def describe(self) -> str:
        """One line for the log."""
        workers = self.client.scheduler_info().get("workers", {}) if self.client else {}
        where = self.address or "local cluster"
        return f"dask, {where}, {len(workers)} workers"

    def capacity(self) -> int:
        """How many tasks the driver keeps in flight: two per worker thread (at least 4);
        the cluster may grow, so this is asked again as tasks finish."""
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        return max(4, 2 * threads)

    def in_flight(self) -> int:
        """Tasks submitted and not yet collected."""
        return len(self._tasks)

    def submit(self, task: dict[str, Any]) -> None:
        """Send a task to the scheduler."""
        key = f"panoptisim-{task['run_id']}-a{task['attempt']}-{uuid.uuid4().hex[:8]}"
        future = self.client.submit(execute, task, key=key, pure=False)
        self._tasks[future.key] = task
        self._ac.add(future)

    def outcomes(self) -> Iterator[Outcome]:
        """Outcomes as futures complete."""
        for future in self._ac:
            task = self._tasks.pop(future.key)
            if future.status == "finished":
                result = future.result()
                yield Outcome(task, result["status"], result)
            else:
                try:
                    exc = future.exception()
                    text = f"{type(exc).__name__}: {exc}"
                except Exception as err:  # cancelled, or the scheduler went away
                    text = f"{type(err).__name__}: {err}"
                yield Outcome(task, "crashed", {"error": text, "worker": None})
            future.release()

    def close(self) -> None:
        """Disconnect; stop the local cluster if this executor started it."""
        if self.client is not None:
            try:
                self.client.close(timeout=10)
            except Exception:  # closing after an interrupt: best effort
                pass
            self.client = None
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=10)
            except Exception:
                pass
            self.cluster = None


def make_executor(kind: str, address: str | None, jobs: int | None) -> Any:
    """The executor named ``kind`` (``local`` or ``dask``).

    The one place the executor is chosen, so the one place ``address`` (a dask scheduler) is
    refused for any other executor; nothing is written before this is called.
    """
    if kind == "dask":
        return DaskExecutor(address, jobs)
    if address:
        raise SweepError(f"--address {address} needs --executor dask")
    return LocalExecutor(jobs)

"""Fault injection for tests: make a run fail on purpose at a named point.

Production code calls :func:`check` at a few named points; it does nothing unless the
environment variable ``PANOPTISIM_FAULTS`` is set, which only tests do. The variable is
inherited by child processes, so a fault reaches sweep workers (local process pool or Dask
workers started from the test's environment).

``PANOPTISIM_FAULTS`` holds ``;``-separated entries:

- ``POINT:ACTION:PATTERN[:TIMES]``: at the point named ``POINT``, when the key passed to
  :func:`check` matches ``PATTERN`` (fnmatch), do ``ACTION``: ``raise`` (raise a
  RuntimeError, "injected fault ...") or ``kill`` (the process SIGKILLs itself).
  ``TIMES`` bounds how many times the rule fires, counted across processes with marker
  files ``<ACTION>-<key with / as _>-<k>`` in the counter folder; without ``TIMES``, or
  without a counter folder, the rule fires every time.
- ``counts=FOLDER``: the counter folder (an existing directory).

Named points and their keys:

- ``worker.halfway``: a sweep worker, once its run is halfway through its days (and on
  each later day); key ``<sweep name>/<run_id>``. Example: ``worker.halfway:kill:s/p00001-*:1``.
- ``dashboard.day``: the dashboard, after each simulated day; key
  ``seed=<run.seed>/day=<day>``. Example: ``dashboard.day:raise:seed=13/day=1``.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import time
from pathlib import Path

ENV = "PANOPTISIM_FAULTS"
ACTIONS = ("raise", "kill")


def _claim(folder: str, tag: str, times: int) -> bool:
    """Take one of ``times`` marker files of ``tag`` in ``folder``; False when all are
    taken (atomic across processes: ``O_CREAT | O_EXCL``)."""
    for k in range(times):
        try:
            fd = os.open(Path(folder) / f"{tag}-{k}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.close(fd)
        return True
    return False


def action(point: str, key: str) -> str | None:
    """The action (``"raise"`` or ``"kill"``) that ``PANOPTISIM_FAULTS`` sets for ``point``
    and ``key`` now, or None; a rule with ``TIMES`` uses up one of its times."""
    spec = os.environ.get(ENV, "")
    if not spec:
        return None
    entries = [e.strip() for e in spec.split(";") if e.strip()]
    folder = next((e.split("=", 1)[1] for e in entries if e.startswith("counts=")), None)
    for entry in entries:
        parts = entry.split(":")
        if len(parts) < 3 or parts[0] != point or parts[1] not in ACTIONS:
            continue
        if not fnmatch.fnmatchcase(key, parts[2]):
            continue
        if len(parts) < 4 or not folder:
            return parts[1]
        if _claim(folder, f"{parts[1]}-{key.replace('/', '_')}", int(parts[3])):
            return parts[1]
    return None


def check(point: str, key: str) -> None:
    """At the named ``point``: raise RuntimeError or kill this process if a rule of
    ``PANOPTISIM_FAULTS`` says so for ``key``; otherwise (always in production) nothing."""
    what = action(point, key)
    if what == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)  # never reached: the signal is immediate
    if what == "raise":
        raise RuntimeError(f"injected fault ({ENV}) at {point} for {key}")

"""Helpers shared by the experiments tests (sweep files, the CLI as a subprocess, process
clean-up), and tests of the test-only fault-injection hook they rely on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from panoptisim import faults
from panoptisim.experiments import worker

#: A tiny society: every run takes well under a second.
TINY = {"population.size": 500, "run.steps": 20}


def sweep_text(axes: str, *, name: str = "tiny", replicates: int = 2, design: str = "grid",
               samples: int | None = None, seed: int = 11, extra: str = "",
               settings: dict[str, Any] | None = None) -> str:
    """A sweep file over the tiny society."""
    settings = dict(TINY, **(settings or {}))
    lines = ["[sweep]", f'name = "{name}"', f"seed = {seed}", f"replicates = {replicates}",
             f'design = "{design}"']
    if samples is not None:
        lines.append(f"samples = {samples}")
    lines += [extra, "[set]"] + [f'"{k}" = {v}' for k, v in settings.items()]
    return "\n".join(lines) + "\n[axes]\n" + axes + "\n"


def write_sweep(folder: Path, axes: str, **kw: Any) -> Path:
    """Write a sweep file into ``folder``; returns its path."""
    path = folder / f"{kw.get('name', 'tiny')}.toml"
    path.write_text(sweep_text(axes, **kw))
    return path


def command(*args: str) -> list[str]:
    """The experiments CLI as a user runs it (``panoptisim sweep ...``)."""
    return [sys.executable, "-m", "panoptisim.experiments", *map(str, args)]


def cli(*args: str, env: dict[str, str] | None = None,
        timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the CLI to completion."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def start(args: list[str], env: dict[str, str] | None = None,
          log: Path | None = None) -> subprocess.Popen:
    """Start a process in its own session (so its whole group can be stopped)."""
    out = open(log, "w") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT if log else out,
                            start_new_session=True,
                            env=None if env is None else {**os.environ, **env})


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 20) -> None:
    """Stop a process started with :func:`start` and everything in its session."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def wait_for(predicate: Any, timeout: float = 120, what: str = "condition") -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def n_results(out: Path) -> int:
    """Result files written so far."""
    folder = out / "results"
    return len([p for p in folder.glob("*.parquet")]) if folder.is_dir() else 0


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_group_alive(pgid: int) -> bool:
    """True while any process of the session ``pgid`` lives."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == pgid and fields[0] != "Z":
            return True
    return False


def assert_same_summary(stored: Any, direct: Any) -> None:
    """A sweep's run against the same run made here: equal up to the last bits of a float.

    Sweep workers run with one BLAS thread; this process may use several, and OpenBLAS
    splits long dot products by thread (the engine's binned Gini uses one), which can move
    the last bit of a sum. Executors are compared bit for bit elsewhere.
    """
    if isinstance(stored, dict):
        assert stored.keys() == direct.keys()
        for k in stored:
            assert_same_summary(stored[k], direct[k])
    elif isinstance(stored, list):
        assert len(stored) == len(direct)
        for a, b in zip(stored, direct, strict=True):
            assert_same_summary(a, b)
    elif isinstance(stored, float) and isinstance(direct, float):
        assert stored == pytest.approx(direct, rel=1e-9, abs=1e-12)
    else:
        assert stored == direct


# ------------------------------------------------------------------ fault hook
def test_fault_rules_match_the_run_and_fire_a_bounded_number_of_times(tmp_path, monkeypatch):
    monkeypatch.setenv(faults.ENV, "worker.halfway:kill:s/p00001-r000:2;"
                                   f"worker.halfway:raise:s/p00002-*;counts={tmp_path}")
    point = "worker.halfway"
    assert faults.action(point, "s/p00000-r000") is None
    assert faults.action(point, "other/p00001-r000") is None
    assert faults.action("dashboard.day", "s/p00001-r000") is None  # another point
    fired = [faults.action(point, "s/p00001-r000") for _ in range(4)]
    assert fired == ["kill", "kill", None, None]
    assert (tmp_path / "kill-s_p00001-r000-1").exists()  # the counter other processes see
    assert [faults.action(point, "s/p00002-r003") for _ in range(3)] == ["raise"] * 3
    with pytest.raises(RuntimeError, match="injected fault"):
        faults.check(point, "s/p00002-r003")
    faults.check(point, "s/p00000-r000")  # no rule: nothing happens
    monkeypatch.delenv(faults.ENV)
    assert faults.action(point, "s/p00002-r003") is None  # production: never


def test_an_injected_error_is_recorded_not_raised(tmp_path, monkeypatch):
    import panoptisim

    monkeypatch.setenv(faults.ENV, "worker.halfway:raise:s/*")
    (tmp_path / "runs").mkdir()
    scenario = panoptisim.load_scenario("baseline", TINY).model_dump(mode="json")
    out = worker.execute({"root": str(tmp_path), "run_id": "p00000-r000", "sweep_name": "s",
                          "scenario": scenario})
    assert out["status"] == "error" and "injected fault" in out["error"]
    assert "Traceback" in out["traceback"]
    assert list((tmp_path / "runs").iterdir()) == []  # the attempt folder is gone


def test_a_run_reads_its_own_attempt_folder_not_the_sweeps_runs_folder(tmp_path, monkeypatch):
    """Each run's safety steps (the check of --out and the removal of stale partial folders)
    read the folder the run is built in: a worker built runs straight in runs/, which a
    large sweep fills with up to 100,000 folders, and every run read them all."""
    import panoptisim
    from panoptisim import io

    scanned = []
    real = io.remove_stale_partials
    monkeypatch.setattr(io, "remove_stale_partials",
                        lambda parent: scanned.append(Path(parent)) or real(parent))
    runs = tmp_path / "runs"
    runs.mkdir()
    for i in range(3):  # runs already done
        (runs / f"p0000{i}-r000").mkdir()
    scenario = panoptisim.load_scenario("baseline", TINY).model_dump(mode="json")
    out = worker.execute({"root": str(tmp_path), "run_id": "p00009-r000", "sweep_name": "s",
                          "scenario": scenario})
    assert out["status"] == "done", out
    assert scanned and all(p.parent == runs and p.name.startswith(".p00009-r000.attempt-")
                           for p in scanned), scanned
    assert sorted(p.name for p in runs.iterdir()) == [
        "p00000-r000", "p00001-r000", "p00002-r000", "p00009-r000"]  # no attempt folder left
    assert (runs / "p00009-r000" / "summary.json").is_file()

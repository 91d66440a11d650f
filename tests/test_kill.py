"""``panoptisim run`` killed outright (SIGKILL) at any point, its report phase included,
leaves either no run folder or a complete one; the next run into the same ``--out``
succeeds, removes the killed runs' partial folders and writes the same metrics.parquet,
byte for byte, as a run never interrupted.

The kill points are found by watching the run's own partial folder (``.NAME.partial-<pid>-*``):
while simulating (before it exists), as its data files appear, once the report's figures
are being drawn, and as report.html appears (around the rename)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import panoptisim
from panoptisim import output
from panoptisim.io import host_tag

TINY = {"population.size": 300, "run.steps": 8}
SEED = 5


def command(out: Path) -> list[str]:
    """``panoptisim run`` of the tiny scenario into ``out``, with its report."""
    sets = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]
    return [sys.executable, "-m", "panoptisim", "run", *sets, "--seed", str(SEED), "--quiet",
            "--out", str(out)]


def building(out: Path, pid: int) -> Path | None:
    """The folder the run of process ``pid`` is building inside its partial folder, if it
    has one (a killed earlier run's leftover partial folder does not count)."""
    for partial in out.parent.glob(f".{out.name}.partial-{pid}-{host_tag()}-*"):
        if (partial / out.name).is_dir():
            return partial / out.name
    return None


def in_folder(*names: str, at_least: int = 1) -> Callable[[Path, int], bool]:
    """Whether the folder process ``pid`` is building holds ``at_least`` entries matching
    any of ``names`` (globs; ``figures/*`` counts the figure files)."""
    def reached(out: Path, pid: int) -> bool:
        folder = building(out, pid)
        return folder is not None and sum(len(list(folder.glob(n))) for n in names) >= at_least
    return reached


#: Where to kill: a point to wait for in the run, then a random delay (s) up to the bound.
KILL_POINTS: list[tuple[str, Callable[[Path, int], bool] | None, float]] = [
    ("starting or simulating", None, 4.0),  # the interpreter, the build, the days
    ("data files", in_folder("*.parquet", "*.json", "*.toml"), 0.05),
    ("report begun", in_folder("figures"), 1.0),
    ("report half drawn", in_folder("figures/*", at_least=6), 0.5),
    ("report.html", in_folder("report.html", ".report.html.*"), 0.02),
]


def kill_at(out: Path, reached: Callable[[Path, int], bool] | None, delay: float,
            timeout: float = 240) -> str:
    """Start the run, wait for ``reached`` (polling every 2 ms), sleep ``delay`` s, SIGKILL
    it and reap it. Returns "killed", or "finished" if it ended first."""
    proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while reached is not None and not reached(out, proc.pid):
            if proc.poll() is not None:
                break
            assert time.monotonic() < deadline, "the run did not reach its kill point"
            time.sleep(0.002)
        time.sleep(delay)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stderr.read().decode()
            return "finished"
        os.kill(proc.pid, signal.SIGKILL)
        return "killed"
    finally:
        proc.kill()
        proc.wait()  # reaped: its process id no longer runs
        proc.stderr.close()


def assert_complete(folder: Path) -> None:
    """Every file of a run folder with its report is there and readable."""
    assert {p.name for p in folder.iterdir()} == {*output.FILES, "report.html", "figures"}
    assert pq.read_table(folder / "metrics.parquet").num_rows == 2 * TINY["run.steps"]
    pq.read_table(folder / "regions.parquet")
    json.loads((folder / "summary.json").read_text())
    json.loads((folder / "manifest.json").read_text())
    tomllib.loads((folder / "scenario.toml").read_text())
    assert (folder / "report.html").read_text(encoding="utf-8").endswith("</html>\n")
    assert all(p.stat().st_size > 0 for p in (folder / "figures").iterdir())


def reference(tmp_path: Path) -> bytes:
    """metrics.parquet of the run never interrupted (written by the Python interface)."""
    r = panoptisim.run("baseline", seed=SEED, out=tmp_path / "reference", overrides=TINY)
    return (r.path / "metrics.parquet").read_bytes()


def kill_and_rerun(tmp_path: Path, points: list[tuple[str, Callable | None, float]],
                   rng: random.Random) -> list[str]:
    """Kill a run into one ``--out`` at each point in turn, checking the folder after each;
    then run again into it. Returns what happened to each run."""
    want = reference(tmp_path)
    out = tmp_path / "runs" / "killed"
    out.parent.mkdir()
    happened = []
    for label, reached, bound in points:
        delay = rng.uniform(0, bound)
        what = kill_at(out, reached, delay)
        happened.append(f"{label} +{delay:.3f}s: {what}, "
                        f"{'complete folder' if out.exists() else 'no folder'}")
        if out.exists():  # killed after the rename, or it finished: complete, same metrics
            assert_complete(out)
            assert (out / "metrics.parquet").read_bytes() == want, happened
            os.rename(out, tmp_path / f"done-{len(happened)}")
    res = subprocess.run(command(out), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, (res.stderr, happened)
    assert_complete(out)
    assert (out / "metrics.parquet").read_bytes() == want, happened
    assert [p.name for p in out.parent.iterdir()] == ["killed"], happened  # stale ones removed
    return happened


def test_a_killed_run_leaves_no_folder_or_a_complete_one(tmp_path):
    happened = kill_and_rerun(tmp_path, KILL_POINTS, random.Random(20261130))
    assert sum("killed" in h for h in happened) >= 4, happened  # the points were reached
    assert any(h.startswith("report") and "killed, no folder" in h for h in happened), happened


@pytest.mark.slow
def test_many_kills_at_random_times(tmp_path):
    """20 kills at random times over a whole run's length (measured first), then a rerun."""
    t0 = time.monotonic()
    res = subprocess.run(command(tmp_path / "timed"), capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    length = time.monotonic() - t0
    rng = random.Random(int(time.time()))
    points = [(f"at {k}", None, length * 1.05) for k in range(20)]
    kill_and_rerun(tmp_path, points, rng)

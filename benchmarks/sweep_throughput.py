"""Benchmark: sweep throughput on this machine, and the speed-up over one run after another.

A sweep of ``--runs`` runs (default 64: 8 camera false-match rates x 8 replicates) of
``--agents`` agents x ``--days`` days (default 10,000 x 365, both arms) is run

- ``sequential``: the same runs (same scenarios, same seeds) one after another in one
  process with ``panoptisim.run``, with one BLAS thread as the sweep workers have, so the
  ratio measures the parallelism of the executors alone;
- ``sequential-blas`` (not run by default): the same, with the BLAS threads a plain
  ``panoptisim run`` gets (one per core), for the cost of BLAS threading in the engine;
- ``local``: ``panoptisim sweep --jobs N`` (process pool);
- ``dask``: ``panoptisim sweep --executor dask --jobs N`` (a LocalCluster it starts).

Each mode runs in a fresh subprocess. Reported per mode: wall time, runs per minute, the
ratio to sequential, and how busy the cores were: CPU seconds of the mode's processes
(``RUSAGE_CHILDREN``, which counts every descendant once it is reaped) / wall time /
cores. The load average before and after is printed: other work on the machine slows
every mode and shows up there.

    python benchmarks/sweep_throughput.py [--runs 64] [--agents 10000] [--days 365]
        [--jobs 2] [--modes sequential,local,dask[,sequential-blas]] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from panoptisim.experiments.executors import WORKER_ENV

SEQUENTIAL = r"""
import sys, time
from pathlib import Path
import panoptisim
from panoptisim.experiments import load_sweep
from panoptisim.scenario import Scenario
plan = load_sweep(sys.argv[1])
out = Path(sys.argv[2])
for run in plan.runs():
    panoptisim.run(Scenario.model_validate(plan.scenario_dict(run)), out=out / run.run_id)
"""


def sweep_file(path: Path, runs: int, agents: int, days: int) -> Path:
    """8 points (camera FPIR) x runs/8 replicates."""
    points = 8 if runs % 8 == 0 else 1
    fpir = [round(0.0005 * 2 ** i, 6) for i in range(points)]
    path.write_text(
        "[sweep]\n"
        'name = "throughput"\nscenario = "baseline"\nseed = 20261127\n'
        f"replicates = {runs // points}\n"
        "[set]\n"
        f'"population.size" = {agents}\n"run.steps" = {days}\n'
        "[axes]\n"
        f'"surveillance.cameras.fpir" = {fpir}\n')
    return path


def measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command to completion; returns (wall s, CPU s of it and its descendants)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   env=None if env is None else {**os.environ, **env})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def slots_busy(out: Path, wall: float, jobs: int) -> str:
    """Share of the sweep's wall time its worker slots spent running runs: the sum of the
    runs' own wall times (recorded by the workers) / (wall time x jobs). Unlike the CPU
    share it does not drop when other work on the machine takes CPU from the workers."""
    if not (out / "results").is_dir():
        return "-"
    import pandas as pd

    runs = pd.read_parquet(out / "results").drop_duplicates("run_id")
    return f"{runs['wall_s'].sum() / (wall * jobs):.0%}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--modes", default="sequential,local,dask")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="Keep the sweep folders here (default: a temporary folder).")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="panoptisim-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    spec = sweep_file(work / "throughput.toml", args.runs, args.agents, args.days)
    cores = os.cpu_count() or 1
    py = sys.executable
    commands = {
        "sequential": [py, "-c", SEQUENTIAL, str(spec), str(work / "sequential")],
        "sequential-blas": [py, "-c", SEQUENTIAL, str(spec), str(work / "sequential-blas")],
        "local": [py, "-m", "panoptisim.experiments", "sweep", str(spec), "--jobs",
                  str(args.jobs), "--out", str(work / "local"), "--quiet"],
        "dask": [py, "-m", "panoptisim.experiments", "sweep", str(spec), "--executor", "dask",
                 "--jobs", str(args.jobs), "--out", str(work / "dask"), "--quiet"],
    }
    results = {}
    load0 = os.getloadavg()
    for mode in args.modes.split(","):
        shutil.rmtree(work / mode, ignore_errors=True)
        load = os.getloadavg()[0]
        wall, cpu = measure(commands[mode], WORKER_ENV if mode == "sequential" else None)
        results[mode] = (wall, cpu)
        print(f"{mode}: {wall:.1f} s wall, {cpu:.1f} CPU s, load before {load:.2f}",
              file=sys.stderr, flush=True)
    load1 = os.getloadavg()

    print(f"date: {date.today()}  machine: {platform.machine()}, {cores} cores, "
          f"{platform.platform()}, python {platform.python_version()}")
    print(f"sweep: {args.runs} runs of {args.agents:,} agents x {args.days} days x 2 arms "
          f"(baseline, 8 FPIR points x {args.runs // 8} replicates), jobs {args.jobs}")
    print(f"load average (1, 5, 15 min) before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}"
          f"  after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    seq = results.get("sequential", (None, None))[0]
    print("| mode | wall (s) | runs/min | speed-up vs sequential | cores busy | "
          "worker slots busy |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, (wall, cpu) in results.items():
        ratio = f"{seq / wall:.2f}x" if seq else "-"
        print(f"| {mode} | {wall:.1f} | {args.runs / wall * 60:.2f} | {ratio} | "
              f"{cpu / wall:.2f} of {cores} ({cpu / wall / cores:.0%}) | "
              f"{slots_busy(work / mode, wall, args.jobs)} |")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

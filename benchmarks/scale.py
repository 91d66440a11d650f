"""Benchmark: agent-days per second, time per phase and peak memory at 1e5, 1e6, 1e7 agents.

Full model (default ``baseline`` scenario, every mechanism on, mean degree about 20), both
arms stepped, each run in a fresh process (so its peak RSS is its own). Prints, per size,
the median, min and max over ``--runs`` of: wall time, agent-days per second (agent-days =
agents x days x 2 arms, over the step loop; and over the whole run, build included), time
per phase (build, behaviour, sensors, scoring, sanctions, social response, metrics, output),
peak RSS and the memory estimate (panoptisim.footprint). With two threads the control arm
steps in the second one, so the step phases' times are thread-seconds summed over both arms
(their total exceeds the step loop's wall time). Also the numba kernels' first-call
compile time (fresh cache directory) and their load time from the on-disk cache, and the
machine load (uptime) before each run, since a loaded machine slows every figure.

    python benchmarks/scale.py [--sizes 1e5 1e6 1e7] [--steps 365] [--runs 3]
                               [--steps-at SIZE=STEPS ...]

``--steps-at 1e7=30`` runs fewer days at one size (agent-days per second is per day, so it
extrapolates; the printout says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
t_import = time.perf_counter()
from panoptisim import kernels
compile_s = kernels.warm_up()
from panoptisim.engine import day_columns, simulate
from panoptisim.footprint import estimate, measured, peak_rss, _proc_bytes
interpreter = _proc_bytes("/proc/self/status", "VmRSS") or 0
from panoptisim.output import manifest, metrics_arrow, now, write_run
from panoptisim.scenario import load_scenario
from panoptisim.summary import run_summary
size, steps = int(float(sys.argv[1])), int(sys.argv[2])
sc = load_scenario("baseline", {"population.size": size, "run.steps": steps}, seed=1)
est = estimate(sc).peak
started = now()
t0 = time.perf_counter()
sim = simulate(sc)
t1 = time.perf_counter()
table = metrics_arrow(day_columns(sim))
summary = run_summary(sim)
with tempfile.TemporaryDirectory() as d:
    write_run(Path(d) / "run", sc, table, summary, manifest(sc, sim.timings, started, now()))
t2 = time.perf_counter()
phases = dict(sim.timings)
parts = measured([r.state for r in sim.runs], interpreter)
phases["output"] = t2 - t1
print(json.dumps({"wall_s": t2 - t0, "step_s": (t1 - t0) - phases["build"],
                  "phases": phases, "kernel_load_s": compile_s,
                  "peak_rss_mb": peak_rss() / 2**20,
                  "estimate_mb": est / 2**20, "bytes": parts}))
"""

COMPILE = r"""
import json, time
t0 = time.perf_counter()
from panoptisim import kernels
t1 = time.perf_counter()
print(json.dumps({"compile_s": kernels.warm_up()}))
"""


def uptime() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def stat(values: list[float], fmt: str = "{:.2f}") -> str:
    return (f"median {fmt.format(statistics.median(values))}  min {fmt.format(min(values))}  "
            f"max {fmt.format(max(values))}")


def compile_time() -> float:
    """First-call compile time of every kernel, in a fresh process with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", COMPILE], capture_output=True, text=True,
                             check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["compile_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1e5", "1e6", "1e7"])
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--steps-at", action="append", default=[], metavar="SIZE=STEPS")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    steps_at = {int(float(k)): int(v) for k, v in (x.split("=") for x in args.steps_at)}

    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine: "
          f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
          f"python {platform.python_version()}, NUMBA_NUM_THREADS="
          f"{os.environ.get('NUMBA_NUM_THREADS', 'default')} (the arms step in two threads "
          f"unless it is 1; phase times are then thread-seconds)")
    print(f"numba kernels, first-call compile (empty cache): {compile_time():.2f} s "
          f"(load {uptime()})")
    for size_text in args.sizes:
        size = int(float(size_text))
        steps = steps_at.get(size, args.steps)
        results, loads = [], []
        for i in range(args.runs):
            loads.append(uptime())
            out = subprocess.run([sys.executable, "-c", CHILD, str(size), str(steps)],
                                 capture_output=True, text=True)
            if out.returncode:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(out.returncode)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  {size:,} run {i + 1}: {results[-1]['wall_s']:.1f} s", file=sys.stderr)
        agent_days = size * steps * 2
        print(f"\n{size:,} agents x {steps} days x 2 arms = {agent_days:,} agent-days "
              f"({args.runs} runs; load before each: {' | '.join(loads)})")
        print(f"  wall time (s)                    {stat([r['wall_s'] for r in results])}")
        print(f"  agent-days/s, step loop          "
              f"{stat([agent_days / r['step_s'] / 1e6 for r in results], '{:.2f}M')}")
        print(f"  agent-days/s, whole run          "
              f"{stat([agent_days / r['wall_s'] / 1e6 for r in results], '{:.2f}M')}")
        if steps != 365:
            year = [r["phases"]["build"] + r["phases"]["output"] + r["step_s"] * 365 / steps
                    for r in results]
            print(f"  365 days extrapolated (s)        {stat(year)}")
        rss = stat([r['peak_rss_mb'] for r in results], '{:.0f}')
        print(f"  peak RSS (MiB)                   {rss}"
              f"   estimate {results[0]['estimate_mb']:.0f} MiB, "
              f"{results[0]['peak_rss_mb'] * 2**20 / size:.0f} B/agent")
        print(f"  kernel load from cache (s)       {stat([r['kernel_load_s'] for r in results])}")
        parts = results[0]["bytes"]
        other = results[0]["peak_rss_mb"] * 2**20 - sum(parts.values())
        print("  bytes per agent at the end (run 1): " + ", ".join(
            f"{k} {v / size:,.0f}" for k, v in parts.items())
            + f", rest of the peak (day's temporaries, build) {other / size:,.0f}")
        for phase in results[0]["phases"]:
            print(f"    {phase:<16} {stat([r['phases'][phase] for r in results])}")


if __name__ == "__main__":
    main()

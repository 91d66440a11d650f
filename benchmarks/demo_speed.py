"""Benchmark: the default demo (baseline, 100,000 agents x 365 days, both arms).

Runs the scenario in fresh processes (so each peak RSS is its own) and prints wall time,
agent-days per second, time per phase and peak memory: median, min and max over the runs.
Target: under 60 s on a 2-core machine.

    python benchmarks/demo_speed.py [--runs 3] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date

CHILD = r"""
import json, sys, time
import panoptisim
from panoptisim.footprint import peak_rss
overrides = json.loads(sys.argv[1])
t0 = time.perf_counter()
r = panoptisim.run("baseline", overrides=overrides)
wall = time.perf_counter() - t0
sc = r.scenario
print(json.dumps({"wall_s": wall, "phases": r.simulation.timings,
                  "agents": sc.population.size, "steps": sc.run.steps,
                  "arms": 2 if sc.run.control else 1,
                  "peak_rss_mb": peak_rss() / 2**20}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    overrides = {}
    for item in args.sets:
        key, value = item.split("=", 1)
        overrides[key] = json.loads(value) if value[:1].isdigit() or value in (
            "true", "false") else value
    results = []
    for i in range(args.runs):
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(overrides)],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"run {i + 1}: {results[-1]['wall_s']:.2f} s", file=sys.stderr)
    first = results[0]
    agent_days = first["agents"] * first["steps"] * first["arms"]
    walls = [r["wall_s"] for r in results]

    def stat(values: list[float]) -> str:
        return (f"median {statistics.median(values):.2f}  min {min(values):.2f}  "
                f"max {max(values):.2f}")

    print(f"date: {date.today()}  machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}, python {platform.python_version()}")
    print(f"scenario: baseline {overrides or ''} -> {first['agents']:,} agents x "
          f"{first['steps']} days x {first['arms']} arms = {agent_days:,} agent-days")
    print(f"wall time (s):        {stat(walls)}   target < 60 s "
          f"(ratio to target {statistics.median(walls) / 60:.2f})")
    print(f"agent-days per second: {stat([agent_days / w for w in walls])}")
    print(f"peak RSS (MB):        {stat([r['peak_rss_mb'] for r in results])}")
    for phase in first["phases"]:
        print(f"  {phase:<16} {stat([r['phases'][phase] for r in results])}")


if __name__ == "__main__":
    main()

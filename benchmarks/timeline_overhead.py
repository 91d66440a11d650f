"""Benchmark: the cost of a timeline. The same run with and without three timeline entries.

The ``baseline`` scenario (every mechanism on) at ``--size`` agents x ``--steps`` days, both
arms, is run in fresh processes, alternately without and with a timeline of three entries
(on 1/4, 1/2 and 3/4 of the run: ``sanctions.rel_income_cut`` 0.3 -> 0.35,
``scoring.w_repayment`` 1 -> 1.1, ``safeguards.fpir_cap`` 1 -> 0.5, each a real change of
the rules that leaves the day's work about the same), ``--runs`` pairs. Prints the step
loop's wall time (build and output excluded) of each, the median of each, and the ratio
with / without (per pair and of the medians). The target: within 5% (ratio <= 1.05).

    python benchmarks/timeline_overhead.py [--size 1e6] [--steps 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime

CHILD = r"""
import json, sys, time
from panoptisim import kernels
kernels.warm_up()
from panoptisim.engine import simulate
from panoptisim.scenario import load_scenario
size, steps, with_timeline = int(float(sys.argv[1])), int(sys.argv[2]), sys.argv[3] == "1"
timeline = [
    {"day": steps // 4, "set": {"sanctions.rel_income_cut": 0.35}},
    {"day": steps // 2, "set": {"scoring.w_repayment": 1.1}},
    {"day": 3 * steps // 4, "set": {"safeguards.fpir_cap": 0.5}},
] if with_timeline else []
from panoptisim.api import build_scenario
sc = build_scenario("baseline", {"population.size": size, "run.steps": steps}, seed=1,
                    timeline=timeline)
t0 = time.perf_counter()
sim = simulate(sc)
wall = time.perf_counter() - t0
print(json.dumps({"step_s": wall - sim.timings["build"], "policy_s": sim.timings["policy"]}))
"""


def uptime() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def one(size: str, steps: int, with_timeline: bool) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, size, str(steps),
                          "1" if with_timeline else "0"], capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1e6")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, {platform.platform()}, python "
          f"{platform.python_version()}")
    print(f"{int(float(args.size)):,} agents x {args.steps} days x 2 arms, step loop wall "
          f"time (s), build and output excluded; {args.runs} alternating pairs")
    without, with_, ratios = [], [], []
    for i in range(args.runs):
        load = uptime()
        a = one(args.size, args.steps, False)
        b = one(args.size, args.steps, True)
        without.append(a["step_s"])
        with_.append(b["step_s"])
        ratios.append(b["step_s"] / a["step_s"])
        print(f"  pair {i + 1} (load {load}): without {a['step_s']:.2f} s, with 3 entries "
              f"{b['step_s']:.2f} s (policy stage {b['policy_s']:.3f} thread-s), ratio "
              f"{ratios[-1]:.3f}")
    med_a, med_b = statistics.median(without), statistics.median(with_)
    print(f"median without {med_a:.2f} s, with {med_b:.2f} s: ratio of medians "
          f"{med_b / med_a:.3f}; per-pair ratios median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f}, max {max(ratios):.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()

"""Benchmark: a built-in calibration end to end (``panoptisim calibrate NAME``).

Runs the command in a fresh process into a temporary folder and prints its wall time
against the target (the built-in calibration within 60 minutes on 2 cores), the
simulations it ran, simulations a minute, generations, why it stopped, each parameter's
posterior (median, 90% interval) and each target's predictive verdict, with the machine's
load before and after.

    python benchmarks/calibration.py [--name published] [--jobs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

TARGET_MINUTES = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="published", help="built-in target set or a file")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None,
                    help="write the calibration folder here (default: a temporary one)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="panoptisim-calib-"))
    out = args.keep if args.keep is not None else work / "out"
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "panoptisim", "calibrate", args.name,
                          "--jobs", str(args.jobs), "--out", str(out), "--no-report"],
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"calibrate failed ({res.returncode}): {res.stderr[-2000:]}")
    doc = json.loads((out / "calibration.json").read_text())
    print(f"date: {started:%Y-%m-%d %H:%M} UTC  machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, {platform.platform()}, python {platform.python_version()}")
    print(f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}"
          f"  after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"panoptisim calibrate {args.name} --jobs {args.jobs}")
    minutes = wall / 60
    print(f"  wall time: {minutes:.1f} min (target < {TARGET_MINUTES:.0f} min: "
          f"{'met' if minutes < TARGET_MINUTES else 'not met'}; "
          f"{minutes / TARGET_MINUTES:.2f} of it)")
    sampling = doc["seconds"]["sampling"]
    print(f"  simulations: {doc['simulations']} (a particle's runs count as one), "
          f"{doc['simulations'] / minutes:.1f} a minute; sampling {sampling:.0f} s, "
          f"predictive check and files {doc['seconds']['total'] - sampling:.0f} s")
    print(f"  generations: {doc['generations']}, final threshold {doc['epsilon']:.3g} "
          f"standard errors; stopped: {doc['stopped']}")
    for key, p in doc["parameters"].items():
        print(f"  {key}: median {p['median']:.4g} {p['unit']}, 90% [{p['ci90'][0]:.4g}, "
              f"{p['ci90'][1]:.4g}] (prior {p['prior']['kind']} [{p['prior']['min']:g}, "
              f"{p['prior']['max']:g}]; default {p['default']})"
              + ("" if p["constrained"] else "  UNCONSTRAINED"))
    for name, t in doc["targets"].items():
        print(f"  {name}: published {t['published']:.4g} +- {t['se']:.3g}, simulated median "
              f"{t['simulated_median']:.4g} [90%: {t['simulated_90'][0]:.4g}, "
              f"{t['simulated_90'][1]:.4g}], z {t['z']:+.2f}: {t['verdict']}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

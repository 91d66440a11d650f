"""Store a finished run of the built-in ``published`` calibration as the record behind
baseline's calibrated defaults, and print the defaults it gives.

The record, ``src/panoptisim/calibrations/published.result.json``, holds the run's
``calibration.json`` (posterior summary per parameter, predictive check, generations) and
the targets file it ran (parsed, without its name). tests/test_calibrated_defaults.py checks
that the targets file still is the one that was run, that every constrained parameter's
schema default is its posterior median (three significant figures) with a source saying
"calibrated", and that scenario ``baseline-assumed`` keeps the defaults the calibration
started from.

Usage::

    panoptisim calibrate published --jobs 2 --out calibrations/published
    python scripts/adopt_calibration.py calibrations/published
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "src" / "panoptisim" / "calibrations" / "published.result.json"


def significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant figures (the precision a default keeps)."""
    return float(f"{value:.{digits}g}")


def main(folder: str) -> int:
    """Write the record from calibration folder ``folder``; print the defaults to adopt."""
    root = Path(folder)
    result = json.loads((root / "calibration.json").read_text())
    inputs = tomllib.loads((root / "targets.toml").read_text())
    inputs["calibration"].pop("name", None)
    result["calibration"] = "published"
    record = {"result": result, "inputs": inputs}
    tmp = RECORD.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(RECORD)
    print(f"wrote {RECORD.relative_to(REPO)}")
    for key, summary in result["parameters"].items():
        verdict = "constrained" if summary["constrained"] else "unconstrained: keep the default"
        print(f"{key}: median {significant(summary['median'])} (default was "
              f"{summary['default']}), 90% [{significant(summary['ci90'][0])}, "
              f"{significant(summary['ci90'][1])}]: {verdict}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

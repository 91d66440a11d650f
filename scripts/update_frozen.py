"""Write (or check) the frozen outputs that tests/test_frozen.py compares every run against.

A few small fixed runs (``CASES``) go through ``panoptisim.run``; every per-day metric of
every arm and replicate and every value of the summary are stored in
``tests/data/frozen/<case>.json`` as deterministic JSON (sorted keys, floats as their
shortest round-trip repr, one metric column per line). The test recomputes the runs and
compares with ``rtol=1e-9, atol=0`` for floats and exactly for counts, texts and integers.

This script is the only writer of those files. A change of the stored values is a change
of the model's output: make it on purpose, and say so (which cases, which metrics, why) in
the commit message and in CHANGELOG.md. A refactoring must leave them unchanged.

    python scripts/update_frozen.py              # rewrite every case
    python scripts/update_frozen.py --check      # report differences, write nothing
    python scripts/update_frozen.py fico sesame  # only these cases

Run it with this checkout's package (``pip install -e .`` or ``PYTHONPATH=src``): it
refuses to freeze the output of a panoptisim imported from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FROZEN_DIR = REPO / "tests" / "data" / "frozen"
RTOL = 1e-9
#: How many differences a report lists per case (the count is always given).
MAX_LISTED = 20

SMALL = {"population.size": 2000, "run.steps": 60, "run.replicates": 2}
#: name -> (scenario, seed, overrides). ``harsh`` raises the sanction thresholds, turns on
#: appeals and a strong network term and makes trips and visas frequent, so that every
#: per-day metric column moves within 60 days (no sanction is shamed or lifted in the
#: built-ins at this size and length).
CASES: dict[str, tuple[str, int, dict[str, Any]]] = {
    "baseline": ("baseline", 1, SMALL),
    "safeguards": ("safeguards", 2, SMALL),
    "sesame": ("sesame", 3, SMALL),
    "fico": ("fico", 4, SMALL),
    "harsh": ("baseline", 5, {
        **SMALL,
        "sanctions.threshold_travel_ban": 630.0,
        "sanctions.threshold_visa_denial": 620.0,
        "sanctions.threshold_internet_throttled": 610.0,
        "sanctions.threshold_shaming": 600.0,
        "sanctions.threshold_employer_notified": 600.0,
        "safeguards.appeals": True,
        "scoring.w_network": 2.0,
        "social.p_cut_max": 0.05,
        "behavior.p_trip": 0.05,
        "behavior.p_visa_application": 0.02,
    }),
}
#: Columns that identify a row of the metrics table (the rest are metrics).
ROW_KEYS = ("replicate", "arm", "day")


def path_of(case: str) -> Path:
    """Where the frozen output of ``case`` is stored."""
    return FROZEN_DIR / f"{case}.json"


def _value(v: Any, count: bool) -> Any:
    """A JSON value: NaN as null, a count as an int (it must be integral)."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if count:
            if not v.is_integer():
                raise ValueError(f"count {v!r} is not an integer")
            return int(v)
    return v


def compute(case: str) -> dict[str, Any]:
    """Run ``case`` and return its frozen document: spec, per-day metrics and summary."""
    import panoptisim
    from panoptisim.metrics import COUNT_METRICS

    scenario, seed, overrides = CASES[case]
    result = panoptisim.run(scenario, seed=seed, overrides=overrides)
    table = result.metrics
    counts = set(COUNT_METRICS)
    metrics = {name: [_value(v, name in counts or name in ROW_KEYS) for v in table[name]]
               for name in table.columns if name not in ROW_KEYS}
    rows = {key: [_value(v, key != "arm") for v in table[key]] for key in ROW_KEYS}
    doc = {"case": {"scenario": scenario, "seed": seed, "overrides": dict(overrides)},
           "rows": rows, "metrics": metrics,
           "counts": sorted(name for name in metrics if name in counts),
           "summary": result.summary}
    return json.loads(dumps(doc))  # exactly what a stored file holds


def dumps(doc: Any) -> str:
    """Deterministic JSON: keys sorted, one key per line, lists of scalars on one line,
    floats by ``repr`` (shortest round trip), NaN refused."""
    def encode(obj: Any, level: int) -> str:
        pad = " " * (level + 1)
        if isinstance(obj, dict) and obj:
            items = [f"{pad}{json.dumps(str(k))}: {encode(obj[k], level + 1)}"
                     for k in sorted(obj)]
            return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
        if isinstance(obj, list) and any(isinstance(x, (dict, list)) for x in obj):
            items = [pad + encode(x, level + 1) for x in obj]
            return "[\n" + ",\n".join(items) + "\n" + " " * level + "]"
        return json.dumps(obj, allow_nan=False)
    return encode(doc, 0) + "\n"


def _leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar of a nested document by its path, e.g. ``metrics.ties_cut.ci95[1]``."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(obj, list):
        out = {}
        for i, v in enumerate(obj):
            out.update(_leaves(v, f"{prefix}[{i}]"))
        return out
    return {prefix: obj}


def same(stored: Any, now: Any, exact: bool = False) -> bool:
    """Equal as the test means it: floats within ``RTOL`` of the stored value (no absolute
    tolerance, so a stored 0 must stay 0); anything else, or ``exact``, identical."""
    if type(stored) is not type(now):
        return False
    if isinstance(stored, float) and not exact:
        return abs(now - stored) <= RTOL * abs(stored)
    return stored == now


def differences(case: str, stored: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Every difference between a stored and a fresh document, one line each, naming the
    case, the metric or summary value and the row (replicate, arm, day)."""
    out: list[str] = []
    if stored.get("case") != now["case"]:
        out.append(f"{case}: the run spec changed: stored {stored.get('case')} != "
                   f"{now['case']}")
        return out
    if stored["rows"] != now["rows"]:
        out.append(f"{case}: the rows (replicate, arm, day) differ: "
                   f"{len(stored['rows']['day'])} stored, {len(now['rows']['day'])} now")
        return out
    rows = list(zip(*(now["rows"][k] for k in ROW_KEYS)))
    for name in sorted(set(stored["metrics"]) ^ set(now["metrics"])):
        where = "stored only" if name in stored["metrics"] else "new, not stored"
        out.append(f"{case}: metric {name}: {where}")
    counts = set(now["counts"])
    for name in sorted(set(stored["metrics"]) & set(now["metrics"])):
        exact = name in counts
        for i, (a, b) in enumerate(zip(stored["metrics"][name], now["metrics"][name])):
            if not same(a, b, exact):
                rep, arm, day = rows[i]
                out.append(f"{case}: metric {name} row {i} (replicate {rep}, arm {arm}, "
                           f"day {day}): stored {a!r}, now {b!r}")
    old, new = _leaves(stored["summary"]), _leaves(now["summary"])
    for key in sorted(set(old) | set(new)):
        if key not in new or key not in old:
            out.append(f"{case}: summary {key}: "
                       f"{'stored only' if key in old else 'new, not stored'}")
        elif not same(old[key], new[key]):
            out.append(f"{case}: summary {key}: stored {old[key]!r}, now {new[key]!r}")
    return out


def check_package() -> None:
    """Refuse to freeze the output of a panoptisim that is not this checkout's."""
    import panoptisim
    here = Path(panoptisim.__file__).resolve()
    if REPO / "src" not in here.parents:
        sys.exit(f"error: panoptisim is imported from {here.parent}, not from this "
                 f"checkout's {REPO / 'src'}: run with PYTHONPATH={REPO / 'src'}")


def main(argv: list[str] | None = None) -> int:
    """Write the frozen files, or with --check report their differences (exit 1 if any)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"cases to run (default all: {', '.join(CASES)})")
    parser.add_argument("--check", action="store_true",
                        help="compare with the stored files and report; write nothing")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    check_package()
    status = 0
    for case in args.cases or list(CASES):
        now = compute(case)
        path = path_of(case)
        stored = json.loads(path.read_text()) if path.exists() else None
        found = (["no stored file"] if stored is None
                 else differences(case, stored, now))
        if args.check:
            if found:
                status = 1
                print(f"{case}: {len(found)} difference(s)")
                for line in found[:MAX_LISTED]:
                    print(f"  {line}")
            else:
                print(f"{case}: unchanged")
            continue
        text = dumps(now)
        if stored is not None and path.read_text() == text:
            print(f"{case}: unchanged")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        what = "new" if stored is None else f"{len(found)} difference(s)"
        print(f"{case}: written {path.relative_to(REPO)} ({what})")
    return status


if __name__ == "__main__":
    sys.exit(main())

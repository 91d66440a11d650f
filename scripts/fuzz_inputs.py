"""Try N generated bad inputs on ``panoptisim run`` and count those for which the bad-input
contract held (exit status 2, one line on stderr, no traceback, nothing written).

The inputs come from the generator of ``tests/test_fuzz_inputs.py`` (hypothesis): scenario
files and ``--set`` values of the wrong type, unknown keys, huge strings, newlines, arrays
nested thousands deep, integers of thousands of digits, files that are no TOML or no
UTF-8, a folder as the scenario, an ``--out`` name too long. docs/reliability.md quotes
its figures.

    PYTHONPATH=src python scripts/fuzz_inputs.py            # 1000 inputs
    PYTHONPATH=src python scripts/fuzz_inputs.py -n 5000 --seed 7

Prints ``tried N, held M`` (and the first inputs that broke the contract); exit status 1
if any did.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_fuzz_inputs import bad_inputs, outcome  # noqa: E402


def main() -> int:
    """Run the inputs, print the tally; 0 if the contract held for all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="inputs to try (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--kinds", action="store_true",
                        help="also print how many inputs of each kind were tried")
    args = parser.parse_args()
    tally: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    broken: list[str] = []

    @seed(args.seed)
    @settings(max_examples=args.n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(bad_inputs())
    def attempt(case: dict) -> None:
        problem = outcome(case)
        tally["tried"] += 1
        tally["held"] += problem is None
        kinds[case["kind"]] += 1
        if problem is not None and len(broken) < 5:
            broken.append(f"{problem} (--set {case['sets']}, file {(case['file'] or b'')[:120]!r})")

    attempt()
    print(f"tried {tally['tried']}, held {tally['held']} (bad inputs to 'panoptisim run': "
          "exit status 2, one line on stderr, no traceback, nothing written)")
    if args.kinds:
        for kind, n in sorted(kinds.items()):
            print(f"  {n:6d} inputs: {kind}")
    for line in broken:
        print("  broken:", line)
    return 0 if tally["tried"] == tally["held"] else 1


if __name__ == "__main__":
    sys.exit(main())

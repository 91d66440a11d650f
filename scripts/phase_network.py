"""Phase diagram of guilt by association: the baseline over the range of ``scoring.w_network``.

For each weight the treated arm of the baseline is run (no control arm: every value here is
a level of the treated society) and one Markdown row is printed: the share of agents ever
sanctioned, new sanctions and those by association (but-for), ties cut and restored, and
the share of their friend and family ties that dissenters have lost at the end. Each run
is checked against the rule that association points alone never sanction: every sanction
imposed carried own points (true + false) of at least ``sanctions.min_own_points``; the
script fails if one did not.

    PYTHONPATH=src python scripts/phase_network.py
    PYTHONPATH=src python scripts/phase_network.py --size 2000 --steps 180 --w 0 10 1000
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from panoptisim.engine import simulate
from panoptisim.scenario import load_scenario

#: The weights of the default diagram, points per event of a friend (0 = off).
WEIGHTS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0)
COLUMNS = ("w_network", "ever sanctioned", "sanctions new", "by association", "ties cut",
           "ties restored", "dissenter friend ties lost", "dissenter family ties lost",
           "min own points")


def row(w: float, size: int, steps: int, seed: int | None) -> tuple[list[str], bool]:
    """One weight's Markdown cells, and whether every sanction carried enough own points."""
    sc = load_scenario("baseline", {"population.size": size, "run.steps": steps,
                                    "run.control": False, "scoring.w_network": w}, seed=seed)
    run = simulate(sc).runs[0]
    s, col = run.state, run.columns
    own = s.sanction_log.points_true.astype(np.float64) + s.sanction_log.points_false
    least = float(own.min()) if len(own) else float("nan")
    ok = bool((own >= sc.sanctions.min_own_points - 1e-3).all())
    cells = [f"{w:g}", f"{s.ever_sanctioned.any(axis=0).mean():.3f}",
             f"{col['sanctions_new'].sum():,.0f}", f"{col['sanctions_by_association'].sum():,.0f}",
             f"{col['ties_cut'].sum():,.0f}", f"{col['ties_restored'].sum():,.0f}",
             f"{col['dissenter_friend_ties_lost'][-1]:.3f}",
             f"{col['dissenter_family_ties_lost'][-1]:.3f}",
             f"{least:.1f}" if len(own) else "-"]
    return cells, ok


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if a sanction carried fewer own points than the minimum."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=5000, help="agents (default 5000)")
    ap.add_argument("--steps", type=int, default=365, help="days (default 365)")
    ap.add_argument("--seed", type=int, default=None, help="root seed (default: scenario's)")
    ap.add_argument("--w", type=float, nargs="+", default=list(WEIGHTS),
                    help="values of scoring.w_network")
    args = ap.parse_args(argv)
    print(f"baseline, treated arm, {args.size:,} agents x {args.steps} days\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---:" for _ in COLUMNS) + "|")
    bad = []
    for w in args.w:
        cells, ok = row(w, args.size, args.steps, args.seed)
        print("| " + " | ".join(cells) + " |", flush=True)
        if not ok:
            bad.append(w)
    if bad:
        print(f"error: a sanction carried fewer own points than sanctions.min_own_points at "
              f"w_network = {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

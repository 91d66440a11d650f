"""How fast expression returns after the regime falls, by the size of the private opposition.

For each mean latent dissent (``population.dissent_alpha`` + ``dissent_beta`` = 10) the
``abolition`` scenario is run as the validation case ``theory-abolition`` runs it (paired
replicates, the regime abolished after a year) and one Markdown row is printed: the share
of agents who privately dissent (latent dissent at least 0.5, at build), the treated arm's
expressed dissent in the 14 days before the abolition, in its first week and in the last
30 days of the run (share of agents per day, mean over replicates), and the share of the
rebound that arrived in the first week.

    PYTHONPATH=src python scripts/phase_abolition.py
    PYTHONPATH=src python scripts/phase_abolition.py --agents 5000 --means 0.6 0.9
"""

from __future__ import annotations

import argparse

from scipy import stats

from panoptisim.validation.cases.theory_abolition import Inputs, rebound

#: Mean latent dissent of the default table (Beta with alpha + beta = 10).
MEANS = (0.6, 0.7, 0.8, 0.85, 0.9)
COLUMNS = ("mean latent dissent", "share who dissent", "before (per day)",
           "first week (per day)", "after (per day)", "share of the rebound in a week")


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=Inputs().agents, help="agents per run")
    ap.add_argument("--replicates", type=int, default=Inputs().replicates,
                    help="paired replicates")
    ap.add_argument("--means", type=float, nargs="+", default=list(MEANS),
                    help="mean latent dissent values (between 0 and 1)")
    args = ap.parse_args(argv)
    p = Inputs(agents=args.agents, replicates=args.replicates)
    print(f"abolition scenario, regime abolished on day {p.abolish_day} of {p.days}, "
          f"{p.agents:,} agents x {p.replicates} replicates\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---:|" * len(COLUMNS))
    for mean in args.means:
        alpha, beta = 10 * mean, 10 * (1 - mean)
        r = rebound(p, {"population.dissent_alpha": alpha, "population.dissent_beta": beta})
        dissent = float(stats.beta.sf(0.5, alpha, beta))
        print(f"| {mean:g} | {dissent:.3f} | {r.before:.4f} | {r.week:.4f} | {r.after:.4f} "
              f"| {r.share:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Headline results per replicate: what comparisons across runs pair.

``summary.json`` gives each headline metric's mean over replicates; a comparison of two
scenarios, or of posterior draws, needs each replicate's value to pair them (replicate r
of two runs from one seed shares its random numbers)."""

from __future__ import annotations

from typing import Any

from panoptisim.metrics import HEADLINE, METRICS, SUMMARY_METRICS
from panoptisim.summary import aggregate

_AGGREGATE = {m.name: m.aggregate for m in METRICS}
_SUMMARY = {m.name: m for m in SUMMARY_METRICS}
#: How a day metric's end-of-run value aggregates its days, in words.
_OVER = {"mean": "daily mean", "sum": "sum over run", "last": "last day"}


def aggregate_label(name: str) -> str:
    """What a headline result aggregates, in the words of summary.json ("sum over run",
    "ratio over run", ...)."""
    return _SUMMARY[name].aggregate if name in _SUMMARY else _OVER[_AGGREGATE[name]]


def replicate_values(sim: Any) -> dict[str, tuple[list[float], bool]]:
    """Each headline result of each replicate (the effect, treated - control, with a
    control arm, else the treated value; pair summary metrics as they are), and whether it
    cannot be negative: every per-arm headline value is a count, rate, share, score (>= 0)
    or ratio, so a treated value cannot, nor an effect where the control arm has none."""
    by = {(r.replicate, r.arm): r for r in sim.runs}
    reps = sorted({r.replicate for r in sim.runs})
    paired = any(r.arm == "control" for r in sim.runs)
    agents = sim.scenario.population.size
    out: dict[str, tuple[list[float], bool]] = {}

    def of_arm(name: str, r: int, arm: str) -> float:
        if name in _SUMMARY:
            return float(_SUMMARY[name].fn(by[(r, arm)].columns, agents))
        return float(aggregate(by[(r, arm)].columns[name], _AGGREGATE[name]))

    for name in HEADLINE:
        if name in _SUMMARY and _SUMMARY[name].over == "pair":
            if paired:  # an index of the pair: it may be negative (a backlash)
                out[name] = ([float(_SUMMARY[name].fn(by[(r, "treated")].columns,
                                                      by[(r, "control")].columns))
                              for r in reps], False)
            continue
        treated = [of_arm(name, r, "treated") for r in reps]
        if not paired:
            out[name] = (treated, True)
            continue
        control = [of_arm(name, r, "control") for r in reps]
        out[name] = ([t - c for t, c in zip(treated, control, strict=True)],
                     not any(control))
    return out

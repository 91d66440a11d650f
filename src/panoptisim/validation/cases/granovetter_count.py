"""Granovetter (1978) riot, count thresholds.

In a crowd of n, agent k joins a riot once k others have joined (thresholds 0, 1, ..., n-1).
The instigator (threshold 0) starts, which brings in the agent of threshold 1, and so on:
all n riot. Raise one threshold from k to k + 1 and the chain stops after the first k agents:
with k = 1, only the instigator riots. Granovetter's point: two crowds with nearly identical
preferences can behave completely differently.

How it is checked
-----------------
`contagion.threshold_cascade` in complete-graph mode (support = number of *other* active
agents, count thresholds, synchronous rounds to the fixed point); whether an agent joins is
decided by the engine's expression utility (`behavior.expression_utility`) in its
deterministic limit (`contagion.deterministic_expression`: no noise, no cost, unit weight on
support), so a change of the expression rule changes this outcome. Expected: n for the
uniform thresholds and k once agent k is moved to k + 1 (closed form). Exact.

Inputs: published and assumed
-----------------------------
All inputs are Granovetter's own example (n = 100, thresholds 0..99, the threshold-1 agent
moved to 2); nothing is assumed.

Sources
-------
- Granovetter, M. (1978). Threshold models of collective behavior. *American Journal of
  Sociology*, 83(6), 1420-1443. doi:10.1086/226707
"""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from panoptisim import contagion
from panoptisim.scenario.schema import param
from panoptisim.validation.inputs import CaseInputs
from panoptisim.validation.registry import Check, define

GRANOVETTER = "Granovetter 1978, the riot example"


class Inputs(CaseInputs):
    """A crowd with thresholds 0..n-1 and the agent whose threshold is raised by one."""

    n: int = param(100, ge=2, le=1_000_000, unit="people", source=GRANOVETTER,
                   description="Crowd size.")
    moved: int = param(1, ge=0, le=999_998, unit="agent (its threshold)", source=GRANOVETTER,
                       description="The agent whose threshold k is raised to k + 1.")

    @model_validator(mode="after")
    def _moved_inside_the_crowd(self) -> Inputs:
        if self.moved > self.n - 2:
            raise ValueError(f"moved = {self.moved} must be at most n - 2 = {self.n - 2}")
        return self


def run(p: Inputs) -> list[Check]:
    """Uniform count thresholds: all riot; one threshold moved: the riot stops at it."""
    n, k = p.n, p.moved
    uniform = np.arange(n, dtype=np.float64)
    moved = uniform.copy()
    moved[k] = k + 1
    all_riot = contagion.threshold_cascade(uniform).final_size
    stalled = contagion.threshold_cascade(moved).final_size
    return [
        Check(f"rioters, thresholds 0,1,...,{n - 1} (n = {n})", n, int(all_riot), 0, "exact"),
        Check(f"rioters, threshold-{k} agent moved to {k + 1}", k, int(stalled), 0, "exact"),
    ]


CASE = define("granovetter-count", __doc__, Inputs, run)

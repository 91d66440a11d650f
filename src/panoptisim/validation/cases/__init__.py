"""The validation cases, one module per case (``CASES``, in the order the suite runs them).

Each module's docstring is the case's prose (what it reproduces, how it is checked, which
inputs are published and which assumed, its sources), its ``Inputs`` model declares its
parameters and ``run(inputs)`` computes expected values from the inputs (``theory``) and
observed values by running the project's code: the network generators and graph builder
(``panoptisim.network``), the threshold and percolation kernels (``panoptisim.contagion``,
whose fractional support is ``behavior.support_share`` and whose threshold decision is
``behavior.expression_utility`` in its deterministic limit), the expression rule
(``behavior.expression_utility``), the sensor error model (``sensors.alert_outcomes``,
``sensors.fpir_by_group``, ``sensors.fpir_of_gallery``) and the full simulation
(``panoptisim.run``). Random draws come from named streams of the case's seed, so every
case is deterministic.
"""

from __future__ import annotations

from panoptisim.validation.cases import (
    base_rate,
    deployments,
    er_giant,
    granovetter_count,
    granovetter_normal,
    invariants,
    percolation,
    spiral_of_silence,
    theory_abolition,
    theory_certainty,
    theory_consequences,
    theory_fear_fades,
    theory_no_runaway,
    theory_opinions,
    theory_pariahs,
    theory_steady_state,
    theory_tipping,
    watts,
)
from panoptisim.validation.registry import Case

MODULES = (granovetter_count, granovetter_normal, er_giant, percolation, watts, base_rate,
           deployments, spiral_of_silence, invariants,
           # the theory cases: directional predictions of the behavioural core (Model v2)
           theory_consequences, theory_certainty, theory_fear_fades, theory_steady_state,
           theory_abolition, theory_pariahs, theory_no_runaway, theory_opinions,
           theory_tipping)

#: Every case by name, in the order the suite runs them.
CASES: dict[str, Case] = {m.CASE.name: m.CASE for m in MODULES}

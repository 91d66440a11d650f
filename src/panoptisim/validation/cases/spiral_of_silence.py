"""Spiral of silence (Ross et al. 2019) on the expression rule.

In Ross et al.'s agent-based spiral of silence an agent shows the displayed confidence
2/(1 + e^(-c)) - 1 of its inner confidence c, speaks only while it is at least the
threshold, and updates c <- c + alpha delta after seeing the opinion climate. An agent with
inner confidence 1.5 (displayed 0.6351, speaks) that meets delta = -0.5 with alpha = 1 ends
at c = 1.0, displayed 0.4621: silenced at threshold 0.5. This is the individual step of
Noelle-Neumann's (1974) spiral: a person who perceives the climate of opinion turning
against them falls silent.

How it is checked
-----------------
The rule is a configuration of the project's expression utility
(`behavior.expression_utility`): intercept = c, beta_support = alpha, support = delta,
threshold = 0 and beta_dissent = beta_cost = 0 give U = c + alpha delta, the updated inner
confidence; the logit choice gives P = expit(U), and the displayed confidence is 2P - 1,
silence when it falls below the threshold. Expected values are computed from the paper's
formulas, reimplemented here from the paper (no code from elsewhere). Only the individual
rule is checked; the paper's network simulation (opinion climate from neighbours, bots) is
not reproduced. Tolerance 1e-9 (round-off).

Inputs: published and assumed
-----------------------------
The displayed-confidence function and the update rule are the paper's. Assumed: the agent's
inner confidence 1.5, delta = -0.5, alpha = 1 and the 0.5 threshold, a worked example chosen
so that one update moves a speaking agent below the threshold (displayed confidence 0.6351
before, 0.4621 after); `--param delta=-0.1` gives an agent that keeps speaking.

Sources
-------
- Ross, B., Pilz, L., Cabrera, B., Brachten, F., Neubaum, G., & Stieglitz, S. (2019). Are
  social bots a real threat? An agent-based model of the spiral of silence to analyse the
  impact of manipulative actors in social networks. *European Journal of Information
  Systems*, 28(4), 394-412. doi:10.1080/0960085X.2018.1560920
- Noelle-Neumann, E. (1974). The spiral of silence: A theory of public opinion. *Journal of
  Communication*, 24(2), 43-51. doi:10.1111/j.1460-2466.1974.tb00367.x
"""

from __future__ import annotations

from scipy.special import expit

from panoptisim.behavior import expression_utility
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs
from panoptisim.validation.registry import Check, define

EXAMPLE = "assumption: a worked example in which one update silences a speaking agent"


class Inputs(CaseInputs):
    """One agent's inner confidence, the climate signal, learning rate and threshold."""

    inner: float = param(1.5, ge=-50.0, le=50.0, unit="logit", source=EXAMPLE,
                         description="Inner confidence c before the update.")
    delta: float = param(-0.5, ge=-50.0, le=50.0, unit="logit", source=EXAMPLE,
                         description="Opinion-climate signal delta.")
    alpha: float = param(1.0, ge=0.0, le=100.0, unit="-", source=EXAMPLE,
                         description="Learning rate alpha.")
    threshold: float = param(0.5, ge=-1.0, le=1.0, unit="displayed confidence", source=EXAMPLE,
                             description="Displayed confidence below which the agent is "
                                         "silent.")


def run(p: Inputs) -> list[Check]:
    """One agent's confidence update and silencing through the expression rule."""
    c, delta, alpha, threshold = p.inner, p.delta, p.alpha, p.threshold

    def machinery(signal: float) -> tuple[float, float]:
        """(utility, displayed confidence) of the configured expression rule."""
        utility = float(expression_utility(0.5, signal, 0.0, 0.0, 0.0, intercept=c,
                                           beta_dissent=0.0, beta_support=alpha,
                                           beta_cost=0.0))
        return utility, 2.0 * float(expit(utility)) - 1.0

    _, shown_before = machinery(0.0)
    updated, shown_after = machinery(delta)
    paper_before = theory.displayed_confidence(c)
    paper_after = theory.displayed_confidence(c + alpha * delta)
    return [
        Check(f"displayed confidence at c = {c:g}", paper_before, shown_before, 1e-9,
              "round-off"),
        Check(f"speaks before the update (1 yes, 0 no; threshold {threshold:g})",
              float(paper_before >= threshold), float(shown_before >= threshold), 0, "exact"),
        Check(f"inner confidence after c + alpha delta (alpha {alpha:g}, delta {delta:g})",
              c + alpha * delta, updated, 1e-9, "round-off"),
        Check("displayed confidence after the update", paper_after, shown_after, 1e-9,
              "round-off"),
        Check(f"silenced after the update (1 yes, 0 no; threshold {threshold:g})",
              float(paper_after < threshold), float(shown_after < threshold), 0, "exact"),
    ]


CASE = define("spiral-of-silence", __doc__, Inputs, run)

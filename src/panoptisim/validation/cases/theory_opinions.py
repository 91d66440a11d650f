"""Theory: private opinions move with what is said, and with grievance.

Kuran (1995, ch. 10-11) argues that preference falsification corrupts knowledge too: what
nobody says, fewer come to think (knowledge falsification). A regime that silences dissent
should therefore lower private dissent over time, against the same society without it.
Grievance pushes the other way: in Epstein's (2002) model of civil violence, hardship
suffered under an illegitimate authority raises the readiness to rebel, so a regime that
sanctions many people wrongly should raise private dissent. Censorship (King, Pan & Roberts
2013: posts deleted by the state) makes the climate look more loyal than it is, so support
for dissent should fall and chilling rise against the same run without deletion.

How it is checked
-----------------
Paired runs of `baseline` through `panoptisim.api.run` (`replicates` replicates, `agents`
agents, `days` days) with the regime introduced once the opinions' warm-up is over (a
timeline `introduce` entry on day `opinion.dur_warmup`, so that the reference climate is the
one without it and the whole drift is measured), summary metric `latent_dissent_drift` =
change of mean latent dissent over the run, treated minus control, with its 95% t interval
over replicates. (1) Knowledge
falsification without grievance (`opinion.rel_grievance_wrongful` = `rel_grievance_tie_cut`
= 0): the upper end of the interval is below 0. (2) Grievance raised
(`opinion.rel_grievance_wrongful` = 1 and `surveillance.online.false_flag_rate` = 0.03, so
that wrongful sanctions are many): the lower end is above 0 (the drift reverses). (3)
Censorship (`surveillance.online.p_delete` = `p_delete`) against the same seed without
deletion, replicate by replicate (common random numbers): the mean climate the treated arm
saw (`climate_mean`) is lower, and the chilling index higher, each by the lower end of the
paired 95% interval of the difference being above 0.

Inputs: published and assumed
-----------------------------
The directions are Kuran's, Epstein's and King, Pan & Roberts'. Assumed: the strong
grievance and false-flag rate that make the reversal visible, the deletion probability
(0.72: about 13% of dissenting posts deleted, King, Pan & Roberts' overall share, at the
default detection), the run sizes.

Sources
-------
- Kuran, T. (1995). *Private Truths, Public Lies: The Social Consequences of Preference
  Falsification*. Harvard University Press.
- Epstein, J. M. (2002). Modeling civil violence: An agent-based computational approach.
  *PNAS*, 99(suppl 3), 7243-7250. doi:10.1073/pnas.092080199
- King, G., Pan, J., & Roberts, M. E. (2013). How censorship in China allows government
  criticism but silences collective expression. *American Political Science Review*,
  107(2), 326-343. doi:10.1017/S0003055413000014
"""

from __future__ import annotations

from panoptisim.scenario.schema import param
from panoptisim.validation import paired
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, at_least, at_most, define

NO_GRIEVANCE = {"opinion.rel_grievance_wrongful": 0.0, "opinion.rel_grievance_tie_cut": 0.0}
GRIEVANCE = {"opinion.rel_grievance_wrongful": 1.0,
             "surveillance.online.false_flag_rate": 0.03}


class Inputs(CaseInputs):
    """Run sizes and the deletion probability of the censorship contrast."""

    agents: int = paired.agents(10_000)
    days: int = paired.days(1095, "Days of each run (three years).")
    replicates: int = paired.replicates(4)
    p_delete: float = param(0.72, ge=0.0, le=1.0, unit="probability per detected post",
                            source="King, Pan & Roberts 2013 (about 13% of posts deleted) at "
                                   "the default detection 0.6 x 0.3",
                            description="surveillance.online.p_delete of the censored run.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """Drift without and with grievance; climate and chilling with and without deletion."""
    warmup = int(paired.default("opinion.dur_warmup"))
    size = {"size": p.agents, "steps": p.days, "replicates": p.replicates, "seed": p.seed,
            "timeline": [{"day": warmup, "action": "introduce"}]}
    quiet = paired.simulate(NO_GRIEVANCE, **size).summary["metrics"]["latent_dissent_drift"]
    loud = paired.simulate(GRIEVANCE, **size).summary["metrics"]["latent_dissent_drift"]
    plain = paired.simulate(NO_GRIEVANCE, **size)
    censored = paired.simulate({**NO_GRIEVANCE, "surveillance.online.p_delete": p.p_delete},
                               **size)
    climate = paired.mean_interval(plain.series("treated", "climate_mean").mean(axis=1)
                                   - censored.series("treated", "climate_mean").mean(axis=1))
    chill = paired.mean_interval(censored.chilling() - plain.chilling())
    return [
        at_most(f"knowledge falsification, no grievance: latent dissent drift (mean "
                f"{quiet['effect']:.3g}), high end of its 95% interval", 0.0,
                quiet["ci95"][1], "t 95%"),
        at_least(f"grievance from wrongful sanctions raised: drift (mean {loud['effect']:.3g}),"
                 f" low end of its 95% interval", 0.0, loud["ci95"][0], "t 95%"),
        at_least(f"censorship lowers the climate: without - with deletion (mean "
                 f"{climate[0]:.3g}), low end of the paired 95% interval", 0.0, climate[1],
                 "t 95%, paired"),
        at_least(f"censorship raises chilling: with - without deletion (mean {chill[0]:.3g}),"
                 f" low end of the paired 95% interval", 0.0, chill[1], "t 95%, paired"),
    ]


CASE = define("theory-opinions", __doc__, Inputs, run,
              quick={"agents": 4000, "days": 365, "replicates": 3})

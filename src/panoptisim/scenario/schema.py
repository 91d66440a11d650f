"""Scenario schema: the single source of every parameter of the model.

Each parameter is declared once, with its unit, default, allowed range and source (a
citation or "assumption"). The docs' parameter table (``docs/model.md``) and the CLI's
``panoptisim params`` are generated from these declarations, so they cannot drift.

Prefix vocabulary: ``p_*`` probabilities, ``dur_*`` durations in days, ``rel_*``
multipliers, ``n_*`` counts, ``w_*`` score weights in points, ``threshold_*`` scores.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The scoring regimes (DESIGN): the control (none) and three presets over one machinery.
REGIMES = ("none", "fico", "sesame", "citizen")
#: The scorer's feeds, one per sensor; every flag records which one produced it.
FEEDS = ("online", "cameras", "commerce", "financial", "informants")
Regime = Literal[REGIMES]  # type: ignore[valid-type]
Feed = Literal[FEEDS]  # type: ignore[valid-type]


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    build: bool = False,
) -> Any:
    """Declare a model parameter with everything a reader of the docs needs.

    ``build``: the parameter is read only when the society is built (before day 0), so a
    timeline cannot change it. Every parameter of ``run``, ``population`` and ``network``
    is build-time by its section (:data:`BUILD_SECTIONS`).
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if build:
        extra["build"] = True
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        description=description,
        json_schema_extra=extra,
    )


class Section(BaseModel):
    """A section of the scenario: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


# --------------------------------------------------------------------------- run
class RunParams(Section):
    """Length, seed, replicates and the paired control arm of a run."""

    seed: int = param(20261127, ge=0, le=2**63 - 1, unit="-", source="assumption",
                      description="Root seed; every random stream is spawned from it by purpose.")
    steps: int = param(365, ge=1, le=36500, unit="days",
                       description="Number of simulated days (one step is one day).",
                       source="assumption: one year, the horizon of the 2018 travel-ban figures")
    control: bool = param(True, unit="bool", source="assumption",
                          description="Also run the paired control arm (no scoring, no sensors, "
                                      "no sanctions) with common random numbers.")
    replicates: int = param(1, ge=1, le=1000, unit="runs", source="assumption",
                            description="Paired replicates (seeds spawned from the root seed); "
                                        "with 2 or more, summary.json carries 95% t-intervals.")
    burn_in: int = param(90, ge=0, le=36500, unit="days",
                         source="assumption: a quarter of the default year; the shortest "
                                "flag retention (disfavoured purchases) is 90 days",
                         description="Days at the start left out of the steady-state values "
                                     "(summary.json `steady_state`, beside each run total); "
                                     "none when the run is not longer.")
    event_window: int = param(30, ge=1, le=3650, unit="days",
                              source="assumption: a month either side, as event studies of "
                                     "policy changes report (e.g. Penney 2016 uses months)",
                              description="Days before and after each timeline entry over "
                                          "which the event study averages the headline metrics.")
    check_tie_counts: bool = param(False, unit="bool",
                                   source="not a model parameter: a debug check",
                                   description="Every day, recount each agent's live ties to "
                                               "recent speakers and to agents on a public "
                                               "list from scratch and stop at the first "
                                               "difference from the counts kept "
                                               "incrementally (slower; same results).")
    snapshots: list[int] | None = param(None, unit="days", build=True,
                                        source="not a model parameter: an output option",
                                        description="Days (0-based, each in [0, run.steps "
                                                    "- 1]) at whose end every agent's state "
                                                    "and the live ties are written to the "
                                                    "run folder's snapshots/ (Parquet); "
                                                    "none by default. Taking them does not "
                                                    "change the run.")

    @field_validator("snapshots", mode="before")
    @classmethod
    def _one_day_or_several(cls, value: Any) -> Any:
        """One day (``--set run.snapshots=30``) as a list of it."""
        return [value] if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _snapshot_days(self) -> "RunParams":
        """Snapshot days within the run, in order, once each (an empty list: none)."""
        if not self.snapshots:
            if self.snapshots is not None:
                self.__dict__["snapshots"] = None
            return self
        outside = [d for d in self.snapshots if not 0 <= d < self.steps]
        if outside:
            raise ValueError(f"run.snapshots = {self.snapshots} is out of range: day "
                             f"{outside[0]} is not a day of the run (allowed: integers in "
                             f"[0, {self.steps - 1}], run.steps = {self.steps})")
        self.__dict__["snapshots"] = sorted(set(self.snapshots))
        return self


# -------------------------------------------------------------------- population
#: A region's name: lower-case letters, digits and underscores, starting with a letter (it
#: becomes part of keys such as ``regions.<name>.scoring.regime`` and of column values).
REGION_NAME = r"^[a-z][a-z0-9_]{0,31}$"
MAX_REGIONS = 64


class RegionSpec(Section):
    """One region of the population: its size, how urban it is, how rich."""

    name: str = Field(pattern=REGION_NAME, description="Region name.")
    share: float = param(0.5, gt=0, le=1, unit="share of households", source="assumption",
                         description="Share of households living in the region (the shares "
                                     "of all regions sum to 1).")
    urbanity: float = param(1.0, ge=0, le=1, unit="share of households",
                            source="assumption",
                            description="Share of the region's households in urban settlements "
                                        "(camera coverage and income medians follow the "
                                        "settlement).")
    rel_income: float = param(1.0, gt=0, le=100, unit="multiplier", source="assumption",
                              description="Incomes in the region relative to the national "
                                          "urban and rural medians.")


class PopulationParams(Section):
    """The synthetic population: size, regions, groups, income, dissent, thresholds."""

    @model_validator(mode="after")
    def _regions(self) -> "PopulationParams":
        names = [r.name for r in self.regions]
        if not 1 <= len(names) <= MAX_REGIONS:
            raise ValueError(f"population.regions has {len(names)} regions; allowed: 1 to "
                             f"{MAX_REGIONS}")
        twice = sorted({x for x in names if names.count(x) > 1})
        if twice:
            raise ValueError(f"population.regions names region '{twice[0]}' twice; each name "
                             "must be unique")
        total = sum(r.share for r in self.regions)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"population.regions shares sum to {total:g}; they must sum to 1")
        return self

    size: int = param(100_000, ge=100, le=50_000_000, unit="agents", source="assumption",
                      description="Number of synthetic agents.")
    scale: float = param(1.0, ge=1, le=1e6, unit="people per agent",
                         source="population scaling as in Covasim (Kerr et al. 2021, "
                                "doi:10.1371/journal.pcbi.1009149)",
                         description="People each agent stands for: counts are also "
                                     "reported x scale (columns and entries `scaled`); rates "
                                     "are unchanged. 1: no scaling.")
    regions: list[RegionSpec] = param(
        [RegionSpec(name="urban", share=0.639, urbanity=1.0),
         RegionSpec(name="rural", share=0.361, urbanity=0.0)],
        unit="list of regions",
        source="China 7th census 2020: 63.89% urban (the default two regions)",
        description="Named regions, each with its share of households, urbanity and income; "
                    "each can have its own rules (`[regions.<name>]`).")
    p_group_1: float = param(0.15, ge=0, le=1, unit="share",
                             source="assumption: size of the demographic group that face "
                                    "recognition misidentifies more often",
                             description="Share of agents in demographic group 1 (higher sensor "
                                         "error rates); the rest are group 0.")
    income_median_urban: float = param(40378.0, gt=0, le=1e7, unit="CNY/year",
                                       source="NBS China 2020: urban median per-capita "
                                              "disposable income 40,378 CNY",
                                       description="Median income of urban agents.")
    income_median_rural: float = param(15204.0, gt=0, le=1e7, unit="CNY/year",
                                       source="NBS China 2020: rural median per-capita "
                                              "disposable income 15,204 CNY",
                                       description="Median income of rural agents.")
    income_sigma: float = param(0.775, ge=0, le=3, unit="log-CNY",
                                source="fitted: with the two regional medians it gives the "
                                       "NBS China 2020 Gini of 0.468",
                                description="Standard deviation of log income within a region.")
    dissent_alpha: float = param(2.0, gt=0, le=100, unit="-",
                                 source="assumption: Beta(2,3), mean 0.4, 31.25% with d >= 0.5",
                                 description="Alpha of the Beta distribution of latent dissent d.")
    dissent_beta: float = param(3.0, gt=0, le=100, unit="-", source="assumption",
                                description="Beta of the Beta distribution of latent dissent d.")
    threshold_mean: float = param(0.2, ge=0, le=1, unit="share of neighbours",
                                  source="Granovetter 1978 (heterogeneous thresholds); "
                                         "value an assumption",
                                  description="Mean expression threshold: the share of "
                                              "neighbours expressing dissent that an agent "
                                              "needs to feel supported.")
    threshold_sd: float = param(0.1, ge=0, le=1, unit="share of neighbours",
                                source="Granovetter 1978; value an assumption",
                                description="Standard deviation of expression thresholds "
                                            "(normal, clipped to [0, 1]).")
    p_has_loan: float = param(0.4, ge=0, le=1, unit="share",
                              source="assumption: share of adults with a consumer loan",
                              description="Share of agents repaying a loan.")


# ----------------------------------------------------------------------- network
class NetworkParams(Section):
    """Households and friendships (built once, before the first day)."""

    household_size_mean: float = param(2.62, ge=1, le=10, unit="people",
                                       source="China 7th census 2020: 2.62 per household",
                                       description="Mean household size (1 + Poisson).")
    mean_friends: float = param(18.0, ge=0, le=500, unit="ties",
                                source="assumption: mean degree about 20 with household ties "
                                       "(DESIGN)",
                                description="Mean number of friendship ties per agent.")
    sociability_cv: float = param(0.6, ge=0, le=3, unit="coefficient of variation",
                                  source="assumption: right-skewed friendship degrees "
                                         "(Ugander et al. 2011, arXiv:1111.4503)",
                                  description="Spread of agents' sociability (Gamma, mean 1); "
                                              "the friendship degree spreads in proportion "
                                              "(0: every agent alike).")
    p_rewire: float = param(0.1, ge=0, le=1, unit="probability",
                            source="Watts & Strogatz 1998, doi:10.1038/30918; 0.1 gives "
                                   "clustering near 0.35",
                            description="Probability that a lattice friendship is rewired to "
                                        "a random agent (lower: more clustering).")
    p_cross_region: float = param(0.1, ge=0, le=1, unit="probability",
                                  source="assumption: regional homophily",
                                  description="Probability that a rewired tie crosses regions.")


# ---------------------------------------------------------------------- behavior
class BehaviorParams(Section):
    """Agents' daily choices: expression, everyday acts, and risk learning."""

    p_political_chance: float = param(0.05, ge=0, le=1, unit="1/day",
                                      source="assumption",
                                      description="Daily probability of a chance to post on "
                                                  "politics.")
    beta_dissent: float = param(8.0, ge=0, le=100, unit="logit per unit dissent",
                                source="assumption: logit choice (McFadden 1974)",
                                description="Weight of latent dissent (centred at 0.5) in the "
                                            "expression utility.")
    beta_support: float = param(6.0, ge=0, le=100, unit="logit per share",
                                source="Granovetter 1978; Kuran 1995; value an assumption",
                                description="Weight of social support minus own threshold.")
    beta_cost: float = param(0.0292, ge=0, le=100, unit="logit per income-day",
                             source="calibrated: penney2016, pen2013, china2018 (posterior "
                                    "median, 90% interval 0.0087-0.070; prior log-uniform "
                                    "0.005-5); deterrence as expected cost (Becker 1968)",
                             description="Weight of the expected cost of speaking: perceived "
                                         "certainty x expected consequence (days of income).")
    intercept: float = param(-2.0, ge=-20, le=20, unit="logit",
                             source="assumption: without a regime, dissent is voiced mostly by "
                                    "those who hold it (at 0, most agents voiced dissent at "
                                    "most chances whatever their view)",
                             description="Intercept of the expression utility.")
    dur_support_memory: int = param(7, ge=1, le=365, unit="days", source="assumption",
                                    description="An expression counts as support on this many "
                                                "following days.")
    p_benign_post: float = param(0.3, ge=0, le=1, unit="1/day", source="assumption",
                                 description="Daily probability of a benign (non-political) post.")
    p_purchase: float = param(0.5, ge=0, le=1, unit="1/day", source="assumption",
                              description="Daily probability of an everyday purchase.")
    p_disfavoured: float = param(0.1, ge=0, le=1, unit="share of purchases",
                                 source="assumption; Sesame Credit's 'video games' example "
                                        "(Botsman 2017, Who Can You Trust?)",
                                 description="Share of purchases in disfavoured categories.")
    p_infraction: float = param(0.003, ge=0, le=1, unit="1/day", source="assumption",
                                description="Daily probability of a minor infraction "
                                            "(jaywalking).")
    p_default_base: float = param(0.004, ge=0, le=1, unit="probability per payment",
                                  source="assumption: consumer loan delinquency of a few percent",
                                  description="Default probability of a loan payment at the "
                                              "population's median income.")
    rel_default_income: float = param(1.0, ge=0, le=5, unit="elasticity",
                                      source="assumption",
                                      description="Default probability scales as (population "
                                                  "median income / income) to this power.")
    dur_payment_interval: int = param(30, ge=1, le=365, unit="days", source="monthly payments",
                                      build=True,
                                      description="Days between loan payments.")
    p_trip: float = param(0.00463, ge=0, le=1, unit="1/day",
                          source="calibrated: penney2016, pen2013, china2018 (posterior "
                                 "median, 90% interval 0.0014-0.017, about 1.7 train or "
                                 "plane trips a year; prior log-uniform 0.001-0.1)",
                          description="Daily probability of a train or plane trip.")
    p_visa_application: float = param(0.0005, ge=0, le=1, unit="1/day", source="assumption",
                                      description="Daily probability of a visa application.")
    p_outdoors: float = param(0.8, ge=0, le=1, unit="1/day", source="assumption",
                              description="Daily probability of being in public space.")
    prior_certainty: float = param(0.2, ge=0, le=1, unit="probability",
                                   source="assumption, near the default's true chance that a "
                                          "dissenting post is flagged (0.18 online + about "
                                          "0.06 by informants)",
                                   description="Chance that a dissenting post is punished, as "
                                               "agents believe when they learn a scorer "
                                               "watches them.")
    n_prior_certainty: float = param(10.0, gt=0, le=10000, unit="posts",
                                     source="assumption",
                                     description="Weight of that prior belief, in observed "
                                                 "posts (Beta prior; Anwar & Loughran 2011).")
    rel_neighbour_evidence: float = param(0.5, ge=0, le=1, unit="posts per tie's post",
                                          source="Anwar & Loughran 2011 (vicarious experience "
                                                 "weighs less than own); value an assumption",
                                          description="Weight of a tie's post (and of its "
                                                      "public sanction) in one's belief, "
                                                      "relative to one's own post.")
    rel_opaque_evidence: float = param(0.5, ge=0, le=1, unit="multiplier",
                                       source="assumption: opaque rules make signals noisier",
                                       description="Weight of every piece of evidence under "
                                                   "opaque rules (slower learning).")
    rel_certainty_forgetting: float = param(0.01, ge=0, le=1, unit="1/day",
                                            source="assumption: beliefs follow change within "
                                                   "months (Anwar & Loughran 2011)",
                                            description="Daily shrinkage of the belief's "
                                                        "counts (memory about 1/rate days).")
    rel_safety_in_numbers: float = param(0.5, ge=0, le=1, unit="share",
                                         source="Epstein 2002 (arrest probability falls with "
                                                "the number of actives); Kuran 1991; value an "
                                                "assumption",
                                         description="How far perceived certainty falls when "
                                                     "all of one's ties speak (linear in the "
                                                     "climate).")
    prior_penalty: float = param(30.0, ge=0, le=1000, unit="points per flag",
                                 source="assumption: the rumoured penalty, set at the default "
                                        "scoring.w_political",
                                 description="Points agents expect to lose per flagged "
                                             "dissenting post under opaque rules, before their "
                                             "own flags teach them.")
    rel_penalty_learning: float = param(0.1, ge=0, le=1, unit="per own flag",
                                        source="assumption",
                                        description="How far one's own political flag moves "
                                                    "the perceived penalty toward its true "
                                                    "points (opaque rules).")
    score_uncertainty: float = param(80.0, gt=0, le=1000, unit="points",
                                     source="assumption",
                                     description="How precisely agents know where their score "
                                                 "stands against the thresholds (normal sd).")
    dur_discount_horizon: float = param(60.0, gt=0, le=36500, unit="days",
                                        source="assumption; present bias of offenders (Lee & "
                                               "McCrary 2017; Nagin 2013)",
                                        description="Discounting of future sanction days: a "
                                                    "sanction of D days is worth "
                                                    "H (1 - exp(-D/H)) days now.")
    value_flag: float = param(1.0, ge=0, le=1000, unit="days of income per flag",
                              source="Nagin 2013 and Williams & Hawkins 1986 (apprehension "
                                     "carries informal costs of its own); value an assumption",
                              description="What being caught (a flagged dissenting post) costs "
                                          "by itself: a police visit, a deleted account, "
                                          "stigma.")
    value_trip: float = param(3.0, ge=0, le=1000, unit="days of income per trip",
                              source="assumption",
                              description="What a blocked train or plane trip costs.")
    value_visa: float = param(30.0, ge=0, le=10000, unit="days of income per application",
                              source="assumption",
                              description="What a refused visa (study, work or travel "
                                          "abroad) costs.")
    value_internet_day: float = param(0.2, ge=0, le=100, unit="days of income per day",
                                      source="assumption",
                                      description="What a day without internet costs (scaled "
                                                  "by the share of posts throttled).")
    value_shaming_day: float = param(0.5, ge=0, le=100, unit="days of income per day",
                                     source="assumption",
                                     description="What a day on a public shaming list costs.")
    value_fast_track_day: float = param(0.05, ge=0, le=100, unit="days of income per day",
                                        source="assumption",
                                        description="What a day of fast-track privileges "
                                                    "(deposits waived, faster services) is "
                                                    "worth.")
    rel_consequence_salience: float = param(1.0, ge=0, le=100, unit="multiplier per share",
                                            source="assumption: the salience of visible "
                                                   "punishment (Nagin 2013)",
                                            description="Expected consequences grow by this "
                                                        "much per share of one's ties on a "
                                                        "public list.")
    ambiguity_premium: float = param(0.15, ge=0, le=1, unit="risk",
                                     source="Ellsberg 1961 (ambiguity aversion); value an "
                                            "assumption",
                                     description="Extra prior certainty when the scoring rules "
                                                 "are opaque (fades with evidence).")
    rel_deterrence: float = param(0.5, ge=0, le=10, unit="multiplier",
                                  source="assumption",
                                  description="How strongly perceived risk suppresses "
                                              "everyday behaviour believed to be scored.")


# ----------------------------------------------------------------------- opinion
class OpinionParams(Section):
    """Private opinions that move: knowledge falsification and grievance."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Latent dissent moves (this section's rules); off: it "
                                      "stays as built.")
    knowledge_falsification: bool = param(
        True, unit="bool",
        source="Kuran 1995, Private Truths, Public Lies, ch. 10-11",
        description="Latent dissent follows changes in the expressed climate among one's "
                    "live ties (what nobody says, fewer come to think); off: only grievance "
                    "moves it.")
    rel_climate_sensitivity: float = param(
        0.15, ge=0, le=10, unit="dissent per unit of climate",
        source="assumption: a fall of the climate by its whole range lowers dissent by "
               "0.15 (at about 0.5 the opinion-expression loop runs away in the control "
               "arm of the baseline)",
        description="Change in latent dissent per unit change of the smoothed climate "
                    "against its reference.")
    rel_climate_smoothing: float = param(
        0.05, ge=0, le=1, unit="1/day",
        source="assumption (exponential smoothing, time constant 20 days)",
        description="Rate at which the smoothed climate moves toward today's climate.")
    dur_warmup: int = param(
        60, ge=1, le=36500, unit="days", build=True,
        source="assumption: the cold start (no expression before day 0) settles within "
               "about five weeks (baseline control climate 0.72 from day 30 on)",
        description="Days before opinions move; the reference climate is the mean climate "
                    "over the second half of them.")
    rel_grievance_wrongful: float = param(
        0.1, ge=0, le=1, unit="share of the gap to full dissent",
        source="Epstein 2002, PNAS 99 suppl 3 (grievance = hardship x (1 - legitimacy)); "
               "value an assumption",
        description="A wrongful sanction raises latent dissent by this share of 1 - d "
                    "(then fades at rel_grievance_decay).")
    rel_grievance_tie_cut: float = param(
        0.02, ge=0, le=1, unit="share of the gap to full dissent",
        source="Epstein 2002, PNAS 99 suppl 3; value an assumption",
        description="Each tie cut raises both ends' latent dissent by this share of 1 - d "
                    "(then fades at rel_grievance_decay).")
    rel_grievance_decay: float = param(
        0.01, ge=0, le=1, unit="1/day",
        source="assumption: grievance is current hardship (Epstein 2002), so it fades once "
               "the hardship has passed (half-life about 70 days)",
        description="Daily share by which accumulated grievance fades.")


# -------------------------------------------------------------------- surveillance
class OnlineParams(Section):
    """Online monitoring of posts, by coverage and error rates."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Online monitoring of posts.")
    p_scan: float = param(0.6, ge=0, le=1, unit="share of posts",
                          source="assumption; King, Pan & Roberts 2013, "
                                 "doi:10.1017/S0003055413000014",
                          description="Share of posts scanned.")
    recall_dissent: float = param(0.3, ge=0, le=1, unit="probability",
                                  source="assumption",
                                  description="Probability a scanned dissenting post is flagged.")
    p_delete: float = param(0.0, ge=0, le=1, unit="probability per detected post",
                            source="King, Pan & Roberts 2013, APSR 107(2), "
                                   "doi:10.1017/S0003055413000014 (about 13% of posts "
                                   "deleted, mostly within a day); 0: no censorship (the "
                                   "censorship scenario sets 0.72)",
                            description="Probability that a dissenting post the online sensor "
                                        "flags is deleted before the author's ties see it "
                                        "(it still counts as expressed and as a flag).")
    false_flag_rate: float = param(0.0005, ge=0, le=1, unit="probability per post",
                                   source="assumption",
                                   description="Probability a scanned benign post is flagged as "
                                               "dissent.")
    rel_false_flag_group_1: float = param(1.5, ge=0, le=100, unit="multiplier",
                                          source="Sap et al. 2019, ACL, "
                                                 "doi:10.18653/v1/P19-1163 (dialect bias)",
                                          description="False-flag rate of group 1 relative to "
                                                      "group 0.")


class CameraParams(Section):
    """Cameras with 1:N face identification, by coverage and error rates."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Camera network with 1:N face identification.")
    coverage_urban: float = param(0.5, ge=0, le=1, unit="probability",
                                  source="350M cameras in China 2018, about 1 per 4 people; "
                                         "Chongqing 168 per 1,000 (2019); share an assumption",
                                  description="Probability that an urban public event is "
                                              "captured by a camera.")
    coverage_rural: float = param(0.15, ge=0, le=1, unit="probability",
                                  source="assumption: sparser rural coverage",
                                  description="Probability that a rural public event is "
                                              "captured by a camera.")
    tpir: float = param(0.998, ge=0, le=1, unit="probability",
                        source="NIST FRVT 2018: 0.2% failed searches, 12M gallery, FPIR 0.003",
                        description="True-positive identification rate of a 1:N search of "
                                    "an enrolled person, given no false match (so a true "
                                    "match has probability (1 - FPIR) x TPIR).")
    fpir: float = param(0.003, ge=0, le=1, unit="probability per search",
                        source="NIST FRVT 2018 operating point FPIR 0.003",
                        description="False-positive identification rate per 1:N search "
                                    "(group 0).")
    rel_fpir_group_1: float = param(10.0, ge=0, le=1000, unit="multiplier",
                                    source="NIST IR 8280 (2019): false positives 10-100x "
                                           "higher for some groups",
                                    description="FPIR of group 1 relative to group 0.")
    p_ambient_scan: float = param(0.5, ge=0, le=1, unit="1/day",
                                  source="assumption; Met Police 2024-25: 10 false alerts in "
                                         "3,147,436 faces scanned",
                                  description="Daily probability that a person seen by a camera "
                                              "is scanned against the watchlist.")
    p_watchlisted: float = param(0.0005, ge=0, le=1, unit="share of agents", build=True,
                                 source="assumption: wanted persons on a live-facial-recognition "
                                        "watchlist",
                                 description="Share of agents on the watchlist; a scan of one "
                                             "is a true alert with probability TPIR, after "
                                             "which the agent is caught and off the list.")
    rel_fpir_watchlist: float = param(0.01, ge=0, le=1, unit="multiplier",
                                      source="FPIR ~ gallery size x FMR: watchlist / registry",
                                      description="FPIR of an ambient watchlist scan relative to "
                                                  "a registry search (watchlist/gallery size).")


class CommerceParams(Section):
    """The commerce feed: which purchases the scorer sees, and its errors."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Commerce feed of purchases.")
    p_visible: float = param(0.6, ge=0, le=1, unit="share of purchases",
                             source="assumption: share of payments through scored platforms",
                             description="Share of purchases visible to the scorer.")


    p_miscategorised: float = param(0.002, ge=0, le=1, unit="probability per purchase",
                                    source="assumption: merchant-category errors",
                                    description="Probability a visible favoured purchase is "
                                                "recorded as disfavoured.")


class FinancialParams(Section):
    """Financial records of loan repayments, and their errors."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Financial records of loan repayments.")
    p_record_error: float = param(0.0036, ge=0, le=1, unit="probability per payment",
                                  source="FTC 2012: 26% of reports with a potentially material "
                                         "error, over 84 monthly records",
                                  description="Probability an on-time payment is recorded as a "
                                              "default.")


class InformantParams(Section):
    """Peer reporting by neighbours, true and malicious."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Peer reporting by neighbours (Sharp Eyes streams, posts).")
    p_informant: float = param(0.003, ge=0, le=1, unit="probability per neighbour",
                               source="assumption",
                               description="Probability that a neighbour who saw a dissenting "
                                           "post or infraction reports it.")
    p_malicious: float = param(0.00005, ge=0, le=1, unit="1/day",
                               source="assumption",
                               description="Daily probability that an agent files a false report "
                                           "against one of its ties drawn at random (not "
                                           "filed if that tie has been cut).")


class SurveillanceParams(Section):
    """The scorer's five feeds (sensors), each switchable."""

    online: OnlineParams = Field(default_factory=OnlineParams)
    cameras: CameraParams = Field(default_factory=CameraParams)
    commerce: CommerceParams = Field(default_factory=CommerceParams)
    financial: FinancialParams = Field(default_factory=FinancialParams)
    informants: InformantParams = Field(default_factory=InformantParams)
    unseen: list[Feed] = param([], unit="feeds",
                               source="Penney 2016 (doi:10.15779/Z38SS13): surveillance chills "
                                      "once it is known, not before",
                               description="Feeds that run without the agents knowing: their "
                                           "detection chance is not in anyone's perceived risk "
                                           "and their flags are not told to the flagged agent. "
                                           "A timeline `reveal` makes them known.")


# ----------------------------------------------------------------------- scoring
class ScoringParams(Section):
    """The regime, the score's range and the points each kind of flag moves."""

    regime: Regime = param(
        "citizen", unit="preset", source="DESIGN: none, fico, sesame, citizen",
        description="Which weights count: fico finance; sesame finance+commerce; citizen "
                    "all plus the network term.")
    score_min: float = param(350.0, ge=0, le=10000, unit="points", source="Sesame Credit range "
                             "350-950", description="Lowest score.")
    score_max: float = param(950.0, ge=0, le=10000, unit="points", source="Sesame Credit range "
                             "350-950", description="Highest score.")
    score_start: float = param(650.0, ge=0, le=10000, unit="points", build=True,
                               source="middle of the Sesame range", description="Mean starting "
                               "score.")
    score_start_sd: float = param(15.0, ge=0, le=1000, unit="points", source="assumption",
                                  build=True,
                                  description="Standard deviation of the starting score.")
    w_repayment: float = param(1.0, ge=0, le=1000, unit="points per payment",
                               source="FICO: payment history about 35% of the score",
                               description="Reward for an on-time loan payment.")
    w_default: float = param(40.0, ge=0, le=1000, unit="points per default",
                             source="FICO: payment history about 35% of the score; assumption",
                             description="Penalty for a recorded default.")
    w_favoured: float = param(0.15, ge=0, le=1000, unit="points per purchase",
                              source="assumption", description="Reward for a favoured purchase.")
    w_disfavoured: float = param(1.0, ge=0, le=1000, unit="points per purchase",
                                 source="assumption", description="Penalty for a disfavoured "
                                 "purchase.")
    w_infraction: float = param(10.0, ge=0, le=1000, unit="points per flag",
                                source="assumption; Rongcheng points system reports",
                                description="Penalty for a flagged infraction.")
    w_watchlist: float = param(120.0, ge=0, le=1000, unit="points per alert",
                               source="assumption: an alert marks the person as wanted",
                               description="Penalty for an ambient watchlist alert.")
    w_political: float = param(30.0, ge=0, le=1000, unit="points per flag",
                               source="assumption",
                               description="Penalty for a flagged dissenting post; under opaque "
                                           "rules also the penalty agents fear in regimes that "
                                           "do not score politics.")
    w_network: float = param(1.0, ge=0, le=1000, unit="points per event of a friend",
                             source="assumption: 'guilt by association' (Botsman 2017, Wired "
                                    "UK: friends' and family's posts lower your score); "
                                    "1/30 of a political flag",
                             description="Association points charged to an agent for each "
                                         "new event of a live friend tie (its political flag "
                                         "counting, or a new public sanction: travel ban or "
                                         "shaming); also what makes ties costly to keep.")
    rel_network_family: float = param(2.0, ge=0, le=100, unit="multiplier",
                                      source="assumption: kin are held to account more than "
                                             "friends (Botsman 2017: family and friends)",
                                      description="Association points for an event of a "
                                                  "family (same-household) tie, relative to "
                                                  "a friend's.")
    dur_retention_default: int = param(
        1825, ge=1, le=36500, unit="days",
        source="China, Regulation on the Administration of the Credit Reporting Industry "
               "(State Council Decree 631, 2013), art. 16: adverse credit information is kept "
               "5 years",
        description="Days a recorded default counts before it expires.")
    dur_retention_disfavoured: int = param(
        90, ge=1, le=36500, unit="days",
        source="NDRC Credit Repair Management Measures (2025): minor dishonesty disclosed at "
               "most 3 months",
        description="Days a disfavoured-purchase flag counts before it expires.")
    dur_retention_infraction: int = param(
        365, ge=1, le=36500, unit="days",
        source="NDRC Credit Repair Management Measures (2025): general dishonesty disclosed "
               "3 months to 1 year (the upper bound)",
        description="Days an infraction flag counts before it expires.")
    dur_retention_watchlist: int = param(
        365, ge=1, le=36500, unit="days",
        source="assumption: as general dishonesty, 1 year (NDRC Credit Repair Management "
               "Measures, 2025)",
        description="Days a watchlist alert counts before it expires.")
    dur_retention_political: int = param(
        365, ge=1, le=36500, unit="days",
        source="assumption: as general dishonesty, 1 year (NDRC Credit Repair Management "
               "Measures, 2025)",
        description="Days a political flag counts before it expires.")
    dur_retention_association: int = param(
        365, ge=1, le=36500, unit="days",
        source="assumption: as a political flag, 1 year (NDRC Credit Repair Management "
               "Measures, 2025)",
        description="Days association points count before they expire.")

    dur_retention_credit: int = param(
        365, ge=1, le=36500, unit="days",
        source="assumption: as adverse records of general dishonesty, 1 year (NDRC Credit "
               "Repair Management Measures, 2025); credit scores weigh recent conduct",
        description="Mean days a credit (on-time payment, favoured purchase) counts: credits "
                    "fade out exponentially with this time constant, so a clean record does "
                    "not lift the score without end.")


# ------------------------------------------------------------------ social response
class SocialParams(Section):
    """Social response: keeping or cutting ties that cost association points, and restoring
    them when the cost ends."""

    p_cut_max: float = param(0.004, ge=0, le=1, unit="1/day per tie", source="assumption",
                             description="Daily probability of cutting a tie whose expected "
                                         "score cost far exceeds its value (the ceiling of the "
                                         "logit choice).")
    value_friend: float = param(30.0, ge=0, le=10000, unit="points",
                                source="Granovetter 1973 (weak ties); assumption: one "
                                       "political flag",
                                description="What keeping a friend tie is worth to an agent, "
                                            "in score points.")
    value_family: float = param(300.0, ge=0, le=10000, unit="points",
                                source="Granovetter 1973 (strong ties), Dunbar 1998 (support "
                                       "clique); assumption: ten friend ties",
                                description="What keeping a family (same-household) tie is "
                                            "worth to an agent, in score points.")
    scale_tie_choice: float = param(10.0, gt=0, le=10000, unit="points",
                                    source="McFadden 1974 (logit choice); assumption",
                                    description="Logit scale of the choice to cut: the cut "
                                                "probability rises from p_cut_max / (1 + e) "
                                                "to p_cut_max / (1 + 1/e) as cost - value goes "
                                                "from -scale to +scale.")
    dur_association_memory: int = param(90, ge=1, le=36500, unit="days", source="assumption",
                                        description="Time constant of the exponentially "
                                                    "weighted count of a neighbour's events "
                                                    "that agents keep; a neighbour without an "
                                                    "event for this long costs nothing.")
    dur_association_horizon: int = param(365, ge=1, le=36500, unit="days",
                                         source="assumption: the retention of association "
                                                "points",
                                         description="Days over which an agent expects a tie "
                                                     "to keep costing points at its "
                                                     "neighbour's recent event rate.")
    p_restore: float = param(0.01, ge=0, le=1, unit="1/day per tie", source="assumption: "
                             "reconciliation after about 100 days",
                             description="Daily probability that a cut tie whose cost has "
                                         "ended (neighbour quiet for the memory window, or no "
                                         "association scoring) is restored.")


# -------------------------------------------------------------------- safeguards
class SafeguardParams(Section):
    """Appeals, forgiveness, sunset, transparency, data minimisation, FPIR cap."""

    appeals: bool = param(False, unit="bool", source="assumption",
                          description="Flags can be appealed and reversed.")
    p_appeal_false: float = param(0.7, ge=0, le=1, unit="probability",
                                  source="FTC 2012: 399 of 572 disputed reports modified",
                                  description="Probability a false flag is reversed on appeal.")
    p_appeal_true: float = param(0.02, ge=0, le=1, unit="probability", source="assumption",
                                 description="Probability a true flag is reversed on appeal.")
    dur_appeal: int = param(30, ge=1, le=3650, unit="days",
                            source="US FCRA: 30-day dispute investigation",
                            description="Days from a flag to the decision on its appeal.")
    forgiveness: float = param(0.0, ge=0, le=1, unit="1/day",
                               source="anchor: US FCRA drops negative items after 7 years",
                               description="Daily rate at which the score (and the weight of "
                                           "past flags) decays toward the start.")
    dur_sunset: int = param(0, ge=0, le=36500, unit="days",
                            source="US FCRA: 7 years (2,555 days); 0 means never",
                            description="Flags expire after this many days (0: never).")
    transparent: bool = param(False, unit="bool", source="assumption",
                              description="Scoring rules are public; opaque rules add an "
                                          "ambiguity premium and deter unscored behaviour.")
    data_minimisation: list[Feed] = param([], unit="feeds", source="GDPR art. 5(1)(c)",
                                          description="Feeds the scorer may not use.")
    fpir_cap: float = param(1.0, ge=0, le=1, unit="probability per search",
                            source="error-rate audit requirement; 1 means no cap",
                            description="Upper bound on every group's FPIR.")


# --------------------------------------------------------------------- sanctions
class SanctionParams(Section):
    """Sanctions and privileges by score threshold, with their durations."""

    enabled: bool = param(True, unit="bool", source="assumption",
                          description="Sanctions and privileges apply.")
    min_own_points: float = param(20.0, ge=0, le=10000, unit="points",
                                  source="assumption: two thirds of a political flag, so "
                                         "that one still counts after 40 days at 1%/day "
                                         "forgiveness",
                                  description="Penalty points of the agent's own flags still "
                                              "counting (true + false) needed for a sanction: "
                                              "association points alone never sanction.")
    threshold_travel_ban: float = param(494.0, ge=0, le=10000, unit="points",
                                        source="calibrated: penney2016, pen2013, china2018 "
                                               "(posterior median, 90% interval 483-502; "
                                               "prior uniform 400-650) to tickets blocked "
                                               "and people listed in 2018",
                                        description="Score under which trains and planes are "
                                                    "barred.")
    dur_travel_ban: int = param(180, ge=1, le=36500, unit="days", source="assumption",
                                description="Duration of a travel ban.")
    threshold_internet_throttled: float = param(520.0, ge=0, le=10000, unit="points",
                                                source="assumption",
                                                description="Score under which internet is "
                                                            "throttled.")
    dur_internet_throttled: int = param(30, ge=1, le=36500, unit="days", source="assumption",
                                        description="Duration of throttling.")
    rel_post_throttled: float = param(0.5, ge=0, le=1, unit="multiplier", source="assumption",
                                      description="Posting chances while throttled, relative.")
    threshold_visa_denial: float = param(540.0, ge=0, le=10000, unit="points",
                                         source="assumption",
                                         description="Score under which visas are denied.")
    dur_visa_denial: int = param(365, ge=1, le=36500, unit="days", source="assumption",
                                 description="Duration of a visa denial.")
    threshold_shaming: float = param(500.0, ge=0, le=10000, unit="points", source="assumption; "
                                     "public 'dishonest' blacklists",
                                     description="Score under which the agent is publicly "
                                                 "shamed (visible to neighbours).")
    dur_shaming: int = param(60, ge=1, le=36500, unit="days", source="assumption",
                             description="Duration of public shaming.")
    threshold_employer_notified: float = param(450.0, ge=0, le=10000, unit="points",
                                               source="assumption",
                                               description="Score under which the employer is "
                                                           "notified.")
    dur_employer_notified: int = param(90, ge=1, le=36500, unit="days", source="assumption",
                                       description="Duration of the income cut.")
    rel_income_cut: float = param(0.3, ge=0, le=1, unit="share of income", source="assumption",
                                  description="Income lost while the employer is notified.")
    threshold_fast_track: float = param(700.0, ge=0, le=10000, unit="points",
                                        source="assumption; Sesame 'deposit-free' perks",
                                        description="Score at or above which fast-track "
                                                    "privileges apply.")


# ---------------------------------------------------------------------- timeline
#: What a timeline entry can do besides setting parameters (see docs/model.md, Scheduling).
ACTIONS = ("abolish", "introduce", "reveal")
Action = Literal[ACTIONS]  # type: ignore[valid-type]


class TimelineEntry(Section):
    """One change on one day: parameters set and/or a named action, in some or all regions.

    ``abolish``: the regime ends (regime ``none``): running sanctions are lifted, flags stop
    counting and scores return to their start; agents keep what they learnt (perceived risk)
    and cut ties stay cut. ``introduce``: a regime starts (``regime``, or the scenario's
    ``scoring.regime``); before the first introduction the region lives without one.
    ``reveal``: ``feeds`` (default: every feed) that ran unseen become known; before the
    reveal they are unseen (``surveillance.unseen``).
    """

    day: int = Field(ge=0, description="Day on which the change takes effect (before the "
                                       "day's behaviour).")
    action: Action | None = Field(None, description="abolish | introduce | reveal, or none.")
    regions: list[str] | None = Field(None, description="Regions the entry applies to "
                                                        "(default: every region).")
    regime: Regime | None = Field(None, description="The regime an `introduce` starts "
                                                    "(default: scoring.regime).")
    feeds: list[Feed] | None = Field(None, description="The feeds a `reveal` makes known "
                                                       "(default: every feed).")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Parameters set from this day: dotted keys.")
    label: str = Field("", description="Label of the entry in figures (default: its action "
                                       "or what it sets).")

    @field_validator("set", mode="before")
    @classmethod
    def _dotted(cls, value: Any) -> Any:
        """``set = { safeguards.appeals = true }`` (TOML's nested tables) as dotted keys."""
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for k, v in value.items():
            if isinstance(v, dict):
                out.update({f"{k}.{kk}": vv for kk, vv in cls._dotted(v).items()})
            else:
                out[k] = v
        return out


class Scenario(Section):
    """A complete scenario: every parameter of a run."""

    name: str = Field("custom", description="Scenario name.")
    description: str = Field("", description="One line on what the scenario is for.")
    run: RunParams = Field(default_factory=RunParams)
    population: PopulationParams = Field(default_factory=PopulationParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    behavior: BehaviorParams = Field(default_factory=BehaviorParams)
    opinion: OpinionParams = Field(default_factory=OpinionParams)
    surveillance: SurveillanceParams = Field(default_factory=SurveillanceParams)
    scoring: ScoringParams = Field(default_factory=ScoringParams)
    social: SocialParams = Field(default_factory=SocialParams)
    safeguards: SafeguardParams = Field(default_factory=SafeguardParams)
    sanctions: SanctionParams = Field(default_factory=SanctionParams)
    regions: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Each region's own rules: surveillance, scoring, safeguards and sanctions "
                    "keys laid over the scenario's for the region's residents.")
    timeline: list[TimelineEntry] = Field(default_factory=list,
                                          description="Changes on given days, in day order.")

    @model_validator(mode="after")
    def _score_range(self) -> "Scenario":
        s = self.scoring
        if not s.score_min < s.score_max:
            raise ValueError(
                f"scoring.score_min = {s.score_min} must be below scoring.score_max = "
                f"{s.score_max}")
        if not s.score_min <= s.score_start <= s.score_max:
            raise ValueError(
                f"scoring.score_start = {s.score_start} must lie in [score_min, score_max] = "
                f"[{s.score_min}, {s.score_max}]")
        return self

    # ------------------------------------------------------------------ helpers
    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (deterministic key order)."""
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, ignoring nothing: the scenario's identity."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()

"""The model's state: one numpy array per agent attribute, declared once (``declare``) with its
dtype, initial value, unit and meaning.

``State`` holds the agents and their ties; ``Today`` holds the events of the current day,
which each stage writes and later stages read. Neither has behaviour of its own: the stage
modules are functions over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from panoptisim.allocator import mapped_zeros
from panoptisim.flags import AssociationLog, FlagLog, SanctionLog
from panoptisim.network import Graph
from panoptisim.scenario.schema import FEEDS

#: Sanction types, in threshold-check order. Their parameters are ``sanctions.threshold_<t>``
#: and ``sanctions.dur_<t>``.
SANCTIONS = ("travel_ban", "internet_throttled", "visa_denial", "shaming", "employer_notified")
#: Sanctions that neighbours can see: public shaming, and the travel-ban blacklist (China's
#: list of "dishonest judgment debtors" barred from planes and trains is published).
VISIBLE = ("travel_ban", "shaming")
VISIBLE_IDX = tuple(SANCTIONS.index(k) for k in VISIBLE)
#: Sensors: the scorer's feeds (one vocabulary with the schema); each flag records which
#: one produced it, by its index here.
SENSORS = FEEDS
#: What a flag is about; the regime decides which categories count.
CATEGORIES = ("default", "disfavoured", "infraction", "watchlist", "political")
#: Settlement types (camera coverage and income medians follow them); regions are named
#: in the scenario (``population.regions``) and reported by name.
SETTLEMENTS = ("urban", "rural")
GROUPS = ("group_0", "group_1")
#: Reporting subgroups: settlements, demographic groups, income quintiles.
SUBGROUP_KEYS = tuple(list(SETTLEMENTS) + list(GROUPS)
                      + [f"income_q{q}" for q in range(1, 6)])


#: Arrays of at least this many bytes start zeroed in a mapping of their own
#: (``allocator.mapped_zeros``): their pages become resident only when written.
MAPPED_MIN_BYTES = 1 << 20


def _zeros(shape: int | tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A zeroed array; a large one takes memory only for the pages written to it."""
    if int(np.prod(shape)) * np.dtype(dtype).itemsize < MAPPED_MIN_BYTES:
        return np.zeros(shape, dtype)
    return mapped_zeros(shape, dtype)


class Init:
    """An initial value that is not a constant: see BUILT, EMPTY and CopyOf."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


#: Built by ``population.build_society`` from its random draws (or computed from them).
BUILT = Init("built (Section 5)")
#: An empty log.
EMPTY = Init("empty")


class CopyOf(Init):
    """A copy of another field's initial value."""

    def __init__(self, name: str) -> None:
        super().__init__(f"copy of `{name}`")
        self.name = name


#: Named axes of a declared array and their lengths (``agent`` is the population size).
AXES = {"agent": None, "sanction": len(SANCTIONS)}


def declare(dtype: type | np.dtype, init: object, unit: str, meaning: str, *,
            axes: tuple[str, ...] = ("agent",), fixed: bool = False) -> Any:
    """A field of ``State``: dtype (a numpy dtype, or the class of the graph or a log),
    initial value (a constant every element starts at, ``CopyOf(field)``, ``EMPTY`` or
    ``BUILT``), unit, meaning in the model, and an array's named axes (``AXES``).

    ``fixed``: an array no stage writes after the build. It is read-only (a write raises)
    and the arms share one copy of it (``State.copy``)."""
    if not isinstance(dtype, type) or issubclass(dtype, np.generic):
        dtype = np.dtype(dtype)
    else:
        axes = ()
    return field(metadata={"dtype": dtype, "init": init, "unit": unit, "meaning": meaning,
                           "axes": axes, "fixed": fixed})


@dataclass
class State:
    """All agents of one arm, each attribute a plain array declared once (``declare``)."""

    # -- fixed at build -----------------------------------------------------------
    region: np.ndarray = declare(np.int8, BUILT, "index in population.regions",
                                 "Region of residence; its rules apply (fixed).", fixed=True)
    urban: np.ndarray = declare(np.bool_, BUILT, "bool", "Lives in an urban settlement "
                                "(camera coverage, income median; fixed).", fixed=True)
    group: np.ndarray = declare(np.int8, BUILT, "0, 1", "Demographic group; group 1 has "
                                "higher sensor error rates (fixed).", fixed=True)
    income_base: np.ndarray = declare(np.float64, BUILT, "CNY/year", "Income `y` before any "
                                      "employer sanction (fixed).", fixed=True)
    income_quintile: np.ndarray = declare(np.int8, BUILT, "0..4", "Quintile of base income in "
                                          "the population (fixed).", fixed=True)
    latent_dissent: np.ndarray = declare(np.float32, BUILT, "[0, 1]", "Private opinion `d` "
                                         "against the official narrative (Beta "
                                         "distributed at build; moves with the opinion "
                                         "stage).")
    dissenter: np.ndarray = declare(np.bool_, BUILT, "bool", "`d >= 0.5` at build: a fixed "
                                    "classification for the metrics, not updated as `d` "
                                    "moves.", fixed=True)
    expression_threshold: np.ndarray = declare(np.float32, BUILT, "share of live ties",
                                               "Support `theta` needed to speak (Granovetter "
                                               "threshold; fixed).", fixed=True)
    has_loan: np.ndarray = declare(np.bool_, BUILT, "bool", "Repays a loan every payment "
                                   "interval (fixed).", fixed=True)
    payment_offset: np.ndarray = declare(np.int16, BUILT, "day", "Day within the payment "
                                         "interval when a payment is due (fixed).", fixed=True)
    score_start: np.ndarray = declare(np.float64, BUILT, "points", "Starting score; "
                                      "forgiveness decays toward it (fixed).", fixed=True)
    graph: Graph = declare(Graph, BUILT, "CSR", "Households and friendships with the "
                           "active-edge mask (`graph.active`: 1 live, 0 cut).")
    household: np.ndarray = declare(np.int32, BUILT, "household id", "Household the agent "
                                    "lives in; a tie within a household is family, any other "
                                    "a friend (fixed).", fixed=True)
    # -- change during the run ----------------------------------------------------
    score: np.ndarray = declare(np.float64, CopyOf("score_start"), "points", "Current score "
                                "`s`.")
    perceived_risk: np.ndarray = declare(np.float32, 0.0, "probability", "Perceived certainty "
                                         "`rho`: subjective chance that a dissenting post is "
                                         "punished (mean of the Beta belief).")
    certainty_hits: np.ndarray = declare(np.float32, 0.0, "posts", "Beta belief: punished "
                                         "dissenting posts seen, own and ties' (weighted, "
                                         "with the prior and forgetting).")
    certainty_misses: np.ndarray = declare(np.float32, 0.0, "posts", "Beta belief: unpunished "
                                           "dissenting posts seen (0 with the hits: no belief "
                                           "yet).")
    perceived_penalty: np.ndarray = declare(np.float32, 0.0, "points", "Points an agent "
                                            "expects to lose per flagged dissenting post under "
                                            "opaque rules (prior, then learnt from own flags).")
    ti_expressed: np.ndarray = declare(np.int32, -1, "day (-1 never)", "Last day the agent "
                                       "expressed dissent.")
    ti_voiced: np.ndarray = declare(np.int32, -1, "day (-1 never)", "Last day the agent's "
                                    "dissent was visible to its ties: expressed and not "
                                    "deleted by the censor.")
    dissent_built: np.ndarray = declare(np.float32, CopyOf("latent_dissent"), "[0, 1]",
                                        "Latent dissent `d0` at build, the anchor of the "
                                        "opinion stage.", fixed=True)
    climate_smoothed: np.ndarray = declare(np.float32, 0.0, "share of live ties",
                                           "Expressed climate among one's live ties, "
                                           "exponentially smoothed (opinion stage).")
    climate_reference: np.ndarray = declare(np.float32, 0.0, "share of live ties",
                                            "Mean climate over the second half of the opinion "
                                            "warm-up: opinions move with the smoothed climate "
                                            "against it.")
    grievance: np.ndarray = declare(np.float32, 0.0, "dissent", "Latent dissent added by "
                                    "wrongful sanctions and cut ties (fading at "
                                    "`opinion.rel_grievance_decay`).")
    active_degree: np.ndarray = declare(np.float32, BUILT, "ties", "Live ties `k` (kept in "
                                        "step with `graph.active`).")
    family_degree: np.ndarray = declare(np.float32, BUILT, "ties", "Live family (household) "
                                        "ties, of `active_degree` (kept in step with "
                                        "`graph.active`).")
    speakers_counted: np.ndarray = declare(np.bool_, False, "bool", "Recent speakers as "
                                           "`ties_to_speakers` last counted them.")
    ties_to_speakers: np.ndarray = declare(np.int32, 0, "ties", "Live ties to recent "
                                           "speakers (`speakers_counted`), kept in step by "
                                           "pushes (`tiecounts`).")
    marked_counted: np.ndarray = declare(np.bool_, False, "bool", "Agents on a public list "
                                         "as `ties_to_marked` last counted them.")
    ties_to_marked: np.ndarray = declare(np.int32, 0, "ties", "Live ties to agents on a "
                                         "public list (`marked_counted`), kept in step by "
                                         "pushes (`tiecounts`).")
    points_true: np.ndarray = declare(np.float64, 0.0, "points", "Penalty points of true flags "
                                      "still counting.")
    points_false: np.ndarray = declare(np.float64, 0.0, "points", "Penalty points of false "
                                       "flags still counting.")
    points_political: np.ndarray = declare(np.float64, 0.0, "points", "Penalty points of "
                                           "political flags still counting (true or false).")
    points_credit: np.ndarray = declare(np.float64, 0.0, "points", "Credit points still "
                                        "counting: on-time payments and favoured purchases "
                                        "the scorer saw, fading at 1/"
                                        "`scoring.dur_retention_credit` a day.")
    points_association: np.ndarray = declare(np.float64, 0.0, "points", "Association points "
                                             "still counting: charged for live ties' "
                                             "political flags and public sanctions.")
    association_events: np.ndarray = declare(np.float32, 0.0, "events", "The agent's own "
                                             "association events (political flags, public "
                                             "sanctions that cost its ties points), an "
                                             "exponentially weighted count as of "
                                             "`ti_association` (time constant "
                                             "`social.dur_association_memory`).")
    ti_association: np.ndarray = declare(np.int32, -1, "day (-1 never)", "Last day the "
                                         "agent's events cost its ties points.")
    n_flags_counting: np.ndarray = declare(np.int32, 0, "flags", "Flags still counting (not "
                                           "reversed or expired): a sanction needs at least "
                                           "one.")
    sanction_days_left: np.ndarray = declare(np.int32, 0, "days", "Remaining days of each "
                                             "sanction type (0: none); 32-bit, so the longest "
                                             "allowed durations (36,500 days) do not "
                                             "overflow.", axes=("sanction", "agent"))
    ever_sanctioned: np.ndarray = declare(np.bool_, False, "bool", "Had this sanction type at "
                                          "least once.", axes=("sanction", "agent"))
    sanction_wrongful: np.ndarray = declare(np.bool_, False, "bool", "The running sanction of "
                                            "this type was wrongful when imposed.",
                                            axes=("sanction", "agent"))
    ever_wrongful: np.ndarray = declare(np.bool_, False, "bool", "Had at least one wrongful "
                                        "sanction.")
    watchlisted: np.ndarray = declare(np.bool_, BUILT, "bool", "On the camera watchlist "
                                      "(wanted); left at the first true alert (caught).")
    flags: FlagLog = declare(FlagLog, EMPTY, "log", "Every flag with its provenance.")
    association_log: AssociationLog = declare(AssociationLog, EMPTY, "log", "Association "
                                              "points charged, one row per agent and day "
                                              "(expiring after the retention period).")
    sanction_log: SanctionLog = declare(SanctionLog, EMPTY, "log", "Every sanction with its "
                                        "trigger.")

    @classmethod
    def allocate(cls, n: int, **built: Any) -> "State":
        """A state of ``n`` agents: the fields declared ``BUILT`` are given (what
        ``population.build_society`` drew, checked against their declared dtype and shape);
        every other field starts at its declared initial value."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            meta = f.metadata
            if (meta["init"] is BUILT) != (f.name in built):
                wanted = sorted(g.name for g in fields(cls) if g.metadata["init"] is BUILT)
                raise TypeError(f"State.allocate needs exactly the built fields {wanted}: "
                                f"'{f.name}' is declared {meta['init']!r}")
            if meta["init"] is BUILT:
                values[f.name] = _checked(f.name, built[f.name], meta, n)
            elif meta["init"] is EMPTY:
                values[f.name] = meta["dtype"]()
            elif not isinstance(meta["init"], CopyOf):
                values[f.name] = _zeros(_shape(meta, n), meta["dtype"])
                if meta["init"]:
                    values[f.name].fill(meta["init"])
        for f in fields(cls):  # copies last: of fields given or allocated above
            if isinstance(f.metadata["init"], CopyOf):
                values[f.name] = _checked(f.name, values[f.metadata["init"].name].copy(),
                                          f.metadata, n)
        for name in cls.fixed_fields():
            values[name].flags.writeable = False
        return cls(**values)

    @classmethod
    def fixed_fields(cls) -> tuple[str, ...]:
        """Names of the arrays declared fixed: read-only, one copy shared by the arms."""
        return tuple(f.name for f in fields(cls) if f.metadata["fixed"])

    @property
    def n(self) -> int:
        """Number of agents."""
        return len(self.score)

    def sanctioned(self, kind: str) -> np.ndarray:
        """Agents currently under sanction ``kind``."""
        return self.sanction_days_left[SANCTIONS.index(kind)] > 0

    def point_accumulators(self) -> tuple[np.ndarray, ...]:
        """Every per-agent sum of points still counting in the score (penalty points true,
        false and political, association points, credits): what forgiveness decays and
        abolition clears."""
        return (self.points_true, self.points_false, self.points_political,
                self.points_association, self.points_credit)

    def tie_counts(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Every count of live ties kept by pushes, with the set it counts: (recent
        speakers, ties to them) and (marked agents, ties to them) (``tiecounts``)."""
        return ((self.speakers_counted, self.ties_to_speakers),
                (self.marked_counted, self.ties_to_marked))

    def marked(self) -> np.ndarray:
        """Agents whose disgrace is visible to neighbours: on a public list (VISIBLE)."""
        marked = np.zeros(self.n, bool)
        for k in VISIBLE_IDX:  # row by row: no copy of the rows
            marked |= self.sanction_days_left[k] > 0
        return marked

    def copy(self) -> "State":
        """An independent copy for the other arm, made at build: the arrays a stage writes
        are copied (those still at zero allocated zeroed, ``_zeros``) and the graph's
        live-tie mask starts as a view that takes no memory until the arm cuts a tie
        (``Graph.for_other_arm``); the fixed arrays (read-only), the CSR arrays and what was
        derived from them once (``derived``) are shared; logs start empty."""
        kw: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.metadata["fixed"]:
                kw[f.name] = v
            elif isinstance(v, np.ndarray):
                # an array still at zero is allocated zeroed, not copied: its pages become
                # resident only where this arm writes (``_zeros``); an arm without a regime
                # never writes its sums, counters and sanctions
                kw[f.name] = v.copy() if v.view(np.uint8).any() else _zeros(v.shape, v.dtype)
            elif isinstance(v, Graph):
                kw[f.name] = v.for_other_arm()
            else:
                kw[f.name] = f.metadata["dtype"]()
        other = State(**kw)
        other._derived = self.derived()
        return other

    def derived(self) -> dict[str, Any]:
        """Values computed once from the fixed fields and the CSR arrays (the context's
        subgroup masks, family ties, ties at build), shared by the arms as those are."""
        if "_derived" not in self.__dict__:
            self._derived: dict[str, Any] = {}
        return self._derived


def _shape(meta: Mapping[str, Any], n: int) -> tuple[int, ...]:
    return tuple(n if AXES[a] is None else AXES[a] for a in meta["axes"])


def _checked(name: str, value: Any, meta: Mapping[str, Any], n: int) -> Any:
    """``value`` if it has the declared dtype and shape (or class), else TypeError."""
    dtype = meta["dtype"]
    if isinstance(dtype, np.dtype):
        ok = isinstance(value, np.ndarray) and value.dtype == dtype and \
            value.shape == _shape(meta, n)
        got = f"{getattr(value, 'dtype', type(value).__name__)} {getattr(value, 'shape', '')}"
        want = f"{dtype} {_shape(meta, n)}"
    else:
        ok, got, want = isinstance(value, dtype), type(value).__name__, dtype.__name__
    if not ok:
        raise TypeError(f"State.{name} must be {want} as declared, got {got}")
    return value


def event(stage: str, dtype: type, meaning: str, per: str | None = "agent") -> Any:
    """A field of ``Today``: the stage that writes it (a name of ``engine.PHASES``), dtype and
    meaning. ``per="agent"``: an (n,) array, None until written; another ``per`` (``"flag"``,
    ...): a list of entries, empty until written; ``per=None``: a count for the day, 0."""
    meta = {"stage": stage, "dtype": dtype, "meaning": meaning, "per": per}
    if per is None:
        return field(default=dtype(0), metadata=meta)
    if per == "agent":
        return field(default=None, metadata=meta)
    return field(default_factory=lambda: np.empty(0, dtype), metadata=meta)


@dataclass
class Today:
    """Events of one day, written by the stages in order and read by the later ones."""

    t: int
    political_chance: np.ndarray | None = event("behaviour", np.bool_, "Had a chance to post "
                                                "on politics.")
    expressed: np.ndarray | None = event("behaviour", np.bool_, "Expressed dissent.")
    benign_post: np.ndarray | None = event("behaviour", np.bool_, "Posted something benign.")
    purchase: np.ndarray | None = event("behaviour", np.bool_, "Made a purchase.")
    disfavoured: np.ndarray | None = event("behaviour", np.bool_, "The purchase was of a "
                                           "disfavoured category.")
    infraction: np.ndarray | None = event("behaviour", np.bool_, "Committed a minor "
                                          "infraction.")
    outdoors: np.ndarray | None = event("behaviour", np.bool_, "Was outdoors (where ambient "
                                        "cameras scan).")
    payment_due: np.ndarray | None = event("behaviour", np.bool_, "A loan payment was due.")
    defaulted: np.ndarray | None = event("behaviour", np.bool_, "Defaulted on a due payment.")
    repaid: np.ndarray | None = event("behaviour", np.bool_, "Repaid a due payment on time.")
    trip_wanted: np.ndarray | None = event("behaviour", np.bool_, "Wanted a train or plane "
                                           "trip.")
    travel_denied: np.ndarray | None = event("behaviour", np.bool_, "Was refused the trip "
                                             "(travel ban).")
    visa_wanted: np.ndarray | None = event("behaviour", np.bool_, "Applied for a visa.")
    visa_denied: np.ndarray | None = event("behaviour", np.bool_, "Was refused the visa.")
    support: np.ndarray | None = event("behaviour", np.float32, "The expressed climate: "
                                       "share of the chances to speak one's live ties are "
                                       "expected to have had in the support memory in "
                                       "which they voiced dissent (capped at 1).")
    voiced_before: np.ndarray = event("behaviour", np.int32, "`ti_voiced` before today of "
                                      "each agent who expressed dissent today (agent "
                                      "order), for undoing deleted posts.", per="expression")
    flag_agent: np.ndarray = event("sensors", np.int64, "Agent flagged.", per="flag")
    flag_sensor: np.ndarray = event("sensors", np.int8, "Sensor of the flag (SENSORS).",
                                    per="flag")
    flag_category: np.ndarray = event("sensors", np.int8, "Category of the flag "
                                      "(CATEGORIES).", per="flag")
    flag_true: np.ndarray = event("sensors", np.bool_, "The agent did it (else a sensor error "
                                  "or a malicious report).", per="flag")
    repaid_seen: np.ndarray | None = event("sensors", np.bool_, "On-time payment the scorer "
                                           "saw (earns the repayment credit).")
    favoured_seen: np.ndarray | None = event("sensors", np.bool_, "Favoured purchase the "
                                             "scorer saw (earns the favoured credit).")
    deleted_agent: np.ndarray = event("sensors", np.int64, "Author of a dissenting post "
                                      "the censor deleted today.", per="deleted post")
    political_flagged: np.ndarray | None = event("scoring", np.bool_, "Received at least one "
                                                 "political flag, true or false.")
    appeal_winners: np.ndarray = event("scoring", np.int64, "Agent who won an appeal today "
                                       "(once each).", per="appeal winner")
    new_sanction_agent: np.ndarray = event("sanctions", np.int64, "Agent newly sanctioned.",
                                           per="new sanction")
    new_sanction_kind: np.ndarray = event("sanctions", np.int8, "Type of the new sanction "
                                          "(SANCTIONS).", per="new sanction")
    new_sanction_wrongful: np.ndarray = event("sanctions", np.bool_, "Most of its points came "
                                              "from false flags.", per="new sanction")
    new_sanction_political: np.ndarray = event("sanctions", np.bool_, "Most of its points "
                                               "came from political flags.",
                                               per="new sanction")
    new_sanction_by_association: np.ndarray = event("sanctions", np.bool_, "Would not have "
                                                    "been imposed that day without the "
                                                    "association points (but-for).",
                                                    per="new sanction")
    sanctions_lifted: int = event("sanctions", int, "Running sanctions lifted on appeal.",
                                  per=None)
    sanctions_continued: int = event("sanctions", int, "Sanctions renewed without a gap: "
                                     "they ran out while the score was still under the "
                                     "threshold.", per=None)
    sanctions_abolished: int = event("policy", int, "Running sanctions lifted because the "
                                     "regime that imposed them was abolished.", per=None)
    ties_cut: int = event("social_response", int, "Ties cut.", per=None)
    tie_ends_cut: np.ndarray = event("social_response", np.int64, "Agent at one end of a tie "
                                     "cut today (both ends listed).", per="tie end")
    ties_restored: int = event("social_response", int, "Cut ties restored.", per=None)
    tie_ends_restored: np.ndarray = event("social_response", np.int64, "Agent at one end of "
                                          "a tie restored today (both ends listed).",
                                          per="tie end")
    day_counts: Any = field(default=None, metadata={
        "stage": "metrics", "dtype": object, "per": "day",
        "meaning": "The day's integer counts over the agents (daycounts.DayCounts, one "
                   "compiled call), taken once a day for the metrics and the counts by region."})

    @classmethod
    def written_by(cls, stage: str, dtype: type | None = None) -> tuple[str, ...]:
        """Names of the fields ``stage`` writes (of ``dtype``, if given), in order."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("stage") == stage
                     and (dtype is None or f.metadata["dtype"] is dtype))

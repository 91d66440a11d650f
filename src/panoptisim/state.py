"""The model's state: one numpy array per agent attribute, declared once with unit and meaning.

``State`` holds the agents and their ties; ``Today`` holds the events of the current day,
which each stage writes and later stages read. Neither has behaviour of its own: the stage
modules are functions over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from panoptisim.flags import FlagLog, SanctionLog
from panoptisim.network import Graph

#: Sanction types, in threshold-check order. Their parameters are ``sanctions.threshold_<t>``
#: and ``sanctions.dur_<t>``.
SANCTIONS = ("travel_ban", "internet_throttled", "visa_denial", "shaming", "employer_notified")
#: Sanctions that neighbours can see: public shaming, and the travel-ban blacklist (China's
#: list of "dishonest judgment debtors" barred from planes and trains is published).
VISIBLE = ("travel_ban", "shaming")
VISIBLE_IDX = tuple(SANCTIONS.index(k) for k in VISIBLE)
#: Sensors (feeds); each flag records which one produced it.
SENSORS = ("online", "cameras", "commerce", "financial", "informants")
#: What a flag is about; the regime decides which categories count.
CATEGORIES = ("default", "disfavoured", "infraction", "watchlist", "political")
REGIONS = ("urban", "rural")
GROUPS = ("group_0", "group_1")
#: Reporting subgroups: regions, demographic groups, income quintiles.
SUBGROUP_KEYS = tuple([f"region_{r}" for r in REGIONS] + list(GROUPS)
                      + [f"income_q{q}" for q in range(1, 6)])


def declare(unit: str, meaning: str) -> dict:
    """Field metadata for one agent array: its unit and what it means in the model."""
    return field(metadata={"unit": unit, "meaning": meaning})


@dataclass
class State:
    """All agents of one arm. Arrays have length ``n`` unless said otherwise."""

    # -- fixed at build -----------------------------------------------------------
    region: np.ndarray = declare("0 urban | 1 rural", "Region of residence.")
    group: np.ndarray = declare("0 | 1", "Demographic group (sensor error differentials).")
    income_base: np.ndarray = declare("CNY/year", "Income before any employer sanction.")
    income_quintile: np.ndarray = declare("0..4", "Quintile of base income in the population.")
    latent_dissent: np.ndarray = declare("[0, 1]", "Private opinion against the official "
                                                   "narrative (Beta distributed).")
    dissenter: np.ndarray = declare("bool", "latent_dissent >= 0.5 (fixed, so cached).")
    expression_threshold: np.ndarray = declare("share of neighbours", "Support needed to "
                                               "speak (Granovetter threshold).")
    has_loan: np.ndarray = declare("bool", "Repays a loan every payment interval.")
    payment_offset: np.ndarray = declare("day", "Day within the payment interval when due.")
    graph: Graph = declare("CSR", "Households and friendships with the active-edge mask.")
    # -- change every day ---------------------------------------------------------
    score_start: np.ndarray = declare("points", "Starting score; forgiveness decays toward it.")
    score: np.ndarray = declare("points", "Current score.")
    perceived_risk: np.ndarray = declare("probability", "Subjective chance that a dissenting "
                                         "post is flagged and penalised.")
    ti_expressed: np.ndarray = declare("day (-1 never)", "Last day the agent expressed "
                                       "dissent.")
    active_degree: np.ndarray = declare("ties", "Live ties (kept in step with graph.active).")
    points_true: np.ndarray = declare("points", "Penalty points of true flags still counting.")
    points_false: np.ndarray = declare("points", "Penalty points of false flags still "
                                       "counting.")
    points_political: np.ndarray = declare("points", "Penalty points of political flags "
                                           "still counting (true or false).")
    n_flags_counting: np.ndarray = declare("flags", "Flags still counting (not reversed or "
                                           "expired): a sanction needs at least one.")
    sanction_days_left: np.ndarray = declare("days, (n_sanctions, n)", "Remaining days of "
                                             "each sanction (0: none).")
    ever_sanctioned: np.ndarray = declare("bool, (n_sanctions, n)", "Had this sanction at "
                                          "least once.")
    sanction_wrongful: np.ndarray = declare("bool, (n_sanctions, n)", "The running sanction "
                                            "was wrongful when imposed.")
    ever_wrongful: np.ndarray = declare("bool", "Had at least one wrongful sanction.")
    watchlisted: np.ndarray = declare("bool", "On the camera watchlist (wanted); drawn at "
                                      "build, left at the first true alert (caught).")
    flags: FlagLog = declare("log", "Every flag with its provenance.")
    sanction_log: SanctionLog = declare("log", "Every sanction with its trigger.")

    @property
    def n(self) -> int:
        """Number of agents."""
        return len(self.score)

    def sanctioned(self, kind: str) -> np.ndarray:
        """Agents currently under sanction ``kind``."""
        return self.sanction_days_left[SANCTIONS.index(kind)] > 0

    def marked(self) -> np.ndarray:
        """Agents whose disgrace is visible to neighbours: on a public list (VISIBLE)."""
        return (self.sanction_days_left[list(VISIBLE_IDX)] > 0).any(axis=0)

    def copy(self) -> "State":
        """An independent copy (arrays, graph mask and logs), for the other arm."""
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                kw[f.name] = v.copy()
            elif isinstance(v, Graph):
                kw[f.name] = Graph(v.indptr, v.indices, v.rev, v.active.copy())
            else:
                kw[f.name] = type(v)()
        return State(**kw)


@dataclass
class Today:
    """Events of one day, written by the stages in order and read by the later ones."""

    t: int
    # behaviour
    political_chance: np.ndarray | None = None
    expressed: np.ndarray | None = None
    benign_post: np.ndarray | None = None
    purchase: np.ndarray | None = None
    disfavoured: np.ndarray | None = None
    infraction: np.ndarray | None = None
    outdoors: np.ndarray | None = None
    payment_due: np.ndarray | None = None
    defaulted: np.ndarray | None = None
    repaid: np.ndarray | None = None
    trip_wanted: np.ndarray | None = None
    travel_denied: np.ndarray | None = None
    visa_wanted: np.ndarray | None = None
    visa_denied: np.ndarray | None = None
    support: np.ndarray | None = None
    # sensors -> scoring
    flag_agent: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    flag_sensor: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    flag_category: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    flag_true: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    repaid_seen: np.ndarray | None = None
    favoured_seen: np.ndarray | None = None
    # scoring -> sanctions / social response
    political_flagged: np.ndarray | None = None
    appeal_winners: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    # sanctions -> social response / metrics
    new_sanction_agent: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    new_sanction_kind: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    new_sanction_wrongful: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    new_sanction_political: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    sanctions_lifted: int = 0
    # social response -> metrics
    ties_cut: int = 0
    #: values several metrics share, computed once a day
    cache: dict = field(default_factory=dict)

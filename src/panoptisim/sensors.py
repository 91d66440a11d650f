"""Stage 2, sensors: today's behaviour as the scorer's feeds record it, errors included.

Sensors are modelled by coverage and error rates only; nothing is recognised. Each feed
produces flags (agent, sensor, category, true or false): a true flag records what the agent
did; a false one is a sensor error (a benign post flagged, a face matched to the wrong
person, a payment mis-recorded, a purchase mis-categorised) or a malicious report. A feed
runs only if the arm's scorer uses it (regime scores a category it observes, the sensor is
enabled and not removed by data minimisation).

Each agent is watched under its region's rules (``ctx.rules``): coverage and error rates are
its region's, and a flag counts only if the agent's region's scorer takes that sensor's flags
of that category, so a region without scoring has no flags on its residents.
"""

from __future__ import annotations

import numpy as np

from panoptisim import philox
from panoptisim.context import Context
from panoptisim.rules import at
from panoptisim.state import CATEGORIES, SENSORS, Today


class _Flags:
    """Collects the day's flags from every feed, on the agents whose region's scorer takes
    them."""

    def __init__(self, ctx: Context) -> None:
        self.parts: list[tuple[np.ndarray, int, int, bool]] = []
        self.arm, self.region = ctx.arm, ctx.state.region

    def add(self, agents: np.ndarray, sensor: str, category: str, is_true: bool) -> None:
        watched = self.arm.watched(sensor, category)
        if watched is not None and len(agents):
            agents = agents[watched[self.region[agents]]]
        if len(agents):
            self.parts.append((np.asarray(agents, np.int64), SENSORS.index(sensor),
                               CATEGORIES.index(category), is_true))

    def write(self, today: Today) -> None:
        if not self.parts:
            return
        today.flag_agent = np.concatenate([a for a, *_ in self.parts])
        today.flag_sensor = np.concatenate(
            [np.full(len(a), s, np.int8) for a, s, _, _ in self.parts])
        today.flag_category = np.concatenate(
            [np.full(len(a), c, np.int8) for a, _, c, _ in self.parts])
        today.flag_true = np.concatenate([np.full(len(a), v, bool) for a, _, _, v in self.parts])


def fpir_of_gallery(fmr: float | np.ndarray, gallery_size: float | np.ndarray
                    ) -> float | np.ndarray:
    """FPIR of one 1:N search of a non-enrolled face against a gallery of ``gallery_size``.

    Each of the N comparisons false-matches independently with the per-comparison false match
    rate FMR, so FPIR = 1 - (1 - FMR)^N, which is N x FMR to first order for small FMR (a
    watchlist ten times larger gives ten times the false alerts). Reference: Grother,
    Ngan & Hanaoka 2019, NIST IR 8271, doi:10.6028/NIST.IR.8271.
    """
    size = np.asarray(gallery_size, np.float64)
    return -np.expm1(size * np.log1p(-np.asarray(fmr, np.float64)))


def fpir_by_group(fpir: float, rel: float, rel_group_1: float, cap: float) -> np.ndarray:
    """FPIR per search for demographic groups 0 and 1: ``fpir x rel``, group 1 times
    ``rel_group_1``, each capped at ``cap`` (the error-rate audit requirement)."""
    fpir = fpir * rel * np.array([1.0, rel_group_1])
    return np.minimum(fpir, cap)


def group_fpir(ctx: Context, watchlist: bool = False) -> np.ndarray:
    """FPIR per search by (region, demographic group), capped by the audit requirement; of
    an ambient watchlist scan (``rel_fpir_watchlist`` x the registry's) if ``watchlist``."""
    rows = []
    for sc in ctx.rules.regions:
        cam = sc.surveillance.cameras
        rel = cam.rel_fpir_watchlist if watchlist else 1.0
        rows.append(fpir_by_group(cam.fpir, rel, cam.rel_fpir_group_1,
                                  sc.safeguards.fpir_cap))
    return np.stack(rows)


def by_region_group(ctx: Context, table: np.ndarray, agents: np.ndarray | None = None
                    ) -> np.ndarray:
    """Values of a (region, group) table for ``agents`` (default: every agent)."""
    s = ctx.state
    group = s.group if agents is None else s.group[agents]
    if (table == table[0]).all():  # one set of rules: by group alone
        return np.take(table[0], group)  # (take: twice as fast as indexing, same values)
    return table[s.region if agents is None else s.region[agents], group]


def _as_float32(p: np.ndarray | float) -> np.ndarray | float:
    """One probability as a float32 draw was always compared with it in these decisions (in
    float32: numpy's rule for a Python float beside a float32 array), for ``philox.happens``,
    which compares in float64; per-agent probabilities (float64) as they are."""
    return p if isinstance(p, np.ndarray) else float(np.float32(p))


def coverage(ctx: Context) -> tuple[np.ndarray, ...]:
    """Camera coverage by each agent's region and settlement, as a lookup for
    ``philox.happens``: ``(coverage by settlement, urban)`` when every region has the same
    (float32, rural then urban), else ``(coverage by region and settlement, region, urban)``."""
    table = np.array([[sc.surveillance.cameras.coverage_rural,
                       sc.surveillance.cameras.coverage_urban] for sc in ctx.rules.regions],
                     np.float32)
    urban = ctx.state.urban.view(np.int8)
    if (table == table[0]).all():
        return table[0], urban
    return table, ctx.state.region, urban


def camera_capture(ctx: Context, purpose: str, t: int, agents: np.ndarray) -> np.ndarray:
    """Which of ``agents`` have today's public event in a camera's view, by their region's
    coverage of their settlement (urban or rural): each agent's draw of ``purpose`` on day
    ``t`` is compared with its coverage (float32). Drawn for these agents only."""
    lookup = coverage(ctx)
    of_agents = lookup[0][tuple(index[agents] for index in lookup[1:])]
    return agents[ctx.streams.uniform_at(purpose, t, agents) < of_agents]


def pin_on_innocent(ctx: Context, actors: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A false 1:N match: another enrolled person of the actor's group, uniformly at random.

    Look-alikes are drawn within the probe's demographic group, where false matches
    concentrate (NIST IR 8280). Never the actor themself.
    """
    out = np.empty(len(actors), np.int64)
    group = ctx.state.group[actors]
    for g, members in enumerate(ctx.group_members):
        sel = group == g
        m = len(members)
        if not sel.any():
            continue
        if m < 2:  # no one else to blame: the match goes to someone in the other group
            members = np.arange(ctx.state.n)
            m = len(members)
        pos = np.minimum((u[sel] * (m - 1)).astype(np.int64), m - 2)
        own = np.searchsorted(members, actors[sel])
        pos = np.where(pos >= own, pos + 1, pos)  # skip the actor's own slot
        out[sel] = members[pos]
    return out


def alert_outcomes(scanned: np.ndarray, watchlisted: np.ndarray, u: np.ndarray,
                   tpir: float | np.ndarray, fpir: float | np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(true, false) alerts of scans against a watchlist, one uniform ``u`` per person.

    A scanned watchlisted person is a true alert with probability TPIR; any other scanned
    person is a false alert with probability FPIR (per person, e.g. by group). Expected
    false alerts are scans x FPIR whatever the prevalence: the base-rate arithmetic.
    """
    true_alert = scanned & watchlisted & (u < tpir)
    false_alert = scanned & ~watchlisted & (u < fpir)
    return true_alert, false_alert


def ambient_alerts(ctx: Context, today: Today) -> tuple[np.ndarray, np.ndarray]:
    """Ambient scanning of everyone a camera sees against a watchlist: the agents with a
    (true, false) alert.

    An agent outdoors is scanned with probability ``p_ambient_scan`` if a camera sees it
    (its region's coverage of its settlement). A watchlisted agent scanned is a true alert
    with probability TPIR (and is then caught and taken off this arm's watchlist,
    ``State.watchlisted``); anyone else scanned is a false alert with the watchlist FPIR
    (registry FPIR x watchlist/gallery size), so false alerts = scans x FPIR, whatever the
    prevalence (the base-rate fallacy). Each step draws only for the agents still in play
    (the same per-agent draws as over everyone).
    """
    rule, s, t = ctx.rules.of, ctx.state, today.t
    scanned = philox.happens(ctx.streams.key("sensors.cameras.ambient_scan"), t, s.n,
                             _as_float32(rule("surveillance.cameras.p_ambient_scan")),
                             among=today.outdoors)
    # in view: the draw under the coverage (float32, widened exactly: the same comparison)
    seen = np.flatnonzero(philox.happens(ctx.streams.key("sensors.cameras.ambient_view"), t,
                                         s.n, 1.0, times=coverage(ctx), among=scanned))
    true_alert, false_alert = alert_outcomes(
        np.ones(len(seen), bool), s.watchlisted[seen],
        ctx.streams.uniform_at("sensors.cameras.ambient_alert", t, seen),
        at(rule("surveillance.cameras.tpir"), seen),
        by_region_group(ctx, group_fpir(ctx, watchlist=True), seen))
    true_alert, false_alert = seen[true_alert], seen[false_alert]
    s.watchlisted[true_alert] = False  # caught: off the list
    return true_alert, false_alert


def step(ctx: Context, today: Today) -> None:
    """Turn today's behaviour into flags through every feed the scorer uses."""
    arm, s, t, rule = ctx.arm, ctx.state, today.t, ctx.rules.of
    n = s.n
    flags = _Flags(ctx)

    def happens(purpose: str, p: np.ndarray | float, among: np.ndarray) -> np.ndarray:
        """``among & (uniform(purpose) < p)`` in one compiled pass (philox.happens)."""
        return philox.happens(ctx.streams.key(purpose), t, n, p, among=among)

    political = arm.scores("political")
    infraction_scored = arm.scores("infraction")

    if arm.uses("online") and political:
        scanned = happens("sensors.online.scan", rule("surveillance.online.p_scan"), True)
        seen = np.flatnonzero(today.expressed & scanned)
        caught = np.zeros(n, bool)
        caught[seen] = ctx.streams.uniform_at("sensors.online.recall", t, seen) < \
            at(rule("surveillance.online.recall_dissent"), seen)
        flags.add(np.flatnonzero(caught), "online", "political", True)
        today.deleted_agent = censor(ctx, today, caught)
        rate = np.stack([sc.surveillance.online.false_flag_rate * np.array(
            [1.0, sc.surveillance.online.rel_false_flag_group_1], np.float32)
            for sc in ctx.rules.regions])
        wrong = happens("sensors.online.false_flag", by_region_group(ctx, rate),
                        today.benign_post & scanned)
        flags.add(np.flatnonzero(wrong), "online", "political", False)

    captured = None
    cameras_on = rule("surveillance.cameras.enabled")
    if np.any(cameras_on):
        captured = np.zeros(n, bool)
        captured[camera_capture(ctx, "sensors.cameras.coverage", t,
                                np.flatnonzero(today.infraction))] = True
        if not np.all(cameras_on):
            captured &= cameras_on
    if arm.uses("cameras") and infraction_scored:
        # Event identification: 1:N search of the captured face against the registry.
        events = np.flatnonzero(captured)
        u_id = ctx.streams.uniform_at("sensors.cameras.identify", t, events)
        fpir = by_region_group(ctx, group_fpir(ctx), events)
        false_match = u_id < fpir
        true_match = ~false_match & (u_id < fpir + (1.0 - fpir) *
                                     at(rule("surveillance.cameras.tpir"), events))
        flags.add(events[true_match], "cameras", "infraction", True)
        u_who = ctx.streams.uniform_at("sensors.cameras.lookalike", t, events[false_match])
        flags.add(pin_on_innocent(ctx, events[false_match], u_who), "cameras", "infraction",
                  False)
    if arm.uses("cameras") and arm.scores("watchlist"):
        true_alert, false_alert = ambient_alerts(ctx, today)
        flags.add(true_alert, "cameras", "watchlist", True)
        flags.add(false_alert, "cameras", "watchlist", False)

    if arm.uses("commerce"):
        visible = happens("sensors.commerce.visible", rule("surveillance.commerce.p_visible"),
                          today.purchase)
        flags.add(np.flatnonzero(visible & today.disfavoured), "commerce", "disfavoured", True)
        favoured = visible & ~today.disfavoured
        miscategorised = happens("sensors.commerce.miscategorised",
                                 rule("surveillance.commerce.p_miscategorised"), favoured)
        flags.add(np.flatnonzero(miscategorised), "commerce", "disfavoured", False)
        today.favoured_seen = favoured & ~miscategorised

    if arm.uses("financial"):
        flags.add(np.flatnonzero(today.defaulted), "financial", "default", True)
        misrecorded = happens("sensors.financial.record_error",
                              rule("surveillance.financial.p_record_error"), today.repaid)
        flags.add(np.flatnonzero(misrecorded), "financial", "default", False)
        today.repaid_seen = today.repaid & ~misrecorded

    if arm.uses("informants"):
        p_inf = rule("surveillance.informants.p_informant")
        # P(at least one of k live ties reports) = 1 - (1 - p)^k
        p_reported = 1.0 - (1.0 - p_inf) ** s.active_degree
        if political:
            flags.add(np.flatnonzero(happens("sensors.informants.report", p_reported,
                                             today.expressed)), "informants", "political", True)
        if infraction_scored and captured is not None:  # seen on public camera streams
            flags.add(np.flatnonzero(happens("sensors.informants.stream", p_reported,
                                             captured)), "informants", "infraction", True)
        accuse = "political" if political else ("infraction" if infraction_scored else None)
        if accuse is not None:
            flags.add(malicious_targets(ctx, t), "informants", accuse, False)

    flags.write(today)


def censor(ctx: Context, today: Today, caught: np.ndarray) -> np.ndarray:
    """Delete dissenting posts the online sensor caught, each with probability
    ``surveillance.online.p_delete`` (in regions whose scorer takes online political flags),
    before the author's ties see them: the author's ``ti_voiced`` goes back to its value
    before today, so the post is no one's support or climate. It still was expressed and
    still is a flag: the sensor's second use (King, Pan & Roberts 2013, APSR 107(2): about
    13% of posts deleted, mostly within a day). Returns the deleted posts' authors.
    """
    p_delete = ctx.rules.of("surveillance.online.p_delete")
    if not np.any(p_delete):
        return np.empty(0, np.int64)
    s = ctx.state
    authors = np.flatnonzero(caught)
    watched = ctx.arm.watched("online", "political")
    if watched is not None:
        authors = authors[watched[s.region[authors]]]
    u = ctx.streams.uniform_at("sensors.online.delete", today.t, authors)
    deleted = authors[u < at(p_delete, authors)]
    # today.voiced_before is aligned with today's expressers in agent order
    where = np.searchsorted(np.flatnonzero(today.expressed), deleted)
    s.ti_voiced[deleted] = today.voiced_before[where]
    return deleted.astype(np.int64)


def malicious_targets(ctx: Context, t: int) -> np.ndarray:
    """Agents falsely reported today: each malicious reporter names one live tie at random."""
    s, g = ctx.state, ctx.state.graph
    reporters = np.flatnonzero(philox.happens(
        ctx.streams.key("sensors.informants.malicious"), t, s.n,
        _as_float32(ctx.rules.of("surveillance.informants.p_malicious"))))
    degree = np.diff(g.indptr)[reporters]
    reporters, degree = reporters[degree > 0], degree[degree > 0]
    u_tie = ctx.streams.uniform_at("sensors.informants.malicious_tie", t, reporters)
    entry = g.indptr[reporters] + np.minimum((u_tie * degree).astype(np.int64), degree - 1)
    live = g.active[entry] > 0
    return g.indices[entry[live]].astype(np.int64)

"""Which rules are in force on which day, in which region: the timeline resolved once.

A scenario's rules can differ by region (``[regions.<name>]`` overrides of the policy
sections) and change on given days (``[[timeline]]`` entries). :func:`resolve` turns both
into a :class:`Schedule`: a list of periods, each with the scenario in force nationally and
each region's own rules, every one of them a validated :class:`Scenario` (cross-field rules
included, at the day they take effect). Errors are one line naming the entry's index, the
key, the value and what is allowed.

Precedence, from weakest to strongest: the scenario's keys; national ``set``s of the
timeline; the region's own keys (``[regions.<name>]``, then region-scoped ``set``s); the
actions (``abolish``, ``introduce`` fix the region's regime; ``reveal`` its unseen feeds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from panoptisim.errors import clip, shown
from panoptisim.scenario.keys import flatten, merge, nest, value_at
from panoptisim.scenario.messages import format_error
from panoptisim.scenario.params import did_you_mean, param_info, param_keys
from panoptisim.scenario.schema import FEEDS, Scenario, TimelineEntry

#: Sections whose keys a region can override: the rules of the system, not people.
POLICY_SECTIONS = ("surveillance", "scoring", "safeguards", "sanctions")
#: Sections read only when the society is built: a timeline cannot change them.
BUILD_SECTIONS = ("run", "population", "network")


def build_time(key: str) -> bool:
    """Whether the parameter ``key`` is read only when the society is built."""
    info = param_info(key)
    return key.split(".")[0] in BUILD_SECTIONS or bool(info and info.build)


def policy_key(key: str) -> bool:
    """Whether ``key`` is a rule of the system (a region may have its own value)."""
    return key.split(".")[0] in POLICY_SECTIONS


@dataclass(frozen=True)
class Period:
    """The rules in force from day ``start`` until the next period starts."""

    start: int
    #: The scenario in force nationally (behaviour and social response come from it).
    national: Scenario
    #: Each region's rules (``population.regions`` order): national + the region's own.
    regions: tuple[Scenario, ...]
    #: Indices of the timeline entries that take effect on ``start``.
    entries: tuple[int, ...]


@dataclass(frozen=True)
class Schedule:
    """Every period of a run, in day order; the first starts on day 0."""

    periods: tuple[Period, ...]
    #: The timeline's entries (``Period.entries`` index them).
    entries: tuple[TimelineEntry, ...] = ()
    _varies: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def at(self, day: int) -> Period:
        """The period in force on ``day``."""
        current = self.periods[0]
        for p in self.periods:
            if p.start > day:
                break
            current = p
        return current

    def starting(self, day: int) -> Period | None:
        """The period that starts on ``day`` (after day 0), or None."""
        for p in self.periods[1:]:
            if p.start == day:
                return p
        return None

    @property
    def constant(self) -> bool:
        """Whether the rules never change during the run."""
        return len(self.periods) == 1

    def varies(self, key: str) -> bool:
        """Whether parameter ``key`` differs between regions or periods."""
        if key not in self._varies:
            values = {repr(value_at(sc, key)) for p in self.periods for sc in p.regions}
            self._varies[key] = len(values) > 1
        return self._varies[key]



def entry_label(entry: TimelineEntry) -> str:
    """How figures name an entry: its label, else its action (and regions) or what it sets."""
    if entry.label:
        return entry.label
    what = entry.action or ", ".join(f"{k} = {v}" for k, v in entry.set.items()) or "change"
    if entry.action == "introduce" and entry.regime:
        what += f" {entry.regime}"
    if entry.regions:
        what += f" ({', '.join(entry.regions)})"
    return what


class RulesError(ValueError):
    """A rule broken by the timeline or a region's overrides (one line)."""


def _check_key(where: str, key: str, value: Any, *, region: bool, build_ok: bool) -> None:
    """Refuse a key that is no parameter, a build-time one, or (for a region) not a rule."""
    if key not in param_keys() or key in ("name", "description"):
        raise RulesError(f"{where}: unknown key '{clip(key)}' (value {shown(value)}); "
                         f"{did_you_mean(key)}")
    if region and not policy_key(key):
        raise RulesError(f"{where}: '{key}' = {shown(value)} cannot differ by region; allowed: "
                         f"keys of {', '.join(POLICY_SECTIONS)}")
    if not build_ok and build_time(key):
        raise RulesError(f"{where}: '{key}' = {shown(value)} is fixed when the society is "
                         "built and cannot change during a run; a timeline may set keys of "
                         f"behavior, social, {', '.join(POLICY_SECTIONS)} (except build-time "
                         "ones: see 'panoptisim params')")


def _validated(doc: dict[str, Any], where: str, strict: bool = False) -> Scenario:
    try:
        return Scenario.model_validate(doc, strict=strict)
    except ValidationError as err:
        raise RulesError(f"{where}: {format_error(err)}") from None


def schedule(scenario: Scenario) -> Schedule:
    """The schedule of ``scenario``'s rules (:func:`resolve`), resolved once per content of
    the scenario (kept with it until it changes)."""
    text = scenario.to_toml()
    cached = getattr(scenario, "_schedule_cache", None)
    if cached is None or cached[0] != text:
        cached = (text, resolve(scenario))
        object.__setattr__(scenario, "_schedule_cache", cached)
    return cached[1]


def resolve(scenario: Scenario, strict: bool = False) -> Schedule:
    """The schedule of ``scenario``'s rules, each period validated (``strict``: types as
    :func:`~panoptisim.scenario.load.validate` checks them); RulesError (one line, naming
    the entry, key, value and what is allowed) if any rule is broken."""
    names = [r.name for r in scenario.population.regions]
    steps = scenario.run.steps
    for name, overrides in scenario.regions.items():
        if name not in names:
            raise RulesError(f"regions.{clip(name)} = {shown(overrides)}: no region "
                             f"{shown(name)} in population.regions (allowed: {', '.join(names)})")
        for key, value in flatten(overrides).items():
            _check_key(f"regions.{name}", key, value, region=True, build_ok=True)

    entries = scenario.timeline
    for i, e in enumerate(entries):
        where = f"timeline.{i}"
        if e.day > steps - 1:
            raise RulesError(f"{where}.day = {e.day} is out of range; allowed: integer in "
                             f"[0, {steps - 1}] (run.steps = {steps})")
        if i and e.day < entries[i - 1].day:
            raise RulesError(f"{where}.day = {e.day} comes before timeline.{i - 1}.day = "
                             f"{entries[i - 1].day}; entries must be in day order")
        for r in e.regions or []:
            if r not in names:
                raise RulesError(f"{where}.regions: no region {shown(r)} (allowed: "
                                 f"{', '.join(names)})")
        if e.regime is not None and e.action != "introduce":
            raise RulesError(f"{where}.regime = {e.regime!r} needs action = 'introduce'")
        if e.feeds is not None and e.action != "reveal":
            raise RulesError(f"{where}.feeds = {e.feeds!r} needs action = 'reveal'")
        if e.action is None and not e.set:
            raise RulesError(f"{where} (day {e.day}) changes nothing; give an action (abolish | "
                             "introduce | reveal) or a set = { \"key\" = value }")
        for key, value in e.set.items():
            if key.startswith("regions."):
                _, name, rest = (key.split(".", 2) + ["", ""])[:3]
                if name not in names:
                    raise RulesError(f"{where}.set: '{clip(key)}' names no region {shown(name)} "
                                     f"(allowed: {', '.join(names)})")
                _check_key(f"{where}.set", rest, value, region=True, build_ok=False)
            else:
                _check_key(f"{where}.set", key, value, region=bool(e.regions), build_ok=False)

    national = scenario.model_dump(mode="json")
    national["timeline"], national["regions"] = [], {}
    own = {n: scenario.regions.get(n, {}) for n in names}
    # Actions: the region's regime fixed by abolish / introduce (None: as configured), and
    # the feeds a later reveal makes known (unseen until then).
    fixed: dict[str, str | None] = dict.fromkeys(names)
    hidden: dict[str, set[str]] = {n: set() for n in names}
    revealed: dict[str, set[str]] = {n: set() for n in names}
    for n in names:
        first = next((e.action for e in entries if e.action in ("abolish", "introduce")
                      and (e.regions is None or n in e.regions)), None)
        if first == "introduce":
            fixed[n] = "none"
        for e in entries:
            if e.action == "reveal" and (e.regions is None or n in e.regions):
                hidden[n] |= set(e.feeds if e.feeds is not None else FEEDS)

    def period(start: int, applied: tuple[int, ...], where: str) -> Period:
        nat = _validated(national, where or "scenario", strict)
        rules = []
        for n in names:
            doc = merge(national, own[n])
            if fixed[n] is not None:
                doc = merge(doc, {"scoring": {"regime": fixed[n]}})
            unseen = set(doc["surveillance"].get("unseen", [])) | hidden[n]
            doc = merge(doc, {"surveillance": {"unseen": [
                f for f in FEEDS if f in unseen - revealed[n]]}})
            rules.append(_validated(doc, f"{where}, region '{n}'" if where else
                                    f"regions.{n}", strict))
        return Period(start, nat, tuple(rules), applied)

    periods = [period(0, (), "")]
    i = 0
    while i < len(entries):
        day = entries[i].day
        applied = []
        # each region's regime as the day's entries leave it, one after the other
        regime_now = {n: sc.scoring.regime for n, sc in zip(names, periods[-1].regions,
                                                             strict=True)}
        while i < len(entries) and entries[i].day == day:
            e = entries[i]
            targets = e.regions if e.regions is not None else names
            for key, value in e.set.items():
                if key.startswith("regions."):
                    _, name, rest = key.split(".", 2)
                    own[name] = merge(own[name], nest(rest, value))
                elif e.regions is not None:
                    for n in targets:
                        own[n] = merge(own[n], nest(key, value))
                else:
                    national = merge(national, nest(key, value))
            for n in targets:
                regime = regime_now[n]
                if e.action == "abolish":
                    if regime == "none":
                        raise RulesError(f"timeline.{i}.action = 'abolish' (day {day}): no regime "
                                         f"is in force in region '{n}' then; allowed: introduce")
                    fixed[n] = regime_now[n] = "none"
                elif e.action == "introduce":
                    if regime != "none":
                        raise RulesError(f"timeline.{i}.action = 'introduce' (day {day}): regime "
                                         f"'{regime}' is already in force in region '{n}'; "
                                         "allowed: abolish it first, or set scoring.regime")
                    fixed[n] = e.regime
                    regime_now[n] = e.regime or "introduced"
                elif e.action == "reveal":
                    feeds = set(e.feeds if e.feeds is not None else FEEDS)
                    revealed[n] |= feeds
                    hidden[n] -= feeds
            applied.append(i)
            i += 1
        where = (f"timeline.{applied[0]}" if len(applied) == 1 else
                 f"timeline.{applied[0]}-{applied[-1]}") + f" (day {day})"
        new = period(day, tuple(applied), where)
        for n, rules in zip(names, new.regions, strict=True):
            if entries[applied[-1]].action == "introduce" and rules.scoring.regime == "none" \
                    and n in (entries[applied[-1]].regions or names):
                raise RulesError(f"{where}: introduce in region '{n}' starts regime 'none'; "
                                 "allowed: regime = 'fico' | 'sesame' | 'citizen', or set "
                                 "scoring.regime")
        if day == 0:
            periods[0] = Period(0, new.national, new.regions, new.entries)
        else:
            periods.append(new)
    return Schedule(tuple(periods), tuple(entries))

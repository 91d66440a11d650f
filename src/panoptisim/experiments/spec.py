"""Sweep files: a base scenario, fixed settings, axes, a design and a replicate count.

A sweep file is TOML with three tables (see docs/experiments.md)::

    [sweep]
    name = "fpir-appeals"         # default: the file's name
    scenario = "baseline"         # built-in name, or a .toml path relative to this file
    seed = 42                     # root seed of every replicate seed (default: scenario's)
    replicates = 4                # runs per point, each with its own spawned seed
    design = "grid"               # grid | lhs | sobol | morris
    samples = 64                  # lhs: points; sobol: base samples (2^k); morris: trajectories
    posterior = "calibrations/published"   # optional: replicate r of every point runs the
                                  # calibration's posterior draw r (its keys set by it)

    [set]                         # fixed overrides of the base scenario
    "population.size" = 10000

    [axes]                        # what varies
    "surveillance.cameras.fpir" = [0.001, 0.003, 0.01]            # a list
    "scoring.w_political" = { start = 0, stop = 60, step = 20 }   # a range (stop included)
    "scoring.w_network" = { start = 0.1, stop = 10, num = 3, log = true }
    "safeguards.forgiveness" = { min = 0, max = 0.01 }            # bounds (lhs/sobol/morris)

The file is a schema (:class:`SweepFile`): an axis is one of three forms told apart by its
shape (:class:`ValuesAxis`, :class:`RangeAxis`, :class:`BoundsAxis`), and every rule lives
on a validator. Keys of ``[set]`` and ``[axes]`` are scenario parameters, checked with the
scenario's own "did you mean", or keys into the scenario's lists and regions (see
:func:`sweep_param`): a timeline entry's day or set value (``timeline.0.day``,
``timeline.0.set.safeguards.dur_appeal``), a region's own rule
(``regions.rural.scoring.w_political``) or a region's field (``population.regions.0.share``;
on an axis, the other regions share the rest in their base proportions). Every value and
every point is validated as a scenario, before any run starts. A bad sweep file raises
:class:`SweepError` with one line naming the key, the value and what is allowed, as a bad
scenario file does.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from panoptisim.calibration.posterior import read_posterior, resample
from panoptisim.errors import InputError, ScenarioError
from panoptisim.experiments.design import (
    DEFAULT_SAMPLES,
    MAX_RUNS,
    SAMPLED,
    Axis,
    Design,
    build_design,
    design_seed,
    design_size,
    run_seeds,
)
from panoptisim.fmt import literal
from panoptisim.scenario import (
    Scenario,
    did_you_mean,
    flatten,
    load_scenario,
    merge,
    nest,
    param_info,
)
from panoptisim.scenario.load import (
    apply_overrides,
    path_beside,
    read_user_toml,
    scenario_beside,
    validate,
)
from panoptisim.scenario.params import Bounds, ParamInfo, allowed, iter_params, section_keys
from panoptisim.scenario.schema import REGIMES, RegionSpec, TimelineEntry
from panoptisim.scenario.timeline import POLICY_SECTIONS, build_time, policy_key

#: Parameters a sweep sets itself: they may not appear in [set] or [axes].
RESERVED = {"run.seed": "replicate seeds are spawned from sweep.seed",
            "run.replicates": "use sweep.replicates"}


class SweepError(InputError):
    """A sweep that cannot be run: one line naming the key, the value and the rule."""


def _said(message: str) -> PydanticCustomError:
    """A rule broken in a sweep file whose message already names key, value and rule."""
    return PydanticCustomError("sweep_rule", message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepSection(_Strict):
    """The ``[sweep]`` table."""

    name: str | None = Field(None, min_length=1, max_length=100,
                             description="Name of the sweep (default: the file's name).")
    scenario: str = Field("baseline", min_length=1,
                          description="Base scenario: a built-in name or a .toml path "
                                      "relative to the sweep file.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, strict=True,
                             description="Root seed of every replicate seed (default: the "
                                         "base scenario's run.seed).")
    replicates: int = Field(1, ge=1, strict=True,
                            description="Runs per point (points x replicates at most the "
                                        "run limit, MAX_RUNS unless raised).")
    design: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid", description="How points are made from the axes.")
    samples: int | None = Field(None, ge=1, le=1_000_000, strict=True,
                                description="lhs: number of points; sobol: base sample "
                                            "size N (a power of 2); morris: trajectories.")
    second_order: bool = Field(False, strict=True, description="sobol: also second-order indices.")
    levels: int = Field(4, ge=2, le=1000, strict=True, description="morris: grid levels per axis.")
    common_seeds: bool = Field(False, strict=True,
                               description="Replicate r of every point uses the same seed "
                                           "(common random numbers).")
    posterior: str | None = Field(None, min_length=1,
                                  description="A calibration folder (panoptisim calibrate), "
                                              "relative to the sweep file: replicate r of "
                                              "every point runs the posterior's draw r.")


# ---------------------------------------------------------------- axis forms
class ValuesAxis(RootModel[list[Any]]):
    """A list of values ``[v1, v2, ...]``, any type the parameter takes (grid)."""

    @model_validator(mode="after")
    def _not_empty(self) -> ValuesAxis:
        if not self.root:
            raise ValueError("is empty: give at least one value")
        return self

    def count(self) -> int:
        """How many values the list gives."""
        return len(self.root)


#: A bound of a range or of an interval: a finite number as TOML writes it (not a string,
#: not a boolean, not nan or inf).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
#: A switch of an axis: true or false, not a string or a number.
Switch = Annotated[bool, Field(strict=True)]


class RangeAxis(_Strict):
    """A range ``{start, stop, step}`` (stop included when reached) or ``{start, stop, num
    [, log]}`` (linear or geometric), of a number (grid)."""

    start: Number
    stop: Number
    step: Number | None = Field(None, gt=0)
    num: int | None = Field(None, ge=1, le=100_000, strict=True)
    log: Switch = False

    @model_validator(mode="after")
    def _one_way(self) -> RangeAxis:
        if (self.step is None) == (self.num is None):
            raise ValueError("needs exactly one of 'step' and 'num'")
        if self.step is not None:
            if self.log:
                raise ValueError("has log = true, which goes with 'num', not 'step'")
            if self.stop < self.start:
                raise ValueError("is an empty range: stop must be at least start")
        elif self.log and (self.start <= 0 or self.stop <= 0):
            raise ValueError("has log = true, which needs a positive start and stop")
        return self

    def count(self) -> int:
        """How many values the range gives, by arithmetic alone (nothing is built): ``num``,
        or the steps from start to stop plus one. Values equal to 12 significant digits are
        kept once, so :meth:`values` may give fewer."""
        if self.num is not None:
            return self.num
        steps = (self.stop - self.start) / self.step
        if not math.isfinite(steps):  # a float overflows: count exactly
            return int((Fraction(self.stop) - Fraction(self.start)) / Fraction(self.step)) + 1
        return math.floor(steps + 1e-9) + 1

    def values(self) -> tuple[float, ...]:
        """The range's values, to 12 significant digits, without duplicates."""
        if self.step is not None:
            raw = [self.start + i * self.step for i in range(self.count())]
        else:
            space = np.geomspace if self.log else np.linspace
            raw = list(space(self.start, self.stop, self.num))
        return tuple(dict.fromkeys(float(f"{float(v):.12g}") for v in raw))


class BoundsAxis(_Strict):
    """Bounds ``{min, max [, log]}`` of a number: the interval a sampled design (lhs, sobol,
    morris) draws from."""

    min: Number
    max: Number
    log: Switch = False

    @model_validator(mode="after")
    def _an_interval(self) -> BoundsAxis:
        if not self.min < self.max:
            raise ValueError("is an empty interval: min must be below max")
        if self.log and self.min <= 0:
            raise ValueError("has log = true, which needs min > 0 (bounds must be positive)")
        return self


FORMS: dict[str, type[BaseModel]] = {"values": ValuesAxis, "range": RangeAxis,
                                     "bounds": BoundsAxis}
#: Each form as a user writes it, for error messages.
WRITTEN = {"values": "a list [v1, v2, ...]",
           "range": "a range {start, stop, step} or {start, stop, num [, log]}",
           "bounds": "bounds {min, max [, log]}"}


def axis_form(raw: Any) -> str | None:
    """Which form an axis is written in, by its shape (None: no axis at all)."""
    for tag, form in FORMS.items():
        if isinstance(raw, form):
            return tag
    if isinstance(raw, list):
        return "values"
    if isinstance(raw, dict):
        if {"min", "max"} & raw.keys():
            return "bounds"
        if {"start", "stop"} & raw.keys():
            return "range"
    return None


AxisSpec = Annotated[
    Annotated[ValuesAxis, Tag("values")] | Annotated[RangeAxis, Tag("range")]
    | Annotated[BoundsAxis, Tag("bounds")],
    Discriminator(axis_form, custom_error_type="axis_form",
                  custom_error_message="is not an axis: give a list of values, a range "
                                       "{start, stop, step} or {start, stop, num}, or bounds "
                                       "{min, max} for a sampled design")]


class SweepFile(_Strict):
    """A whole sweep file (tables ``sweep``, ``set`` and ``axes``), every key dotted."""

    sweep: SweepSection = Field(default_factory=SweepSection)
    set: dict[str, Any] = Field(default_factory=dict)
    axes: dict[str, AxisSpec] = Field(default_factory=dict)

    @field_validator("set", mode="before")
    @classmethod
    def _settings(cls, table: Any) -> Any:
        """``[set]`` as dotted keys (written flat or as nested tables), each a parameter."""
        if not isinstance(table, dict):
            return table  # the type error says what is allowed
        flat = flatten(table)
        for key in flat:
            _check_param("set", key)
        return flat

    @field_validator("axes", mode="before")
    @classmethod
    def _axis_keys(cls, table: Any) -> Any:
        """``[axes]`` by dotted key: a nested table is walked down to each parameter (an
        axis itself may be a table, so the walk stops at a parameter's key)."""
        if not isinstance(table, dict):
            return table
        out: dict[str, Any] = {}

        def walk(key: str, node: Any) -> None:
            if sweep_param(key) is None and isinstance(node, dict) and (
                    section_keys(key) or (_keyed(key) and axis_form(node) is None)):
                for k, v in node.items():
                    walk(f"{key}.{k}", v)
                return
            _check_param("axes", key)
            out[key] = node

        for k, v in table.items():
            walk(k, v)
        return out

    @model_validator(mode="after")
    def _fits_the_design(self, info: ValidationInfo) -> SweepFile:
        """Each axis's form fits the design and its parameter; samples fit the design; the
        runs it plans are within the limit (``max_runs`` of the validation context)."""
        sec = self.sweep
        for key in self.axes:
            if key in self.set:
                raise _said(f"'{key}' is in both [set] and [axes]: keep one")
        self._within_limit((info.context or {}).get("max_runs", MAX_RUNS))
        for key, spec in self.axes.items():
            _fits(key, spec, sec.design)
        if sec.design in SAMPLED:
            if not self.axes:
                raise _said(f"sweep.design = '{sec.design}' needs at least one axis with "
                            f"bounds in [axes]")
            n = sec.samples
            if sec.design == "sobol" and n is not None and n & (n - 1):
                raise _said(f"sweep.samples = {n} is not allowed: design 'sobol' needs a "
                            f"power of 2 (e.g. {1 << n.bit_length()})")
        elif sec.samples is not None:
            raise _said(f"sweep.samples = {sec.samples} is not allowed with design 'grid' "
                        f"(the grid is every combination of the axes' values)")
        return self

    def _within_limit(self, limit: int) -> None:
        """Refuse a sweep of more than ``limit`` runs, counted by arithmetic before any
        value, point or seed is made (a range of a tiny step would not fit in memory)."""
        sec = self.sweep
        if sec.design == "grid":
            counts = {k: a.count() for k, a in self.axes.items()
                      if isinstance(a, (ValuesAxis, RangeAxis))}
            points = math.prod(counts.values())
            made = ", ".join(f"axes.{k} has {_many(n)} value{'s' * (n != 1)}"
                             for k, n in counts.items()) or "no axis: the base scenario"
            fewer = "fewer values (a larger step, a smaller num)"
        else:
            d = len(self.axes)
            points = design_size(sec.design, [1] * d, sec.samples,
                                 second_order=sec.second_order)
            per = {"lhs": "", "morris": f" x ({d} + 1)",
                   "sobol": f" x (2 x {d} + 2)" if sec.second_order else f" x ({d} + 2)"}
            made = (f"design '{sec.design}' over {d} ax{'es' if d != 1 else 'is'} with "
                    f"sweep.samples = {_many(sec.samples or DEFAULT_SAMPLES[sec.design])}"
                    f"{per[sec.design]}")
            fewer = "fewer samples"
        runs = points * sec.replicates
        if runs > limit:
            rep = "s" * (sec.replicates != 1)
            raise _said(f"{made}: {_many(points)} points x {_many(sec.replicates)} "
                        f"replicate{rep} (sweep.replicates) = {_many(runs)} runs, above the "
                        f"limit of {_many(limit)} runs; take {fewer} or replicates, or raise "
                        f"the limit with --max-runs N")


def _many(n: int) -> str:
    """A count with thousands separators (``1,000,001``), or its order of magnitude
    (``about 10^27``) beyond 16 digits."""
    return f"{n:,}" if n < 10**16 else f"about 10^{int((n.bit_length() - 1) * math.log10(2))}"


# ------------------------------------------------------- keys into lists and regions
#: Fields of a timeline entry an axis may vary besides its ``set`` values.
TIMELINE_FIELDS = {
    "day": ParamInfo("timeline.N.day", None, "day", "integer in [0, run.steps - 1]", "",
                     TimelineEntry.model_fields["day"].description or "", int, Bounds(0, None)),
    "regime": ParamInfo("timeline.N.regime", None, "preset", " | ".join(REGIMES), "",
                        TimelineEntry.model_fields["regime"].description or "", str, Bounds(),
                        REGIMES),
}
#: The fields of a region of ``population.regions`` a sweep may set (not its name).
REGION_FIELDS = {p.key: p for p in iter_params(RegionSpec, instance=RegionSpec(name="r"))}


def _keyed(key: str) -> bool:
    """Whether ``key`` starts like a key into the timeline, the regions or a region."""
    head = key.split(".")[0]
    return head in ("timeline", "regions") or key.startswith("population.regions")


def sweep_param(key: str) -> ParamInfo | None:
    """The parameter a key of ``[set]`` or ``[axes]`` varies, with its bounds, or None.

    Besides the scenario's parameters: ``timeline.N.day`` (an integer >= 0; the bound
    ``run.steps - 1`` is checked against the base scenario), ``timeline.N.regime``,
    ``timeline.N.set.K`` and ``regions.X.K`` (K's bounds), ``population.regions.N.F`` (a
    region's share, urbanity or rel_income). Whether K may be set there (not build-time;
    a rule of the system for a region) is :func:`_check_param`'s to say.
    """
    info = param_info(key)
    if info is not None:
        return info
    parts = key.split(".")
    if parts[0] == "timeline" and len(parts) >= 3 and parts[1].isdigit():
        if len(parts) == 3 and parts[2] in TIMELINE_FIELDS:
            return replace(TIMELINE_FIELDS[parts[2]], key=key)
        inner = param_info(".".join(parts[3:])) if parts[2] == "set" else None
        return replace(inner, key=key) if inner is not None else None
    if parts[0] == "regions" and len(parts) >= 3:
        inner = param_info(".".join(parts[2:]))
        return replace(inner, key=key) if inner is not None else None
    if key.startswith("population.regions.") and len(parts) == 4 and parts[2].isdigit():
        field = REGION_FIELDS.get(parts[3])
        return replace(field, key=key) if field is not None else None
    return None


def _inner_key(key: str) -> str | None:
    """The scenario parameter inside ``timeline.N.set.K`` or ``regions.X.K`` (K), else None."""
    parts = key.split(".")
    if parts[0] == "timeline" and len(parts) > 3 and parts[2] == "set":
        return ".".join(parts[3:])
    if parts[0] == "regions" and len(parts) >= 3:
        return ".".join(parts[2:])
    return None


def _check_param(table: str, key: str) -> None:
    """Refuse a key of ``[set]`` or ``[axes]`` that no sweep may set."""
    where = f"{table}.{key}"
    if key in RESERVED:
        raise _said(f"{where} cannot be set in a sweep: {RESERVED[key]}")
    if key in ("name", "description"):
        raise _said(f"{where} cannot be swept: name the sweep with sweep.name")
    inner = _inner_key(key)
    if inner is not None and inner in RESERVED:
        raise _said(f"{where} cannot be set in a sweep: {RESERVED[inner]}")
    if sweep_param(key) is not None:
        if inner is not None and key.startswith("timeline.") and build_time(inner):
            raise _said(f"{where}: '{inner}' is fixed when the society is built and cannot "
                        "change during a run; a timeline may set keys of behavior, social, "
                        f"{', '.join(POLICY_SECTIONS)} (except build-time ones: see "
                        "'panoptisim params')")
        if inner is not None and key.startswith("regions.") and not policy_key(inner):
            raise _said(f"{where}: '{inner}' cannot differ by region; allowed: keys of "
                        f"{', '.join(POLICY_SECTIONS)}")
        return
    parts = key.split(".")
    if inner is not None:
        raise _said(f"unknown key '{where}': no parameter '{inner}'; {did_you_mean(inner)}")
    if parts[0] == "timeline":
        raise _said(f"unknown key '{where}'; a sweep may vary a timeline entry's "
                    f"{' or '.join(TIMELINE_FIELDS)} (timeline.N.day) or a value it sets "
                    "(timeline.N.set.<key>)")
    if key.startswith("population.regions."):
        raise _said(f"unknown key '{where}'; a sweep may vary a region's "
                    f"{', '.join(REGION_FIELDS)} (population.regions.N.share)")
    if parts[0] == "regions":
        raise _said(f"unknown key '{where}'; a region's own rule is regions.<name>.<key>, "
                    "e.g. regions.rural.scoring.w_political")
    inside = section_keys(key)
    if inside:
        raise _said(f"{where} is a section, not a parameter: give one of its keys, e.g. "
                    f"{inside[0]}")
    raise _said(f"unknown key '{where}'; {did_you_mean(key)}")


def _fits(key: str, spec: Any, design: str) -> None:
    """The rules between an axis's form, the design and the parameter it varies."""
    info = sweep_param(key)
    label = f"axes.{key} = {_shown(spec)}"
    numeric = info.annotation in (int, float)
    sampled = design in SAMPLED
    if isinstance(spec, ValuesAxis):
        if sampled:
            raise _said(f"{label} has no bounds: design '{design}' samples every axis between "
                        f"bounds; write axes.{key} = {{ min = ..., max = ... }}")
    elif isinstance(spec, BoundsAxis):
        if not numeric:
            raise _said(f"{label} gives bounds but {key} is not a number (allowed: "
                        f"{info.allowed}); give a list of values")
        if not sampled:
            raise _said(f"{label} gives bounds, which only a sampled design draws from "
                        f"(sweep.design = 'lhs' | 'sobol' | 'morris'); for design 'grid' "
                        f"give a list or a range {{start, stop, step}}")
        for end in ("min", "max"):
            value = getattr(spec, end)
            if info.annotation is int and not value.is_integer():
                raise _said(f"axes.{key}.{end} = {literal(value)} is not allowed: {key} is an "
                            f"integer (allowed: {info.allowed})")
            if not info.bounds.contains(value):
                raise _said(f"axes.{key}.{end} = {literal(value)} is not allowed: it lies outside "
                            f"{key}'s range (allowed: {info.allowed})")
    else:
        if sampled:
            raise _said(f"{label} is a range and has no bounds: design '{design}' samples "
                        f"every axis between bounds; write axes.{key} = "
                        f"{{ min = ..., max = ... }}")
        if not numeric:
            raise _said(f"{label} is a range but {key} is not a number (allowed: "
                        f"{info.allowed}); give a list of values")
        if info.annotation is int:
            for v in spec.values():
                if not v.is_integer():
                    raise _said(f"{label} gives {v:g}, but the parameter is an integer: "
                                f"choose an integer start and step")


# ------------------------------------------------------------- error messages
def _shown(value: Any) -> str:
    """An axis as the user wrote it: ``{start = 50, stop = 10, step = 5}``, ``[0.1, 2]``."""
    if isinstance(value, RootModel):
        value = value.root
    elif isinstance(value, BaseModel):
        kept = {"start", "stop", "min", "max"}
        value = {k: v for k, v in value.model_dump().items()
                 if k in kept or (v is not None and v is not False)}
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _allowed_field(field: Any) -> str:
    """What a field of the sweep file allows, as the scenario's errors say it."""
    args = [a for a in getattr(field.annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1:  # X | None
        field = copy.copy(field)
        field.annotation = args[0]
    if field.annotation is str:
        return "a non-empty string"
    return {"float": "a number"}.get(allowed(field), allowed(field))


def format_sweep_error(err: ValidationError, where: str = "") -> str:
    """One line for the first error of a sweep file, in the shape of the scenario's
    (:func:`panoptisim.scenario.format_error`): ``unknown key 'K'; did you mean 'X'?``,
    ``K = V is not allowed: rule (allowed: ...)``, or the broken rule itself."""
    e = err.errors()[0]
    loc = [str(p) for p in e["loc"]]
    form = FORMS.get(loc[2]) if loc[:1] == ["axes"] and len(loc) > 2 else None
    if form is not None:
        del loc[2]  # the form's tag is not part of what the user wrote
    key = ".".join(loc)
    kind, msg = e["type"], str(e["msg"]).removeprefix("Value error, ")
    if kind == "sweep_rule" or not loc:
        return where + msg
    if kind == "extra_forbidden":
        parent = key.rpartition(".")[0]
        if form is not None:
            written = WRITTEN[str(e["loc"][2])]
            hint = did_you_mean(loc[-1], list(form.model_fields), fallback=f"write {written}")
            if not hint.startswith("write"):
                hint += f" ({written})"
        elif parent == "sweep":
            hint = did_you_mean(key, [f"sweep.{f}" for f in SweepSection.model_fields],
                                fallback="see docs/experiments.md")
        else:
            hint = did_you_mean(key, list(SweepFile.model_fields),
                                fallback="a sweep file has tables [sweep], [set] and [axes]")
        return f"{where}unknown key '{key}'; {hint}"
    if kind in ("value_error", "axis_form"):
        return f"{where}{key} = {_shown(e['input'])} {msg}"
    if kind == "missing" and form is not None:
        return (f"{where}{key.rpartition('.')[0]} needs '{loc[-1]}' "
                f"({WRITTEN[str(e['loc'][2])]})")
    rule, shown = "", repr(e.get("input"))
    if loc[0] == "sweep" and len(loc) == 2:
        rule = _allowed_field(SweepSection.model_fields[loc[1]])
    elif form is not None and len(loc) == 3 and loc[2] in form.model_fields:
        # a bound of a range as TOML writes it ("0", true), and the form it belongs to
        rule = f"{_allowed_field(form.model_fields[loc[2]])}, in {WRITTEN[str(e['loc'][2])]}"
        shown = literal(e.get("input"))
    return (f"{where}{key} = {shown} is not allowed: {msg.lower()}"
            + (f" (allowed: {rule})" if rule else ""))


# --------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a point, a replicate and its spawned seed."""

    run_id: str
    point: int
    replicate: int
    seed: int


@dataclass
class Plan:
    """A validated sweep: its base scenario, axes, points and every run's seed."""

    name: str
    source: Path | None
    section: SweepSection
    settings: dict[str, Any]
    axes: list[Axis]
    base: Scenario  # [set] applied, run.replicates = 1
    design: Design
    seeds: np.ndarray  # (points, replicates) int64
    root_seed: int
    #: With ``sweep.posterior``: the calibration folder (absolute) and one parameter set
    #: per replicate, resampled by weight from its posterior.
    posterior: Path | None = None
    draws: tuple[dict[str, float], ...] = ()

    @property
    def n_points(self) -> int:
        """Number of points."""
        return len(self.design.points)

    @property
    def replicates(self) -> int:
        """Runs per point."""
        return self.section.replicates

    @property
    def n_runs(self) -> int:
        """Points times replicates."""
        return self.n_points * self.replicates

    def run_id(self, point: int, replicate: int) -> str:
        """Stable name of a run: ``p<point>-r<replicate>``, zero-padded."""
        wp = max(5, len(str(self.n_points - 1)))
        wr = max(3, len(str(self.replicates - 1)))
        return f"p{point:0{wp}d}-r{replicate:0{wr}d}"

    def runs(self) -> list[RunSpec]:
        """Every run, point-major."""
        return [RunSpec(self.run_id(p, r), p, r, int(self.seeds[p, r]))
                for p in range(self.n_points) for r in range(self.replicates)]

    def scenario_dict(self, run: RunSpec) -> dict[str, Any]:
        """The fully resolved scenario of a run (validated), as plain data."""
        draw = self.draws[run.replicate] if self.draws else {}
        point = dict(self.design.points[run.point], **draw, **{"run.seed": run.seed})
        return validate(point_overrides(self.base.model_dump(mode="json"), point)
                        ).model_dump(mode="json")

    def digest(self, replicates: int | None = None) -> str:
        """SHA-256 of what the sweep computes: base scenario, points and seeds; of its
        first ``replicates`` replicates only if given (a sweep with replicates added is
        that sweep over the replicates it had: seeds and draws are the same)."""
        k = self.replicates if replicates is None else replicates
        doc = {"base": self.base.digest(), "points": self.design.points,
               "seeds": self.seeds[:, :k].tolist(), "design": self.design.name}
        if self.draws:  # a sweep without a posterior keeps the digest it always had
            doc["draws"] = list(self.draws[:k])
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    @property
    def content_id(self) -> str:
        """Name and short digest: the same for every folder the same sweep is run into (a
        folder's own ``sweep_id`` adds a token: :meth:`SweepStore.create`)."""
        return f"{self.name}-{self.digest()[:10]}"


# ------------------------------------------------------------------------ load
def _axis(key: str, spec: Any, base: dict[str, Any]) -> Axis:
    """The design's axis of a validated axis form; every value (for bounds: both ends)
    checked as a scenario's."""
    integer = sweep_param(key).annotation is int
    if isinstance(spec, BoundsAxis):
        if _keyed(key):  # bounds that depend on the base: run.steps, the list's entries
            for end in ("min", "max"):
                value = getattr(spec, end)
                try:
                    validate(point_overrides(base, {key: int(value) if integer else value}))
                except ScenarioError as exc:
                    raise SweepError(f"axes.{key}.{end} = {literal(value)} is not allowed: "
                                     f"{exc}") from None
        return Axis(key, "bounds", low=spec.min, high=spec.max, log=spec.log,
                    integer=integer, spec=spec)
    values = spec.root if isinstance(spec, ValuesAxis) else spec.values()
    listed = isinstance(spec, ValuesAxis)  # typed by the user: strict, as a scenario file
    return Axis(key, "values", values=tuple(_check_value(key, v, base, listed)
                                             for v in values),
                integer=integer, spec=spec)


def _check_value(key: str, value: Any, base: dict[str, Any], strict: bool = False) -> Any:
    """Validate one value of an axis as the scenario would; returns it as the scenario
    holds it (``1000.0`` -> ``1000`` for an integer parameter of a range). ``strict``: a
    value the user listed, typed as in a scenario file (``"yes"`` is not a boolean, ``2e3``
    not an integer)."""
    try:
        node: Any = validate(point_overrides(base, {key: value}),
                             strict=strict).model_dump(mode="json")
    except ScenarioError as exc:
        msg = str(exc)
        raise SweepError(f"axes.{msg}" if msg.startswith(f"{key} = ") else
                         f"axes.{key} = {value!r}: {msg}") from None
    parts = key.split(".")
    if parts[0] == "timeline" and parts[2] == "set":  # a set's keys are dotted
        node = node["timeline"][int(parts[1])]["set"][".".join(parts[3:])]
    else:
        for part in parts:
            node = node[int(part)] if isinstance(node, list) else node[part]
    if sweep_param(key).annotation is int and isinstance(node, float) and node.is_integer():
        node = int(node)  # a set value or a region's rule is kept as given: 30.0 -> 30
    return node


def point_overrides(base: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    """The document of the scenario at ``point`` (dotted overrides laid over ``base``).

    A point that sets the share of some regions of ``population.regions`` but not of all
    gives the rest to the other regions in their proportions in ``base`` (the shares must
    sum to 1). ScenarioError (one line) if nothing is left for them.
    """
    doc = apply_overrides(base, point)
    prefix = "population.regions."
    given = {int(k.split(".")[2]): v for k, v in point.items()
             if k.startswith(prefix) and k.endswith(".share") and k.count(".") == 3}
    regions = doc.get("population", {}).get("regions", [])
    others = [i for i in range(len(regions)) if i not in given]
    if not given or not others or not all(isinstance(v, (int, float)) for v in given.values()):
        return doc
    left = 1.0 - float(sum(given.values()))
    before = sum(float(base["population"]["regions"][i]["share"]) for i in others)
    if left <= 0 or before <= 0:
        shown = ", ".join(f"{prefix}{i}.share = {literal(v)}" for i, v in given.items())
        raise ScenarioError(f"{shown} leaves {left:g} for the other regions; the shares must "
                            "sum to 1 (the other regions share the rest in their base "
                            "proportions)")
    rescaled = {f"{prefix}{i}.share": float(f"{regions[i]['share'] * left / before:.15g}")
                for i in others}
    return apply_overrides(doc, rescaled)


def load_sweep(source: str | Path | dict[str, Any],
               overrides: dict[str, Any] | None = None, *, max_runs: int = MAX_RUNS) -> Plan:
    """Read and validate a sweep file, or a sweep given as a dict with the file's tables
    (``{"sweep": {...}, "set": {...}, "axes": {...}}``; a relative scenario or posterior
    path is then relative to the working folder); every point is validated as a scenario.

    ``overrides`` are dotted keys of the ``[sweep]`` table or of the scenario (added to
    ``[set]``), e.g. ``{"sweep.replicates": 2, "run.steps": 30}``. A sweep of more than
    ``max_runs`` runs (points x replicates, counted before anything is built) is refused.
    Raises SweepError (one line) before anything runs or is written.
    """
    if isinstance(source, dict):
        path, data = None, copy.deepcopy(source)
    else:
        path = Path(source)
        _, data = read_user_toml(path, "sweep file", SweepError)
    for key, value in (overrides or {}).items():
        if key.startswith("sweep."):
            data = merge(data, nest(key, value))
        else:
            data = merge(data, {"set": {key: value}})
    return plan_from_dict(data, path, "" if path is None else f"{path.name}: ", max_runs)


def plan_from_dict(data: dict[str, Any], source: Path | None = None,
                   where: str = "", max_runs: int = MAX_RUNS) -> Plan:
    """Validate the parsed sweep file ``data`` into a Plan (``where`` starts each error;
    more than ``max_runs`` runs are refused)."""
    try:
        spec = SweepFile.model_validate(data, context={"max_runs": max_runs})
    except ValidationError as err:
        raise SweepError(format_sweep_error(err, where)) from None
    sec = spec.sweep
    try:
        base = load_scenario(scenario_beside(sec.scenario, source))
    except ScenarioError as exc:
        raise SweepError(f"{where}sweep.scenario: {exc}") from None
    try:
        base = load_scenario(base, dict(spec.set, **{"run.replicates": 1}))
    except ScenarioError as exc:
        raise SweepError(f"{where}[set]: {exc}") from None

    base_doc = base.model_dump(mode="json")
    try:
        axes = [_axis(k, v, base_doc) for k, v in spec.axes.items()]
    except SweepError as exc:
        raise SweepError(f"{where}{exc}") from None
    samples = (sec.samples or DEFAULT_SAMPLES[sec.design]) if sec.design in SAMPLED else None
    root = base.run.seed if sec.seed is None else sec.seed
    design = build_design(sec.design, axes, samples, design_seed(root),
                          second_order=sec.second_order, levels=sec.levels)
    for i, point in enumerate(design.points):
        try:
            validate(point_overrides(base_doc, point))
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise SweepError(f"{where}point {i} ({shown}): {exc}") from None
    name = sec.name or (source.stem if source is not None else "sweep")
    seeds = run_seeds(root, len(design.points), sec.replicates, sec.common_seeds)
    folder, draws = posterior_draws(sec, spec, source, base_doc, root, where)
    return Plan(name, source, sec, spec.set, axes, base, design, seeds, root, folder, draws)


def posterior_draws(sec: SweepSection, spec: SweepFile, source: Path | None,
                    base_doc: dict[str, Any], root: int, where: str
                    ) -> tuple[Path | None, tuple[dict[str, float], ...]]:
    """With ``sweep.posterior``: the calibration folder and ``sweep.replicates`` parameter
    sets resampled by weight from its posterior (stream ``sweep.posterior_draws`` of the
    sweep's root seed), replicate r's set for every point. The calibrated keys may not be
    set or swept: the posterior sets them. SweepError (one line) otherwise."""
    if sec.posterior is None:
        return None, ()
    folder = path_beside(sec.posterior, source).resolve()
    try:
        params, weights = read_posterior(folder, f"{where}sweep.posterior =")
    except InputError as exc:
        raise SweepError(str(exc)) from None
    for table, keys in (("set", spec.set), ("axes", spec.axes)):
        taken = sorted(set(keys) & set(params))
        if taken:
            raise SweepError(f"{where}{table}.{taken[0]} is calibrated by sweep.posterior "
                             f"'{sec.posterior}' (its keys: {', '.join(sorted(params))}): "
                             f"remove it from [{table}], or the posterior")
    draws = tuple(resample(params, weights, sec.replicates, root, "sweep.posterior_draws"))
    for k, draw in enumerate(draws):
        try:
            validate(point_overrides(base_doc, draw))
        except ScenarioError as exc:
            raise SweepError(f"{where}sweep.posterior draw {k}: {exc}") from None
    return folder, draws

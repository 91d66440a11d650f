"""Sweep files: a base scenario, fixed settings, axes, a design and a replicate count.

A sweep file is TOML with three tables (see docs/experiments.md)::

    [sweep]
    name = "fpir-appeals"         # default: the file's name
    scenario = "baseline"         # built-in name, or a .toml path relative to this file
    seed = 42                     # root seed of every replicate seed (default: scenario's)
    replicates = 4                # runs per point, each with its own spawned seed
    design = "grid"               # grid | lhs | sobol | morris
    samples = 64                  # lhs: points; sobol: base samples (2^k); morris: trajectories

    [set]                         # fixed overrides of the base scenario
    "population.size" = 10000

    [axes]                        # what varies
    "surveillance.cameras.fpir" = [0.001, 0.003, 0.01]            # a list
    "scoring.w_political" = { start = 0, stop = 60, step = 20 }   # a range (stop included)
    "scoring.w_network" = { start = 0.1, stop = 10, num = 3, log = true }
    "safeguards.forgiveness" = { min = 0, max = 0.01 }            # bounds (lhs/sobol/morris)

Every key is validated by the scenario schema (:mod:`panoptisim.scenario`), every value
and every point is validated as a scenario would be, before any run starts. A bad sweep
file raises :class:`SweepError` with one line naming the key, the value and what is
allowed, as a bad scenario file does.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from panoptisim.experiments.design import (DEFAULT_SAMPLES, SAMPLED, Axis, Design,
                                           build_design)
from panoptisim.errors import InputError, ScenarioError
from panoptisim.scenario import (Scenario, format_error, iter_params, load_scenario,
                                 param_keys, read_user_file)
from panoptisim.scenario.keys import merge as _deep_merge
from panoptisim.scenario.keys import nest as _nest
from panoptisim.scenario.params import allowed as _allowed
from panoptisim.streams import Streams, purpose_key

#: Parameters a sweep sets itself: they may not appear in [set] or [axes].
RESERVED = {"run.seed": "replicate seeds are spawned from sweep.seed",
            "run.replicates": "use sweep.replicates"}


class SweepError(InputError):
    """A sweep that cannot be run: one line naming the key, the value and the rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepSection(_Strict):
    """The ``[sweep]`` table."""

    name: str | None = Field(None, min_length=1, max_length=100,
                             description="Name of the sweep (default: the file's name).")
    scenario: str = Field("baseline", min_length=1,
                          description="Base scenario: a built-in name or a .toml path "
                                      "relative to the sweep file.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Root seed of every replicate seed (default: the "
                                         "base scenario's run.seed).")
    replicates: int = Field(1, ge=1, le=10000, description="Runs per point.")
    design: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid", description="How points are made from the axes.")
    samples: int | None = Field(None, ge=1, le=1_000_000,
                                description="lhs: number of points; sobol: base sample "
                                            "size N (a power of 2); morris: trajectories.")
    second_order: bool = Field(False, description="sobol: also second-order indices.")
    levels: int = Field(4, ge=2, le=1000, description="morris: grid levels per axis.")
    common_seeds: bool = Field(False, description="Replicate r of every point uses the "
                                                  "same seed (common random numbers).")


class RangeSpec(_Strict):
    """``{start, stop, step}`` (stop included) or ``{start, stop, num [, log]}``."""

    start: float
    stop: float
    step: float | None = Field(None, gt=0)
    num: int | None = Field(None, ge=1, le=100_000)
    log: bool = False


class BoundsSpec(_Strict):
    """``{min, max [, log]}``: an interval a sampled design draws from."""

    min: float
    max: float
    log: bool = False


class SweepFile(_Strict):
    """A whole sweep file (tables ``sweep``, ``set`` and ``axes``)."""

    sweep: SweepSection = Field(default_factory=SweepSection)
    set: dict[str, Any] = Field(default_factory=dict)
    axes: dict[str, Any] = Field(default_factory=dict)


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
        data = _merge_point(self.base.model_dump(mode="json"), self.design.points[run.point])
        data = _deep_merge(data, {"run": {"seed": run.seed}})
        return Scenario.model_validate(data).model_dump(mode="json")

    def digest(self) -> str:
        """SHA-256 of what the sweep computes: base scenario, points and seeds."""
        doc = {"base": self.base.digest(), "points": self.design.points,
               "seeds": self.seeds.tolist(), "design": self.design.name}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    @property
    def sweep_id(self) -> str:
        """Name and short digest: unique per sweep content."""
        return f"{self.name}-{self.digest()[:10]}"

    def normalized_toml(self, base_file: str = "base.toml") -> str:
        """The sweep file as stored in the sweep folder: the base scenario by file name,
        every default made explicit, so ``--resume`` can run from the folder alone."""
        section = self.section.model_dump(exclude_none=True)
        section.update(name=self.name, scenario=base_file, seed=self.root_seed)
        if self.section.design in SAMPLED:
            section["samples"] = self.design.options["samples"]
        text = tomli_w.dumps({"sweep": section, "set": self.settings})
        # Axes as one line each, in their order (the order of a grid's points).
        lines = [f"{_toml_value(a.key)} = {_toml_value(_plain(a.spec))}" for a in self.axes]
        return text + "\n[axes]\n" + "".join(line + "\n" for line in lines)


def _plain(spec: Any) -> Any:
    if isinstance(spec, BaseModel):
        return spec.model_dump(exclude_none=True, exclude_defaults=True) | {
            k: v for k, v in spec.model_dump().items() if k in ("start", "stop", "min", "max")}
    return spec


def _toml_value(value: Any) -> str:
    """A TOML value on one line (inline tables and arrays)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else
                                                          ("inf" if value > 0 else "-inf"))
    return json.dumps(str(value))


def _merge_point(data: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    for key, value in point.items():
        data = _deep_merge(data, _nest(key, value))
    return data


# ------------------------------------------------------------------- validation
def _sweep_keys() -> list[str]:
    return ["sweep", "set", "axes"] + [f"sweep.{k}" for k in SweepSection.model_fields]


def _format(err: ValidationError, where: str) -> str:
    """One line for the first error of the sweep file's own tables."""
    e = err.errors()[0]
    key = ".".join(str(p) for p in e["loc"])
    if e["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, _sweep_keys(), n=1, cutoff=0.6)
        hint = (f"; did you mean '{close[0]}'?" if close else
                "; a sweep file has tables [sweep], [set] and [axes]")
        return f"{where}unknown key '{key}'{hint}"
    value = e.get("input")
    allowed = ""
    if len(e["loc"]) == 2 and e["loc"][0] == "sweep":
        allowed = _allowed_field(SweepSection.model_fields[str(e["loc"][1])])
    msg = e["msg"].lower().removeprefix("value error, ")
    return f"{where}{key} = {value!r} is not allowed: {msg}" + (
        f" (allowed: {allowed})" if allowed else "")


def _allowed_field(field: Any) -> str:
    """What a field of the [sweep] table allows, as the scenario's errors say it."""
    args = [a for a in getattr(field.annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1:  # Optional[X]
        field = copy.copy(field)
        field.annotation = args[0]
    if field.annotation is str:
        return "a non-empty string"
    return _allowed(field)


def _flatten(table: dict[str, Any], where: str, section: str,
             leaf: Any = None) -> dict[str, Any]:
    """Dotted keys of a table written flat (``"a.b" = 1``) or nested (``[set.a] b = 1``)."""
    keys = set(param_keys())
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if prefix in keys:
            out[prefix] = node
            return
        if isinstance(node, dict) and any(k.startswith(prefix + ".") for k in keys):
            for k, v in node.items():
                walk(f"{prefix}.{k}", v)
            return
        close = suggest(prefix, sorted(keys))
        hint = f"; did you mean '{close}'?" if close else "; see 'panoptisim params'"
        raise SweepError(f"{where}unknown key '{section}.{prefix}'{hint}")

    for k, v in table.items():
        walk(k, v)
    for key in out:
        if key in RESERVED:
            raise SweepError(f"{where}{section}.{key} cannot be set in a sweep: "
                             f"{RESERVED[key]}")
        if key in ("name", "description"):
            raise SweepError(f"{where}{section}.{key} cannot be swept: name the sweep with "
                             f"sweep.name")
    return out


def suggest(key: str, keys: list[str]) -> str | None:
    """The known key a misspelt ``key`` most likely meant: first within its own section
    (``surveillance.online.recall`` -> ``surveillance.online.recall_dissent``)."""
    section, _, last = key.rpartition(".")
    siblings = [k for k in keys if k.rpartition(".")[0] == section]
    lasts = [k.rpartition(".")[2] for k in siblings]
    for name in lasts:
        if name.startswith(last) or last.startswith(name):
            return f"{section}.{name}" if section else name
    close = difflib.get_close_matches(last, lasts, n=1, cutoff=0.6)
    if close:
        return f"{section}.{close[0]}" if section else close[0]
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    return close[0] if close else None


def _param_types() -> dict[str, Any]:
    return {p.key: p.annotation for p in iter_params()}


def _parse_axis(key: str, raw: Any, design: str, where: str, base: Scenario) -> Axis:
    """Validate one axis: its form, that it is not empty, and each of its values."""
    annotation = _param_types()[key]
    integer = annotation is int
    numeric = annotation in (int, float)
    label = f"axes.{key}"
    sampled = design in SAMPLED
    if isinstance(raw, list):
        if not raw:
            raise SweepError(f"{where}{label} = [] is empty: give at least one value")
        if sampled:
            raise SweepError(f"{where}{label} = {raw!r} has no bounds: design '{design}' "
                             f"samples every axis between bounds; write "
                             f"{label} = {{ min = ..., max = ... }}")
        spec: Any = raw
        values = tuple(raw)
    elif isinstance(raw, dict) and set(raw) & {"start", "stop", "min", "max"}:
        if {"min", "max"} & set(raw):
            spec = _model(BoundsSpec, raw, label, where)
            if not numeric:
                raise SweepError(f"{where}{label} has bounds but {key} is not a number "
                                 f"(allowed: {_allowed_of(key)}); give a list of values")
            if not sampled:
                raise SweepError(f"{where}{label} = {{min, max}} gives bounds, which only a "
                                 f"sampled design draws from (sweep.design = 'lhs' | "
                                 f"'sobol' | 'morris'); for design 'grid' give a list or a "
                                 f"range {{start, stop, step}}")
            if not spec.min < spec.max:
                raise SweepError(f"{where}{label} = {{min = {_n(spec.min)}, max = "
                                 f"{_n(spec.max)}}} is an empty interval: min must be "
                                 f"below max")
            if spec.log and spec.min <= 0:
                raise SweepError(f"{where}{label}.min = {_n(spec.min)} is not allowed with "
                                 f"log = true: bounds must be positive")
            for bound in (spec.min, spec.max):
                _check_value(key, int(bound) if integer and float(bound).is_integer()
                             else bound, base, where)
            return Axis(key, "bounds", low=spec.min, high=spec.max, log=spec.log,
                        integer=integer, spec=spec)
        spec = _model(RangeSpec, raw, label, where)
        if sampled:
            raise SweepError(f"{where}{label} is a range and has no bounds: design "
                             f"'{design}' samples every axis between bounds; write "
                             f"{label} = {{ min = ..., max = ... }}")
        if not numeric:
            raise SweepError(f"{where}{label} is a range but {key} is not a number "
                             f"(allowed: {_allowed_of(key)}); give a list of values")
        values = _range_values(spec, label, where, integer)
    else:
        raise SweepError(f"{where}{label} = {raw!r} is not an axis: give a list of values, "
                         f"a range {{start, stop, step}} or {{start, stop, num}}, or bounds "
                         f"{{min, max}} for a sampled design")
    values = tuple(_check_value(key, v, base, where) for v in values)
    return Axis(key, "values", values=values, integer=integer, spec=spec)


def _allowed_of(key: str) -> str:
    return next(p.allowed for p in iter_params() if p.key == key)


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _model(model: type[BaseModel], raw: dict[str, Any], label: str, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        e = err.errors()[0]
        sub = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            return _raise(f"{where}unknown key '{label}.{sub}' (allowed: "
                          f"{', '.join(model.model_fields)})")
        if e["type"] == "missing":
            return _raise(f"{where}{label} needs '{sub}' (a {model.__doc__.split(':')[0]})")
        return _raise(f"{where}{label}.{sub} = {e.get('input')!r} is not allowed: "
                      f"{e['msg'].lower()}")


def _raise(msg: str) -> Any:
    raise SweepError(msg)


def _range_values(spec: RangeSpec, label: str, where: str, integer: bool) -> tuple[Any, ...]:
    shown = "{" + ", ".join(f"{k} = {_n(v) if not isinstance(v, bool) else str(v).lower()}"
                            for k, v in spec.model_dump(exclude_none=True,
                                                        exclude_defaults=True).items()) + "}"
    if (spec.step is None) == (spec.num is None):
        raise SweepError(f"{where}{label} = {shown} needs exactly one of 'step' and 'num'")
    if spec.step is not None:
        if spec.log:
            raise SweepError(f"{where}{label} = {shown}: log = true goes with 'num', "
                             f"not 'step'")
        if spec.stop < spec.start:
            raise SweepError(f"{where}{label} = {shown} is an empty range: stop must be at "
                             f"least start")
        n = math.floor((spec.stop - spec.start) / spec.step + 1e-9) + 1
        raw = [spec.start + i * spec.step for i in range(n)]
    else:
        if spec.log:
            if spec.start <= 0 or spec.stop <= 0:
                raise SweepError(f"{where}{label} = {shown}: log = true needs positive "
                                 f"start and stop")
            raw = list(np.geomspace(spec.start, spec.stop, spec.num))
        else:
            raw = list(np.linspace(spec.start, spec.stop, spec.num))
    values = []
    for v in raw:
        v = float(f"{float(v):.12g}")
        if integer:
            if not v.is_integer():
                raise SweepError(f"{where}{label} = {shown} gives {v:g}, but the parameter "
                                 f"is an integer: choose an integer start and step")
            v = int(v)
        values.append(v)
    return tuple(dict.fromkeys(values))  # no duplicates


def _check_value(key: str, value: Any, base: Scenario, where: str) -> Any:
    """Validate one value of an axis as the scenario would; returns it as the scenario
    holds it (``1000.0`` -> ``1000`` for an integer parameter)."""
    try:
        node: Any = load_scenario(base, {key: value}).model_dump(mode="json")
    except ScenarioError as exc:
        raise SweepError(f"{where}axes: {exc}") from None
    for part in key.split("."):
        node = node[part]
    return node


# -------------------------------------------------------------------------- load
def _resolve_scenario(name: str, source: Path | None) -> str | Path:
    if name.endswith(".toml") or "/" in name:
        path = Path(name)
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        return path
    return name


def run_seeds(root: int, points: int, replicates: int, common: bool) -> np.ndarray:
    """Seeds of every (point, replicate), spawned from the root seed.

    Each seed is the first 63 bits of ``SeedSequence(root, spawn_key=(purpose, point,
    replicate))``; with ``common`` the point is left out, so replicate ``r`` of every point
    shares one seed (common random numbers across points).
    """
    root_ss = Streams(root).root
    out = np.empty((points, replicates), dtype=np.int64)
    for r in range(replicates):
        shared = None
        for p in range(points):
            if common and shared is not None:
                out[p, r] = shared
                continue
            key = (purpose_key("experiments.replicate"), r) if common else \
                (purpose_key("experiments.run"), p, r)
            ss = np.random.SeedSequence(root_ss.entropy, spawn_key=key)
            out[p, r] = shared = int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
    return out


def load_sweep(source: str | Path, overrides: dict[str, Any] | None = None) -> Plan:
    """Read and validate a sweep file; every point is validated as a scenario.

    ``overrides`` are dotted keys of the ``[sweep]`` table or of the scenario (added to
    ``[set]``), e.g. ``{"sweep.replicates": 2, "run.steps": 30}``.
    Raises SweepError (one line) before anything runs or is written.
    """
    path = Path(source)
    where = f"{path.name}: "
    text = read_user_file(path, "sweep file", SweepError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"sweep file '{path}' is not valid TOML: {exc}") from None
    for key, value in (overrides or {}).items():
        if key.startswith("sweep."):
            data = _deep_merge(data, _nest(key, value))
        else:
            data.setdefault("set", {})
            data["set"] = dict(data["set"], **{key: value})
    return plan_from_dict(data, path, where)


def plan_from_dict(data: dict[str, Any], source: Path | None = None,
                   where: str = "") -> Plan:
    """Validate the parsed sweep file ``data`` into a Plan."""
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as err:
        raise SweepError(_format(err, where)) from None
    sec = spec.sweep
    settings = _flatten(spec.set, where, "set")
    axes_raw = _flatten(spec.axes, where, "axes")
    for key in axes_raw:
        if key in settings:
            raise SweepError(f"{where}'{key}' is in both [set] and [axes]: keep one")

    try:
        base = load_scenario(_resolve_scenario(sec.scenario, source))
    except ScenarioError as exc:
        raise SweepError(f"{where}sweep.scenario: {exc}") from None
    try:
        base = load_scenario(base, dict(settings, **{"run.replicates": 1}))
    except ScenarioError as exc:
        raise SweepError(f"{where}[set]: {exc}") from None

    axes = [_parse_axis(k, v, sec.design, where, base) for k, v in axes_raw.items()]
    samples = sec.samples
    if sec.design in SAMPLED:
        if not axes:
            raise SweepError(f"{where}sweep.design = '{sec.design}' needs at least one axis "
                             f"with bounds in [axes]")
        samples = samples or DEFAULT_SAMPLES[sec.design]
        if sec.design == "sobol" and samples & (samples - 1):
            raise SweepError(f"{where}sweep.samples = {samples} is not allowed: design "
                             f"'sobol' needs a power of 2 (e.g. {1 << samples.bit_length()})")
    elif sec.samples is not None:
        raise SweepError(f"{where}sweep.samples = {sec.samples} is not allowed with design "
                         f"'grid' (the grid is every combination of the axes' values)")

    root = base.run.seed if sec.seed is None else sec.seed
    design_seed = int(Streams(root).generator("experiments.design").integers(2**31 - 1))
    design = build_design(sec.design, axes, samples, design_seed,
                          second_order=sec.second_order, levels=sec.levels)
    base_dict = base.model_dump(mode="json")
    for i, point in enumerate(design.points):
        merged = _merge_point(base_dict, point)
        try:
            Scenario.model_validate(merged)
        except ValidationError as err:
            shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise SweepError(f"{where}point {i} ({shown}): "
                             f"{format_error(err)}") from None
    name = sec.name or (source.stem if source is not None else "sweep")
    seeds = run_seeds(root, len(design.points), sec.replicates, sec.common_seeds)
    return Plan(name, source, sec, settings, axes, base, design, seeds, root)

"""Targets files: the published statistics a calibration fits, and the priors it starts from.

A targets file is TOML (docs/calibration.md)::

    [calibration]
    name = "toy"                  # default: the file's name
    seed = 7                      # root seed of the simulations' seeds and of the sampler
    population = 20000            # agents per simulation (population.size)
    particles = 100               # ABC-SMC population size
    generations = 6               # at most this many generations
    min_epsilon = 1.0             # stop once the distance threshold (in standard errors) is
                                  # at or below it
    predictive_draws = 20         # posterior draws simulated for the predictive check

    [priors]                      # the parameters to calibrate
    "behavior.beta_cost" = { min = 0.0, max = 20.0 }
    "surveillance.online.p_scan" = { min = 0.001, max = 0.5, log = true }
    "behavior.p_political_chance" = {}      # uniform over the schema's range

    [[target]]
    name = "dissent"
    scenario = "baseline"         # built-in name, or a .toml path relative to this file
    set = { "run.steps" = 120 }   # overrides of that scenario (not the priors' keys)
    population = 5000             # agents for this target's scenario (default: calibration's)
    metric = "expressed_dissent_rate"   # a day metric, or summary = "chilling_index"
    arm = "treated"               # treated | control | difference | ratio | relative
    days = [30, 119]              # the window (first and last day, included)
    aggregate = "mean"            # mean | sum | last | yearly (sum x 365 / window days)
    per = 100000                  # per this many people (divides by population.size)
    times = 1.0                   # then times this factor (a country's population; -1 makes
                                  # a fall a positive share)
    value = 0.02                  # the published value
    se = 0.002                    # its standard error, or interval = [lo, hi] (95%)
    source = "Author (year), Table 2"

A target may also be the ratio of two statistics: ``denominator = { metric = ..., arm =
..., days = ..., aggregate = ... }`` (the numerator is the target's own), or with ``change
= true`` the relative change between them (numerator / denominator - 1: e.g. the months
after an event against the months before). Targets are
aggregate published statistics; nothing here reads records of individuals.

Every rule lives on a validator; a bad file raises :class:`TargetsError` with one line that
names the key, the value and what is allowed, before anything runs or is written.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from panoptisim.errors import InputError, ScenarioError
from panoptisim.fmt import literal
from panoptisim.metrics import METRIC_NAMES, SUMMARY_METRICS
from panoptisim.scenario import Scenario, did_you_mean, flatten, load_scenario, param_info
from panoptisim.scenario.load import names_a_file, read_user_toml, scenario_beside
from panoptisim.scenario.params import ParamInfo

#: z of a two-sided 95% interval: a published interval's half-width / Z95 is its SE.
Z95 = 1.959963984540054
#: Keys a calibration sets itself: a prior or a target's ``set`` may not name them.
RESERVED = {"run.seed": "each simulation's seed is drawn from calibration.seed",
            "run.replicates": "each simulation is one replicate",
            "population.size": "use calibration.population (or a target's population)"}
#: A prior spanning at least this ratio (max / min > 0) is log-uniform unless ``log`` says.
DECADES_FOR_LOG = 100.0
SUMMARY_NAMES = {m.name: m for m in SUMMARY_METRICS}


class TargetsError(InputError):
    """A targets file that cannot be used: one line naming the key, the value and the rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalibrationSection(_Strict):
    """The ``[calibration]`` table."""

    name: str | None = Field(None, min_length=1, max_length=100,
                             description="Name of the calibration (default: the file's name).")
    seed: int = Field(20261130, ge=0, le=2**63 - 1,
                      description="Root seed of the simulations' seeds and of the sampler.")
    population: int = Field(20000, ge=100, le=10_000_000,
                            description="Agents per simulation (population.size).")
    particles: int = Field(100, ge=10, le=100_000, description="ABC-SMC population size.")
    generations: int = Field(8, ge=1, le=100, description="At most this many generations.")
    min_epsilon: float = Field(1.0, ge=0.0,
                               description="Stop when the distance threshold (in standard "
                                           "errors) is at or below it.")
    min_acceptance: float = Field(0.01, gt=0.0, le=1.0,
                                  description="Stop when a generation accepts fewer of its "
                                              "simulations than this share.")
    predictive_draws: int = Field(20, ge=2, le=10_000,
                                  description="Posterior draws simulated for the predictive "
                                              "check.")


class Prior(_Strict):
    """A parameter's prior: uniform on ``[min, max]``, log-uniform with ``log = true``.
    Omitted bounds are the schema's; ``log`` defaults to true when max / min >= 100."""

    min: float | None = None
    max: float | None = None
    log: bool | None = None


class Statistic(_Strict):
    """A statistic of a run: a day metric over a window, aggregated, of one arm or of the
    arms' difference (treated - control), ratio (treated / control) or relative difference
    (treated / control - 1); or a summary metric of the run (``summary``)."""

    metric: str | None = None
    summary: str | None = None
    arm: Literal["treated", "control", "difference", "ratio", "relative"] = "treated"
    days: tuple[int, int] | None = None
    aggregate: Literal["mean", "sum", "last", "yearly"] | None = None

    @model_validator(mode="after")
    def _one_metric(self) -> Statistic:
        if (self.metric is None) == (self.summary is None):
            raise ValueError("needs exactly one of 'metric' (a day metric) and 'summary' "
                             "(a summary metric such as chilling_index)")
        if self.metric is not None and self.metric not in METRIC_NAMES:
            raise ValueError(f"metric = {self.metric!r} is not a day metric; "
                             f"{did_you_mean(self.metric, list(METRIC_NAMES))}")
        if self.summary is not None:
            if self.summary not in SUMMARY_NAMES:
                raise ValueError(f"summary = {self.summary!r} is not a summary metric; "
                                 f"{did_you_mean(self.summary, list(SUMMARY_NAMES))}")
            if self.days is not None or self.aggregate is not None:
                raise ValueError(f"summary = {self.summary!r} is over the whole run: it takes "
                                 "no 'days' or 'aggregate'")
            if SUMMARY_NAMES[self.summary].over == "pair" and self.arm != "treated":
                raise ValueError(f"summary = {self.summary!r} compares the arms already: it "
                                 "takes no 'arm'")
        if self.days is not None and not 0 <= self.days[0] <= self.days[1]:
            raise ValueError(f"days = {list(self.days)} is not a window: give [first, last] "
                             "with 0 <= first <= last")
        return self

    @property
    def needs_control(self) -> bool:
        """Whether the control arm must be run for this statistic."""
        if self.summary is not None:
            return SUMMARY_NAMES[self.summary].over == "pair"
        return self.arm != "treated"


class Target(Statistic):
    """One ``[[target]]``: a statistic, its published value and uncertainty, and source."""

    name: str = Field(min_length=1, max_length=100)
    scenario: str = Field("baseline", min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    population: int | None = Field(None, ge=100, le=10_000_000)
    per: float | None = Field(None, gt=0)
    times: float = 1.0
    denominator: Statistic | None = None
    change: bool = False
    value: float
    se: float | None = Field(None, gt=0)
    interval: tuple[float, float] | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _uncertainty(self) -> Target:
        if (self.se is None) == (self.interval is None):
            raise ValueError(f"target '{self.name}' needs exactly one of 'se' (a standard "
                             "error) and 'interval' ([low, high], 95%)")
        if self.interval is not None and not self.interval[0] < self.interval[1]:
            raise ValueError(f"target '{self.name}': interval = {list(self.interval)} is "
                             "empty: give [low, high] with low < high")
        if not math.isfinite(self.value):
            raise ValueError(f"target '{self.name}': value = {self.value} is not a number")
        if self.times == 0 or not math.isfinite(self.times):
            raise ValueError(f"target '{self.name}': times = {self.times} is not allowed: "
                             "give a finite factor other than 0 (-1 turns a fall into a "
                             "positive share)")
        if self.change and self.denominator is None:
            raise ValueError(f"target '{self.name}': change = true is the relative change "
                             "from a denominator (numerator / denominator - 1): give one")
        return self

    @property
    def sd(self) -> float:
        """The published value's standard error (from ``se``, or a 95% interval's
        half-width / 1.96)."""
        if self.se is not None:
            return self.se
        lo, hi = self.interval
        return (hi - lo) / (2 * Z95)

    @property
    def needs_control(self) -> bool:
        """Whether the control arm must be run for this target."""
        return super().needs_control or (self.denominator is not None
                                         and self.denominator.needs_control)


class TargetsFile(_Strict):
    """A whole targets file (tables ``calibration``, ``priors`` and ``target``)."""

    calibration: CalibrationSection = Field(default_factory=CalibrationSection)
    priors: dict[str, Prior]
    target: list[Target] = Field(min_length=1)

    @field_validator("priors", mode="before")
    @classmethod
    def _dotted(cls, table: Any) -> Any:
        """``[priors]`` by dotted key, written flat (``"behavior.beta_cost" = {...}``) or as
        nested tables (``[priors.behavior] beta_cost = {...}``): a table is walked down
        until its key is a parameter's."""
        if not isinstance(table, dict):
            return table
        out: dict[str, Any] = {}

        def walk(key: str, node: Any) -> None:
            if param_info(key) is None and isinstance(node, dict) and node and \
                    not set(node) <= set(Prior.model_fields):
                for k, v in node.items():
                    walk(f"{key}.{k}", v)
            else:
                out[key] = node

        for k, v in table.items():
            walk(k, v)
        return out


@dataclass(frozen=True)
class ParameterPrior:
    """A calibrated parameter: its key, bounds, whether log-uniform, and the schema's
    declaration (unit, default, source)."""

    key: str
    low: float
    high: float
    log: bool
    info: ParamInfo

    def quantile(self, q: float) -> float:
        """The prior's ``q`` quantile."""
        if self.log:
            return math.exp(math.log(self.low) + q * (math.log(self.high) - math.log(self.low)))
        return self.low + q * (self.high - self.low)


@dataclass(frozen=True)
class Group:
    """Targets measured in one scenario at one size (one simulation serves them all)."""

    scenario: Scenario
    targets: tuple[Target, ...]
    control: bool
    size: int  # agents (population.size)


@dataclass(frozen=True)
class Calibration:
    """A validated targets file: its settings, priors and targets grouped by scenario."""

    name: str
    source: Path | None
    section: CalibrationSection
    priors: tuple[ParameterPrior, ...]
    targets: tuple[Target, ...]
    groups: tuple[Group, ...]
    text: str  # the file as given (copied into the calibration folder)

    @property
    def keys(self) -> tuple[str, ...]:
        """The calibrated parameters' keys, in file order."""
        return tuple(p.key for p in self.priors)


def _prior(key: str, spec: Prior, where: str) -> ParameterPrior:
    """A prior checked against the schema's declaration of ``key``."""
    if key in RESERVED:
        raise TargetsError(f"{where}priors.{key} cannot be calibrated: {RESERVED[key]}")
    info = param_info(key)
    if info is None:
        raise TargetsError(f"{where}unknown key 'priors.{key}'; {did_you_mean(key)}")
    if info.annotation is not float:
        raise TargetsError(f"{where}priors.{key} cannot be calibrated: it is not a real "
                           f"number (allowed: {info.allowed}); calibrate real parameters only")
    low = spec.min if spec.min is not None else info.bounds.lo
    high = spec.max if spec.max is not None else info.bounds.hi
    if low is None or high is None:
        side = "min" if low is None else "max"
        raise TargetsError(f"{where}priors.{key} needs '{side}': the schema gives {key} no "
                           f"{'lower' if low is None else 'upper'} bound (allowed: "
                           f"{info.allowed})")
    for end, value in (("min", low), ("max", high)):
        if not info.bounds.contains(value) and not (
                value == info.bounds.lo or value == info.bounds.hi):
            raise TargetsError(f"{where}priors.{key}.{end} = {literal(value)} is not allowed: it "
                               f"lies outside {key}'s range (allowed: {info.allowed})")
    if not low < high:
        raise TargetsError(f"{where}priors.{key} = {{min = {literal(low)}, max = "
                           f"{literal(high)}}} is an empty interval: min must be below max")
    log = spec.log if spec.log is not None else (low > 0 and high / low >= DECADES_FOR_LOG)
    if log and low <= 0:
        raise TargetsError(f"{where}priors.{key} has log = true, which needs min > 0 (min = "
                           f"{literal(low)})")
    # an open end of the schema's range is nudged inside it: the prior's support is open there
    if info.bounds.lo_open and low == info.bounds.lo:
        low = math.nextafter(low, math.inf)
    if info.bounds.hi_open and high == info.bounds.hi:
        high = math.nextafter(high, -math.inf)
    return ParameterPrior(key, float(low), float(high), bool(log), info)


def _format(err: ValidationError, where: str) -> str:
    """One line for the first error of a targets file."""
    e = err.errors()[0]
    loc = [str(p) for p in e["loc"]]
    key = ".".join(loc)
    msg = str(e["msg"]).removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        head = loc[0] if loc else ""
        fields = {"calibration": CalibrationSection.model_fields, "target": Target.model_fields,
                  "priors": Prior.model_fields}.get(head, TargetsFile.model_fields)
        hint = did_you_mean(loc[-1], list(fields),
                            fallback="a targets file has tables [calibration], [priors] and "
                                     "[[target]] (docs/calibration.md)")
        return f"{where}unknown key '{key}'; {hint}"
    if e["type"] == "missing":
        return f"{where}{key} is missing (docs/calibration.md lists what a targets file needs)"
    if e["type"] == "value_error":
        return f"{where}{key}: {msg}" if loc else f"{where}{msg}"
    return f"{where}{key} = {literal(e.get('input'))} is not allowed: {msg.lower()}"


def calibration_from_dict(data: dict[str, Any], source: Path | None = None, where: str = "",
                          text: str = "") -> Calibration:
    """Validate a parsed targets file (``where`` starts each error's line)."""
    try:
        spec = TargetsFile.model_validate(data)
    except ValidationError as err:
        raise TargetsError(_format(err, where)) from None
    sec = spec.calibration
    priors = tuple(_prior(k, v, where) for k, v in spec.priors.items())
    if not priors:
        raise TargetsError(f"{where}[priors] is empty: name at least one parameter to "
                           "calibrate")
    names = [t.name for t in spec.target]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise TargetsError(f"{where}target name '{dup}' is used twice: names must differ")
    groups: dict[tuple[str, str, int], list[Target]] = {}
    scenarios: dict[tuple[str, str, int], Scenario] = {}
    for i, t in enumerate(spec.target):
        sets = flatten(t.set)
        for key in sets:
            if key in RESERVED or key in spec.priors:
                why = RESERVED.get(key, "it is calibrated ([priors])")
                raise TargetsError(f"{where}target.{i}.set.{key} cannot be set: {why}")
        try:
            base = load_scenario(scenario_beside(t.scenario, source), sets)
        except ScenarioError as exc:
            raise TargetsError(f"{where}target.{i} ('{t.name}'): {exc}") from None
        # each prior's lowest and highest value must make a valid scenario
        for p in priors:
            for value in (p.low, p.high):
                try:
                    load_scenario(base, {p.key: value})
                except ScenarioError as exc:
                    raise TargetsError(f"{where}priors.{p.key}: {exc}") from None
        steps = base.run.steps
        for stat in (t, t.denominator):
            if stat is not None and stat.days is not None and stat.days[1] >= steps:
                raise TargetsError(f"{where}target.{i} ('{t.name}'): days = "
                                   f"{list(stat.days)} ends after the scenario's last day "
                                   f"({steps - 1}; run.steps = {steps})")
        group = (t.scenario, repr(sorted(sets.items())), t.population or sec.population)
        groups.setdefault(group, []).append(t)
        scenarios[group] = base
    built = tuple(Group(scenarios[g], tuple(ts), any(t.needs_control for t in ts), g[2])
                  for g, ts in groups.items())
    name = sec.name or (source.stem if source is not None else "calibration")
    return Calibration(name, source, sec, priors, tuple(spec.target), built, text)


def builtin_target_sets() -> list[str]:
    """Names of the built-in target sets (``panoptisim/calibrations/*.toml``), sorted."""
    files = resources.files("panoptisim") / "calibrations"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def load_targets(source: str | Path) -> Calibration:
    """Read and validate a targets file, or a built-in target set by name. Raises
    TargetsError (one line) before anything runs or is written."""
    if not names_a_file(str(source)):
        if str(source) not in builtin_target_sets():
            raise TargetsError(f"'{source}' is neither a targets file nor a built-in target "
                               f"set (built-in: {', '.join(builtin_target_sets())})")
        text = (resources.files("panoptisim") / "calibrations" / f"{source}.toml").read_text()
        return calibration_from_dict(tomllib.loads(text), None, f"{source}: ", text)
    path = Path(source)
    text, data = read_user_toml(path, "targets file", TargetsError)
    return calibration_from_dict(data, path, f"{path.name}: ", text)

"""The Python interface: ``panoptisim.run(scenario_or_name, **overrides) -> Result``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from panoptisim.engine import DayCallback, Simulation, day_columns, simulate
from panoptisim.errors import InputError, ScenarioError
from panoptisim.io import check_new_folder, folder_atomic
from panoptisim.metrics import column_descriptions as metric_columns
from panoptisim.output import manifest, metrics_arrow, now, write_run
from panoptisim.regional import column_descriptions as region_columns
from panoptisim.regional import region_rows
from panoptisim.scenario import Scenario, flatten, merge, nest
from panoptisim.scenario.load import apply_overrides, scenario_document, validate
from panoptisim.scenario.schema import TimelineEntry
from panoptisim.snapshots import FOLDER as SNAPSHOTS
from panoptisim.state import State
from panoptisim.summary import run_summary


@dataclass(repr=False)
class Result:
    """A finished run: per-day metrics, the summary, and where it was written (or None).

    In a notebook it shows its headline table (``_repr_html_``); ``replicates`` gives each
    replicate's end-of-run values, ``plot(metric)`` a metric's daily course and
    ``report(path)`` the report ``panoptisim run`` writes."""

    scenario: Scenario
    metrics: pd.DataFrame
    summary: dict[str, Any]
    path: Path | None
    simulation: Simulation
    #: Daily counts by region: replicate, arm, day, region and ``regional.REGION_COUNTS``.
    regions: pd.DataFrame | None = None

    def __repr__(self) -> str:
        s = self.scenario
        chill = self.summary["metrics"].get("chilling_index", {}).get("effect")
        told = "" if chill is None else f", chilling_index {chill:.4g}"
        where = f", at {self.path}" if self.path is not None else ""
        return (f"Result({s.name}, {s.population.size:,} agents x {s.run.steps} days, "
                f"{s.run.replicates} replicate(s), seed {s.run.seed}{told}{where})")

    def _repr_html_(self) -> str:
        """The headline table, as the run report shows it (notebooks display it)."""
        from panoptisim.report import html as H
        from panoptisim.report.build import HEADLINE_HEADERS, headline_rows

        rows = [r[:5] + [r[5]] for r in headline_rows(self.summary)]
        return (f"<p><strong>{H.esc(repr(self))}</strong></p>"
                + H.table([*HEADLINE_HEADERS, "aggregate"], rows, numeric={1, 2, 3}))

    @property
    def replicates(self) -> pd.DataFrame:
        """One row per replicate, one column per headline result: its end-of-run value (the
        effect, treated - control, with a control arm, else the treated value; as
        summary.json aggregates it)."""
        from panoptisim.replicates import replicate_values

        values = replicate_values(self.simulation)
        frame = pd.DataFrame({name: v for name, (v, _) in values.items()})
        frame.insert(0, "replicate", range(len(frame)))
        return frame

    def plot(self, metric: str = "expressed_dissent_rate") -> Any:
        """A matplotlib Figure of ``metric``'s daily course, one line per arm (the mean over
        replicates, with its 95% band from 2 replicates on)."""
        from matplotlib.figure import Figure

        from panoptisim.metrics import METRIC_UNITS, METRICS
        from panoptisim.report.figures import plot_arms
        from panoptisim.report.style import styled

        meaning = {m.name: m.meaning for m in METRICS}
        if metric not in meaning:
            raise InputError(f"metric '{metric}' is not a daily metric (e.g. "
                             f"{', '.join(list(meaning)[:4])}; every column of "
                             f"Result.metrics but replicate, arm and day)")
        with styled():
            fig = Figure(figsize=(6.4, 3.6), layout="constrained")
            ax = fig.subplots()
            plot_arms(ax, self.metrics, metric)
            ax.set_xlabel("day")
            ax.set_ylabel(f"{metric}\n({METRIC_UNITS[metric]})")
            ax.set_title(meaning[metric], fontsize=8)
            ax.legend(loc="best")
        return fig

    def report(self, path: str | Path | None = None) -> Path:
        """Write the report ``panoptisim run`` writes (HTML; figures beside it) and return
        its path: in the run folder, or at ``path`` for a run written with ``out=``."""
        from panoptisim.report import write_report

        if self.path is None:
            raise InputError("this run was not written: run it with out=FOLDER to report on "
                             "it")
        return write_report(self.path, out=path, result=self)

    def final_state(self, arm: str = "treated", replicate: int = 0) -> State:
        """The agents of one arm at the end of the run (flags and sanctions logs included)."""
        for r in self.simulation.runs:
            if r.arm == arm and r.replicate == replicate:
                return r.state
        raise KeyError(f"no arm '{arm}' in replicate {replicate}")


def run(scenario_or_name: str | Path | Scenario = "baseline", *, seed: int | None = None,
        out: str | Path | None = None, progress: Callable[[int, int], None] | None = None,
        on_day: DayCallback | None = None, overrides: dict[str, Any] | None = None,
        timeline: Sequence[dict[str, Any] | TimelineEntry] | None = None,
        regions: dict[str, dict[str, Any]] | None = None,
        finish: Callable[[Path, Result], None] | None = None, report: bool = False,
        **kw_overrides: Any) -> Result:
    """Run a scenario (built-in name, TOML path or Scenario) and return its Result.

    Overrides are dotted keys, given as a dict (``overrides={"population.size": 2000}``) or
    as keywords with ``__`` for the dots (``population__size=2000``). With ``out`` the run
    folder is written there atomically (with ``run.snapshots``, the agents and live ties
    of those days in its snapshots/); otherwise nothing is written. ``progress(done,
    total)`` and ``on_day(replicate, day, {arm: {metric: value}}, done, total)`` are called
    after each day (an exception raised by either stops the run; nothing is written).
    ``report=True`` (with ``out``) writes the report ``panoptisim run`` writes (report.html
    and figures/) into the folder before it takes its name.
    ``finish(folder, result)`` (with ``out``) is called when every data file is in the
    folder, before it is renamed to ``out``: what it writes there (``panoptisim run``
    writes its report) appears with the folder, and an exception it raises leaves none.

    ``timeline`` replaces the scenario's ``[[timeline]]``: a list of entries, each a dict
    with the keys of a file's entry (``day``, ``action``, ``regions``, ``regime``,
    ``feeds``, ``set``, ``label``) or a :class:`~panoptisim.scenario.schema.TimelineEntry`,
    e.g. ``timeline=[{"day": 100, "action": "abolish"}, {"day": 200, "set":
    {"safeguards.appeals": True}}]``. ``regions`` replaces the scenario's ``[regions]``:
    each region's own rules by name, nested or dotted (``regions={"rural":
    {"scoring.regime": "fico"}}``). Overrides are applied after both, so
    ``timeline__0__day=150`` moves the first of the given entries.

    Raises ScenarioError (bad input, one line naming the key, the value and what is
    allowed, as for a scenario file) before anything runs or is written, and InputError for
    ``report=True`` without ``out`` or an ``out`` that cannot be written
    (:func:`panoptisim.io.check_new_folder`) before the run, or that another run filled
    meanwhile after it (nothing is then kept).
    """
    merged = dict(overrides or {})
    merged.update({k.replace("__", "."): v for k, v in kw_overrides.items()})
    scenario = build_scenario(scenario_or_name, merged, seed=seed, timeline=timeline,
                              regions=regions)
    path = None if out is None else Path(out)
    if path is not None:
        check_new_folder(path)
    elif report:
        raise InputError("report=True writes the report into the run folder: give "
                         "out=FOLDER too (or call result.report(path) on a written run)")
    started = now()
    # the run folder is built in a temporary folder from the start: snapshots go there
    with nullcontext() if path is None else folder_atomic(path) as folder:
        sim = simulate(scenario, progress=progress, on_day=on_day,
                       snapshots=None if folder is None else folder / SNAPSHOTS)
        table = metrics_arrow(day_columns(sim), metric_columns(scenario.population.scale))
        by_region = metrics_arrow(region_rows(sim.runs, [r.name for r in
                                                         scenario.population.regions]),
                                  region_columns())
        summary = run_summary(sim)
        result = Result(scenario, table.to_pandas(), summary, None, sim,
                        by_region.to_pandas())
        if folder is not None:
            doc = manifest(scenario, sim.timings, started, now())
            write_run(folder, scenario, table, summary, doc, by_region)
            if report:  # as panoptisim run writes it: inside the folder, before the rename
                _write_report(folder, result, path)
            if finish is not None:
                finish(folder, result)
    result.path = path
    return result


def _write_report(folder: Path, result: Result, final: Path) -> None:
    """The run's report (report.html, figures/) in its folder; a report that fails is a
    warning (the data are kept), as on the command line."""
    import warnings

    from panoptisim.report.cli import report_message

    line, failed = report_message(folder, result, final=final)
    if failed:
        warnings.warn(line, stacklevel=3)


def build_scenario(source: str | Path | Scenario = "baseline",
                   overrides: dict[str, Any] | None = None, *, seed: int | None = None,
                   timeline: Sequence[dict[str, Any] | TimelineEntry] | None = None,
                   regions: dict[str, dict[str, Any]] | None = None) -> Scenario:
    """The validated scenario :func:`run` would run (the same arguments); nothing runs.

    Raises ScenarioError with one line, as :func:`panoptisim.load_scenario` does.
    """
    data = scenario_document(source)
    if timeline is not None:
        data["timeline"] = _timeline_document(timeline)
    if regions is not None:
        data["regions"] = _regions_document(regions)
    data = apply_overrides(data, overrides or {})
    if seed is not None:
        data = merge(data, {"run": {"seed": seed}})
    return validate(data, strict=True)


def _timeline_document(timeline: Any) -> list[dict[str, Any]]:
    """The entries of ``timeline=`` as a file holds them (``set`` as dotted keys)."""
    if isinstance(timeline, (str, bytes, dict)) or not isinstance(timeline, Sequence):
        raise ScenarioError(f"timeline = {timeline!r} is not allowed: give a list of entries "
                            "(dicts with keys day, action, regions, regime, feeds, set, label)")
    out = []
    for i, entry in enumerate(timeline):
        if isinstance(entry, TimelineEntry):
            entry = entry.model_dump(mode="json", exclude_defaults=True)
        elif not isinstance(entry, dict):
            raise ScenarioError(f"timeline.{i} = {entry!r} is not allowed: an entry is a dict "
                                f"with keys {', '.join(TimelineEntry.model_fields)}")
        entry = dict(entry)
        if isinstance(entry.get("set"), dict):  # nested tables -> dotted keys, as in files
            entry["set"] = flatten(entry["set"])
        out.append(entry)
    return out


def _regions_document(regions: Any) -> dict[str, Any]:
    """``regions=`` as a file's ``[regions.<name>]`` tables (dotted keys nested)."""
    if not isinstance(regions, dict):
        raise ScenarioError(f"regions = {regions!r} is not allowed: give a dict of each "
                            "region's own rules by name, e.g. {'rural': {'scoring.regime': "
                            "'fico'}}")
    out: dict[str, Any] = {}
    for name, rules in regions.items():
        if not isinstance(rules, dict):
            raise ScenarioError(f"regions.{name} = {rules!r} is not allowed: give a dict of "
                                "the region's own rules, e.g. {'scoring.regime': 'fico'}")
        doc: dict[str, Any] = {}
        for key, value in flatten(rules).items():
            doc = merge(doc, nest(key, value))
        out[str(name)] = doc
    return out

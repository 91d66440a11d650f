"""Assemble the report of a run, sweep, calibration or comparison folder: figures as PNG
and SVG files, one self-contained HTML page (or a PDF), from the files the run, sweep,
calibration or comparison wrote.

``write_report(path)`` is what ``panoptisim run`` and ``panoptisim report`` call.
"""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from panoptisim import __version__
from panoptisim.calibration.targets import CalibrationSection
from panoptisim.errors import InputError
from panoptisim.io import write_bytes_atomic
from panoptisim.metrics import HEADLINE, METRICS, SUMMARY_METRICS
from panoptisim.report import calibration_figures as CF
from panoptisim.report import comparison_figures as KF
from panoptisim.report import figures as F
from panoptisim.report import html as H
from panoptisim.report import sweep_figures as SF
from panoptisim.report.style import styled
from panoptisim.scenario import builtin_names, flatten, iter_params, load_scenario
from panoptisim.state import SANCTIONS

FORMATS = ("html", "pdf")
FIGURE_DIR = "figures"


class ReportError(InputError):
    """The folder cannot be reported on (not a run, sweep, calibration or comparison folder, an
    unreadable file).

    An InputError, so the CLI prints it as one line with exit status 2.
    """


@dataclass
class Rendered:
    """Figures drawn so far: name, caption, PNG bytes, files written."""

    folder: Path | None
    items: list[tuple[str, str, bytes, list[str]]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, caption: str, fig: Figure) -> None:
        """Render ``fig`` to PNG (kept for the page) and write PNG and SVG files."""
        with styled():
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            png = buf.getvalue()
            files = []
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{name}.png").write_bytes(png)
                fig.savefig(self.folder / f"{name}.svg", format="svg",
                            metadata={"Date": None})
                files = [f"{self.folder.name}/{name}.png", f"{self.folder.name}/{name}.svg"]
        self.items.append((name, caption, png, files))
        self.figures.append(fig)


# ---------------------------------------------------------------------- reading
def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"'{path.parent}' is not a run, sweep, calibration or comparison folder: "
                          f"{path.name} is missing") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"'{path}' cannot be read: {exc}") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise ReportError(f"'{path.parent}' is not a complete calibration folder: {path.name} "
                          f"is missing") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"'{path}' cannot be read: {exc}") from None


def _runs_text(doc: dict[str, Any]) -> str:
    """What one simulation of a calibration runs: each scenario and its synthetic agents."""
    runs = doc.get("runs") or [{"scenario": "the targets' scenarios",
                                "agents": doc["population"]}]
    return " and ".join(f"a run of {r['scenario']} with {r['agents']:,} synthetic agents"
                        for r in runs)


def kind_of(path: Path) -> str:
    """'run', 'sweep', 'calibration' or 'comparison', from the files the folder holds."""
    if (path / "sweep.json").is_file():
        return "sweep"
    if (path / "comparison.json").is_file():
        return "comparison"
    if (path / "summary.json").is_file() and (path / "metrics.parquet").is_file():
        return "run"
    if (path / "calibration.json").is_file() and (path / "posterior.parquet").is_file():
        return "calibration"
    if not path.is_dir():
        raise ReportError(f"'{path}' is not a folder: give a run folder (panoptisim run), a "
                          f"sweep folder (panoptisim sweep), a calibration folder "
                          f"(panoptisim calibrate) or a comparison folder (panoptisim "
                          f"compare)")
    raise ReportError(f"'{path}' is not a run folder (summary.json and metrics.parquet), a "
                      f"sweep folder (sweep.json), a calibration folder (calibration.json "
                      f"and posterior.parquet, written when a calibration ends) nor a "
                      f"comparison folder (comparison.json)")


def scenario_table(resolved: dict[str, Any]) -> str:
    """The scenario as a table by section: key, value, unit, default; changed rows marked."""
    flat = flatten(resolved)
    rows, classes = [], []
    section = None
    for p in iter_params():
        if p.key not in flat:
            continue
        sec = p.key.rsplit(".", 1)[0]
        if sec != section:
            section = sec
            rows.append([f"[{sec}]", "", "", "", ""])
            classes.append("section")
        value = flat[p.key]
        changed = value != p.default
        rows.append([p.key.rsplit(".", 1)[1], _show(value), p.unit, _show(p.default),
                     p.description])
        classes.append("changed" if changed else "")
    note = ('<p class="note">Rows highlighted differ from the default. Units and sources '
            'of every parameter: <code>panoptisim params</code>.</p>')
    return note + H.table(["parameter", "value", "unit", "default", "meaning"], rows,
                          numeric={1, 3}, row_class=classes)


#: Keys the run report's subtitle already gives (left out of the title's overrides).
SUBTITLE_KEYS = frozenset({"population.size", "run.steps", "run.seed", "run.replicates",
                           "run.control"})
#: Overrides the title names; beyond, "and N more" (the Scenario table marks them all).
TITLE_OVERRIDES = 3


def scenario_title(resolved: dict[str, Any]) -> str:
    """What a run report is titled: the scenario's ``name``, and when that names a built-in
    scenario, the keys whose value differs from it (``--set`` overrides or a file's
    changes; those the subtitle gives left out). A ``name`` of the user's own stands
    alone: the user has named what the run is."""
    name = str(resolved.get("name", "custom"))
    if name not in builtin_names():
        return name
    reference = flatten(tomllib.loads(load_scenario(name).to_toml()))
    changed = [(k, v) for k, v in flatten(resolved).items()
               if k not in SUBTITLE_KEYS and k != "description" and reference.get(k) != v]
    if not changed:
        return name
    shown = [f"{k} = {_short(v)}" for k, v in changed[:TITLE_OVERRIDES]]
    more = len(changed) - TITLE_OVERRIDES
    return f"{name} with " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short(v: Any, width: int = 24) -> str:
    """A value in a title: TOML-like (``true``, not ``True``), cut to ``width`` characters."""
    text = str(v).lower() if isinstance(v, bool) else str(_show(v))
    return text if len(text) <= width else text[:width - 1] + "…"


def _show(v: Any) -> Any:
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "(none)"
    return v


# ------------------------------------------------------------------------- runs
def final_scores(run_dir: Path, result: Any = None, replay: bool = True
                 ) -> dict[str, np.ndarray] | None:
    """Final scores per arm (first replicate): from a Result, or replayed from the folder.

    A run folder does not store agents; the same scenario and seed reproduce them bit for
    bit, so the report replays replicate 0 (``run.replicates = 1``) when no Result is given.
    """
    if result is not None:
        out = {}
        for arm in ("treated", "control"):
            try:
                out[arm] = result.final_state(arm).score
            except KeyError:
                pass
        return out
    if not replay:
        return None
    from panoptisim.engine import simulate

    scenario = load_scenario(run_dir / "scenario.toml", {"run.replicates": 1})
    sim = simulate(scenario)
    return {r.arm: r.state.score for r in sim.runs}


def headline_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """Headline metrics: treated, control, effect and its 95% interval, how the run is
    aggregated, the meaning, then the steady state after the burn-in (the effect, or the
    treated value without a control arm, per day; "–" for end-of-run stocks)."""
    rows = []
    meaning = _meanings()
    for name in HEADLINE:
        m = summary["metrics"].get(name)
        if m is None:
            continue
        ci = m.get("ci95")
        steady, steady_ci = _value(m.get("steady_state"))
        rows.append([name, m.get("treated"), m.get("control"), m.get("effect"),
                     f"[{H.fmt(ci[0])}, {H.fmt(ci[1])}]" if ci else "–",
                     m.get("aggregate", ""), meaning.get(name, ""), steady, steady_ci])
    return rows


def _interval(ci: list[float | None] | None) -> str:
    return f"[{H.fmt(ci[0])}, {H.fmt(ci[1])}]" if ci else "–"


def _value(entry: dict[str, Any] | None) -> tuple[Any, str]:
    """An event-study value and its interval: the effect, or the treated arm's value
    without a control arm."""
    if entry is None:
        return None, "–"
    value = entry.get("effect")
    return (entry.get("treated") if value is None else value), _interval(entry.get("ci95"))


def event_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """Event study: per entry and headline metric, before, after and change with their
    95% intervals (the effect, or the treated value without a control arm) and the unit."""
    rows = []
    for ev in summary.get("events", []):
        for name, m in ev["metrics"].items():
            cells = [x for key in ("before", "after", "change") for x in _value(m[key])]
            rows.append([f"day {ev['day']}: {ev['label']}", name, *cells, m["unit"]])
    return rows


def recovery_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """Recovery after each abolish or reveal: mean over replicates, 95% interval, unit."""
    rows = []
    for ev in summary.get("events", []):
        for name, fig in (ev.get("recovery") or {}).items():
            if not isinstance(fig, dict):
                continue
            note = "never within the run (censored)" if fig["censored"] else ""
            rows.append([f"day {ev['day']}: {ev['label']}", name, fig["mean"],
                         _interval(fig["ci95"]), fig["unit"], note])
    return rows


def event_section(summary: dict[str, Any]) -> str:
    """The run report's "Event study" section (empty without a timeline)."""
    events = summary.get("events")
    if not events:
        return ""
    w = events[0]["window"]
    what = "treated − control" if "control" in summary["arms"] else "treated arm"
    html = (f'<p class="note">Each headline metric over the {w} days before each timeline '
            f'entry and the {w} days from it ({what}; mean over the window\'s days, or the '
            'run-level metric computed on the window), and the change; 95% intervals over '
            'replicates. Definitions: docs/model.md, Event study.</p>')
    html += H.table(["entry", "metric", "before", "95% interval", "after", "95% interval",
                     "change", "95% interval", "unit"], event_rows(summary),
                    numeric={2, 3, 4, 5, 6, 7})
    recovery = recovery_rows(summary)
    if recovery:
        html += ('<p>After a regime is lifted or revealed: days until the treated arm\'s '
                 'expressed dissent (7-day trailing mean) is back to 90% of the control '
                 'arm\'s, the overshoot above the control arm, and the largest rise within a '
                 'week (intervals clipped at 0).</p>')
        html += H.table(["entry", "figure", "mean", "95% interval", "unit", ""], recovery,
                        numeric={2, 3})
    return html


#: The per-region figures in the report and the CLI, with their column titles.
REGION_COLUMNS = (
    ("chilling_index", "chilling index"),
    ("expressed_dissent_rate", "expressed dissent"),
    ("sanctions_per_1000_per_year", "sanctions"),
    ("ever_sanctioned_share", "ever sanctioned"),
    ("tie_loss_share", "tie loss"),
)


def region_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """Per region: residents, then each of REGION_COLUMNS as the effect (treated − control,
    or the treated value without a control arm) with its 95% interval."""
    rows = []
    for name, reg in summary.get("regions", {}).items():
        row: list[Any] = [name, reg["residents"]]
        for key, _ in REGION_COLUMNS:
            row.extend(_value(reg.get(key)))
        rows.append(row)
    return rows


def region_section(summary: dict[str, Any]) -> str:
    """The run report's "Regions" section: what each region's residents lived through."""
    regions = summary.get("regions") or {}
    if len(regions) < 2:
        return ""
    first = next(iter(regions.values()))
    what = "treated − control" if "control" in summary["arms"] else "treated arm"
    units = "; ".join(f"{title}: {first[key]['unit']}" for key, title in REGION_COLUMNS
                      if key in first)
    html = (f'<p class="note">Each region\'s residents ({what}; 95% intervals over '
            f'replicates). Units: {H.esc(units)}. Each region is scored under its own rules; '
            'ties cross regions, so an unscored region can be chilled through them.</p>')
    head = ["region", "residents"]
    for _, title in REGION_COLUMNS:
        head += [title, "95% interval"]
    return html + H.table(head, region_rows(summary), numeric=set(range(1, len(head))))


def _meanings() -> dict[str, str]:
    return {m.name: m.meaning for m in (*METRICS, *SUMMARY_METRICS)}


def run_report(run_dir: Path, rendered: Rendered, result: Any = None, replay: bool = True,
               extra: list[tuple[str, str, Callable[[], Figure]]] | None = None
               ) -> tuple[str, str, list[tuple[str, str]], str]:
    """Figures and sections of a run report."""
    summary = _read_json(run_dir / "summary.json")
    manifest = _read_json(run_dir / "manifest.json") if (run_dir / "manifest.json").is_file() \
        else {}
    try:
        metrics = pd.read_parquet(run_dir / "metrics.parquet")
        resolved = tomllib.loads((run_dir / "scenario.toml").read_text())
    except (OSError, ValueError) as exc:
        raise ReportError(f"'{run_dir}' cannot be read: {exc}") from None
    scores = final_scores(run_dir, result, replay)
    sc = resolved.get("scoring", {})
    thresholds = {k: resolved.get("sanctions", {}).get(f"threshold_{k}") for k in SANCTIONS}
    thresholds = {k: v for k, v in thresholds.items() if v is not None}
    events = [(ev["day"], ev["label"]) for ev in summary.get("events", [])]
    builders: dict[str, Callable[[], Figure]] = {
        "expressed_dissent": lambda: F.expressed_dissent(metrics, events),
        "preference_falsification": lambda: F.preference_falsification(metrics, events),
        "flags_by_sensor": lambda: F.flags_by_sensor(metrics),
        "wrongful_sanctions": lambda: F.wrongful_sanctions(metrics, events),
        "isolation": lambda: F.isolation(metrics, events),
        "score_distribution": lambda: F.score_distribution(
            scores or {}, (sc.get("score_min", 350.0), sc.get("score_max", 950.0)), thresholds),
        "sanction_rates": lambda: F.sanction_rates(summary),
    }
    for name, caption in F.RUN_FIGURES:
        if name == "score_distribution" and not scores:
            continue
        rendered.add(name, F.run_caption(name, caption, summary), builders[name]())
    for name, caption, build in extra or []:
        rendered.add(name, caption, build())

    title = f"panoptisim run: {scenario_title(resolved)}"
    subtitle = (f"{summary['regime']} regime · {summary['population']:,} synthetic agents × "
                f"{summary['steps']} days · seed {summary['seed']} · "
                f"{summary['replicates']} replicate(s) · arms: {', '.join(summary['arms'])}")
    intro = ""
    if summary["replicates"] < 2:
        intro = ('<p class="note">One replicate: no 95% interval. Set '
                 '<code>run.replicates</code> to 2 or more for intervals.</p>')
    for sm in SUMMARY_METRICS:  # the paired ones are the run's effect in one number each
        ch = summary["metrics"].get(sm.name)
        if sm.over != "pair" or ch is None:
            continue
        intro += (f"<p>{H.esc(sm.label)} <strong>{H.esc(H.fmt(ch.get('effect')))}</strong>"
                  + (f" (95% interval {H.esc(H.fmt(ch['ci95'][0]))} to "
                     f"{H.esc(H.fmt(ch['ci95'][1]))})" if ch.get("ci95") else "")
                  + f": {H.esc(sm.meaning)}</p>")
    burn_in = summary.get("burn_in")
    if burn_in is not None and burn_in < summary["steps"]:
        intro += (f'<p class="note">Steady state: the same metrics over days {burn_in} to '
                  f'{summary["steps"] - 1} only (the first {burn_in} days, '
                  '<code>run.burn_in</code>, left out): the effect (or the treated value '
                  'without a control arm) with its 95% interval, counts and rates as a mean '
                  'per day and the chilling index over those days; "–" for end-of-run '
                  'values.</p>')
    effects = intro + H.table(["metric", "treated", "control", "effect", "95% interval",
                               "over the run", "meaning", "steady state",
                               "95% interval"], headline_rows(summary),
                              numeric={1, 2, 3, 4, 7, 8})
    figs = "".join(H.figure(n, png, cap, files) for n, cap, png, files in rendered.items)
    sections = [("Headline effects", effects)]
    if region_section(summary):
        sections.append(("Regions", region_section(summary)))
    if events:
        sections.append(("Event study", event_section(summary)))
    sections += [("Figures", figs), ("Scenario", scenario_table(resolved))]
    footer = (f"panoptisim {manifest.get('panoptisim_version', __version__)} · scenario hash "
              f"{manifest.get('scenario_hash', '?')[:16]} · run folder {run_dir.name} · "
              "synthetic agents only; sensors are modelled by their error rates.")
    return title, subtitle, sections, footer


# ----------------------------------------------------------------------- sweeps
def sweep_caption(info: dict[str, Any], table: pd.DataFrame, metric: str,
                  skipped: list[str]) -> str:
    """A sweep figure's caption: what is drawn, over how many replicates, agents and days,
    with which interval; ``skipped`` names the headline metrics left out as flat."""
    label, unit = SF.metric_axis(metric)
    arm = SF.metric_arm(table, metric)
    what = "the effect, treated − control," if arm == "effect" else "the treated arm's value"
    bars = ("error bars (shifted sideways where lines share a value)" if info["design"] == "grid"
            else "error bars")
    text = (f"{label} ({metric}; {unit or 'no unit'}): {what} at each point of the sweep, "
            f"mean over its {info['replicates']} replicate(s) of {info['population']:,} "
            f"synthetic agents × {info['steps']} days; {bars}: "
            f"{SF.interval_text(table[table['metric'] == metric])} over the "
            "replicates (none with one replicate). One panel per swept parameter; a "
            "log-spaced parameter is drawn on a log axis.")
    if skipped:
        text += " " + SF.skipped_text(skipped)
    return text


def sweep_report(sweep_dir: Path, rendered: Rendered) -> tuple[str, str, list, str]:
    """Figures and sections of a sweep report."""
    info = _read_json(sweep_dir / "sweep.json")
    path = sweep_dir / "summary.parquet"
    if path.is_file():
        table = pd.read_parquet(path)
    else:
        from panoptisim.experiments.aggregate import summarize_sweep

        table = summarize_sweep(sweep_dir, write=False)
    axes = info.get("axes", [])
    params = {p.key: p for p in iter_params()}
    units = {k: p.unit for k, p in params.items()}
    described = {k: p.description for k, p in params.items()}
    metrics = [m for m in HEADLINE if m in set(table["metric"])]
    drawn = [m for m in metrics if SF.varies(table, m)]
    flat = [m for m in metrics if m not in drawn]
    for i, m in enumerate(drawn if axes else []):
        rendered.add(f"sweep_{m}", sweep_caption(info, table, m, flat if i == 0 else []),
                     SF.metric_vs_parameters(table, m, axes, info["design"], units, described))
    sens = []
    folder = sweep_dir / "sensitivity"
    for p in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        frame = pd.read_parquet(p)
        if frame.empty:
            continue
        stem = p.name[:-len(".parquet")].replace(".", "_")
        rendered.add(f"sensitivity_{stem}", SF.sensitivity_caption(frame),
                     SF.sensitivity_bars(frame))
        sens.append(stem)

    ax_rows = [[a["key"], a["kind"], ", ".join(map(str, a["values"])) if a.get("values")
                else f"[{a.get('min')}, {a.get('max')}]" + (" log" if a.get("log") else ""),
                units.get(a["key"], "")] for a in axes]
    about = H.table(["design", "points", "replicates per point", "runs", "root seed",
                     "population", "days", "base scenario"],
                    [[info["design"], info["n_points"], info["replicates"], info["n_runs"],
                      info["root_seed"], info["population"], info["steps"],
                      info["base_scenario"]]])
    about += H.table(["swept parameter", "kind", "values", "unit"], ax_rows)
    # the headline metrics at each point: the effect (or treated without a control arm)
    head = table[table["metric"].isin(HEADLINE)]
    head = head[head.apply(lambda r: r["arm"] == SF.metric_arm(table, r["metric"]), axis=1)]
    keys = [a["key"] for a in axes]
    rows = [[*(r[k] for k in keys), r["metric"], r["arm"], r["n"], r["mean"],
             f"[{H.fmt(r['ci_low'])}, {H.fmt(r['ci_high'])}]"] for _, r in
            head.head(300).iterrows()]
    effects = H.table([*keys, "metric", "arm", "n", "mean", "95% interval"], rows,
                      numeric={len(keys) + 2, len(keys) + 3, len(keys) + 4})
    if not sens and info["design"] in ("sobol", "morris", "lhs"):
        effects += ('<p class="note">No sensitivity indices yet: run <code>panoptisim '
                    'sensitivity SWEEP_DIR</code>, then report again.</p>')
    base = sweep_dir / "base.toml"
    try:
        resolved = tomllib.loads(base.read_text())
        scen = scenario_table(resolved)
    except (OSError, ValueError):
        scen = "<p>base.toml is missing.</p>"
    figs = "".join(H.figure(n, png, cap, files) for n, cap, png, files in rendered.items)
    if flat and axes:
        figs = (f'<p class="note">{H.esc(SF.skipped_text(flat))}</p>') + figs
    sections = [("Sweep", about), ("Headline effects", effects), ("Figures", figs),
                ("Base scenario", scen)]
    title = f"panoptisim sweep: {info['name']}"
    subtitle = (f"{info['design']} design · {info['n_points']} points × {info['replicates']} "
                f"replicate(s) · {info['population']:,} synthetic agents × {info['steps']} days")
    footer = (f"panoptisim {info.get('panoptisim_version', __version__)} · sweep "
              f"{info['sweep_id']} · synthetic agents only.")
    return title, subtitle, sections, footer


# ------------------------------------------------------------------ calibrations
#: Columns of the parameter and target tables of a calibration report (HTML; the PDF's
#: cover takes the first five of each).
PARAMETER_HEADERS = ["parameter", "median", "50% interval", "90% interval", "prior", "unit",
                     "90% width / prior's", "constrained"]
TARGET_HEADERS = ["target", "published ± se", "simulated median", "simulated 90%", "z",
                  "verdict", "published in simulated 90%", "source"]


def parameter_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """Per calibrated parameter: posterior median, 50% and 90% credible intervals, the prior,
    the unit, the 90% width as a share of the prior's, and whether it is constrained."""
    rows = []
    for key, p in doc["parameters"].items():
        prior = p["prior"]
        rows.append([key, p["median"], _interval(p["ci50"]), _interval(p["ci90"]),
                     f"{prior['kind']} [{H.fmt(prior['min'])}, {H.fmt(prior['max'])}]",
                     p.get("unit", ""), f"{p['width_vs_prior']:.0%}",
                     "yes" if p["constrained"] else "no"])
    return rows


def target_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """Per target: published value ± se, simulated median and 90% band under the posterior,
    z, the verdict (fits or MISFIT), whether the band covers the published value, source."""
    rows = []
    for name, t in doc["targets"].items():
        rows.append([name, f"{H.fmt(t['published'])} ± {H.fmt(t['se'])}",
                     t["simulated_median"], _interval(t["simulated_90"]), f"{t['z']:+.2f}",
                     "fits" if t["verdict"] == "fits" else "MISFIT",
                     "yes" if t.get("published_in_90") else "no", t.get("source", "")])
    return rows


def _targets_file(folder: Path) -> tuple[str, dict[str, Any]]:
    """The folder's copy of the targets file, as text and parsed ("" and {} if absent or
    unreadable: it only adds descriptions and the stopping rules)."""
    try:
        text = (folder / "targets.toml").read_text()
        return text, tomllib.loads(text)
    except (OSError, ValueError):
        return "", {}


def calibration_report(folder: Path, rendered: Rendered) -> tuple[str, str, list, str]:
    """Figures and sections of a calibration report."""
    doc = _read_json(folder / "calibration.json")
    posterior = _read_parquet(folder / "posterior.parquet")
    gens = _read_parquet(folder / "generations.parquet")
    predictive = _read_parquet(folder / "predictive.parquet")
    text, spec = _targets_file(folder)
    described = {t.get("name"): CF.describe_target(t) for t in spec.get("target", [])}
    section = CalibrationSection.model_fields
    settings = spec.get("calibration", {})
    stops = {k: settings.get(k, section[k].default) for k in ("min_epsilon", "min_acceptance")}
    params, targets = doc["parameters"], doc["targets"]
    missing = [k for k in params if k not in posterior] + \
        [f"target:{k}" for k in targets if f"target:{k}" not in predictive]
    if missing:
        raise ReportError(f"'{folder}' does not match its calibration.json: column(s) "
                          f"{', '.join(missing)} missing from its parquet files")
    builders: dict[str, Callable[[], Figure]] = {
        "posterior_marginals": lambda: CF.posterior_marginals(posterior, params),
        "predictive_check": lambda: CF.predictive_check(predictive, targets, described),
        "posterior_pairs": lambda: CF.posterior_pairs(posterior, params),
        "generations": lambda: CF.generations(gens, **stops),
    }
    for name, caption in CF.CALIBRATION_FIGURES:
        if name == "posterior_pairs" and len(params) < 2:
            continue  # one parameter: the marginal says it all
        rendered.add(name, CF.calibration_caption(name, caption, doc, len(predictive)),
                     builders[name]())

    about = (f"<p><strong>Stopped:</strong> {H.esc(doc['stopped'])}.</p>"
             f"<p>{H.esc(doc['method'])}: {doc['generations']} generation(s) of "
             f"{doc['particles']} particles, {doc['simulations']:,} simulations, each "
             f"{_runs_text(doc)}; final threshold ε = "
             f"{H.esc(H.fmt(doc['epsilon']))} published standard errors. Definitions: "
             "docs/calibration.md.</p>")
    if doc.get("unconstrained"):
        about += ('<p class="note">Left unconstrained by the targets (the posterior is '
                  'mostly the prior): ' + H.esc(", ".join(doc["unconstrained"])) + ".</p>")
    if doc.get("misfits"):
        about += ('<p class="note"><strong>MISFIT</strong> (the model does not reach them '
                  'under these priors): ' + H.esc(", ".join(doc["misfits"])) + ".</p>")
    pars = ('<p class="note">Weighted quantiles of the last generation\'s particles: median, '
            'equal-tailed 50% and 90% credible intervals. A parameter is unconstrained when '
            'its 90% interval spans more than 80% of its prior\'s 90% interval (on the '
            'prior\'s scale).</p>')
    pars += H.table(PARAMETER_HEADERS, parameter_rows(doc), numeric={1, 2, 3, 6})
    tgts = (f'<p class="note">Each target simulated under {len(predictive)} draws from the '
            'posterior: z = (simulated mean − published) / sqrt(se² + simulated sd²); '
            'MISFIT when |z| &gt; 2.</p>')
    tgts += H.table(TARGET_HEADERS, target_rows(doc), numeric={1, 2, 3, 4})
    figs = "".join(H.figure(n, png, cap, files) for n, cap, png, files in rendered.items)
    sections = [("Calibration", about), ("Parameters", pars), ("Targets", tgts),
                ("Figures", figs)]
    if text:
        sections.append(("Targets file", f"<pre>{H.esc(text)}</pre>"))
    title = f"panoptisim calibration: {doc['calibration']}"
    subtitle = (f"{len(params)} parameter(s), {len(targets)} target(s) · "
                f"{doc['generations']} generation(s) × {doc['particles']} particles · "
                f"{doc['simulations']:,} simulations · stopped: {doc['stopped']}")
    footer = (f"panoptisim {__version__} · calibration folder {folder.name} · aggregate "
              "published statistics against synthetic agents only.")
    return title, subtitle, sections, footer


#: Columns of a comparison's table; under a posterior the interval is over the draws and
#: :data:`POSTERIOR_HEADERS` follow.
COMPARISON_HEADERS = ["metric", "over the run", "A", "B", "B − A", "95% interval",
                      "relative to A"]
POSTERIOR_HEADERS = ["95% interval (seeds only)", "parameters' share"]


def comparison_headers(doc: dict[str, Any]) -> list[str]:
    """The columns of a comparison's table."""
    return COMPARISON_HEADERS + (POSTERIOR_HEADERS if doc.get("draws") else [])


def comparison_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """One row per headline result of a comparison."""
    rows = []
    for name, r in doc["results"].items():
        rel = r.get("relative")
        row = [name, r.get("aggregate", ""), H.fmt(r["a"]), H.fmt(r["b"]),
               H.fmt(r["difference"]), _interval(r.get("ci95")),
               "–" if rel is None else f"{rel:+.1%}"]
        if doc.get("draws"):
            row += [_interval(r.get("ci95_seed")), H.fmt(r.get("parameter_share"))]
        rows.append(row)
    return rows


def comparison_report(folder: Path, rendered: Rendered) -> tuple[str, str, list, str]:
    """The report of a comparison folder: what was compared, the table and the figure."""
    doc = _read_json(folder / "comparison.json")
    a, b = doc["a"]["name"], doc["b"]["name"]
    rendered.add("paired_differences", KF.caption(doc), KF.paired_differences(doc))
    under = (f" under {doc['draws']} draws from the posterior of {doc['posterior']} (each "
             "draw's parameters and seed shared by A and B)" if doc.get("draws") else "")
    about = (f"<p>A = <strong>{H.esc(a)}</strong>, B = <strong>{H.esc(b)}</strong>: "
             f"{doc['population']:,} synthetic agents × {doc['steps']} days, "
             f"{doc['replicates']} paired replicates from root seed {doc['seed']} (replicate "
             f"r of A and B share their random numbers){H.esc(under)}. Each value is the "
             "run's effect, treated − control, in the metric's unit as in summary.json (the "
             "treated value without a control arm); B − A is the mean of the replicates' "
             "paired differences. Method: " + H.esc(
                 next(iter(doc["results"].values()))["method"]) + ".</p>")
    if doc.get("overrides"):
        about += ("<p>Set in both: " + H.esc(", ".join(
            f"{k} = {v}" for k, v in doc["overrides"].items())) + ".</p>")
    headers = comparison_headers(doc)
    table = H.table(headers, comparison_rows(doc), numeric=set(range(2, len(headers))))
    figs = "".join(H.figure(n, png, cap, files) for n, cap, png, files in rendered.items)
    title = f"panoptisim comparison: {b} − {a}"
    subtitle = (f"{doc['replicates']} paired replicates · {doc['population']:,} agents × "
                f"{doc['steps']} days · seed {doc['seed']}"
                + (f" · {doc['draws']} posterior draws" if doc.get("draws") else ""))
    footer = (f"panoptisim {__version__} · comparison folder {folder.name} · synthetic "
              "agents only.")
    return title, subtitle, [("Comparison", about), ("Paired differences", table),
                             ("Figures", figs)], footer


# ------------------------------------------------------------------------ write
#: The run report's PDF cover table.
HEADLINE_HEADERS = ["metric", "treated", "control", "effect", "95% interval"]
#: Height of a cover table's row, as a share of the A4 page.
_ROW_HEIGHT = 0.022


def _cover(title: str, subtitle: str, tables: list[tuple[list[str], list[list[Any]]]]
           ) -> Figure:
    """A PDF's first page (A4): the title, the subtitle and ``tables`` (headers, rows) one
    below the other."""
    cover = Figure(figsize=(8.27, 11.69))
    cover.text(0.06, 0.95, title, fontsize=16, weight="bold", va="top")
    cover.text(0.06, 0.92, subtitle, fontsize=8, va="top", wrap=True)
    top = 0.89
    for headers, rows in tables:
        if not rows:
            continue
        height = min(_ROW_HEIGHT * (len(rows) + 1), top - 0.05)
        ax = cover.add_axes((0.06, top - height, 0.88, height))
        ax.axis("off")
        tab = ax.table(cellText=[[str(H.fmt(c)) for c in r] for r in rows],
                       colLabels=headers, loc="upper left", cellLoc="left")
        tab.auto_set_font_size(False)
        tab.set_fontsize(7)
        tab.auto_set_column_width(list(range(len(headers))))  # long keys are not clipped
        tab.scale(1, 1.3)
        top -= height + 0.04
    return cover


def _pdf(path: Path, title: str, subtitle: str, rendered: Rendered,
         tables: list[tuple[list[str], list[list[Any]]]]) -> None:
    """A PDF: the cover (:func:`_cover`), then one page per figure."""
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    with styled(), PdfPages(buf, metadata={"Title": title, "CreationDate": None}) as pdf:
        pdf.savefig(_cover(title, subtitle, tables))
        for fig in rendered.figures:
            pdf.savefig(fig)
    write_bytes_atomic(path, buf.getvalue())


def write_report(path: str | Path, *, fmt: str = "html", out: str | Path | None = None,
                 result: Any = None, replay: bool = True, figures: bool = True,
                 extra: list[tuple[str, str, Callable[[], Figure]]] | None = None) -> Path:
    """Write the report of a run, sweep, calibration or comparison folder and return its path.

    Writes ``report.html`` (or ``report.pdf``) in the folder unless ``out`` names a file,
    and every figure as PNG and SVG in ``figures/`` beside the report (``figures=False``
    skips the files). ``result`` (a ``panoptisim.Result``) gives the final agents for the
    score distribution; without it they are replayed from the scenario and seed
    (``replay=False`` leaves that figure out). Raises ReportError for a bad folder.
    """
    if fmt not in FORMATS:
        raise ReportError(f"--format {fmt!r} is not allowed (allowed: {' | '.join(FORMATS)})")
    folder = Path(path)
    kind = kind_of(folder)
    target = Path(out) if out is not None else folder / f"report.{fmt}"
    if target.is_dir():
        raise ReportError(f"--out '{target}' is a folder: give a file name, e.g. "
                          f"{target / ('report.' + fmt)}")
    rendered = Rendered(target.parent / FIGURE_DIR if figures else None)
    if kind == "run":
        title, subtitle, sections, footer = run_report(folder, rendered, result, replay, extra)
        tables = [(HEADLINE_HEADERS,
                   [r[:5] for r in headline_rows(_read_json(folder / "summary.json"))])]
    elif kind == "comparison":
        title, subtitle, sections, footer = comparison_report(folder, rendered)
        doc = _read_json(folder / "comparison.json")
        tables = [(comparison_headers(doc), comparison_rows(doc))]
    elif kind == "calibration":
        title, subtitle, sections, footer = calibration_report(folder, rendered)
        doc = _read_json(folder / "calibration.json")
        tables = [(PARAMETER_HEADERS[:5], [r[:5] for r in parameter_rows(doc)]),
                  (TARGET_HEADERS[:6], [r[:6] for r in target_rows(doc)])]
    else:
        title, subtitle, sections, footer = sweep_report(folder, rendered)
        tables = []
    if fmt == "pdf":
        _pdf(target, title, subtitle, rendered, tables)
    else:
        write_bytes_atomic(target, H.page(title, subtitle, sections, footer).encode("utf-8"))
    return target

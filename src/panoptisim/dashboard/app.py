"""The dashboard: pick a built-in scenario, change any parameter, run it, watch the charts
as the days pass (over the last runs, faded), draw the network of a small society,
download the run folder.

Built on Panel (HoloViz) with Bokeh charts; the only hand-written JavaScript is the short
script that names the slider handles for screen readers (:data:`LABEL_SLIDERS`). Each
browser session gets its own ``Dashboard``. The simulation runs in a background thread
(:func:`panoptisim.dashboard.live.stream_run`) that appends one row of aggregates per day
to a buffer; a periodic callback on the session's event loop moves new rows into the
charts' data sources, so the page stays responsive for a run of any size. A new run keeps
the last finished runs as faded overlays named by what changed (:func:`what_changed`).
The charts mark the run's timeline entries with labelled vertical lines
(:func:`mark_events`). Bad input (a value outside the schema's range, a run that fails)
shows a message in the page; the server keeps running.
"""

from __future__ import annotations

import io
import math
import shutil
import signal
import tempfile
import threading
import traceback
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import panel as pn
from bokeh.core.properties import value as text_value
from bokeh.models import ColumnDataSource, CustomJS, DataRange1d, Label, Legend, LegendItem, Span
from bokeh.plotting import figure

from panoptisim import faults
from panoptisim.dashboard.access import TokenAuth, origins, warn_exposure
from panoptisim.dashboard.controls import ParamControl
from panoptisim.dashboard.controls import show as show_value
from panoptisim.dashboard.live import Cancelled, stream_run
from panoptisim.eventstudy import marks
from panoptisim.report.network import MAX_AGENTS
from panoptisim.report.style import ARM_COLOR, FALSE_COLOR, TRUE_COLOR
from panoptisim.scenario import (
    Scenario,
    ScenarioError,
    builtin_names,
    flatten,
    iter_params,
    load_scenario,
)

#: The parameters the dashboard exposes (dotted keys of the schema), in display order.
KEY_PARAMS = (
    "population.size", "run.steps", "run.seed", "run.replicates",
    "scoring.regime", "scoring.w_political", "scoring.w_network",
    "surveillance.cameras.fpir", "surveillance.online.p_scan",
    "surveillance.informants.p_informant",
    "safeguards.appeals", "safeguards.transparent", "safeguards.forgiveness",
    "sanctions.enabled",
)
SERIES = ("expressed_dissent_rate", "preference_falsification_rate",
          "dissenter_degree_ratio", "isolated_dissenters_share", "score_mean")
REFRESH_MS = 300
#: How many earlier runs the charts keep as faded overlays.
OVERLAYS = 3
OVERLAY_ALPHA = 0.3
EARLIER = "earlier run"
#: What the network tab says until a drawing of the current run is ready.
NET_HINT = f"The network view draws societies of up to {MAX_AGENTS:,} agents after a run."
#: Names the slider handles (noUiSlider elements Bokeh draws without an accessible name)
#: after the page is built: ``labels`` maps a slider's CSS class to its parameter's label.
LABEL_SLIDERS = """
const walk = (root) => { for (const el of root.querySelectorAll('*')) {
  for (const [cls, text] of Object.entries(labels)) if (el.classList.contains(cls))
    for (const h of (el.shadowRoot || el).querySelectorAll('[role=slider]'))
      h.setAttribute('aria-label', text);
  if (el.shadowRoot) walk(el.shadowRoot); } };
walk(document);
"""


def _chart(title: str, y_label: str, sources: list[ColumnDataSource],
           lines: list[tuple[str, str, str, str]], from_zero: bool = True) -> Any:
    """A chart of the live run (``sources[0]``) over the previous runs' faded overlays
    (``sources[1:]``, one legend entry each, hidden while empty). The legend sits right of
    the plot, never over the data; the y axis fits the data, from 0 for counts and shares."""
    y_range = DataRange1d(start=0, only_visible=True) if from_zero else \
        DataRange1d(only_visible=True)
    fig = figure(title=title, height=260, sizing_mode="stretch_width", x_axis_label="day",
                 y_axis_label=y_label, toolbar_location=None, y_range=y_range)
    items = []
    for column, label, color, dash in lines:
        line = fig.line("day", column, source=sources[0], color=color, line_width=2,
                        line_dash=dash)
        items.append(LegendItem(label=text_value(label), renderers=[line]))
    for i, source in enumerate(sources[1:]):
        faded = [fig.line("day", column, source=source, color=color, line_width=1.5,
                          line_dash=dash, alpha=OVERLAY_ALPHA, name=overlay_name(i))
                 for column, _, color, dash in lines]
        items.append(LegendItem(label=text_value(EARLIER), renderers=faded, visible=False,
                                name=overlay_name(i)))
    fig.add_layout(Legend(items=items, label_text_font_size="8pt", click_policy="hide",
                          name="ps-legend"), "right")
    return fig


def overlay_name(i: int) -> str:
    """The name of the i-th previous run's data source, lines and legend entry (0: last)."""
    return f"ps-previous-{i}"


def short_value(value: Any) -> str:
    """A parameter value in an overlay's legend entry: ``on``/``off``, ``0.003``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return show_value(value) if not isinstance(value, str) else value


def what_changed(old: dict[str, Any], new: dict[str, Any], most: int = 2) -> str:
    """How an earlier run's parameters differ from the current run's, in its own values
    (``appeals off``, ``fpir 0.01, seed 7``), for its legend entry."""
    diff = [k for k in old if old[k] != new.get(k)]
    if not diff:
        return "same parameters"
    words = [f"{k.rsplit('.', 1)[-1]} {short_value(old[k])}" for k in diff[:most]]
    more = f" +{len(diff) - most} more" if len(diff) > most else ""
    return ", ".join(words) + more


#: The name of the marks :func:`mark_events` draws (it replaces them on the next run).
EVENT_MARK = "ps-event"


def mark_events(fig: Any, events: list[tuple[int, str]]) -> None:
    """Draw each timeline entry (day, label) on a chart as a labelled vertical line at the
    start of its day, replacing the previous run's."""
    fig.center = [r for r in fig.center if r.name != EVENT_MARK]
    for day, label in events:
        fig.add_layout(Span(location=day, dimension="height", line_color="#555555",
                            line_dash="dashed", line_width=1, name=EVENT_MARK))
        fig.add_layout(Label(x=day, y=4, y_units="screen", text=label, angle=math.pi / 2,
                             x_offset=-3, text_font_size="7pt", text_color="#555555",
                             name=EVENT_MARK))


@dataclass
class LiveBuffer:
    """Rows produced by the worker thread, drained by the UI (a lock guards both ends)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[dict[str, float]] = field(default_factory=list)
    replicate: int = 0
    done: int = 0
    total: int = 0
    state: str = "idle"          # idle | running | done | failed | stopped
    message: str = ""
    path: Path | None = None
    reset: bool = False


class Dashboard:
    """One browser session's dashboard."""

    def __init__(self, runs_dir: Path):
        self.runs_dir = runs_dir
        self.scenario_select = pn.widgets.Select(name="Scenario", options=builtin_names(),
                                                 value="baseline", css_classes=["ps-scenario"])
        self.description = pn.pane.Markdown("", css_classes=["ps-description"])
        self.params = {p.key: p for p in iter_params()}
        flat = flatten(load_scenario("baseline").model_dump(mode="json"))
        self.controls = {k: ParamControl(p, flat[k], slider=k in KEY_PARAMS)
                         for k, p in self.params.items()}
        self._loading = False
        for c in self.controls.values():
            c.param.watch(lambda e: None if self._loading else self.validate(), "value")
        self.form = pn.Column(*(self.controls[k] for k in KEY_PARAMS),
                              sizing_mode="stretch_width")
        self.all_params = pn.Card(
            pn.Accordion(*_sections([c for k, c in self.controls.items()
                                     if k not in KEY_PARAMS]), sizing_mode="stretch_width"),
            title="All parameters", collapsed=True, sizing_mode="stretch_width",
            css_classes=["ps-all-params"])
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["ps-error"], sizing_mode="stretch_width")
        self.run_button = pn.widgets.Button(name="Run", button_type="primary",
                                            css_classes=["ps-run"])
        self.stop_button = pn.widgets.Button(name="Stop", button_type="warning",
                                             disabled=True, css_classes=["ps-stop"])
        self.clear_button = pn.widgets.Button(name="Clear earlier runs", disabled=True,
                                              css_classes=["ps-clear"])
        self.progress = pn.indicators.Progress(name="progress", value=0, max=100,
                                               sizing_mode="stretch_width", bar_color="info")
        self.status = pn.pane.Markdown("No run yet.", css_classes=["ps-status"])
        self.download = pn.widgets.FileDownload(callback=self._zip, filename="run.zip",
                                                label="Download the run folder (.zip)",
                                                disabled=True, button_type="success",
                                                css_classes=["ps-download"])
        cols: dict[str, list[float]] = {"day": []}
        for arm in ("treated", "control"):
            cols.update({f"{m}_{arm}": [] for m in SERIES})
        cols.update({"flags_true_cum": [], "flags_false_cum": [], "wrongful_cum": [],
                     "sanctions_cum": []})
        self.source = ColumnDataSource(cols, name="ps-live")
        self.overlays = [ColumnDataSource({k: [] for k in cols}, name=overlay_name(i))
                         for i in range(OVERLAYS)]
        #: The parameters of the runs the overlays show (newest first), and of this run.
        self.earlier: list[dict[str, Any]] = []
        self.run_params: dict[str, Any] = {}
        sources = [self.source, *self.overlays]
        arms = [("treated", "-"), ("control", "dashed")]

        def per_arm(metric: str) -> list[tuple[str, str, str, str]]:
            return [(f"{metric}_{a}", a, ARM_COLOR[a], "solid" if d == "-" else d)
                    for a, d in arms]

        self.figures = [
            _chart("Expressed dissent", "share of agents per day", sources,
                   per_arm("expressed_dissent_rate")),
            _chart("Preference falsification", "share of dissenters", sources,
                   per_arm("preference_falsification_rate")),
            _chart("Flags and sanctions (treated, cumulative)", "count", sources,
                   [("flags_true_cum", "true flags", TRUE_COLOR, "solid"),
                    ("flags_false_cum", "false flags", FALSE_COLOR, "dashed"),
                    ("sanctions_cum", "sanctions", ARM_COLOR["treated"], "solid"),
                    ("wrongful_cum", "wrongful sanctions", "#000000", "dotted")]),
            _chart("Dissenters' degree ratio", "ratio (1 = no difference)", sources,
                   per_arm("dissenter_degree_ratio")),
            _chart("Isolated dissenters", "share of dissenters", sources,
                   per_arm("isolated_dissenters_share")),
            _chart("Mean score", "points", sources, per_arm("score_mean"), from_zero=False),
        ]
        self.empty = pn.pane.Alert(
            "**No run yet.** Set the parameters on the left and press **Run**: the charts "
            "fill day by day. Each new run keeps the last finished runs as faded lines, "
            "labelled by what differed.", alert_type="info", css_classes=["ps-empty"],
            sizing_mode="stretch_width")
        self.charts = pn.GridBox(*(pn.pane.Bokeh(f) for f in self.figures), ncols=2,
                                 sizing_mode="stretch_width", css_classes=["ps-charts"])
        #: The empty-state message (``self.empty``) until the first day of the first run is
        #: drawn, then the charts (a chart laid out without data has no range to show).
        self.chart_area = pn.Column(self.empty, sizing_mode="stretch_width")
        self.net_days = pn.widgets.TextInput(name="Days to draw (comma separated)",
                                             value="", css_classes=["ps-net-days"])
        self.net_button = pn.widgets.Button(name="Draw the network", disabled=True,
                                            css_classes=["ps-net-draw"])
        self.net_status = pn.pane.Markdown(NET_HINT, css_classes=["ps-net-status"])
        self.net_image = pn.pane.PNG(None, sizing_mode="stretch_width",
                                     css_classes=["ps-net-image"])
        self.buffer = LiveBuffer()
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.scenario: Scenario | None = None
        self.net_result: dict[str, Any] = {}
        self._cum = {"flags_true": 0.0, "flags_false": 0.0, "wrongful_sanctions": 0.0,
                     "sanctions_new": 0.0}

        self.scenario_select.param.watch(lambda e: self.load(e.new), "value")
        # Start and Clear change Bokeh models (sources, legend labels, event marks): Panel
        # runs a click's callback with the document unlocked, and a Bokeh model changed
        # there raised "_pending_writes should be non-None" now and then (the run never
        # started). pn.state.execute(schedule=True) runs them on the next tick, locked.
        self.run_button.on_click(lambda e: pn.state.execute(self.start, schedule=True))
        self.stop_button.on_click(lambda e: self.stop.set())
        self.clear_button.on_click(lambda e: pn.state.execute(self.clear_overlays,
                                                              schedule=True))
        self.net_button.on_click(lambda e: self.draw_network())
        self.load("baseline")

    # ---------------------------------------------------------------- parameters
    def load(self, name: str) -> None:
        """Fill the form with a built-in scenario's values (one check at the end)."""
        sc = load_scenario(name)
        self.description.object = f"**{name}**: {sc.description}"
        flat = flatten(sc.model_dump(mode="json"))
        self._loading = True
        try:
            for k, c in self.controls.items():
                c.set(flat[k])
        finally:
            self._loading = False
        self.validate()

    def overrides(self) -> dict[str, Any]:
        """The form's values as dotted overrides (every parameter)."""
        return {k: c.value for k, c in self.controls.items()}

    def validate(self) -> Scenario | None:
        """Check the form against the schema; show the first problem and block Run."""
        try:
            sc = load_scenario(self.scenario_select.value, self.overrides())
        except ScenarioError as exc:
            self.run_button.disabled = True  # first: Run is blocked by the time the reason shows
            self.show_error(f"Cannot run: {exc}")
            return None
        self.alert.visible = False
        self.run_button.disabled = self.buffer.state == "running"
        return sc

    def show_error(self, text: str) -> None:
        """A clear message in the page."""
        self.alert.object = text
        self.alert.visible = True

    # ----------------------------------------------------------------------- run
    def start(self) -> None:
        """Start the run in a background thread."""
        # The worker marks its run done before the periodic refresh() has drawn its last
        # rows, and validate() re-enables Run at once: draw them now (start runs on the
        # event loop, document locked), or the finished run would be kept incomplete.
        self.refresh()
        if self.buffer.state == "running":
            return
        sc = self.validate()
        if sc is None:
            return
        too_big = _memory_problem(sc)
        if too_big:
            self.show_error(too_big)
            return
        self.scenario = sc
        params = {"scenario": self.scenario_select.value, **self.overrides()}
        if self.run_params and self.buffer.state == "done":
            self.keep_overlay()
        self.run_params = params
        self.label_overlays()
        for fig in self.figures:  # the run's timeline, drawn before its first day
            mark_events(fig, marks(sc.timeline))
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = self.runs_dir / f"{sc.name}-seed{sc.run.seed}-{stamp}"
        # the Bokeh source is only touched in refresh(), which holds the document lock
        self.buffer = LiveBuffer(state="running", total=sc.run.steps * sc.run.replicates,
                                 reset=True)
        self.stop.clear()
        self.run_button.disabled = True
        self.stop_button.disabled = False
        self.download.disabled = True
        self.net_button.disabled = True
        # a drawing of the previous run still under way must not show (nor re-enable Draw)
        self.net_result = {}
        self.net_image.object = None
        self.net_status.object = NET_HINT
        self.status.object = f"Running {sc.name}: {sc.population.size:,} agents × " \
                             f"{sc.run.steps} days …"
        buf, stop = self.buffer, self.stop

        def work() -> None:
            def on_day(rep: int, day: int, row: dict, done: int, total: int) -> None:
                faults.check("dashboard.day", f"seed={sc.run.seed}/day={day}")  # tests only
                flat = {"day": day}
                for arm, values in row.items():
                    flat.update({f"{k}_{arm}": v for k, v in values.items()})
                with buf.lock:
                    if rep != buf.replicate:
                        buf.replicate, buf.reset, buf.rows = rep, True, []
                    buf.rows.append(flat)
                    buf.done, buf.total = done, total
            try:
                _, path = stream_run(sc, out, on_day, stop)
                with buf.lock:
                    buf.state, buf.path = "done", path
            except Cancelled:
                with buf.lock:
                    buf.state, buf.message = "stopped", "Run stopped: no run folder written."
            except Exception as exc:  # a failed run is a message, never a dead server
                traceback.print_exc()
                with buf.lock:
                    buf.state = "failed"
                    buf.message = f"The run failed: {type(exc).__name__}: {exc}"

        self.thread = threading.Thread(target=work, name="panoptisim-run", daemon=True)
        self.thread.start()

    def keep_overlay(self) -> None:
        """Keep the finished run's lines as the newest overlay (the oldest drops out)."""
        for i in range(OVERLAYS - 1, 0, -1):
            self.overlays[i].data = dict(self.overlays[i - 1].data)
        self.overlays[0].data = dict(self.source.data)
        self.earlier = [self.run_params, *self.earlier][:OVERLAYS]

    def label_overlays(self) -> None:
        """Name each overlay by how its run differs from the current one; hide empty ones."""
        labels = [f"earlier: {what_changed(old, self.run_params)}" for old in self.earlier]
        for fig in self.figures:
            for item in fig.legend[0].items:
                if item.name and item.name.startswith("ps-previous-"):
                    i = int(item.name.rsplit("-", 1)[1])
                    item.visible = i < len(labels)
                    item.label = text_value(labels[i] if i < len(labels) else EARLIER)
            for r in fig.renderers:
                if r.name and r.name.startswith("ps-previous-"):
                    r.visible = int(r.name.rsplit("-", 1)[1]) < len(labels)
        self.clear_button.disabled = not labels

    def clear_overlays(self) -> None:
        """Drop the earlier runs' lines."""
        for source in self.overlays:
            source.data = {k: [] for k in source.data}
        self.earlier = []
        self.label_overlays()

    def refresh(self) -> None:
        """Move new rows into the charts (runs on the session's event loop)."""
        buf = self.buffer
        with buf.lock:
            rows, buf.rows = buf.rows, []
            reset, buf.reset = buf.reset, False
            state, done, total = buf.state, buf.done, buf.total
            message, path, rep = buf.message, buf.path, buf.replicate
        if reset:
            self.source.data = {k: [] for k in self.source.data}
            self._cum = dict.fromkeys(self._cum, 0.0)
        if rows:
            new: dict[str, list[float]] = {k: [] for k in self.source.data}
            for r in rows:
                for k in self._cum:
                    self._cum[k] += r.get(f"{k}_treated", 0.0)
                r = dict(r, flags_true_cum=self._cum["flags_true"],
                         flags_false_cum=self._cum["flags_false"],
                         wrongful_cum=self._cum["wrongful_sanctions"],
                         sanctions_cum=self._cum["sanctions_new"])
                for k in new:
                    new[k].append(r.get(k, float("nan")))
            self.source.stream(new)
            if self.charts not in self.chart_area.objects:
                self.chart_area.objects = [self.charts]
        if total:
            self.progress.value = int(100 * done / total)
        if state == "running" and total:
            reps = self.scenario.run.replicates if self.scenario else 1
            self.status.object = (f"Running: day {done - rep * (total // max(reps, 1))} of "
                                  f"{total // max(reps, 1)} (replicate {rep + 1} of {reps}); "
                                  f"{len(self.source.data['day'])} days drawn.")
        if state in ("done", "failed", "stopped") and self.stop_button.disabled is False:
            self.stop_button.disabled = True
            self.validate()
            if state == "done":
                self.status.object = (f"Done: {len(self.source.data['day'])} days drawn. Run "
                                      f"folder: `{path}`")
                self.download.disabled = False
                self.download.filename = f"{path.name}.zip"
                if self.scenario and self.scenario.population.size <= MAX_AGENTS:
                    steps = self.scenario.run.steps
                    if not self.net_days.value:
                        self.net_days.value = f"0, {steps // 2}, {steps - 1}"
                    self.net_button.disabled = False
            else:
                self.status.object = message
                self.show_error(message)
        self._refresh_network()

    # ------------------------------------------------------------------ download
    def _zip(self) -> io.BytesIO:
        path = self.buffer.path
        out = io.BytesIO()
        if path is None:
            return out
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(path.rglob("*")):
                if f.is_file():
                    zf.write(f, Path(path.name) / f.relative_to(path))
        out.seek(0)
        return out

    # ------------------------------------------------------------------- network
    def draw_network(self) -> None:
        """Replay the run's society in a thread and draw it at the chosen days."""
        sc = self.scenario
        if sc is None:
            return
        try:
            days = sorted({int(d) for d in self.net_days.value.split(",") if d.strip()})
            if not days or min(days) < 0 or max(days) >= sc.run.steps:
                raise ValueError
        except ValueError:
            self.show_error(f"Days to draw: give whole days between 0 and {sc.run.steps - 1}, "
                            f"separated by commas (e.g. 0, {sc.run.steps - 1}).")
            return
        self.alert.visible = False
        self.net_button.disabled = True
        self.net_status.object = "Drawing the network …"
        result = self.net_result = {"state": "running"}

        def work() -> None:
            from panoptisim.report.network import network_figure, record_snapshots

            try:
                fig = network_figure(record_snapshots(sc, days, arms=("treated",)))
                buf = io.BytesIO()
                fig.savefig(buf, format="png")
                result.update(state="done", png=buf.getvalue())
            except Exception as exc:
                traceback.print_exc()
                result.update(state="failed", message=f"The network view failed: {exc}")

        threading.Thread(target=work, name="panoptisim-network", daemon=True).start()

    def _refresh_network(self) -> None:
        res = self.net_result
        if res.get("state") == "done":
            self.net_image.object = res["png"]
            self.net_status.object = "Network drawn (treated arm): colour is the score, " \
                                     "vermillion triangles are dissenters, orange lines are " \
                                     "cut ties."
            self.net_button.disabled = False
            self.net_result = {}
        elif res.get("state") == "failed":
            self.show_error(res["message"])
            self.net_status.object = res["message"]
            self.net_button.disabled = False
            self.net_result = {}

    # -------------------------------------------------------------------- layout
    def view(self) -> pn.template.BaseTemplate | pn.Column:
        """The page."""
        pn.state.add_periodic_callback(self.refresh, period=REFRESH_MS)
        pn.state.on_session_destroyed(lambda _ctx: self.stop.set())  # tab closed: stop
        labels = {c.slider.css_classes[0]: f"{c.field.name}, slider"
                  for c in self.controls.values() if c.slider is not None}
        pn.state.curdoc.js_on_event("document_ready",
                                    CustomJS(args={"labels": labels}, code=LABEL_SLIDERS))
        side = pn.Column("## Scenario", self.scenario_select, self.description,
                         pn.Row(self.run_button, self.stop_button),
                         "## Key parameters", self.form, self.all_params,
                         width=400)
        main = pn.Column(
            "# panoptisim dashboard",
            "Synthetic societies only; sensors are modelled by their error rates.",
            self.alert, self.status, self.progress,
            pn.Row(self.download, self.clear_button),
            pn.Tabs(("Charts", self.chart_area),
                    ("Network", pn.Column(self.net_status, pn.Row(self.net_days,
                                                                  self.net_button),
                                          self.net_image)),
                    dynamic=False),
            sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def _sections(controls: list[ParamControl]) -> list[tuple[str, pn.Column]]:
    """The controls in one folding section per part of the schema (``behavior``,
    ``surveillance.cameras`` ...), in the schema's order; a browser lays out a section's
    fields only when it is opened."""
    sections: dict[str, list[ParamControl]] = {}
    for c in controls:
        parts = c.info.key.split(".")
        sections.setdefault(".".join(parts[:2] if parts[0] == "surveillance" else parts[:1]),
                            []).append(c)
    return [(name, pn.Column(*cs, sizing_mode="stretch_width", css_classes=[
        "ps-section-" + name.replace(".", "-")])) for name, cs in sections.items()]


def _memory_problem(sc: Scenario) -> str:
    """Why the run would not fit in memory ('' if it fits)."""
    from panoptisim.footprint import check_fits

    try:
        check_fits(sc)
    except ScenarioError as exc:
        return f"Cannot run: {exc}"
    return ""


def serve(host: str = "127.0.0.1", port: int = 8050, runs_dir: Path | None = None,
          show: bool = False, token: str | None = None,
          allow_origin: tuple[str, ...] = ()) -> None:
    """Serve the dashboard until interrupted (Ctrl-C or SIGTERM), blocking; a temporary
    runs folder is removed either way."""
    pn.extension(notifications=False)
    made = runs_dir is None
    runs = Path(tempfile.mkdtemp(prefix="panoptisim-dashboard-")) if made else runs_dir
    runs.mkdir(parents=True, exist_ok=True)

    def session() -> Any:
        return Dashboard(runs).view()

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM ends the server as Ctrl-C does, cleanup included

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupted)
    extra = {"auth_provider": TokenAuth(token, port)} if token else {}
    query = "?token=<the secret>" if token else ""
    warn_exposure(host, port, token)
    print(f"panoptisim dashboard on http://{host}:{port}/{query}  (run folders in {runs}; "
          f"Ctrl-C to stop)", flush=True)
    try:
        pn.serve({"/": session}, address=host, port=port, show=show, threaded=False,
                 websocket_origin=origins(host, port, allow_origin),
                 title="panoptisim dashboard", verbose=False, **extra)
    finally:
        if made:
            shutil.rmtree(runs, ignore_errors=True)

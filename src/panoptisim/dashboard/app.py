"""The dashboard: pick a built-in scenario, change its key parameters, run it, watch the
charts as the days pass, draw the network of a small society, download the run folder.

Built on Panel (HoloViz) with Bokeh charts; no hand-written JavaScript. Each browser
session gets its own ``Dashboard``. The simulation runs in a background thread
(:func:`panoptisim.dashboard.live.stream_run`) that appends one row of aggregates per day
to a buffer; a periodic callback on the session's event loop moves new rows into the
charts' data sources, so the page stays responsive for a run of any size. The charts mark
the run's timeline entries with labelled vertical lines (:func:`mark_events`). Bad input (a
value outside the schema's range, a run that fails) shows a message in the page; the
server keeps running.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import threading
import traceback
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import panel as pn
from bokeh.models import ColumnDataSource, Label, Span
from bokeh.plotting import figure

from panoptisim import faults
from panoptisim.dashboard.live import Cancelled, stream_run
from panoptisim.eventstudy import marks
from panoptisim.report.network import MAX_AGENTS
from panoptisim.report.style import ARM_COLOR, FALSE_COLOR, TRUE_COLOR
from panoptisim.scenario import (
    ParamInfo,
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


def css_name(key: str) -> str:
    """The CSS class of a parameter's widget (for tests and styling)."""
    return "ps-" + key.replace(".", "-").replace("_", "-")


def make_widget(p: ParamInfo, value: Any) -> pn.widgets.Widget:
    """A widget for one parameter, built from its schema declaration.

    Booleans are checkboxes, choices are selects, shares in [0, 1] and weights are
    sliders with an editable field held to the schema's bounds; counts (agents, days,
    seeds) are number fields, checked against the schema's range on every change.
    """
    label = f"{p.key} ({p.unit}; {p.allowed})"
    cls = [css_name(p.key)]
    if p.annotation is bool:
        return pn.widgets.Checkbox(name=p.key, value=bool(value), css_classes=cls)
    if p.choices is not None and not isinstance(value, list):
        return pn.widgets.Select(name=label, options=list(p.choices), value=value,
                                 css_classes=cls)
    lo, hi = p.bounds.lo, p.bounds.hi
    if p.annotation is float and lo is not None and hi is not None:
        end = hi if hi <= 1 else min(hi, max(100.0, 4 * float(value or 1)))
        return pn.widgets.EditableFloatSlider(
            name=label, start=float(lo), end=float(end), value=float(value),
            fixed_start=float(lo), fixed_end=float(hi), step=(end - lo) / 1000,
            format="0[.]00000", css_classes=cls)
    return pn.widgets.IntInput(name=label, value=int(value), css_classes=cls)


def _chart(title: str, y_label: str, source: ColumnDataSource,
           lines: list[tuple[str, str, str, str]]) -> Any:
    fig = figure(title=title, height=230, sizing_mode="stretch_width", x_axis_label="day",
                 y_axis_label=y_label, toolbar_location=None)
    for column, label, color, dash in lines:
        fig.line("day", column, source=source, color=color, line_width=2, line_dash=dash,
                 legend_label=label)
    fig.legend.location = "top_left"
    fig.legend.label_text_font_size = "8pt"
    return fig


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
        self.params = {p.key: p for p in iter_params()}
        self.scenario_select = pn.widgets.Select(name="Scenario", options=builtin_names(),
                                                 value="baseline", css_classes=["ps-scenario"])
        self.description = pn.pane.Markdown("", css_classes=["ps-description"])
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self.form = pn.Column(sizing_mode="stretch_width")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["ps-error"], sizing_mode="stretch_width")
        self.run_button = pn.widgets.Button(name="Run", button_type="primary",
                                            css_classes=["ps-run"])
        self.stop_button = pn.widgets.Button(name="Stop", button_type="warning",
                                             disabled=True, css_classes=["ps-stop"])
        self.progress = pn.indicators.Progress(name="progress", value=0, max=100,
                                               sizing_mode="stretch_width", bar_color="info")
        self.status = pn.pane.Markdown("No run yet.", css_classes=["ps-status"])
        self.download = pn.widgets.FileDownload(callback=self._zip, filename="run.zip",
                                                label="Download the run folder (.zip)",
                                                disabled=True, button_type="success",
                                                css_classes=["ps-download"])
        cols = {"day": []}
        for arm in ("treated", "control"):
            cols.update({f"{m}_{arm}": [] for m in SERIES})
        cols.update({"flags_true_cum": [], "flags_false_cum": [], "wrongful_cum": [],
                     "sanctions_cum": []})
        self.source = ColumnDataSource(cols, name="ps-live")
        arms = [("treated", "-"), ("control", "dashed")]

        def per_arm(metric: str) -> list[tuple[str, str, str, str]]:
            return [(f"{metric}_{a}", a, ARM_COLOR[a], "solid" if d == "-" else d)
                    for a, d in arms]

        self.figures = [
            _chart("Expressed dissent", "share of agents per day", self.source,
                   per_arm("expressed_dissent_rate")),
            _chart("Preference falsification", "share of dissenters", self.source,
                   per_arm("preference_falsification_rate")),
            _chart("Flags and sanctions (treated, cumulative)", "count", self.source,
                   [("flags_true_cum", "true flags", TRUE_COLOR, "solid"),
                    ("flags_false_cum", "false flags", FALSE_COLOR, "dashed"),
                    ("sanctions_cum", "sanctions", ARM_COLOR["treated"], "solid"),
                    ("wrongful_cum", "wrongful sanctions", "#000000", "dotted")]),
            _chart("Dissenters' degree ratio", "ratio (1 = no difference)", self.source,
                   per_arm("dissenter_degree_ratio")),
            _chart("Isolated dissenters", "share of dissenters", self.source,
                   per_arm("isolated_dissenters_share")),
            _chart("Mean score", "points", self.source, per_arm("score_mean")),
        ]
        self.charts = pn.GridBox(*(pn.pane.Bokeh(f) for f in self.figures),
                                 ncols=2, sizing_mode="stretch_width", css_classes=["ps-charts"])
        self.net_days = pn.widgets.TextInput(name="Days to draw (comma separated)",
                                             value="", css_classes=["ps-net-days"])
        self.net_button = pn.widgets.Button(name="Draw the network", disabled=True,
                                            css_classes=["ps-net-draw"])
        self.net_status = pn.pane.Markdown(
            f"The network view draws societies of up to {MAX_AGENTS:,} agents after a run.",
            css_classes=["ps-net-status"])
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
        self.run_button.on_click(lambda e: self.start())
        self.stop_button.on_click(lambda e: self.stop.set())
        self.net_button.on_click(lambda e: self.draw_network())
        self.load("baseline")

    # ---------------------------------------------------------------- parameters
    def load(self, name: str) -> None:
        """Fill the form with a built-in scenario's values."""
        sc = load_scenario(name)
        self.description.object = f"**{name}**: {sc.description}"
        flat = flatten(sc.model_dump(mode="json"))
        self.widgets = {k: make_widget(self.params[k], flat[k]) for k in KEY_PARAMS}
        for w in self.widgets.values():
            w.param.watch(lambda e: self.validate(), "value")
        self.form.objects = list(self.widgets.values())
        self.validate()

    def overrides(self) -> dict[str, Any]:
        """The form's values as dotted overrides."""
        return {k: w.value for k, w in self.widgets.items()}

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
        self.net_image.object = None
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
        side = pn.Column("## Scenario", self.scenario_select, self.description,
                         "## Key parameters", self.form, pn.Row(self.run_button,
                                                                self.stop_button),
                         width=380)
        main = pn.Column(
            "# panoptisim dashboard",
            "Synthetic societies only; sensors are modelled by their error rates.",
            self.alert, self.status, self.progress, self.download,
            pn.Tabs(("Charts", self.charts),
                    ("Network", pn.Column(self.net_status, pn.Row(self.net_days,
                                                                  self.net_button),
                                          self.net_image)),
                    dynamic=False),
            sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def _memory_problem(sc: Scenario) -> str:
    """Why the run would not fit in memory ('' if it fits)."""
    from panoptisim.footprint import check_fits

    try:
        check_fits(sc)
    except ScenarioError as exc:
        return f"Cannot run: {exc}"
    return ""


def serve(host: str = "127.0.0.1", port: int = 8050, runs_dir: Path | None = None,
          show: bool = False) -> None:
    """Serve the dashboard until interrupted (blocking)."""
    pn.extension(notifications=False)
    made = runs_dir is None
    runs = Path(tempfile.mkdtemp(prefix="panoptisim-dashboard-")) if made else runs_dir
    runs.mkdir(parents=True, exist_ok=True)

    def session() -> Any:
        return Dashboard(runs).view()

    origins = [f"{host}:{port}", f"127.0.0.1:{port}", f"localhost:{port}"]
    print(f"panoptisim dashboard on http://{host}:{port}/  (run folders in {runs}; "
          f"Ctrl-C to stop)", flush=True)
    try:
        pn.serve({"/": session}, address=host, port=port, show=show, threaded=False,
                 websocket_origin=origins, title="panoptisim dashboard", verbose=False)
    finally:
        if made:
            shutil.rmtree(runs, ignore_errors=True)

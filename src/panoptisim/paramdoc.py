"""Generated documentation: the tables of docs/model.md and ``panoptisim params``.

Each table is rendered from its single source (the scenario schema for parameters, the
metric registry, the declarations of ``State`` and ``Today`` for state variables and the day
record) and spliced into docs/model.md between markers; ``make docs`` rewrites them and a
test fails when the committed file is out of step.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np

from panoptisim.fmt import literal
from panoptisim.metrics import METRICS, SUMMARY_METRICS
from panoptisim.scenario import Bounds, ParamInfo, iter_params
from panoptisim.scenario.params import allowed
from panoptisim.scenario.schema import RegionSpec, TimelineEntry
from panoptisim.scenario.timeline import POLICY_SECTIONS
from panoptisim.state import AXES, State, Today

START, END = "<!-- params:start -->", "<!-- params:end -->"
METRICS_START, METRICS_END = "<!-- metrics:start -->", "<!-- metrics:end -->"
STATE_START, STATE_END = "<!-- state:start -->", "<!-- state:end -->"
TODAY_START, TODAY_END = "<!-- today:start -->", "<!-- today:end -->"


#: What the "timeline" column says of a key, by what a timeline and a region may do with it.
BUILD_TIME, ANY_DAY, PER_REGION = "no (build-time)", "yes", "yes, per region"


def changes(key: str) -> str:
    """Whether a timeline entry may set ``key`` (and a region have its own value): "no
    (build-time)" for keys read when the society is built, "yes, per region" for rules of
    the system, "yes" for the rest."""
    from panoptisim.scenario.timeline import build_time, policy_key

    if build_time(key):
        return BUILD_TIME
    return PER_REGION if policy_key(key) else ANY_DAY


def region_params() -> list[ParamInfo]:
    """The fields of an entry of ``population.regions`` as parameters
    (``population.regions.N.share``), its name first."""
    name = RegionSpec.model_fields["name"]
    first = ParamInfo("population.regions.N.name", None, "-", allowed(name), "-",
                      "Region name (`[regions.<name>]` and a timeline entry's "
                      "`regions` refer to it).", str, Bounds())
    return [first] + iter_params(RegionSpec, "population.regions.N.",
                                 RegionSpec(name="region"))


def _cells(p: ParamInfo) -> list[str]:
    default = "-" if p.default is None else f"`{literal(p.default)}`"
    return [f"`{p.key.rsplit('.', 1)[1]}`", p.description, p.unit, default, p.allowed,
            p.source, changes(p.key)]


def params_markdown() -> str:
    """Markdown tables of every parameter, one per section (a column says whether a
    timeline may set it), then the fields of a region and of a timeline entry."""
    head = ["| key | meaning | unit | default | allowed | source | timeline |",
            "|---|---|---|---|---|---|---|"]
    out: list[str] = []
    section = None
    for p in iter_params():
        sec = p.key.rsplit(".", 1)[0]
        if sec != section:
            section = sec
            out += ["", f"#### `[{sec}]`", "", *head]
        out.append(_row(_cells(p)))
    out += ["", "#### `[[population.regions]]`: each region", "", *head]
    out += [_row(_cells(p)) for p in region_params()]
    out += ["", "#### `[regions.<name>]`: a region's own rules", "",
            "Keys whose timeline column says \"yes, per region\" (sections "
            f"{', '.join(f'`{s}`' for s in POLICY_SECTIONS)}), laid over the scenario's "
            "for the region's residents, e.g. `regions.rural.scoring.regime`.",
            "", "#### `[[timeline]]`: each entry", "",
            "| key | meaning | allowed |", "|---|---|---|"]
    for name, field in TimelineEntry.model_fields.items():
        rule = ("integer in [0, run.steps - 1]" if name == "day" else
                "dotted keys whose timeline column says yes" if name == "set" else
                "list of region names" if name == "regions" else
                "text" if name == "label" else allowed(field))
        out.append(_row([f"`{name}`", field.description or "", rule]))
    return "\n".join(out).strip() + "\n"


def metrics_markdown() -> str:
    """Markdown tables of the per-day metrics (and how the summary aggregates them) and of
    the summary metrics computed once per replicate from the day columns."""
    rows = ["| metric | meaning | unit (one day's value) | end-of-run value |",
            "|---|---|---|---|"]
    rows += [f"| `{m.name}` | {m.meaning} | {m.unit} | {m.aggregate} |" for m in METRICS]
    rows += ["", "| summary metric | meaning | unit | value per replicate |", "|---|---|---|---|"]
    rows += [f"| `{m.name}` | {m.meaning} | {m.unit} | "
             f"{'effect (treated vs control)' if m.over == 'pair' else 'per arm'} |"
             for m in SUMMARY_METRICS]
    return "\n".join(rows) + "\n"


def _dtype(dtype: object) -> str:
    return str(np.dtype(dtype)) if not isinstance(dtype, type) or \
        issubclass(dtype, np.generic) else dtype.__name__


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def state_markdown() -> str:
    """Markdown table of the agent state (``state.State``), from its declarations."""
    rows = ["| array | dtype | shape | initial value | unit | meaning |",
            "|---|---|---|---|---|---|"]
    for f in fields(State):
        meta = f.metadata
        axes = meta["axes"]
        shape = "-" if not axes else \
            "(" + ", ".join("n" if AXES[a] is None else str(AXES[a]) for a in axes) + \
            (",)" if len(axes) == 1 else ")")
        init = meta["init"]
        init = f"`{literal(init)}`" if isinstance(init, (bool, int, float)) else repr(init)
        rows.append(_row([f"`{f.name}`", _dtype(meta["dtype"]), shape, init, meta["unit"],
                          meta["meaning"]]))
    return "\n".join(rows) + "\n"


def today_markdown() -> str:
    """Markdown table of the day record (``state.Today``): each field and the stage writing
    it, from its declarations."""
    rows = ["| field | written by | dtype | one entry per | meaning |", "|---|---|---|---|---|"]
    for f in fields(Today):
        meta = f.metadata
        if not meta:  # the day itself
            continue
        per = meta["per"] or "day (a count)"
        rows.append(_row([f"`{f.name}`", meta["stage"], _dtype(meta["dtype"]), per,
                          meta["meaning"]]))
    return "\n".join(rows) + "\n"


def splice(text: str, start: str, end: str, body: str) -> str:
    """Replace what stands between two markers."""
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"


def render_model_doc(text: str) -> str:
    """docs/model.md with its generated tables brought up to date."""
    text = splice(text, START, END, params_markdown())
    text = splice(text, STATE_START, STATE_END, state_markdown())
    text = splice(text, TODAY_START, TODAY_END, today_markdown())
    return splice(text, METRICS_START, METRICS_END, metrics_markdown())


def update_model_doc(path: Path) -> bool:
    """Rewrite the generated tables of ``path``; returns whether anything changed."""
    old = path.read_text()
    new = render_model_doc(old)
    if new != old:
        path.write_text(new)
    return new != old


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/model.md")
    changed = update_model_doc(target)
    print(f"{target}: {'updated' if changed else 'already up to date'}")

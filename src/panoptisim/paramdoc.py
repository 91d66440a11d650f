"""Generated documentation: the parameter table of docs/model.md and ``panoptisim params``.

The table is rendered from the scenario schema, the single source of every parameter, and
spliced into docs/model.md between markers; ``make docs`` rewrites it and a test fails when
the committed file is out of step.
"""

from __future__ import annotations

from pathlib import Path

from panoptisim.fmt import literal
from panoptisim.metrics import METRICS, SUMMARY_METRICS
from panoptisim.scenario import iter_params

START, END = "<!-- params:start -->", "<!-- params:end -->"
METRICS_START, METRICS_END = "<!-- metrics:start -->", "<!-- metrics:end -->"


def params_markdown() -> str:
    """Markdown tables of every parameter, one per section."""
    out: list[str] = []
    section = None
    for p in iter_params():
        sec = p.key.rsplit(".", 1)[0]
        if sec != section:
            section = sec
            out += ["", f"#### `[{sec}]`", "",
                    "| key | meaning | unit | default | allowed | source |",
                    "|---|---|---|---|---|---|"]
        name = p.key.rsplit(".", 1)[1]
        cells = [f"`{name}`", p.description, p.unit, f"`{literal(p.default)}`", p.allowed,
                 p.source]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out).strip() + "\n"


def metrics_markdown() -> str:
    """Markdown tables of the per-day metrics (and how the summary aggregates them) and of
    the summary metrics computed once per replicate from the day columns."""
    rows = ["| metric | meaning | end-of-run value |", "|---|---|---|"]
    rows += [f"| `{m.name}` | {m.meaning} | {m.aggregate} |" for m in METRICS]
    rows += ["", "| summary metric | meaning | unit | value per replicate |", "|---|---|---|---|"]
    rows += [f"| `{m.name}` | {m.meaning} | {m.unit} | "
             f"{'effect (treated vs control)' if m.over == 'pair' else 'per arm'} |"
             for m in SUMMARY_METRICS]
    return "\n".join(rows) + "\n"


def splice(text: str, start: str, end: str, body: str) -> str:
    """Replace what stands between two markers."""
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"


def render_model_doc(text: str) -> str:
    """docs/model.md with its generated tables brought up to date."""
    text = splice(text, START, END, params_markdown())
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

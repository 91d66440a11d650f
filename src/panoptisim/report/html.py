"""A self-contained HTML page: inline CSS, figures as base64 PNG, no script, no network.

The page is assembled from escaped strings (``html.escape`` on every value that comes from
a file), so a scenario name or description cannot inject markup.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

from panoptisim.fmt import figure as figure_text

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;
background:#fff;line-height:1.45}
main{max-width:62rem;margin:0 auto;padding:1.5rem 1.25rem 4rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
#ddd;padding-bottom:.2rem}.sub{color:#555;margin:0 0 1rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;width:100%}
th,td{padding:.25rem .5rem;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.changed td{background:#fff7e0}.section td{background:#f3f3f3;font-weight:600}
figure{margin:1.5rem 0;page-break-inside:avoid}figure img{max-width:100%;height:auto;
border:1px solid #eee}figcaption{font-size:.85rem;color:#333;margin-top:.3rem}
.files{font-size:.75rem;color:#666}.note{background:#f5f8ff;border-left:3px solid #0072B2;
padding:.5rem .75rem;font-size:.85rem}code{font-size:.85em}
footer{margin-top:3rem;font-size:.75rem;color:#666}
"""


def esc(value: Any) -> str:
    """Escape any value for HTML text or attributes."""
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """A value for the page: :func:`panoptisim.fmt.figure`, with an en dash for none."""
    return figure_text(value, missing="–")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: set[int] = frozenset(),
          row_class: Sequence[str] | None = None, cls: str = "") -> str:
    """An HTML table; columns whose index is in ``numeric`` are right-aligned."""
    head = "".join(f'<th class="{"num" if i in numeric else ""}">{esc(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        klass = row_class[r] if row_class else ""
        cells = "".join(f'<td class="{"num" if i in numeric else ""}">{esc(fmt(v))}</td>'
                        for i, v in enumerate(row))
        body.append(f'<tr class="{klass}">{cells}</tr>')
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def figure(name: str, png: bytes, caption: str, files: Sequence[str] = ()) -> str:
    """A figure with its PNG embedded as a data URI, a caption and links to its files."""
    data = base64.b64encode(png).decode("ascii")
    links = " · ".join(f'<a href="{esc(f)}">{esc(f)}</a>' for f in files)
    return (f'<figure class="report-figure" id="fig-{esc(name)}" data-figure="{esc(name)}">'
            f'<img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f'<figcaption>{esc(caption)}'
            + (f'<div class="files">Files: {links}</div>' if links else "")
            + "</figcaption></figure>")


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str]], footer: str) -> str:
    """The whole document: a title, sections of (heading, HTML body), a footer."""
    body = "".join(f'<section><h2 id="{esc(h.lower().replace(" ", "-"))}">{esc(h)}</h2>'
                   f"{content}</section>" for h, content in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{esc(title)}</h1><p class=\"sub\">{esc(subtitle)}</p>{body}"
            f"<footer>{esc(footer)}</footer></main></body></html>\n")

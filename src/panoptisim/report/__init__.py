"""Reports: publication-ready figures (PNG, SVG) and a self-contained HTML (or PDF) page
for a run folder, a sweep folder or a calibration folder.

    from panoptisim.report import write_report
    write_report("runs/baseline-seed7")          # -> runs/baseline-seed7/report.html

Imported lazily, so that ``panoptisim --help`` does not load matplotlib.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReportError", "kind_of", "write_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from panoptisim.report import build

        return getattr(build, name)
    raise AttributeError(f"module 'panoptisim.report' has no attribute '{name}'")

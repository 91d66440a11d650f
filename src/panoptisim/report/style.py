"""One look for every figure: the Okabe–Ito colour-blind-safe palette, sizes, fonts.

Okabe & Ito (2008), *Color Universal Design*; the palette stays distinguishable under the
common colour-vision deficiencies and in greyscale by line style. Treated is always
vermillion and solid, control always blue and dashed, in every figure of every report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # figures are files: never open a window (and no display is needed)

import matplotlib.pyplot as plt  # noqa: E402

#: Okabe–Ito palette, by name.
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
#: The cycle used when a figure has more than two series.
CYCLE = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky",
                                "yellow", "black")]
ARM_COLOR = {"treated": OKABE_ITO["vermillion"], "control": OKABE_ITO["blue"],
             "effect": OKABE_ITO["black"]}
ARM_STYLE = {"treated": "-", "control": "--", "effect": "-"}
ARM_LABEL = {"treated": "treated (scoring regime)", "control": "control (no scoring)",
             "effect": "effect (treated − control)"}
TRUE_COLOR = OKABE_ITO["green"]
FALSE_COLOR = OKABE_ITO["orange"]
GAP_COLOR = OKABE_ITO["grey"]
#: Sequential colour map for scores (perceptually uniform, colour-blind safe).
SCORE_CMAP = "cividis"

WIDTH_IN = 6.4   # one column of a two-column paper is ~3.3 in; one full-width figure 6.4 in
HEIGHT_IN = 3.6
DPI = 150

RC = {
    "figure.figsize": (WIDTH_IN, HEIGHT_IN),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "lines.linewidth": 1.6,
    "legend.frameon": False,
    "svg.fonttype": "none",      # text stays text in SVG (editable, searchable)
    "svg.hashsalt": "panoptisim",  # deterministic SVG ids
    "pdf.fonttype": 42,
    "path.simplify": True,
}


@contextmanager
def styled() -> Iterator[None]:
    """Draw inside the project's style without touching the caller's global rcParams."""
    with plt.rc_context(RC):
        yield

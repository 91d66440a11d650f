"""Experimental designs: the points of a sweep, from its axes.

One function per design, each with the same signature
``design_<name>(axes, samples, rng_seed, **options) -> Design``:

- ``grid``: the full factorial of every axis's values (lists and ranges), last axis
  varying fastest.
- ``lhs``: a Latin hypercube (McKay, Beckman & Conover 1979, doi:10.2307/1268522) via
  :class:`scipy.stats.qmc.LatinHypercube`, ``samples`` points between each axis's bounds.
- ``sobol``: Saltelli's extension of the Sobol' sequence (Saltelli 2002,
  doi:10.1016/S0010-4655(02)00280-1; Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018)
  via :func:`SALib.sample.sobol.sample`: ``samples * (d + 2)`` points, or
  ``samples * (2d + 2)`` with second-order indices.
- ``morris``: Morris trajectories (Morris 1991, doi:10.1080/00401706.1991.10484804;
  Campolongo et al. 2007, doi:10.1016/j.envsoft.2006.10.004) via
  :func:`SALib.sample.morris.sample`: ``samples * (d + 1)`` points on ``levels`` levels.

Sampled designs work in the *analysis space*: the bounds as given, or their base-10
logarithms for an axis with ``log = true``. The design matrix in that space is what the
sensitivity analysis receives; the values the runs get are mapped back and, for integer
parameters, rounded.

Seeds come from the sweep's root seed alone: :func:`design_seed` for the sampled designs'
draws, :func:`run_seeds` for every run (point, replicate), each from its own named stream.
"""

from __future__ import annotations

import inspect
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from panoptisim.streams import Streams, purpose_key

DESIGNS = ("grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
#: Default ``sweep.samples`` per sampled design.
DEFAULT_SAMPLES = {"lhs": 16, "sobol": 64, "morris": 10}
#: Most runs (points x replicates) a sweep may plan unless its caller raises the limit
#: (``panoptisim sweep --max-runs N``, ``load_sweep(..., max_runs=N)``).
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its dotted key and either its values or its bounds."""

    key: str
    kind: str  # "values" (a list or a range) | "bounds"
    values: tuple[Any, ...] = ()
    low: float = math.nan
    high: float = math.nan
    log: bool = False
    integer: bool = False
    spec: Any = None  # the axis as written in the sweep file

    def to_value(self, u: float) -> Any:
        """A point of the analysis space mapped to the parameter's value."""
        v = 10.0 ** u if self.log else float(u)
        if self.integer:
            return int(round(v))
        return float(f"{v:.12g}")

    @property
    def analysis_bounds(self) -> list[float]:
        """Bounds in the analysis space (log10 of the bounds for a log axis)."""
        if self.log:
            return [math.log10(self.low), math.log10(self.high)]
        return [float(self.low), float(self.high)]


@dataclass
class Design:
    """Points of a sweep: one dict of dotted-key overrides per point."""

    name: str
    points: list[dict[str, Any]]
    #: The design matrix in the analysis space (sampled designs only), shape (points, axes).
    matrix: np.ndarray | None = None
    options: dict[str, Any] = field(default_factory=dict)


def salib_problem(axes: list[Axis]) -> dict[str, Any]:
    """The SALib problem definition of sampled axes."""
    return {"num_vars": len(axes), "names": [a.key for a in axes],
            "bounds": [a.analysis_bounds for a in axes]}


def _from_matrix(name: str, axes: list[Axis], matrix: np.ndarray,
                 options: dict[str, Any]) -> Design:
    points = [{a.key: a.to_value(u) for a, u in zip(axes, row, strict=True)}
              for row in matrix]
    return Design(name, points, np.asarray(matrix, dtype=np.float64), options)


def design_grid(axes: list[Axis], samples: int | None, rng_seed: int, **_: Any) -> Design:
    """Full factorial of the axes' values (a single point if there is no axis)."""
    combos = itertools.product(*(a.values for a in axes))
    return Design("grid", [dict(zip([a.key for a in axes], c, strict=True))
                           for c in combos])


def design_lhs(axes: list[Axis], samples: int, rng_seed: int, **_: Any) -> Design:
    """Latin hypercube of ``samples`` points (scipy.stats.qmc.LatinHypercube)."""
    from scipy.stats import qmc

    rng = np.random.default_rng(rng_seed)
    # scipy >= 1.15 names the generator `rng`; older releases call it `seed`.
    key = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    engine = qmc.LatinHypercube(d=len(axes), **{key: rng})
    unit = engine.random(samples)
    bounds = np.array([a.analysis_bounds for a in axes])
    matrix = qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    return _from_matrix("lhs", axes, matrix, {"samples": samples})


def design_sobol(axes: list[Axis], samples: int, rng_seed: int, *,
                 second_order: bool = False, **_: Any) -> Design:
    """Saltelli/Sobol' sample for first- and total-order indices (SALib)."""
    from SALib.sample import sobol

    matrix = sobol.sample(salib_problem(axes), samples, calc_second_order=second_order,
                          seed=rng_seed)
    return _from_matrix("sobol", axes, matrix,
                        {"samples": samples, "second_order": second_order})


def design_morris(axes: list[Axis], samples: int, rng_seed: int, *, levels: int = 4,
                  **_: Any) -> Design:
    """Morris elementary-effect trajectories (SALib), ``samples`` trajectories."""
    from SALib.sample import morris

    matrix = morris.sample(salib_problem(axes), samples, num_levels=levels, seed=rng_seed)
    return _from_matrix("morris", axes, matrix, {"samples": samples, "levels": levels})


BUILDERS = {"grid": design_grid, "lhs": design_lhs, "sobol": design_sobol,
            "morris": design_morris}


def design_size(name: str, counts: list[int], samples: int | None, *,
                second_order: bool = False) -> int:
    """Number of points design ``name`` makes, by arithmetic alone (nothing is built):
    the product of the axes' value ``counts`` for a grid; for a sampled design over
    ``len(counts)`` axes, ``samples`` (lhs), ``samples * (d + 2)`` or ``samples * (2d + 2)``
    (sobol) or ``samples * (d + 1)`` (morris)."""
    d = len(counts)
    if name == "grid":
        return math.prod(counts)
    per_sample = {"lhs": 1, "sobol": 2 * d + 2 if second_order else d + 2, "morris": d + 1}
    return (samples or DEFAULT_SAMPLES[name]) * per_sample[name]


def build_design(name: str, axes: list[Axis], samples: int | None, rng_seed: int,
                 **options: Any) -> Design:
    """Points of design ``name`` over ``axes``."""
    return BUILDERS[name](axes, samples, rng_seed, **options)


# ------------------------------------------------------------------------ seeds
def design_seed(root: int) -> int:
    """The seed a sampled design draws its points with: stream ``experiments.design`` of the
    root seed."""
    return int(Streams(root).generator("experiments.design").integers(2**31 - 1))


def run_seeds(root: int, points: int, replicates: int, common: bool) -> np.ndarray:
    """Seeds of every (point, replicate), spawned from the root seed, shape (points,
    replicates), int64.

    Each seed is the first 63 bits of ``SeedSequence(root, spawn_key=(purpose, point,
    replicate))``; with ``common`` the point is left out, so replicate ``r`` of every point
    shares one seed (common random numbers across points).
    """
    entropy = Streams(root).root.entropy
    out = np.empty((points, replicates), dtype=np.int64)
    for r in range(replicates):
        shared = None
        for p in range(points):
            if common and shared is not None:
                out[p, r] = shared
                continue
            key = (purpose_key("experiments.replicate"), r) if common else \
                (purpose_key("experiments.run"), p, r)
            ss = np.random.SeedSequence(entropy, spawn_key=key)
            out[p, r] = shared = int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
    return out

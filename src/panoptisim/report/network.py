"""The network view for small societies: the social graph at chosen days, agents coloured
by score, dissenters ringed, live ties grey and cut ties drawn in orange — the picture of
dissenters being isolated.

Run folders store no agents, so the view replays the run (replicate 0) through the engine's
own day loop (``engine.iter_days``, as ``engine.simulate`` does) and keeps a snapshot of each
arm at each chosen day. Common random numbers make the replay bit-identical to the run.
The layout is computed once, on every tie ever made, so agents stay in place from one day
to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from panoptisim.behavior import expressed_recently
from panoptisim.engine import ARMS, iter_days
from panoptisim.report.style import FALSE_COLOR, OKABE_ITO, SCORE_CMAP, WIDTH_IN, styled
from panoptisim.scenario import Scenario, ScenarioError, load_scenario

#: Largest society the view draws (layout and drawing grow with the square of the size).
MAX_AGENTS = 5000


@dataclass
class Snapshot:
    """One arm at the end of one day."""

    arm: str
    day: int
    score: np.ndarray
    dissenter: np.ndarray
    expressed_recently: np.ndarray
    active: np.ndarray  # per CSR entry, True for a live tie


@dataclass
class Snapshots:
    """The graph (CSR, every tie ever made) and the snapshots, in day order."""

    indptr: np.ndarray
    indices: np.ndarray
    score_range: tuple[float, float]
    items: list[Snapshot]


def record_snapshots(scenario: Scenario, days: list[int], arms: tuple[str, ...] = ARMS,
                     progress: Callable[[int, int], None] | None = None) -> Snapshots:
    """Replay replicate 0 of ``scenario`` and keep the state of ``arms`` at ``days``.

    Day ``d`` is the state after day ``d``'s stages (0-based; clamped to the last day). An
    agent "expressed recently" if its expressions count as support on the next day
    (``behavior.expressed_recently``: within ``behavior.dur_support_memory`` days).
    """
    n = scenario.population.size
    if n > MAX_AGENTS:
        raise ScenarioError(f"population.size = {n} is too large for the network view "
                            f"(allowed: up to {MAX_AGENTS} agents): draw a smaller society")
    steps = scenario.run.steps
    wanted = sorted({min(max(int(d), 0), steps - 1) for d in days})
    arms = tuple(a for a in arms if a == "treated" or scenario.run.control)
    items: list[Snapshot] = []
    indptr = indices = np.empty(0, np.int64)
    last = wanted[-1] if wanted else 0
    with closing(iter_days(scenario, arms=arms, replicates=1)) as replay:
        for day in replay:
            if day.t == 0:
                graph = day.contexts[0].state.graph
                indptr, indices = graph.indptr.copy(), graph.indices.copy()
            if day.t in wanted:
                for ctx in day.contexts:
                    s = ctx.state
                    items.append(Snapshot(ctx.arm.name, day.t, s.score.copy(),
                                          s.dissenter.copy(), expressed_recently(ctx, day.t + 1),
                                          s.graph.active > 0))
            if progress is not None:
                progress(day.t + 1, last + 1)
            if day.t >= last:
                break
    sc = scenario.scoring
    return Snapshots(indptr, indices, (sc.score_min, sc.score_max), items)


def layout(indptr: np.ndarray, indices: np.ndarray, seed: int = 0,
           iterations: int | None = None) -> np.ndarray:
    """Force-directed positions (Fruchterman & Reingold 1991, doi:10.1002/spe.4380211102)
    in the unit square, from a seeded random start; O(n^2) per iteration, for small n."""
    n = len(indptr) - 1
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2)).astype(np.float32)
    if n < 2:
        return pos
    src = np.repeat(np.arange(n), np.diff(indptr))
    keep = src < indices
    u, v = src[keep], indices[keep]
    k = 1.0 / np.sqrt(n)
    iterations = iterations or (40 if n <= 2000 else 25)
    temp = 0.1
    chunk = max(1, 2_000_000 // n)
    for _ in range(iterations):
        disp = np.zeros((n, 2), dtype=np.float32)
        for s in range(0, n, chunk):
            delta = pos[s:s + chunk, None, :] - pos[None, :, :]
            dist2 = np.maximum(np.einsum("ijk,ijk->ij", delta, delta), 1e-6)
            disp[s:s + chunk] += np.einsum("ijk,ij->ik", delta, (k * k) / dist2)
        delta = pos[u] - pos[v]
        dist = np.maximum(np.sqrt((delta ** 2).sum(axis=1)), 1e-3)
        pull = delta * (dist / k)[:, None]
        np.add.at(disp, u, -pull)
        np.add.at(disp, v, pull)
        length = np.maximum(np.sqrt((disp ** 2).sum(axis=1)), 1e-9)
        pos += disp / length[:, None] * np.minimum(length, temp)[:, None]
        temp *= 0.93
    pos -= pos.min(axis=0)
    return pos / np.maximum(pos.max(axis=0), 1e-9)


def network_figure(snaps: Snapshots, arm: str = "treated", pos: np.ndarray | None = None,
                   seed: int = 0) -> Figure:
    """The graph of ``arm`` at each recorded day, side by side (positions shared)."""
    items = [s for s in snaps.items if s.arm == arm]
    if not items:
        raise ValueError(f"no snapshot of arm '{arm}'")
    pos = layout(snaps.indptr, snaps.indices, seed) if pos is None else pos
    n = len(snaps.indptr) - 1
    src = np.repeat(np.arange(n), np.diff(snaps.indptr))
    keep = src < snaps.indices
    u, v = src[keep], snaps.indices[keep]
    cols = min(len(items), 3)
    rows = int(np.ceil(len(items) / cols))
    size = max(1.0, 12.0 * (1000 / max(n, 1)) ** 0.5)
    every = np.concatenate([s.score for s in items])
    lo, hi = np.percentile(every, [1, 99]) if len(every) else snaps.score_range
    if hi <= lo:
        lo, hi = snaps.score_range
    with styled():
        fig = Figure(figsize=(WIDTH_IN * 1.25, WIDTH_IN * 1.25 / cols * rows + 0.6),
                     layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        scatter = None
        for ax, snap in zip(axes, items):
            live = snap.active[keep]
            segs = np.stack([pos[u], pos[v]], axis=1)
            ax.add_collection(LineCollection(segs[live], colors="#bbbbbb", linewidths=0.15,
                                             alpha=0.5, zorder=1))
            ax.add_collection(LineCollection(segs[~live], colors=FALSE_COLOR, linewidths=0.5,
                                             alpha=0.9, zorder=2))
            d = snap.dissenter
            scatter = ax.scatter(pos[~d, 0], pos[~d, 1], c=snap.score[~d], cmap=SCORE_CMAP,
                                 vmin=lo, vmax=hi, s=size, linewidths=0, zorder=3)
            ax.scatter(pos[d, 0], pos[d, 1], c=snap.score[d], cmap=SCORE_CMAP, vmin=lo,
                       vmax=hi, s=size * 1.6, marker="^",
                       edgecolors=OKABE_ITO["vermillion"], linewidths=0.35, zorder=4)
            deg = np.bincount(u[live], minlength=n) + np.bincount(v[live], minlength=n)
            iso = int((d & (deg == 0)).sum())
            ax.set_title(f"day {snap.day}\n{int((~live).sum()):,} ties cut; {iso} of "
                         f"{int(d.sum())} dissenters isolated", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            ax.grid(False)
            for side in ax.spines.values():
                side.set_visible(False)
        for ax in axes[len(items):]:
            ax.set_visible(False)
        if scatter is not None:
            fig.colorbar(scatter, ax=axes[:len(items)].tolist(), shrink=0.7,
                         label="score (points; 1st–99th percentile)")
        fig.suptitle(f"Social network ({arm} arm, {n:,} agents): triangles ringed in "
                     f"vermillion are dissenters (latent dissent ≥ 0.5); orange lines are "
                     f"cut ties", fontsize=8)
    return fig


def network_extra(scenario_path: Path, days: list[int]
                  ) -> list[tuple[str, str, Callable[[], Figure]]]:
    """The network view as an extra figure of a run report."""
    scenario = load_scenario(scenario_path)

    def build() -> Figure:
        return network_figure(record_snapshots(scenario, days, arms=("treated",)))

    return [("network", "The social graph at the chosen days (treated arm, first "
                        "replicate): colour is the score, vermillion triangles are dissenters, "
                        "orange lines are ties cut since the start.", build)]

"""The network view for small societies: the social graph at chosen days, agents coloured
by score, dissenters ringed, live ties grey and cut ties drawn in orange — the picture of
dissenters being isolated.

Run folders store no agents, so the view replays the run (replicate 0) through the engine's
own day loop (``engine.iter_days``, as ``engine.simulate`` does) and keeps a snapshot of each
arm at each chosen day. Common random numbers make the replay bit-identical to the run.
The layout is computed once, on every tie ever made, so agents stay in place from one day
to the next: agents are grouped by community (region, settlement and demographic group, the
lines along which ties form), each community laid out on its own ties around its own centre,
so that the picture shows communities and the ties between them rather than one tangle.
Ties are rasterised in the SVG (thousands of lines would make it megabytes), the text and
legend stay vector.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from panoptisim.behavior import expressed_recently
from panoptisim.engine import ARMS, iter_days
from panoptisim.report.style import FALSE_COLOR, OKABE_ITO, SCORE_CMAP, WIDTH_IN, styled
from panoptisim.scenario import Scenario, ScenarioError, load_scenario

NETWORK_CAPTION = (
    "The social graph at the chosen days: the treated arm of the first replicate, every "
    "agent and every tie ever made. Agents are grouped by community (region, settlement "
    "and demographic group), each community laid out on its own ties; thin grey lines are "
    "live ties within a community, one dark band between two communities stands for the "
    "live ties between them (width and label: their number), orange lines are ties cut "
    "since the start. Colour is the agent's score (colour bar: 1st to 99th percentile "
    "over the days drawn); vermillion-ringed triangles are "
    "dissenters (latent dissent ≥ 0.5). One replicate, so no interval.")

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
    """The graph (CSR, every tie ever made) and the snapshots, in day order; each agent's
    community (an index into ``communities``, their names)."""

    indptr: np.ndarray
    indices: np.ndarray
    score_range: tuple[float, float]
    items: list[Snapshot]
    community: np.ndarray | None = None
    communities: tuple[str, ...] = ()


def communities_of(region: np.ndarray, urban: np.ndarray, group: np.ndarray,
                   region_names: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each agent's community, numbered in order, and the communities' names: region (when
    there are several), settlement (when its region has both) and demographic group."""
    key = (region.astype(np.int64) * 2 + urban.astype(np.int64)) * 2 + group.astype(np.int64)
    present, index = np.unique(key, return_inverse=True)
    mixed = {int(r) for r in np.unique(region) if len(np.unique(urban[region == r])) > 1}
    names = []
    for k in present:
        r, rest = divmod(int(k), 4)
        u, g = divmod(rest, 2)
        parts = [region_names[r]] if len(region_names) > 1 else []
        if r in mixed or len(region_names) < 2:
            parts.append("urban" if u else "rural")
        names.append(", ".join([*parts, f"group {g}"]))
    return index.astype(np.int64), tuple(names)


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
    community, names = None, ()
    last = wanted[-1] if wanted else 0
    with closing(iter_days(scenario, arms=arms, replicates=1)) as replay:
        for day in replay:
            if day.t == 0:
                first = day.contexts[0].state
                indptr, indices = first.graph.indptr.copy(), first.graph.indices.copy()
                community, names = communities_of(
                    first.region, first.urban, first.group,
                    [r.name for r in scenario.population.regions])
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
    return Snapshots(indptr, indices, (sc.score_min, sc.score_max), items, community, names)


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


def community_layout(indptr: np.ndarray, indices: np.ndarray, community: np.ndarray,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positions by community: each community's agents laid out on the ties among them
    (:func:`layout`) in a disc of area proportional to its size, the discs side by side
    on a grid; returns the positions and each community's centre."""
    n = len(indptr) - 1
    k = int(community.max()) + 1 if n else 0
    cols = int(np.ceil(np.sqrt(k))) if k else 1
    sizes = np.bincount(community, minlength=k) if n else np.zeros(0, np.int64)
    radius = 0.45 * np.sqrt(sizes / max(sizes.max(), 1)) if k else sizes
    centres = np.array([[(c % cols) + 0.5, -(c // cols) - 0.5] for c in range(k)], float)
    pos = np.zeros((n, 2), np.float32)
    src = np.repeat(np.arange(n), np.diff(indptr))
    for c in range(k):
        members = np.flatnonzero(community == c)
        local = np.full(n, -1, np.int64)
        local[members] = np.arange(len(members))
        keep = (community[src] == c) & (community[indices] == c)
        u, v = local[src[keep]], local[indices[keep]]
        sub_ptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=len(members)))])
        sub = layout(sub_ptr, v[np.argsort(u, kind="stable")], seed + c)
        disc = (sub - 0.5) * 2 * radius[c]
        pos[members] = centres[c] + disc
    return pos, centres


def _between(ax: Any, a: np.ndarray, b: np.ndarray, centres: np.ndarray) -> None:
    """One line between two communities' centres for the live ties between them: its
    width grows with their number, which is written on it."""
    if len(a) == 0:
        return
    k = len(centres)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    counts = np.bincount(lo * k + hi, minlength=k * k)
    top = counts.max()
    for pair in np.flatnonzero(counts):
        i, j = divmod(int(pair), k)
        (x0, y0), (x1, y1) = centres[i], centres[j]
        ax.plot([x0, x1], [y0, y1], color="#555555", alpha=0.35, zorder=0.5,
                linewidth=0.5 + 5.0 * counts[pair] / top, solid_capstyle="butt")
        # written a third of the way along: crossing lines keep their labels apart
        ax.annotate(f"{counts[pair]:,}", (x0 + (x1 - x0) * 0.35, y0 + (y1 - y0) * 0.35),
                    fontsize=5,
                    ha="center", va="center", color="#333333", zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3,
                          "alpha": 0.8})


def network_figure(snaps: Snapshots, arm: str = "treated", pos: np.ndarray | None = None,
                   seed: int = 0) -> Figure:
    """The graph of ``arm`` at each recorded day, side by side (positions shared)."""
    items = [s for s in snaps.items if s.arm == arm]
    if not items:
        raise ValueError(f"no snapshot of arm '{arm}'")
    n = len(snaps.indptr) - 1
    centres = None
    if pos is None and snaps.community is not None:
        pos, centres = community_layout(snaps.indptr, snaps.indices, snaps.community, seed)
    elif pos is None:
        pos = layout(snaps.indptr, snaps.indices, seed)
    src = np.repeat(np.arange(n), np.diff(snaps.indptr))
    keep = src < snaps.indices
    u, v = src[keep], snaps.indices[keep]
    # a tie drawn as its own segment: all of them, unless the communities were laid out
    # here (a position given by the caller has no centres to draw the bundles between)
    inside = (np.ones(len(u), bool) if centres is None
              else snaps.community[u] == snaps.community[v])
    cols = min(len(items), 3)
    rows = int(np.ceil(len(items) / cols))
    size = max(0.8, 8.0 * (1000 / max(n, 1)) ** 0.5)
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
            # thousands of ties: rasterised in the SVG (text and legend stay vector); the
            # live ties between two communities are one line, its width their number
            ax.add_collection(LineCollection(segs[live & inside], colors="#999999",
                                             linewidths=0.15, alpha=0.35, zorder=1,
                                             rasterized=True))
            if centres is not None:
                _between(ax, snaps.community[u[live & ~inside]],
                         snaps.community[v[live & ~inside]], centres)
            ax.add_collection(LineCollection(segs[~live], colors=FALSE_COLOR, linewidths=0.5,
                                             alpha=0.9, zorder=2, rasterized=True))
            d = snap.dissenter
            scatter = ax.scatter(pos[~d, 0], pos[~d, 1], c=snap.score[~d], cmap=SCORE_CMAP,
                                 vmin=lo, vmax=hi, s=size, linewidths=0, zorder=3,
                                 rasterized=True)
            ax.scatter(pos[d, 0], pos[d, 1], c=snap.score[d], cmap=SCORE_CMAP, vmin=lo,
                       vmax=hi, s=size * 1.6, marker="^",
                       edgecolors=OKABE_ITO["vermillion"], linewidths=0.35, zorder=4,
                       rasterized=True)
            if centres is not None:
                for (cx, cy), name in zip(centres, snaps.communities):
                    ax.annotate(name, (cx - 0.48, cy + 0.48), ha="left", va="bottom",
                                fontsize=5, color="#333333")
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
        grouped = ", grouped by community" if centres is not None else ""
        fig.suptitle(f"Social network ({arm} arm, {n:,} agents{grouped}): triangles ringed "
                     f"in vermillion are dissenters (latent dissent ≥ 0.5); orange lines are "
                     f"cut ties", fontsize=8)
    return fig


def network_extra(scenario_path: Path, days: list[int]
                  ) -> list[tuple[str, str, Callable[[], Figure]]]:
    """The network view as an extra figure of a run report."""
    scenario = load_scenario(scenario_path)

    def build() -> Figure:
        return network_figure(record_snapshots(scenario, days, arms=("treated",)))

    return [("network", NETWORK_CAPTION, build)]

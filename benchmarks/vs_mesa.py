"""Benchmark: a defined core of the model in idiomatic Mesa 3 against panoptisim's kernels.

The core, one step = one day, simultaneous update:
1. expression with social support and perceived risk: an agent with a chance to post
   expresses its dissent when its logit utility
   ``a + b_d (d - 0.5) + b_s (support - threshold) - b_r risk`` exceeds the logit of its
   uniform draw (the same as ``u < expit(utility)``), support being the share of its live
   ties who expressed within the last M days;
2. a dissenting post is flagged with probability p_detect (one draw per agent);
3. score update with the network term: ``score -= w_flag flagged + w_net (share of live ties
   under sanction)``;
4. threshold sanctions: running sanctions count down; a score under the threshold imposes
   one for D days;
5. tie-cutting: each live tie to a sanctioned neighbour is cut with probability p_cut (one
   draw per CSR entry per day);
6. perceived risk moves toward ``anchor + flagged`` at rate lr.

Same inputs on both sides: one society (panoptisim's generator), one set of random draws
generated once per step and shared (per agent: chance, logit of the expression draw, flag
draw; per directed tie: the cut draw). Arithmetic is float64 in the same operation order,
so both sides give the same counts per step (checked: expressed, flagged, sanctioned, ties
cut), then both are timed side by side in one run (stepping only, building excluded).

The Mesa side is idiomatic Mesa 3: one ``Citizen(mesa.Agent)`` per person on a
``mesa.space.NetworkGrid`` over a networkx graph, the step as ``model.agents.do(...)``
phases, and tie-cutting by removing networkx edges. Mesa is a benchmark-only dependency
(``pip install 'panoptisim[bench]'``).

    python benchmarks/vs_mesa.py [--sizes 1e4 1e5] [--steps 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from panoptisim import kernels
from panoptisim.network import Graph, from_edges, make_households, make_small_world

A, B_D, B_S, B_R = -1.0, 3.0, 4.0, 6.0
MEMORY, P_CHANCE, P_DETECT = 7, 0.2, 0.3
W_FLAG, W_NET, THRESHOLD, DURATION = 60.0, 30.0, 560.0, 30
P_CUT, ANCHOR, LR = 0.2, 0.05, 0.1


@dataclass
class Inputs:
    graph: Graph
    dissent: np.ndarray
    threshold: np.ndarray
    score: np.ndarray
    chance: list[np.ndarray]
    logit_u: list[np.ndarray]
    u_flag: list[np.ndarray]
    u_cut: list[np.ndarray]


def make_inputs(n: int, steps: int, seed: int = 1) -> Inputs:
    rng = np.random.default_rng(seed)
    _, hu, hv = make_households(n, 2.62, rng)
    fu, fv = make_small_world(n, 18, 0.1, rng)
    g = from_edges(n, np.concatenate([hu, fu]), np.concatenate([hv, fv]))
    u = [rng.random(n) for _ in range(steps)]
    return Inputs(
        graph=g, dissent=rng.beta(2.0, 3.0, n), threshold=np.clip(rng.normal(0.2, 0.1, n), 0, 1),
        score=np.clip(rng.normal(620.0, 40.0, n), 350.0, 950.0),
        chance=[rng.random(n) < P_CHANCE for _ in range(steps)],
        logit_u=[np.log(x / (1.0 - x)) for x in u],
        u_flag=[rng.random(n) for _ in range(steps)],
        u_cut=[rng.random(len(g.indices)) for _ in range(steps)])


# ------------------------------------------------------------------ panoptisim's kernels
def run_panoptisim(inp: Inputs, steps: int) -> tuple[list[tuple[int, int, int, int]], float]:
    """Counts per step (expressed, flagged, new sanctions, ties cut) and the stepping time."""
    g0 = inp.graph
    g = Graph(g0.indptr, g0.indices, g0.rev, g0.active.copy())
    n = g.n
    score, risk = inp.score.copy(), np.zeros(n)
    ti = np.full(n, -1, np.int32)
    days = np.zeros(n, np.int32)
    degree = g.active_degree()
    counts = []
    t0 = time.perf_counter()
    for t in range(steps):
        recent = ((ti >= 0) & (t - ti <= MEMORY)).astype(np.float32)
        support = g.neighbour_sum(recent).astype(np.float64) / np.maximum(degree, 1.0)
        utility = A + B_D * (inp.dissent - 0.5) + B_S * (support - inp.threshold) - B_R * risk
        expressed = inp.chance[t] & (utility > inp.logit_u[t])
        flagged = expressed & (inp.u_flag[t] < P_DETECT)
        ti[expressed] = t
        marked = (days > 0).astype(np.float32)
        share = g.neighbour_sum(marked).astype(np.float64) / np.maximum(degree, 1.0)
        score = score - W_FLAG * flagged - W_NET * share
        np.subtract(days, 1, out=days, where=days > 0)
        new = (days == 0) & (score < THRESHOLD)
        days[new] = DURATION
        sanctioned = np.flatnonzero(days > 0)
        cand = kernels.live_entries_into(g.indptr, g.rev, g.active, sanctioned)
        cut = g.cut(cand[inp.u_cut[t][cand] < P_CUT])
        if len(cut):
            ends = np.concatenate([g.indices[cut], g.indices[g.rev[cut]]])
            degree = degree - np.bincount(ends, minlength=n).astype(np.float32)
        risk = risk + LR * (ANCHOR + flagged - risk)
        counts.append((int(expressed.sum()), int(flagged.sum()), int(new.sum()), len(cut)))
    return counts, time.perf_counter() - t0


# ------------------------------------------------------------------ Mesa 3 reference
def run_mesa(inp: Inputs, steps: int) -> tuple[list[tuple[int, int, int, int]], float]:
    """Counts per step and the stepping time (building the model's agents excluded)."""
    import mesa
    import networkx as nx
    from mesa.space import NetworkGrid

    g0 = inp.graph
    entry = {}  # (i, j) -> CSR position, to read the shared per-tie draw
    src = g0.sources
    for e, (i, j) in enumerate(zip(src.tolist(), g0.indices.tolist())):
        entry[i, j] = e

    class Citizen(mesa.Agent):
        def __init__(self, model, i):
            super().__init__(model)
            self.i = i
            self.dissent = float(inp.dissent[i])
            self.threshold = float(inp.threshold[i])
            self.score = float(inp.score[i])
            self.risk = 0.0
            self.ti = -1
            self.days = 0

        def neighbours(self):
            return self.model.grid.get_neighbors(self.pos)

        def express(self):
            m, t = self.model, self.model.t
            ties = self.neighbours()
            recent = sum(1 for x in ties if x.ti >= 0 and t - x.ti <= MEMORY)
            support = recent / max(len(ties), 1.0)
            utility = (A + B_D * (self.dissent - 0.5) + B_S * (support - self.threshold)
                       - B_R * self.risk)
            self.expressed = bool(m.chance[self.i]) and utility > m.logit_u[self.i]
            self.flagged = self.expressed and m.u_flag[self.i] < P_DETECT

        def commit(self):
            if self.expressed:
                self.ti = self.model.t

        def rescore(self):
            ties = self.neighbours()
            share = sum(1 for x in ties if x.days > 0) / max(len(ties), 1.0)
            self.score = self.score - W_FLAG * self.flagged - W_NET * share

        def sanction(self):
            if self.days > 0:
                self.days -= 1
            self.new = self.days == 0 and self.score < THRESHOLD
            if self.new:
                self.days = DURATION

        def cut_ties(self):
            m = self.model
            for other in self.neighbours():
                if other.days > 0 and m.u_cut[entry[self.i, other.i]] < P_CUT:
                    m.grid.G.remove_edge(self.pos, other.pos)
                    m.ties_cut += 1

        def learn(self):
            self.risk = self.risk + LR * (ANCHOR + self.flagged - self.risk)

    class CoreModel(mesa.Model):
        def __init__(self):
            super().__init__(seed=1)
            G = nx.Graph()
            G.add_nodes_from(range(g0.n))
            G.add_edges_from((i, j) for (i, j) in entry if i < j)
            self.grid = NetworkGrid(G)
            for i in range(g0.n):
                self.grid.place_agent(Citizen(self, i), i)
            self.t = 0

        def step(self):
            t = self.t
            self.chance, self.logit_u = inp.chance[t], inp.logit_u[t]
            self.u_flag, self.u_cut = inp.u_flag[t], inp.u_cut[t]
            self.ties_cut = 0
            for phase in ("express", "commit", "rescore", "sanction", "cut_ties", "learn"):
                self.agents.do(phase)
            self.counts = (sum(a.expressed for a in self.agents),
                           sum(a.flagged for a in self.agents),
                           sum(a.new for a in self.agents), self.ties_cut)
            self.t += 1

    model = CoreModel()
    counts = []
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
        counts.append(model.counts)
    return counts, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5"])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runs-at", action="append", default=[], metavar="SIZE=RUNS",
                    help="fewer runs at one size (Mesa at 1e5 takes minutes per run)")
    args = ap.parse_args()
    runs_at = {int(float(k)): int(v) for k, v in (x.split("=") for x in args.runs_at)}
    import mesa
    kernels.warm_up()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}, mesa {mesa.__version__}, "
          f"load {load}")
    for size_text in args.sizes:
        n = int(float(size_text))
        inp = make_inputs(n, args.steps)
        t_mesa, t_pan = [], []
        runs = runs_at.get(n, args.runs)
        for _ in range(runs):
            ours, dt = run_panoptisim(inp, args.steps)
            t_pan.append(dt)
            theirs, dt = run_mesa(inp, args.steps)
            t_mesa.append(dt)
            if ours != theirs:
                raise SystemExit(f"trajectories differ at n={n}:\n ours  {ours}\n mesa  {theirs}")
        agent_days = n * args.steps
        med_m, med_p = statistics.median(t_mesa), statistics.median(t_pan)
        print(f"\n{n:,} agents x {args.steps} steps ({runs} runs, same trajectories: "
              f"{sum(c[0] for c in ours)} expressions, {sum(c[1] for c in ours)} flags, "
              f"{sum(c[2] for c in ours)} sanctions, {sum(c[3] for c in ours)} ties cut)")
        print(f"  mesa 3        median {med_m:8.3f} s  min {min(t_mesa):.3f}  max {max(t_mesa):.3f}"
              f"  ({agent_days / med_m:,.0f} agent-days/s; steps only)")
        print(f"  panoptisim    median {med_p:8.3f} s  min {min(t_pan):.3f}  max {max(t_pan):.3f}"
              f"  ({agent_days / med_p:,.0f} agent-days/s)")
        print(f"  ratio (mesa / panoptisim): {med_m / med_p:,.0f}x   target >= 100x at 1e5")


if __name__ == "__main__":
    main()

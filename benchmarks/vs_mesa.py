"""Benchmark: a defined core of the model in Mesa 3, three ways, against panoptisim's kernels.

The core, one step = one day, simultaneous update:
1. expression with social support and perceived risk: an agent with a chance to post
   expresses its dissent when its logit utility
   ``a + b_d (d - 0.5) + b_s (support - threshold) - b_r risk`` exceeds the logit of its
   uniform draw (the same as ``u < expit(utility)``), support being the share of its live
   ties who expressed within the last M days (read before the day's expressions: a post on
   day s is counted by the neighbours' support on days s+1 .. s+M, ``t - ti <= M``);
2. a dissenting post is flagged with probability p_detect (one draw per agent);
3. score update with the network term: ``score -= w_flag flagged + w_net (share of live ties
   under sanction)``, the sanctions and ties being those of the start of the day;
4. threshold sanctions: running sanctions count down; a score under the threshold imposes
   one for D days (also on the day an earlier one runs out);
5. tie-cutting: each live tie to a sanctioned neighbour (sanctions after step 4) is cut
   with probability p_cut (one draw per CSR entry per day, the entry pointing at the
   sanctioned end; a tie between two sanctioned agents has two chances);
6. perceived risk moves toward ``anchor + flagged`` at rate lr.

Same inputs on every side: one society (panoptisim's generator), one set of random draws
generated once per step and shared (per agent: chance, logit of the expression draw, flag
draw; per directed tie: the cut draw). Arithmetic is float64 in the same operation order
(support = count / max(degree, 1.0), etc.), so every side gives the same counts per step.

The Mesa 3 versions (``--versions``), all ``mesa.Agent`` subclasses in a ``mesa.Model``:

- ``networkgrid``: idiomatic Mesa 3: one agent per person on a ``mesa.space.NetworkGrid``
  over a networkx graph, the step as six ``model.agents.do(phase)`` passes (express,
  commit, rescore, sanction, cut ties, learn), neighbours read through
  ``grid.get_neighbors``, tie-cutting by removing networkx edges, the day's counts summed
  over the agents. Minutes per run at 10^5 agents.
- ``plain``: the same six ``agents.do`` passes and counts, but each agent holds its live
  neighbours in a plain dict (neighbour agent -> CSR position of the shared cut draw);
  cutting a tie deletes it at both ends. No grid, no networkx.
- ``incremental``: the tuned pure-Python version: ONE fused ``model.agents.do("day")``
  pass per step. Each agent keeps integer counts of its live neighbours who are "recent"
  (expressed within the window) and "under sanction", as last published by those
  neighbours, so reading support and the network share is O(1). An agent publishes a
  change of its own state (it expresses after a quiet spell, its last post leaves the
  window, a sanction starts or ends) by pushing +-1 along its live ties, and only then.
  The simultaneous update is kept inside one sequential pass: a push to a neighbour whose
  turn has not yet come that day goes to a pending count that the neighbour folds in after
  its own reads. A sanctioned agent reads the draw on each live entry pointing at it (it
  has its new sanction state by then); a hit cuts the tie at once if the other end's turn
  came earlier that day, else marks it for the other end, which cuts it in its own turn,
  after its reads (a tie cut by its own end's draw first is skipped). So no agent sees a
  tie cut or a count changed before it has read the start-of-day state. Cutting a tie
  subtracts each end's published state from the other end's counts. The day's counts are
  tallied in the same pass. It runs O(agents + ties of the sanctioned + ties of the
  agents whose state changed) a day instead of O(ties), in pure Python.

panoptisim's side, two ways:

- ``panoptisim``: numpy expressions over the agents and the graph kernels the model uses
  (``Graph.neighbour_sum`` each day, ``kernels.live_entries_into``, ``Graph.cut``);
- ``panoptisim fused``: the same arithmetic in the same order in compiled passes (one pass
  over the agents, one over the sanctioned agents' ties), the counts of live ties to recent
  speakers and to sanctioned agents kept by pushes as the model's ``tiecounts`` keeps them
  (``kernels.push_membership``), so a step costs the agents plus the changes' ties.

What the harness guarantees:
- every version's per-step counts (expressed, flagged, new sanctions, ties cut), the fused
  side's included, are asserted equal to panoptisim's on every step, in the warm-up and in
  every timed run;
- the default ``--steps`` (DURATION + MEMORY + 3 = 40) reaches the end of the memory window
  and the expiry of the first sanctions (and the re-sanctioning on the day one runs out);
  fewer steps are allowed but warned about;
- one untimed warm-up run (a few steps, same size) of every side before timing, and
  ``gc.collect()`` right before each timed run;
- only the stepping is timed: building the society, the draws, their conversion into each
  side's form (tuples of Python floats, bools and ints for Mesa) and the models are not;
- median, min and max over ``--runs`` runs of each side; each side's ms per step and
  agent-days per second, and each side's ratio to both panoptisim sides (of medians).

Mesa and networkx are benchmark-only dependencies (``pip install 'panoptisim[bench]'``).

    python benchmarks/vs_mesa.py [--sizes 1e4 1e5] [--steps 40] [--runs 3]
        [--versions networkgrid plain incremental] [--runs-at 1e5=1]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numba as nb
import numpy as np

from panoptisim import kernels
from panoptisim.network import Graph, from_edges, make_households, make_small_world

try:
    import mesa
    import networkx as nx
    from mesa.space import NetworkGrid
except ImportError as exc:  # pragma: no cover - a benchmark-only extra
    raise SystemExit(f"{exc}: install the bench extra, pip install 'panoptisim[bench]'") from exc

A, B_D, B_S, B_R = -1.0, 3.0, 4.0, 6.0
MEMORY, P_CHANCE, P_DETECT = 7, 0.2, 0.3
W_FLAG, W_NET, THRESHOLD, DURATION = 60.0, 30.0, 560.0, 30
P_CUT, ANCHOR, LR = 0.2, 0.05, 0.1

#: Fewest steps that reach the end of the memory window and the expiry of day 0's sanctions.
MIN_STEPS = DURATION + MEMORY + 3
WARM_STEPS = 3

Counts = list[tuple[int, int, int, int]]


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


@dataclass
class PyInputs:
    """The same inputs as Python objects for the Mesa side (converted once, untimed).

    Tuples of floats, bools and ints (indexed as fast as lists): after one collection the
    collector no longer tracks them, so the tens of millions of pre-generated draws (which
    a Mesa model would draw as it goes) are not walked by any later collection."""

    n: int
    dissent: tuple[float, ...]
    threshold: tuple[float, ...]
    score: tuple[float, ...]
    chance: tuple[tuple[bool, ...], ...]
    logit_u: tuple[tuple[float, ...], ...]
    u_flag: tuple[tuple[float, ...], ...]
    u_cut: tuple[tuple[float, ...], ...]
    rows: tuple[tuple[tuple[int, int, int], ...], ...]  # per agent: (j, entry i->j, entry j->i)


def reverse_index(g: Graph) -> np.ndarray:
    """The CSR position of each entry's reverse (uint32), for the sides whose layout stores
    it (the Mesa agents' rows, the fused kernel); built untimed, as the draws are converted.
    panoptisim's graph stores no such index (4 bytes an entry) and finds a reverse by binary
    search (``Graph.reverse``)."""
    return g.reverse(np.arange(len(g.indices))).astype(np.uint32)


def to_python(inp: Inputs) -> PyInputs:
    g = inp.graph
    indptr, indices, rev = g.indptr.tolist(), g.indices.tolist(), reverse_index(g).tolist()
    rows = tuple(tuple((indices[e], e, rev[e]) for e in range(indptr[i], indptr[i + 1]))
                 for i in range(g.n))
    out = PyInputs(
        n=g.n, dissent=tuple(inp.dissent.tolist()), threshold=tuple(inp.threshold.tolist()),
        score=tuple(inp.score.tolist()), chance=tuple(tuple(x.tolist()) for x in inp.chance),
        logit_u=tuple(tuple(x.tolist()) for x in inp.logit_u),
        u_flag=tuple(tuple(x.tolist()) for x in inp.u_flag),
        u_cut=tuple(tuple(x.tolist()) for x in inp.u_cut), rows=rows)
    gc.collect()  # untracks the tuples of atoms
    return out


# ------------------------------------------------------------------ panoptisim's kernels
def run_panoptisim(inp: Inputs, steps: int) -> tuple[Counts, float]:
    """Counts per step (expressed, flagged, new sanctions, ties cut) and the stepping time."""
    g0 = inp.graph
    g = Graph(g0.indptr, g0.indices, g0.active.copy())
    n = g.n
    score, risk = inp.score.copy(), np.zeros(n)
    ti = np.full(n, -1, np.int32)
    days = np.zeros(n, np.int32)
    degree = g.active_degree()
    counts = []
    gc.collect()
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
        cand = kernels.live_entries_into(g.indptr, g.indices, g.active, sanctioned)
        cut = g.cut(cand[inp.u_cut[t][cand] < P_CUT])
        if len(cut):
            ends = np.concatenate([g.indices[cut], g.sources_of(cut)])
            degree = degree - np.bincount(ends, minlength=n).astype(np.float32)
        risk = risk + LR * (ANCHOR + flagged - risk)
        counts.append((int(expressed.sum()), int(flagged.sum()), int(new.sum()), len(cut)))
    return counts, time.perf_counter() - t0


@nb.njit(cache=True, nogil=True)
def _follow(members_now_of, t, ti, days, counted, count, indptr, indices, active, buf):
    """Bring ``count`` to today's set (recent speakers: 0, on a sanction: 1) by pushing
    the changes along live ties: panoptisim's ``tiecounts.follow``."""
    k = 0
    for i in range(len(counted)):
        now = (ti[i] >= 0 and t - ti[i] <= MEMORY) if members_now_of == 0 else days[i] > 0
        if now != counted[i]:
            counted[i] = now
            buf[k] = i
            k += 1
    kernels._push_membership(indptr, indices, active, buf[:k], counted, count)


@nb.njit(cache=True, nogil=True)
def _fused_step(t, indptr, indices, rev, active, dissent, threshold, score, risk, ti, days,
                degree, recent, n_recent, marked, n_marked, chance, logit_u, u_flag, u_cut,
                buf):
    """One step of the core in compiled passes, the counts of live ties to recent speakers
    and to sanctioned agents kept by pushes (the same arithmetic, in the same order, as
    run_panoptisim's numpy expressions)."""
    _follow(0, t, ti, days, recent, n_recent, indptr, indices, active, buf)
    _follow(1, t, ti, days, marked, n_marked, indptr, indices, active, buf)
    n_expressed = n_flagged = n_new = n_cut = 0
    for i in range(len(score)):
        deg = np.float64(max(degree[i], np.float32(1.0)))
        support = np.float64(n_recent[i]) / deg
        utility = A + B_D * (dissent[i] - 0.5) + B_S * (support - threshold[i]) - B_R * risk[i]
        expressed = chance[i] and utility > logit_u[i]
        flagged = expressed and u_flag[i] < P_DETECT
        if expressed:
            ti[i] = t
        score[i] = score[i] - W_FLAG * np.float64(flagged) - W_NET * (
            np.float64(n_marked[i]) / deg)
        if days[i] > 0:
            days[i] -= 1
        if days[i] == 0 and score[i] < THRESHOLD:
            days[i] = DURATION
            n_new += 1
        risk[i] = risk[i] + LR * (ANCHOR + np.float64(flagged) - risk[i])
        n_expressed += expressed
        n_flagged += flagged
    for j in range(len(score)):  # each live tie into a sanctioned agent: one cut draw
        if days[j] == 0:
            continue
        # only until the row's last live entry: most sanctioned agents have lost most of
        # their ties (all, often), and a cut entry is never live again in this core
        live_left = np.int64(degree[j])
        # unsigned positions: no negative-index wrap-around on every access (kernels.py)
        for e in range(np.uint64(indptr[j]), np.uint64(indptr[j + 1])):
            if live_left == 0:
                break
            if active[e] == 0:
                continue
            live_left -= 1
            into = np.uint64(rev[e])
            if u_cut[e] < P_CUT:  # the draw of entry ``into``, laid out in row order
                a = np.uint32(indices[e])
                active[e] = 0.0
                active[into] = 0.0
                degree[a] -= np.float32(1.0)
                degree[j] -= np.float32(1.0)
                n_recent[a] -= recent[j]
                n_recent[j] -= recent[a]
                n_marked[a] -= marked[j]
                n_marked[j] -= marked[a]
                n_cut += 1
    return n_expressed, n_flagged, n_new, n_cut


def run_fused(inp: Inputs, steps: int) -> tuple[Counts, float]:
    """The core as compiled passes with incremental counts of live ties (panoptisim's
    ``tiecounts`` and the fused-kernel style); counts per step and the stepping time."""
    g = inp.graph
    n = g.n
    active = g.active.copy()
    score, risk = inp.score.copy(), np.zeros(n)
    ti = np.full(n, -1, np.int32)
    days = np.zeros(n, np.int32)
    degree = Graph(g.indptr, g.indices, active).active_degree()
    rev = reverse_index(g)
    recent, marked = np.zeros(n, bool), np.zeros(n, bool)
    n_recent, n_marked = np.zeros(n, np.int32), np.zeros(n, np.int32)
    buf = np.empty(n, np.int64)
    # the draws converted to this side's form, untimed as every side's are: each cut draw
    # (of the entry pointing at the sanctioned end) stored at its reverse, the entry of the
    # sanctioned agent's own row, so the pass over that row reads them in order
    u_cut = [u[rev] for u in inp.u_cut[:steps]]
    counts = []
    gc.collect()
    t0 = time.perf_counter()
    for t in range(steps):
        counts.append(_fused_step(t, g.indptr, g.indices, rev, active, inp.dissent,
                                  inp.threshold, score, risk, ti, days, degree, recent,
                                  n_recent, marked, n_marked, inp.chance[t], inp.logit_u[t],
                                  inp.u_flag[t], u_cut[t], buf))
    return counts, time.perf_counter() - t0


# ------------------------------------------------------------------ Mesa 3: six phases
class PhasedCitizen(mesa.Agent):
    """One person, stepped in six ``agents.do`` phases; subclasses give the neighbours."""

    def __init__(self, model, i):
        super().__init__(model)
        p = model.inp
        self.i = i
        self.dissent = p.dissent[i]
        self.threshold = p.threshold[i]
        self.score = p.score[i]
        self.risk = 0.0
        self.ti = -1
        self.days = 0

    def neighbours(self):
        raise NotImplementedError

    def express(self):
        m, t = self.model, self.model.t
        ties = self.neighbours()
        recent = sum(1 for x in ties if x.ti >= 0 and t - x.ti <= MEMORY)
        support = recent / max(len(ties), 1.0)
        utility = (A + B_D * (self.dissent - 0.5) + B_S * (support - self.threshold)
                   - B_R * self.risk)
        self.expressed = m.chance[self.i] and utility > m.logit_u[self.i]
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

    def learn(self):
        self.risk = self.risk + LR * (ANCHOR + self.flagged - self.risk)


class PhasedModel(mesa.Model):
    PHASES = ("express", "commit", "rescore", "sanction", "cut_ties", "learn")

    def __init__(self, inp: PyInputs):
        super().__init__(seed=1)
        self.inp = inp
        self.t = 0

    def step(self):
        t, p = self.t, self.inp
        self.chance, self.logit_u = p.chance[t], p.logit_u[t]
        self.u_flag, self.u_cut = p.u_flag[t], p.u_cut[t]
        self.ties_cut = 0
        for phase in self.PHASES:
            self.agents.do(phase)
        self.counts = (sum(a.expressed for a in self.agents),
                       sum(a.flagged for a in self.agents),
                       sum(a.new for a in self.agents), self.ties_cut)
        self.t += 1


# (a) idiomatic: NetworkGrid over networkx
class GridCitizen(PhasedCitizen):
    def neighbours(self):
        return self.model.grid.get_neighbors(self.pos)

    def cut_ties(self):
        m = self.model
        for other in self.neighbours():
            if other.days > 0 and m.u_cut[m.entry[self.i, other.i]] < P_CUT:
                m.grid.G.remove_edge(self.pos, other.pos)
                m.ties_cut += 1


class GridModel(PhasedModel):
    def __init__(self, inp: PyInputs):
        super().__init__(inp)
        self.entry = {(i, j): e for i, row in enumerate(inp.rows) for j, e, _ in row}
        G = nx.Graph()
        G.add_nodes_from(range(inp.n))
        G.add_edges_from((i, j) for (i, j) in self.entry if i < j)
        self.grid = NetworkGrid(G)
        for i in range(inp.n):
            self.grid.place_agent(GridCitizen(self, i), i)


# (b) plain: live neighbours in a dict held by each agent
class PlainCitizen(PhasedCitizen):
    def __init__(self, model, i):
        super().__init__(model, i)
        self.ties = {}  # live neighbour -> CSR position of the entry self -> neighbour

    def neighbours(self):
        return self.ties

    def cut_ties(self):
        m = self.model
        for other, e in list(self.ties.items()):
            if other.days > 0 and m.u_cut[e] < P_CUT:
                del self.ties[other]
                del other.ties[self]
                m.ties_cut += 1


class PlainModel(PhasedModel):
    def __init__(self, inp: PyInputs):
        super().__init__(inp)
        people = [PlainCitizen(self, i) for i in range(inp.n)]
        for a, row in zip(people, inp.rows):
            a.ties = {people[j]: e for j, e, _ in row}


# (c) incremental: one fused pass, counts of recent / sanctioned neighbours kept up to date
ANCHOR_FLAGGED = ANCHOR + True  # ANCHOR + flagged, as the other sides compute it


class IncCitizen(mesa.Agent):
    """One person in one fused pass a day (see the module docstring for the invariants).

    ``loud`` / ``shamed``: the state this agent has published (recent expression / under
    sanction); ``n_loud`` / ``n_shamed``: the sum of the published states of its live
    neighbours, plus ``p_loud`` / ``p_shamed`` pushed today before its own turn (folded in
    after its reads); ``seen``: the last day it took its turn; ``marks``: neighbours whose
    turn came earlier today, under sanction, whose draw cuts the tie to this agent."""

    def __init__(self, model, i):
        super().__init__(model)
        p = model.inp
        self.i = i
        self.base = A + B_D * (p.dissent[i] - 0.5)  # the utility's first term, same bits
        self.threshold = p.threshold[i]
        self.score = p.score[i]
        self.risk = 0.0
        self.ti = -1
        self.days = 0
        self.ties = {}  # live neighbour -> CSR position of the entry neighbour -> self
        self.loud = self.shamed = False
        self.n_loud = self.n_shamed = self.p_loud = self.p_shamed = 0
        self.seen = -1
        self.marks = []

    def day(self):
        m = self.model
        t = m.t
        ties = self.ties
        # reads: the start-of-day state (no tie of this agent cut yet today, no push seen);
        # ``len(ties) or 1.0`` is max(degree, 1.0): n / d gives the same double for int d
        expressed = flagged = False
        if m.chance[self.i]:
            utility = (self.base + B_S * (self.n_loud / (len(ties) or 1.0) - self.threshold)
                       - B_R * self.risk)
            if utility > m.logit_u[self.i]:
                expressed = True
                m.n_expressed += 1
                if m.u_flag[self.i] < P_DETECT:
                    flagged = True
                    m.n_flagged += 1
        score = self.score
        if flagged:
            score = score - W_FLAG
        if self.n_shamed:
            score = score - W_NET * (self.n_shamed / (len(ties) or 1.0))
        self.score = score
        self.seen = t
        if self.p_loud:
            self.n_loud += self.p_loud
            self.p_loud = 0
        if self.p_shamed:
            self.n_shamed += self.p_shamed
            self.p_shamed = 0
        # own updates
        days = self.days
        if days > 0:
            days -= 1
        if days == 0 and score < THRESHOLD:
            days = DURATION
            m.n_new += 1
        self.days = days
        r = self.risk
        self.risk = r + LR * ((ANCHOR_FLAGGED if flagged else ANCHOR) - r)
        # publish changes; recent tomorrow while t + 1 - ti <= MEMORY
        if expressed:
            self.ti = t
            if not self.loud:
                self.loud = True
                for x in ties:
                    if x.seen == t:
                        x.n_loud += 1
                    else:
                        x.p_loud += 1
        elif self.loud and t + 1 - self.ti > MEMORY:
            self.loud = False
            for x in ties:
                if x.seen == t:
                    x.n_loud -= 1
                else:
                    x.p_loud -= 1
        shamed = days > 0
        if shamed != self.shamed:
            self.shamed = shamed
            d = 1 if shamed else -1
            for x in ties:
                if x.seen == t:
                    x.n_shamed += d
                else:
                    x.p_shamed += d
        # ties: the draw on each live entry pointing at a sanctioned agent; a tie is cut
        # by whichever end takes its turn later today
        if shamed:
            u = m.u_cut
            for x in [x for x, e in ties.items() if u[e] < P_CUT]:
                if x.seen == t:
                    self.cut(x)
                else:
                    x.marks.append(self)
        if self.marks:
            for x in self.marks:
                if x in ties:  # not when its own draw cut it already
                    self.cut(x)
            self.marks = []

    def cut(self, x):
        """Cut the tie to ``x`` (whose turn came earlier today) and correct both counts."""
        del self.ties[x]
        del x.ties[self]
        if x.loud:
            self.n_loud -= 1
        if x.shamed:
            self.n_shamed -= 1
        if self.loud:
            x.n_loud -= 1
        if self.shamed:
            x.n_shamed -= 1
        self.model.ties_cut += 1


class IncModel(mesa.Model):
    def __init__(self, inp: PyInputs):
        super().__init__(seed=1)
        self.inp = inp
        self.t = 0
        people = [IncCitizen(self, i) for i in range(inp.n)]
        for a, row in zip(people, inp.rows):
            a.ties = {people[j]: e_in for j, _, e_in in row}

    def step(self):
        t, p = self.t, self.inp
        self.chance, self.logit_u = p.chance[t], p.logit_u[t]
        self.u_flag, self.u_cut = p.u_flag[t], p.u_cut[t]
        self.n_expressed = self.n_flagged = self.n_new = self.ties_cut = 0
        self.agents.do("day")
        self.counts = (self.n_expressed, self.n_flagged, self.n_new, self.ties_cut)
        self.t += 1


VERSIONS: dict[str, Callable[[PyInputs], mesa.Model]] = {
    "networkgrid": GridModel, "plain": PlainModel, "incremental": IncModel}


def run_mesa(version: str, pinp: PyInputs, steps: int) -> tuple[Counts, float]:
    """Counts per step and the stepping time (building the model's agents excluded)."""
    model = VERSIONS[version](pinp)
    counts = []
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
        counts.append(model.counts)
    dt = time.perf_counter() - t0
    del model
    return counts, dt


def check(name: str, n: int, ours: Counts, theirs: Counts) -> None:
    if ours != theirs:
        bad = next(t for t, (a, b) in enumerate(zip(ours, theirs)) if a != b)
        raise SystemExit(f"trajectories differ at n={n}, version {name}, first at step {bad}:\n"
                         f" panoptisim {ours}\n {name:10} {theirs}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5"])
    ap.add_argument("--steps", type=int, default=MIN_STEPS,
                    help=f"steps per run (default {MIN_STEPS}: past the memory window and the "
                         "expiry of the first sanctions; fewer are allowed, with a warning)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runs-at", action="append", default=[], metavar="SIZE=RUNS",
                    help="fewer runs at one size (networkgrid at 1e5 takes minutes per run)")
    ap.add_argument("--versions", nargs="+", choices=list(VERSIONS), default=list(VERSIONS),
                    help="Mesa versions to run (default: all)")
    args = ap.parse_args()
    runs_at = {int(float(k)): int(v) for k, v in (x.split("=") for x in args.runs_at)}
    kernels.warm_up()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}, mesa {mesa.__version__}, "
          f"load {load}")
    if args.steps < MIN_STEPS:
        print(f"warning: --steps {args.steps} < {MIN_STEPS} (DURATION + MEMORY + 3): the runs "
              "end before both the memory window's end and the first sanctions' expiry are "
              "exercised")
    for size_text in args.sizes:
        n = int(float(size_text))
        inp = make_inputs(n, args.steps)
        pinp = to_python(inp)
        runs = runs_at.get(n, args.runs)
        warm = min(WARM_STEPS, args.steps)
        ours, _ = run_panoptisim(inp, warm)  # warm-up, untimed, checked
        check("fused", n, ours, run_fused(inp, warm)[0])
        for v in args.versions:
            check(v, n, ours, run_mesa(v, pinp, warm)[0])
        sides = ["panoptisim", "panoptisim fused", *args.versions]
        times: dict[str, list[float]] = {v: [] for v in sides}
        for _ in range(runs):
            ours, dt = run_panoptisim(inp, args.steps)
            times["panoptisim"].append(dt)
            fused, dt = run_fused(inp, args.steps)
            check("fused", n, ours, fused)
            times["panoptisim fused"].append(dt)
            for v in args.versions:
                theirs, dt = run_mesa(v, pinp, args.steps)
                check(v, n, ours, theirs)
                times[v].append(dt)
        agent_days = n * args.steps
        print(f"\n{n:,} agents x {args.steps} steps, {runs} runs, {len(inp.graph.indices):,} "
              f"CSR entries; every version's counts equal panoptisim's on every step: "
              f"{sum(c[0] for c in ours):,} expressions, {sum(c[1] for c in ours):,} flags, "
              f"{sum(c[2] for c in ours):,} sanctions, {sum(c[3] for c in ours):,} ties cut "
              f"({sum(c[3] for c in ours) / (len(inp.graph.indices) // 2):.0%} of the ties)")
        print(f"  {'version':18} {'ms/step median [min, max]':>32} {'agent-days/s':>14}"
              f"  {'/ panoptisim':>12}  {'/ fused':>9}")
        med_p = statistics.median(times["panoptisim"])
        med_f = statistics.median(times["panoptisim fused"])
        for v, ts in times.items():
            med = statistics.median(ts)
            name = v if v.startswith("panoptisim") else f"mesa {v}"
            ms = [1e3 * x / args.steps for x in (med, min(ts), max(ts))]
            print(f"  {name:18} {ms[0]:11.2f} [{ms[1]:9.2f}, {ms[2]:9.2f}] "
                  f"{agent_days / med:14,.0f}  {med / med_p:11,.1f}x  {med / med_f:8,.1f}x")
        if "incremental" in times:
            r = statistics.median(times["incremental"]) / med_f
            print(f"  target: mesa incremental / panoptisim fused >= 100x at 1e5; here "
                  f"{r:,.1f}x at {n:,} ({'met' if r >= 100 else 'not met'})")
        else:
            print("  target: mesa incremental / panoptisim >= 100x at 1e5 "
                  "(incremental not run here)")

if __name__ == "__main__":
    main()

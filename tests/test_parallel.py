"""Multi-threaded kernels give bit-identical results to the single-thread run.

The parallel kernels split the work by CSR row only (panoptisim.kernels), so the number of
threads cannot change a sum. Each run is a fresh process with NUMBA_NUM_THREADS fixed, the
parallel path forced on a small society; metrics and final state are compared bytewise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from panoptisim import cores, kernels
from panoptisim.engine import _step_day as STEP_DAY
from panoptisim.network import from_edges, make_erdos_renyi

CHILD = r"""
import hashlib, json, sys
import numba
from panoptisim import kernels
kernels.PARALLEL_MIN_ENTRIES = 0 if sys.argv[1] == "pull" else kernels.PARALLEL_MIN_ENTRIES
kernels.SCATTER_MAX_SHARE = -1.0 if sys.argv[1] == "pull" else kernels.SCATTER_MAX_SHARE
import panoptisim
r = panoptisim.run("baseline", seed=3, overrides={"population.size": 1500, "run.steps": 25})
h = hashlib.sha256()
h.update(r.metrics.drop(columns=["arm"]).to_numpy().tobytes())
s = r.final_state("treated")
for a in (s.score, s.perceived_risk, s.active_degree, s.graph.active):
    h.update(a.tobytes())
print(json.dumps({"threads": numba.get_num_threads(), "hash": h.hexdigest()}))
"""


def run_child(threads: int, mode: str) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_and_two_threads_give_identical_runs():
    one, two = run_child(1, "pull"), run_child(2, "pull")
    assert (one["threads"], two["threads"]) == (1, 2)
    assert one["hash"] == two["hash"]
    assert run_child(2, "default")["hash"] == one["hash"]  # push (scatter) form: same bits


def test_kernel_thread_counts_agree_in_process():
    import numba
    rng = np.random.default_rng(5)
    n = 3000
    g = from_edges(n, *make_erdos_renyi(n, 12, rng))
    g.active[rng.random(len(g.active)) < 0.2] = 0
    x = rng.random(n).astype(np.float32)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = kernels._csr_matvec_par(g.indptr, g.indices, g.active, x)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = kernels._csr_matvec_par(g.indptr, g.indices, g.active, x)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert np.array_equal(a.view(np.uint32), (g._matrix @ x).view(np.uint32))


def _traced_run(monkeypatch, threads: int) -> tuple[bytes, dict[str, set[int]]]:
    """A small paired run with ``threads`` allowed; returns its bytes and, per arm, the
    threads its days ran in."""
    import threading

    from panoptisim import engine
    from panoptisim.scenario import load_scenario

    seen: dict[str, set[int]] = {}

    def traced(ctx, rec, t):
        seen.setdefault(ctx.arm.name, set()).add(threading.get_ident())
        return STEP_DAY(ctx, rec, t)

    monkeypatch.setattr(cores, "threads", lambda: threads)
    monkeypatch.setattr(engine, "SIDE_BY_SIDE_MIN_AGENTS", 0)  # side by side at this size
    monkeypatch.setattr(cores, "SPLIT_MIN_AGENTS", 0)  # decisions split when a core is spare
    monkeypatch.setattr(engine, "_step_day", traced)
    sc = load_scenario("baseline", {"population.size": 2000, "run.steps": 30}, seed=4)
    sim = engine.simulate(sc)
    table = engine.day_columns(sim)
    blob = b"".join(v.tobytes() for k, v in table.items() if k != "arm")
    blob += b"".join(r.state.score.tobytes() + r.state.graph.active.tobytes() for r in sim.runs)
    return blob, seen


def test_arms_step_in_two_threads_with_identical_results(monkeypatch):
    one, seen_one = _traced_run(monkeypatch, 1)
    two, seen_two = _traced_run(monkeypatch, 2)
    assert seen_one["treated"] == seen_one["control"]  # one thread: one after the other
    assert len(seen_two["control"]) == 1 and seen_two["treated"].isdisjoint(seen_two["control"])
    assert one == two


def test_small_societies_step_their_arms_in_turn(monkeypatch):
    """Below SIDE_BY_SIDE_MIN_AGENTS the arms share this thread even with two allowed."""
    import threading

    from panoptisim import engine
    from panoptisim.scenario import load_scenario

    seen: dict[str, set[int]] = {}

    def traced(ctx, rec, t):
        seen.setdefault(ctx.arm.name, set()).add(threading.get_ident())
        return STEP_DAY(ctx, rec, t)

    monkeypatch.setattr(cores, "threads", lambda: 2)
    monkeypatch.setattr(engine, "_step_day", traced)
    engine.simulate(load_scenario("baseline", {"population.size": 500, "run.steps": 3}))
    assert 500 < engine.SIDE_BY_SIDE_MIN_AGENTS
    assert seen["treated"] == seen["control"] == {threading.get_ident()}

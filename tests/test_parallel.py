"""Multi-threaded kernels give bit-identical results to the single-thread run.

The parallel kernels split the work by CSR row only (panoptisim.kernels), so the number of
threads cannot change a sum. Each run is a fresh process with NUMBA_NUM_THREADS fixed, the
parallel path forced on a small society; metrics and final state are compared bytewise.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np

from panoptisim import kernels
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
        a = kernels._csr_matvec_f32_par(g.indptr, g.indices, g.active, x)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = kernels._csr_matvec_f32_par(g.indptr, g.indices, g.active, x)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert np.array_equal(a.view(np.uint32), (g._matrix @ x).view(np.uint32))

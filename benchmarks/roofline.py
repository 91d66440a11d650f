"""Benchmark: this machine's memory bandwidth (a STREAM-like probe) and the fraction of it
each graph pass of the step reaches.

STREAM (McCalpin 1995): copy ``a = b`` and triad ``a = b + s c`` over float64 arrays far
larger than the caches, on one thread and on every thread (numba ``prange``); bandwidth
counts the bytes the kernel must move (copy 16 B, triad 24 B per element).

Graph passes on the default society (baseline, mean degree about 20), each counted by the
bytes it must move at least:
- pull (row) pass, ``neighbour_sum`` dense form: indptr 8 B per row, indices 4 B and
  ``active`` 4 B per entry, one 4 B read of x per entry (the gather, counted once), 4 B out
  per row;
- push (scatter) pass from the non-zeros of a sparse mask (the day's usual case: about 10%
  expressed recently): per visited entry indices 4 B, active 4 B, out 4 B (read and write,
  counted once); per non-zero its position 8 B, its indptr pair 8 B (counted once) and its
  value 4 B; the zeroed output 4 B per agent.
Fraction = pass bandwidth / STREAM triad bandwidth at the same thread count.

The tie-count push (``kernels.push_membership``, ``tiecounts``) is counted like the push
pass: per visited entry indices 4 B, active 4 B, the count 4 B (read and write, counted
once); per changed agent its position 8 B, its indptr pair 8 B and its membership 1 B.

The per-agent decisions with their draws inside (``philox.happens``) move almost nothing
(1 B out per agent, plus 8 B per per-agent probability array and 1 B per candidate mask):
they are bound by the arithmetic of Philox4x32-10, not by memory. Their limit is the rate of
the generator alone on this machine (``_philox_only``: the same loop over blocks of four
agents, the words xor-reduced instead of compared and stored); fraction = that time / the
decision pass's time. The last such row is the same decisions split in chunks over the
threads (``philox._decide_split``, as ``happens`` runs them when a core is spare): its
fraction above 100% is the speed-up of the second core.

The per-agent passes of the stages and the metrics (the Beta-belief update, fading
credits, the sanctions' count-down, the metrics' float sums, kept shares and binned Gini)
are counted by the bytes of their arrays read and written once each, over at least 2*10^7
agents (arrays far larger than the caches).

    python benchmarks/roofline.py [--size 1e6] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import numba as nb
import numpy as np

from panoptisim.philox import philox4x32


@nb.njit(parallel=True, cache=True)
def _triad_par(a, b, c, s):
    for i in nb.prange(len(a)):
        a[i] = b[i] + s * c[i]


@nb.njit(cache=True)
def _triad_seq(a, b, c, s):
    for i in range(len(a)):
        a[i] = b[i] + s * c[i]


@nb.njit(parallel=True, cache=True)
def _copy_par(a, b):
    for i in nb.prange(len(a)):
        a[i] = b[i]


@nb.njit(cache=True)
def _philox_only(k0, k1, day, n):
    """The generator alone: Philox4x32-10 of every block of four agents, words xor-reduced."""
    acc = np.uint32(0)
    for block in range(n // 4):
        w0, w1, w2, w3 = philox4x32(block, day, 0, 0, k0, k1)
        acc ^= w0 ^ w1 ^ w2 ^ w3
    return acc


def best(fn, repeat: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1e6")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from panoptisim import cores, kernels
    from panoptisim.population import build_society
    from panoptisim.scenario import load_scenario
    from panoptisim.streams import Streams

    threads = nb.get_num_threads()
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, numba threads {threads}, load {load()}")
    m = 40_000_000  # 3 x 320 MB: far beyond any cache
    a, b, c = np.zeros(m), np.ones(m), np.full(m, 2.0)
    stream = {}
    for name, fn, nbytes in [
        ("copy (numpy, 1 thread)", lambda: np.copyto(a, b), 16 * m),
        (f"copy ({threads} threads)", lambda: _copy_par(a, b), 16 * m),
        ("triad (1 thread)", lambda: _triad_seq(a, b, c, 3.0), 24 * m),
        (f"triad ({threads} threads)", lambda: _triad_par(a, b, c, 3.0), 24 * m),
    ]:
        lo, med = best(fn, args.repeat)
        stream[name] = nbytes / lo / 1e9
        print(f"STREAM {name:<24} best {stream[name]:6.2f} GB/s  (median {nbytes / med / 1e9:.2f})")
    a = b = c = None  # free the 960 MB before the model is built
    triad = {1: stream["triad (1 thread)"], threads: stream[f"triad ({threads} threads)"]}

    size = int(float(args.size))
    state = build_society(load_scenario("baseline", {"population.size": size}, seed=1),
                          Streams(1))
    g = state.graph
    n, entries = g.n, len(g.indices)
    rng = np.random.default_rng(0)
    dense = rng.random(n).astype(np.float32)
    sparse = (rng.random(n) < 0.1).astype(np.float32)
    nz = np.flatnonzero(sparse)
    visited = int((g.indptr[nz + 1] - g.indptr[nz]).sum())
    pull_bytes = 8 * (n + 1) + 12 * entries + 4 * n
    # x scanned for its non-zeros (4 B an agent), out written (4 B an agent), and per
    # non-zero its two indptr bounds (16 B) and the entries of its row (12 B each)
    push_bytes = 12 * visited + 8 * n + 16 * len(nz)
    print(f"\nsociety: {n:,} agents, {entries:,} CSR entries (mean degree {entries / n:.1f})")
    passes = [
        ("pull, 1 thread", 1, lambda: kernels._csr_matvec_seq(g.indptr, g.indices,
                                                               g.active, dense), pull_bytes),
        (f"pull, {threads} threads", threads,
         lambda: kernels._csr_matvec_par(g.indptr, g.indices, g.active, dense), pull_bytes),
        ("pull, scipy csr_matvec", 1, lambda: g._matrix @ dense, pull_bytes),
        ("push, 10% non-zero", 1, lambda: kernels._scatter(g.indptr, g.indices, g.active,
                                                            sparse), push_bytes),
    ]
    for name, t, fn, nbytes in passes:
        lo, med = best(fn, args.repeat)
        bw = nbytes / lo / 1e9
        print(f"pass {name:<26} best {lo * 1e3:7.1f} ms  (median {med * 1e3:.1f})  "
              f"{bw:6.2f} GB/s  = {bw / triad[t]:5.1%} of triad at {t} thread(s)")

    # the tie-count push: 5% of agents join or leave the set of recent speakers
    from panoptisim import philox
    changed = np.flatnonzero(rng.random(n) < 0.05)
    members = rng.random(n) < 0.5
    count = np.zeros(n, np.int32)
    touched = int((g.indptr[changed + 1] - g.indptr[changed]).sum())
    push_count_bytes = 12 * touched + 17 * len(changed)
    lo, med = best(lambda: kernels.push_membership(g.indptr, g.indices, g.active, changed,
                                                   members, count), args.repeat)
    bw = push_count_bytes / lo / 1e9
    print(f"pass {'tie-count push, 5% changed':<26} best {lo * 1e3:7.1f} ms  (median "
          f"{med * 1e3:.1f})  {bw:6.2f} GB/s  = {bw / triad[1]:5.1%} of triad at 1 thread(s)")

    # the decisions with their draws inside, against the generator alone
    key, day = (0x12345678, 0x9ABCDEF0), 17
    k0, k1, d = np.uint32(key[0]), np.uint32(key[1]), np.uint32(day)
    gen_lo, gen_med = best(lambda: _philox_only(k0, k1, d, np.int64(n)), args.repeat)
    print(f"\nPhilox4x32-10 alone (1 thread)   best {gen_lo * 1e3:7.2f} ms  "
          f"(median {gen_med * 1e3:.2f})  {n / gen_lo / 1e9:.2f} G draws/s")
    per_agent = rng.random(n)
    candidates = rng.random(n) < 0.5
    blocks = (n + 3) // 4
    one, none, everyone = np.float64(1.0), np.float64(0.0), np.bool_(True)

    def decide(*args):  # philox.happens on one thread (it splits when a core is spare)
        return philox._decide(0, blocks, n, k0, k1, d, np.float64(0.3), *args)

    decisions = [
        ("happens, one probability", lambda: decide(one, none, everyone)),
        ("happens, x per-agent factor", lambda: decide(per_agent, none, everyone)),
        ("happens, factor+forgone+among", lambda: decide(per_agent, per_agent, candidates)),
        ("uniform_all (float32 out)", lambda: philox.uniform_all(key, day, n)),
    ]
    if cores.threads() > 1:  # the same decisions split in chunks over the threads
        decisions.append((f"  the same, {cores.threads()} threads", lambda: philox._decide_split(
            np.int64(n), k0, k1, d, np.float64(0.3), per_agent, per_agent, candidates)))
    for name, fn in decisions:
        lo, med = best(fn, args.repeat)
        print(f"pass {name:<30} best {lo * 1e3:7.2f} ms  (median {med * 1e3:.2f})  "
              f"{n / lo / 1e9:.2f} G agents/s  = {gen_lo / lo:5.1%} of the generator alone")

    # the per-agent passes of the stages and metrics, each by the bytes it must move
    # at a size whose arrays are far larger than the caches (L3: tens of MB), as STREAM's
    from panoptisim import beliefs, reductions
    n = max(n, 20_000_000)
    hits = (rng.random(n) * 3).astype(np.float32)
    misses = (rng.random(n) * 20).astype(np.float32)
    risk = np.zeros(n, np.float32)
    expressed, own = rng.random(n) < 0.05, rng.random(n) < 0.001
    seen = rng.poisson(0.5, n).astype(np.float32)
    score, credit = rng.uniform(350, 950, n), rng.uniform(0, 30, n)
    degree, inverse = rng.integers(0, 30, n).astype(np.float32), rng.random(n)
    days_left = rng.integers(0, 30, (5, n)).astype(np.int32)
    agent_passes = [
        # hits, misses, risk: read and written (12 B); expressed, own 1 B; two sums 8 B
        ("beliefs.learn (perception)", 22 * n, lambda: beliefs.learn(
            hits, misses, risk, keep=0.99, weight=1.0, expressed=expressed, own_hits=own,
            seen_trials=seen, seen_hits=seen, rel_neighbour=0.3)),
        # score and credits read and written (32 B), the payment mask read (1 B)
        ("kernels.credits (fade, earn)", 33 * n, lambda: kernels.credits(
            score, credit, 180, ((2.0, expressed), (1.0, None)))),
        ("kernels.count_down (5 kinds)", 40 * n, lambda: kernels.count_down(days_left)),
        ("reductions.float_sum (f64)", 8 * n, lambda: reductions.float_sum(score)),
        ("reductions.kept_shares", 13 * n, lambda: reductions.kept_shares(
            degree, inverse, expressed)),
        ("reductions.binned_gini", 8 * n, lambda: reductions.binned_gini(
            score, 350.0, 950.0, 0.01)),
    ]
    print(f"\nper-agent passes over {n:,} agents")
    split_min = cores.SPLIT_MIN_AGENTS
    cores.SPLIT_MIN_AGENTS = 1 << 62  # each pass on one thread, then the split ones on all
    rows = [(name, nbytes, fn, 1) for name, nbytes, fn in agent_passes]
    if cores.threads() > 1:
        rows.append(("  credits split over threads", 33 * n, lambda: kernels._credits_split(
            score, credit, np.broadcast_to(180.0, n), np.broadcast_to(2.0, n), expressed,
            np.broadcast_to(1.0, n), kernels.NO_MASK), cores.threads()))
    try:
        for name, nbytes, fn, used in rows:
            lo, med = best(fn, args.repeat)
            bw = nbytes / lo / 1e9
            print(f"pass {name:<30} best {lo * 1e3:7.2f} ms  (median {med * 1e3:.2f})  "
                  f"{bw:6.2f} GB/s  = {bw / triad[used]:5.1%} of triad at {used} thread(s)")
    finally:
        cores.SPLIT_MIN_AGENTS = split_min
    print(f"\nload after: {load()}")


if __name__ == "__main__":
    main()

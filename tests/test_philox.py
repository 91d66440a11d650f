"""Philox4x32-10, the per-agent counter-based draws: known answers, an independent numpy
implementation, and a statistical battery at the sizes a run uses that fails on broken
generators (Knuth 1998 TAOCP vol. 2 §3.3.2)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from panoptisim import cores, philox
from panoptisim.streams import Streams

#: Random123's known-answer vectors for Philox4x32-10 (its tests/kat_vectors; Salmon et al.
#: 2011): counter, key, output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

N = 1 << 20  # draws per test: one day of a 10^6-agent run


def philox_numpy(c0, c1, c2, c3, k0, k1, rounds=philox.ROUNDS):
    """An independent Philox4x32 on numpy uint64 arrays (values < 2^32), from the paper."""
    mask = np.uint64(0xFFFFFFFF)
    c = [np.asarray(x, np.uint64) & mask for x in (c0, c1, c2, c3)]
    k0, k1 = np.asarray(k0, np.uint64), np.asarray(k1, np.uint64)
    for _ in range(rounds):
        p0, p1 = np.uint64(philox.M0) * c[0], np.uint64(philox.M1) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & mask, (p0 >> np.uint64(32)) ^ c[3] ^ k1,
             p0 & mask]
        k0, k1 = (k0 + np.uint64(philox.W0)) & mask, (k1 + np.uint64(philox.W1)) & mask
    return c


def uniform_numpy(key, day, n, rounds=philox.ROUNDS, use_day=True):
    """The per-agent draws as the module defines them, on numpy (optionally broken)."""
    agents = np.arange(n, dtype=np.uint64)
    words = philox_numpy(agents >> np.uint64(2), day if use_day else 0, 0, 0, key[0], key[1],
                         rounds)
    word = np.choose((agents & np.uint64(3)).astype(np.int64), words)
    return ((word >> np.uint64(8)).astype(np.float32) * np.float32(2.0 ** -24))


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_known_answers_of_random123(counter, key, expected):
    assert tuple(int(w) for w in philox.philox4x32(*counter, *key)) == expected
    assert tuple(int(w[()]) for w in philox_numpy(*counter, *key)) == expected


def test_compiled_draws_equal_the_numpy_reference_for_any_key_counter_and_subset():
    rng = np.random.default_rng(5)
    for _ in range(4):
        key = tuple(int(x) for x in rng.integers(0, 2**32, 2))
        day = int(rng.integers(0, 2**32))
        n = int(rng.integers(1, 5000))
        full = philox.uniform_all(key, day, n)
        np.testing.assert_array_equal(full, uniform_numpy(key, day, n))
        subset = rng.choice(n, size=min(n, 37), replace=False)
        np.testing.assert_array_equal(philox.uniform_at(key, day, subset), full[subset])
    u = philox.uniform_all((12345, 678), 9, N + 3)
    assert u.dtype == np.float32 and 0.0 <= u.min() and u.max() < 1.0


# ---------------------------------------------------------------------------- the battery
def frequency_p(u: np.ndarray, bins: int = 1024) -> float:
    """Chi-square of the counts in ``bins`` equal bins (Knuth's frequency test)."""
    counts = np.bincount((u * bins).astype(np.int64), minlength=bins)
    return float(stats.chisquare(counts).pvalue)


def ks_p(u: np.ndarray) -> float:
    return float(stats.kstest(u, "uniform").pvalue)


def serial_p(u: np.ndarray, v: np.ndarray, bins: int = 32) -> float:
    """Chi-square of the pairs (u_i, v_i) in a bins x bins grid (Knuth's serial test)."""
    cell = (u * bins).astype(np.int64) * bins + (v * bins).astype(np.int64)
    return float(stats.chisquare(np.bincount(cell, minlength=bins * bins)).pvalue)


def runs_p(u: np.ndarray) -> float:
    """Runs up and down: their number has mean (2n-1)/3 and variance (16n-29)/90 (Knuth
    §3.3.2 exercise; Wald-Wolfowitz); two-sided normal p-value."""
    n = len(u)
    up = np.diff(u) > 0
    runs = 1 + int(np.count_nonzero(up[1:] != up[:-1]))
    z = (runs - (2 * n - 1) / 3) / np.sqrt((16 * n - 29) / 90)
    return float(2 * stats.norm.sf(abs(z)))


def correlation_p(u: np.ndarray, v: np.ndarray) -> float:
    return float(stats.pearsonr(u, v).pvalue)


def battery(draw) -> dict[str, float]:
    """p-values of the battery for ``draw(key, day, n)``: one day's draws, neighbouring
    agents, the same agent on the next day, another purpose and another seed."""
    key, other_key = Streams(7).key("behavior.expression"), Streams(7).key("behavior.trip")
    u = draw(key, 3, N)
    next_day = draw(key, 4, N)
    return {
        "frequency": frequency_p(u),
        "kolmogorov-smirnov": ks_p(u),
        "runs up and down": runs_p(u),
        "serial, neighbouring agents": serial_p(u[0::2], u[1::2]),
        "serial, agents four apart": serial_p(u[:-4], u[4:]),
        "serial, next day": serial_p(u, next_day),
        "correlation, neighbouring agents": correlation_p(u[:-1], u[1:]),
        "correlation, next day": correlation_p(u, next_day),
        "correlation, other purpose": correlation_p(u, draw(other_key, 3, N)),
        "correlation, other seed": correlation_p(u, draw(Streams(8).key(
            "behavior.expression"), 3, N)),
    }


ALPHA = 1e-4  # the battery's level; fixed seeds, so a pass or a failure is reproducible


def test_the_draws_pass_the_battery_at_a_run_size():
    p = battery(philox.uniform_all)
    failed = {name: value for name, value in p.items() if value < ALPHA}
    assert not failed, failed


@pytest.mark.parametrize("broken, expected", [
    (lambda key, day, n: uniform_numpy(key, day, n, rounds=2), "serial, neighbouring agents"),
    (lambda key, day, n: uniform_numpy(key, day, n, use_day=False), "correlation, next day"),
])
def test_the_battery_fails_a_broken_generator(broken, expected):
    """The battery has power: two rounds instead of ten, or a counter without the day."""
    p = battery(broken)
    assert p[expected] < ALPHA, p


def test_common_random_numbers_per_agent_whatever_the_subset():
    """An agent's draw is the same whether computed for all agents or for a few: the arms
    stay aligned however different the agents that take a decision in each."""
    s = Streams(2024)
    full = s.uniform("behavior.default", 17, 10_000)
    for agents in (np.array([5, 9999]), np.arange(3, 10_000, 7)):
        np.testing.assert_array_equal(s.uniform_at("behavior.default", 17, agents),
                                      full[agents])
    assert not np.array_equal(full, s.uniform("behavior.default", 18, 10_000))
    assert not np.array_equal(full, Streams(2024).replicate(1).uniform("behavior.default",
                                                                        17, 10_000))


@pytest.mark.parametrize("n", [1, 4, 1003])
def test_a_decision_pass_takes_the_decisions_of_the_draws_it_makes_inside(n):
    """philox.happens equals comparing the full array of draws, for every mix of one value
    and per-agent arrays (each compiles to its own loop), and the tail after the last full
    block of four agents."""
    rng = np.random.default_rng(n)
    key, day = (77, 88), 5
    u = philox.uniform_all(key, day, n)
    factor, forgone = rng.random(n), rng.random(n).astype(np.float32)
    among = rng.random(n) < 0.5
    p_each = rng.random(n)
    for p in (0.4, p_each):
        for times in (1.0, factor):
            for lost in (0.0, forgone):
                for who in (True, among):
                    got = philox.happens(key, day, n, p, times=times, forgone=lost, among=who)
                    want = np.asarray(who) & (u < np.asarray(p) * times
                                              * (1.0 - np.asarray(lost, np.float64)))
                    np.testing.assert_array_equal(got, want)
    assert philox.happens(key, day, n, 1.0).all() and not philox.happens(key, day, n, 0.0).any()


def test_happens_reads_float32_factors_as_their_exact_float64_values():
    rng = np.random.default_rng(4)
    n = 10_001
    forgone = rng.random(n).astype(np.float32)
    times = (rng.random(n) * 2).astype(np.float32)
    among = rng.random(n) < 0.5
    for args in ({"forgone": forgone}, {"times": times}, {"times": times, "forgone": forgone,
                                                           "among": among}):
        wide = {k: v.astype(np.float64) if v.dtype == np.float32 else v
                for k, v in args.items()}
        assert np.array_equal(philox.happens((5, 6), 3, n, 0.4, **args),
                              philox.happens((5, 6), 3, n, 0.4, **wide))


def test_happens_looks_up_a_factor_by_category_as_the_array_would_give_it():
    rng = np.random.default_rng(6)
    n = 5003
    by_settlement = np.array([0.15, 0.5], np.float32)
    by_region = np.array([[0.15, 0.5], [0.3, 0.9]], np.float32)
    urban = (rng.random(n) < 0.6).view(np.int8)
    region = (rng.random(n) < 0.5).astype(np.int8)
    among = rng.random(n) < 0.8
    for lookup, values in (((by_settlement, urban), by_settlement[urban]),
                           ((by_region, region, urban), by_region[region, urban])):
        got = philox.happens((9, 8), 4, n, 1.0, times=lookup, among=among)
        assert np.array_equal(got, philox.happens((9, 8), 4, n, 1.0, times=values,
                                                  among=among))
        # the float32 comparison of the draws with the float32 values, exactly
        assert np.array_equal(got, among & (philox.uniform_all((9, 8), 4, n) < values))


def test_a_decision_split_over_threads_takes_the_same_decisions(monkeypatch):
    """From cores.SPLIT_MIN_AGENTS agents, with a core spare, a decision pass is split in
    chunks of CHUNK_BLOCKS blocks over numba's threads: the same decisions as one thread,
    across chunk boundaries and a last partial block; with the threads busy (another
    thread in a parallel kernel) it runs on one."""
    calls = []
    split = philox._decide_split

    def spy(*args):
        calls.append(args[0])
        return split(*args)

    monkeypatch.setattr(philox, "_decide_split", spy)
    monkeypatch.setattr(cores, "SPLIT_MIN_AGENTS", 0)
    monkeypatch.setattr(cores, "threads", lambda: 2)
    rng = np.random.default_rng(12)
    n = 2 * 4 * philox.CHUNK_BLOCKS + 7
    key, day = (3, 9), 11
    u = philox.uniform_all(key, day, n)
    times, forgone, among = rng.random(n).astype(np.float32), rng.random(n), rng.random(n) < .7
    want = among & (u < 0.6 * times.astype(np.float64) * (1.0 - forgone))
    got = philox.happens(key, day, n, 0.6, times=times, forgone=forgone, among=among)
    assert calls == [n]
    np.testing.assert_array_equal(got, want)
    with cores.PARALLEL_LOCK:  # another thread's parallel kernel: one thread here
        np.testing.assert_array_equal(
            philox.happens(key, day, n, 0.6, times=times, forgone=forgone, among=among), want)
    with cores.stepping(), cores.stepping():  # both arms stepping: no core spare
        np.testing.assert_array_equal(
            philox.happens(key, day, n, 0.6, times=times, forgone=forgone, among=among), want)
    assert calls == [n]
    with cores.stepping():  # one arm stepping, two threads: split
        philox.happens(key, day, n, 0.6)
    assert calls == [n, n]

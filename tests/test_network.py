"""The CSR graph with its active mask, the generators, and the society's network."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers_mech import live_edges

from panoptisim import contagion
from panoptisim.network import (
    from_edges,
    make_configuration,
    make_erdos_renyi,
    make_households,
    make_small_world,
)
from panoptisim.population import build_society
from panoptisim.scenario import load_scenario
from panoptisim.streams import Streams


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def adjacency(g) -> sp.csr_matrix:
    """The graph's full adjacency (cut ties included) with unit weights."""
    return sp.csr_matrix((np.ones(len(g.indices)), g.indices, g.indptr), shape=(g.n, g.n))


def average_clustering(g) -> float:
    """Mean local clustering coefficient (0 for degree < 2), Watts & Strogatz's C."""
    a = adjacency(g)
    triangles = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel()  # 2 x triangles
    k = np.diff(g.indptr)
    pairs = k * (k - 1)
    return float(np.where(pairs > 0, triangles / np.maximum(pairs, 1), 0.0).mean())


def random_graph(n: int = 300, m: int = 3000, seed: int = 1):
    r = rng(seed)
    return from_edges(n, r.integers(0, n, m), r.integers(0, n, m))


# ------------------------------------------------------------------------ Graph
def test_from_edges_drops_self_loops_and_duplicates():
    g = from_edges(5, np.array([0, 0, 1, 2, 2, 3, 4]), np.array([1, 1, 0, 2, 3, 3, 4]))
    assert g.n == 5 and g.n_edges == 2
    np.testing.assert_array_equal(g.degree(), [1, 1, 1, 1, 0])
    assert set(zip(*live_edges(g))) == {(0, 1), (2, 3)}


def test_from_edges_matches_the_set_of_distinct_pairs():
    r = rng(3)
    n = 200
    u, v = r.integers(0, n, 5000), r.integers(0, n, 5000)
    g = from_edges(n, u, v)
    expected = {(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist()) if a != b}
    assert set(zip(*(x.tolist() for x in live_edges(g)))) == expected
    assert g.n_edges == len(expected)


def test_csr_is_symmetric_sorted_and_loop_free():
    g = random_graph()
    a = adjacency(g)
    assert (a - a.T).nnz == 0
    assert (g.sources != g.indices).all()
    for i in range(g.n):
        row = g.indices[g.indptr[i]:g.indptr[i + 1]]
        assert (np.diff(row) > 0).all()


def test_reverse_is_an_involution_pointing_back_to_the_source():
    g = random_graph()
    e = np.arange(len(g.indices))
    rev = g.reverse(e)
    np.testing.assert_array_equal(rev[rev], e)
    np.testing.assert_array_equal(g.indices[rev], g.sources)
    np.testing.assert_array_equal(g.sources[rev], g.indices)
    assert (rev != e).all()
    picked = rng(3).choice(len(e), 300)  # any subset, in any order, repeats allowed
    np.testing.assert_array_equal(g.reverse(picked), rev[picked])
    np.testing.assert_array_equal(g.sources_of(picked), g.sources[picked])


def test_reverse_finds_the_reverse_across_empty_rows():
    from panoptisim.network.graph import from_edges
    g = from_edges(7, np.array([1, 1, 4, 6]), np.array([4, 6, 6, 4]))  # 0, 2, 3, 5 alone
    e = np.arange(len(g.indices))
    rev = g.reverse(e)
    np.testing.assert_array_equal(g.indices[rev], g.sources)
    np.testing.assert_array_equal(g.sources_of(e), g.sources)


def test_live_entries_into_lists_the_live_ties_pointing_at_the_targets():
    from panoptisim import kernels
    g = random_graph()
    g.cut(rng(4).choice(len(g.indices), 300, replace=False))
    targets = rng(6).choice(g.n, 40, replace=False)
    want = np.flatnonzero(np.isin(g.indices, targets) & (g.active > 0))
    np.testing.assert_array_equal(
        kernels.live_entries_into(g.indptr, g.indices, g.active, targets), want)


def test_cut_zeroes_both_directions_and_returns_each_tie_once():
    g = random_graph()
    r = rng(5)
    picked = r.choice(len(g.indices), 400, replace=False)
    # ask for some ties twice: once in each direction and once repeated
    entries = np.concatenate([picked, g.reverse(picked[:100]), picked[:50]])
    ties = {frozenset((int(a), int(b))) for a, b in zip(g.sources[picked], g.indices[picked])}
    before = g.active_degree().copy()
    cut = g.cut(entries)
    assert len(cut) == len(ties)
    assert len(np.unique(cut)) == len(cut)
    assert (cut < g.reverse(cut)).all()  # the lower of its two positions
    assert {frozenset((int(a), int(b))) for a, b in zip(g.sources[cut], g.indices[cut])} == ties
    assert (g.active[entries] == 0).all() and (g.active[g.reverse(entries)] == 0).all()
    assert int((g.active == 0).sum()) == 2 * len(ties)
    lost = np.bincount(np.concatenate([g.sources[cut], g.indices[cut]]), minlength=g.n)
    np.testing.assert_array_equal(before - g.active_degree(), lost)
    # cutting again is a no-op that reports nothing
    assert len(g.cut(entries)) == 0


def test_neighbour_sum_respects_active_mask():
    g = random_graph()
    r = rng(8)
    g.cut(r.choice(len(g.indices), 1500, replace=False))
    values = r.random(g.n).astype(np.float32)
    live = g.active > 0
    brute = np.bincount(g.sources[live], weights=values[g.indices[live]], minlength=g.n)
    np.testing.assert_allclose(g.neighbour_sum(values), brute, rtol=1e-5)
    np.testing.assert_array_equal(g.active_degree(), np.bincount(g.sources[live],
                                                                  minlength=g.n))
    assert (g.active_degree() < g.degree()).any()


def test_live_ties_match_the_brute_force_oracle_after_cuts():
    """contagion.live_ties (the ties the validation cases percolate over, in CSR order)
    against the plain-loop oracle, before and after cutting a third of the ties."""
    g = random_graph()
    for _ in range(2):
        u, v = contagion.live_ties(g)
        ou, ov = live_edges(g)
        np.testing.assert_array_equal(u, ou)
        np.testing.assert_array_equal(v, ov)
        g.cut(rng(11).choice(len(g.indices), len(g.indices) // 3, replace=False))
    assert 0 < len(u) < g.n_edges


def test_state_copy_has_an_independent_active_mask():
    sc = load_scenario("baseline", {"population.size": 500})
    s = build_society(sc, Streams(1))
    c = s.copy()
    c.graph.cut(np.arange(0, len(c.graph.indices), 3))
    assert (s.graph.active == 1).all()
    assert c.graph.active_degree().sum() < s.graph.active_degree().sum()
    np.testing.assert_array_equal(s.graph.active_degree(), s.graph.degree())


# ------------------------------------------------------------------- generators
def test_households_mean_size_and_cliques():
    n = 30_000
    household, u, v = make_households(n, 2.62, rng(2))
    assert len(household) == n and (np.diff(household) >= 0).all()  # agents in order
    sizes = np.bincount(household)
    assert (sizes >= 1).all() and sizes.sum() == n
    assert abs(sizes.mean() - 2.62) < 0.06, sizes.mean()
    # 1 + Poisson(1.62): share of single households ~ exp(-1.62)
    assert abs((sizes == 1).mean() - np.exp(-1.62)) < 0.03
    # every tie is inside one household, and every household is a clique
    assert (household[u] == household[v]).all()
    g = from_edges(n, u, v)
    np.testing.assert_array_equal(g.degree(), sizes[household] - 1)
    assert g.n_edges == int((sizes * (sizes - 1) // 2).sum())


@pytest.mark.parametrize("p_rewire", [0.0, 0.1, 0.3, 0.6])
def test_small_world_degree_and_clustering(p_rewire):
    n, k = 2000, 18
    g = from_edges(n, *make_small_world(n, k, p_rewire, rng(4)))
    assert abs(g.degree().mean() - k) < 0.03 * k
    c = average_clustering(g)
    # Barrat & Weigt 2000: C(p) ~ C(0) (1 - p)^3, C(0) = 3(k - 2) / (4(k - 1)); plus ER's k/n
    c0 = 3 * (k - 2) / (4 * (k - 1))
    assert abs(c - (c0 * (1 - p_rewire) ** 3 + k / n)) < 0.02, c
    er = from_edges(n, *make_erdos_renyi(n, k, rng(4)))
    if p_rewire <= 0.3:
        assert c > 10 * average_clustering(er)


def test_small_world_clustering_falls_as_rewiring_rises():
    n, k = 2000, 18
    cs = [average_clustering(from_edges(n, *make_small_world(n, k, p, rng(6))))
          for p in (0.0, 0.05, 0.2, 0.5, 1.0)]
    assert all(a > b for a, b in zip(cs, cs[1:])), cs


def test_small_world_fractional_degree_and_block_homophily():
    n = 4000
    block = np.repeat([0, 1], [2500, 1500])
    u, v = make_small_world(n, 10.5, 1.0, rng(7), block=block, p_cross_block=0.0)
    g = from_edges(n, u, v)
    assert abs(g.degree().mean() - 10.5) < 0.3
    # every far end rewired within the source's block: no tie crosses blocks
    assert (block[u] == block[v]).all()
    u, v = make_small_world(n, 10.5, 1.0, rng(7), block=block, p_cross_block=1.0)
    cross = (block[u] != block[v]).mean()
    assert 0.4 < cross < 0.55  # ~ 2 * 0.625 * 0.375 = 0.47 for uniform far ends


@pytest.mark.parametrize("c", [2.0, 8.0, 20.0])
def test_erdos_renyi_mean_degree(c):
    n = 5000
    g = from_edges(n, *make_erdos_renyi(n, c, rng(9)))
    d = g.degree()
    assert abs(d.mean() - c) < 0.25, d.mean()
    assert 0.85 * c < d.var() < 1.15 * c  # Poisson degrees, not a regular graph


def test_configuration_model_regular_degrees():
    n = 5000
    g = from_edges(n, *make_configuration(np.full(n, 4), rng(10)))
    d = g.degree()
    assert d.max() <= 4
    assert 3.99 < d.mean() <= 4.0
    assert (d == 4).mean() > 0.99


@pytest.mark.parametrize("call", [
    lambda: make_small_world(1, 4, 0.1, rng()),
    lambda: make_small_world(100, 4, 1.5, rng()),
    lambda: make_erdos_renyi(10, 20, rng()),
    lambda: make_households(0, 2.6, rng()),
    lambda: make_configuration(np.array([2, -1]), rng()),
])
def test_generators_reject_impossible_parameters(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------- society
@pytest.mark.parametrize("p_urban", [0.3, 0.639])
def test_society_mean_degree_and_urban_share(p_urban):
    sc = load_scenario("baseline", {"population.size": 20_000,
                                    "population.regions.0.share": p_urban,
                                    "population.regions.1.share": 1 - p_urban})
    s = build_society(sc, Streams(3))
    d = s.graph.degree()
    assert 19.0 <= d.mean() <= 21.0, d.mean()  # DESIGN: about 20
    assert abs(s.region.__eq__(0).mean() - p_urban) < 0.02
    np.testing.assert_array_equal(s.urban, s.region == 0)  # urbanity 1 and 0
    np.testing.assert_array_equal(s.active_degree, d)
    # region is a block of agent order (urban first), which the lattice homophily relies on
    assert (np.diff(s.region.astype(int)) >= 0).all()
    # regional homophily: most ties stay within the region
    u, v = live_edges(s.graph)
    assert (s.region[u] == s.region[v]).mean() > 0.9


@pytest.mark.parametrize("case", ["sparse", "with -0.0", "negative", "nan", "dense"])
def test_neighbour_sum_push_and_pull_give_scipys_bits(case):
    """The push form (sparse non-negative x, scanned for its non-zeros inside the kernel)
    and the pull form both give the bits of scipy's csr_matvec; negative or NaN entries
    take the pull form."""
    from panoptisim import kernels
    g = random_graph()
    r = rng(3)
    g.cut(r.choice(len(g.indices), 800, replace=False))
    x = np.where(r.random(g.n) < 0.1, r.random(g.n), 0.0).astype(np.float32)
    if case == "with -0.0":
        x[x == 0] = -0.0
    elif case == "negative":
        x[5] = -0.25
    elif case == "nan":
        x[7] = np.nan
    elif case == "dense":
        x = r.random(g.n).astype(np.float32)
    matrix = sp.csr_matrix((g.active.astype(np.float32), g.indices, g.indptr),
                           shape=(g.n, g.n))
    want = matrix @ x
    pushed = kernels.neighbour_sum(g.indptr, g.indices, g.active, x)
    # a small graph's pull form is scipy's own (kernels return None): only the push is ours
    assert (pushed is not None) == (case in ("sparse", "with -0.0"))
    got = g.neighbour_sum(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    if pushed is not None:
        np.testing.assert_array_equal(pushed, want)


def test_long_rows_are_sorted_and_deduplicated_too():
    # rows up to kernels.SHORT_ROW entries are insertion-sorted, longer ones by np.sort
    from panoptisim import kernels
    r = rng(4)
    n = 3 * kernels.SHORT_ROW
    hubs = np.repeat([0, 1], 4 * kernels.SHORT_ROW)
    others = r.integers(0, n, len(hubs))  # many duplicates
    g = from_edges(n, np.concatenate([hubs, r.integers(0, n, 200)]),
                   np.concatenate([others, r.integers(0, n, 200)]))
    assert np.diff(g.indptr).max() > kernels.SHORT_ROW
    for i in range(n):
        row = g.indices[g.indptr[i]:g.indptr[i + 1]]
        assert (np.diff(row) > 0).all()
    a = adjacency(g)
    assert (a - a.T).nnz == 0


def test_keep_fit_keeps_the_ties_of_the_numpy_expression_in_place():
    from panoptisim import kernels
    r = rng(6)
    n, m = 500, 20_000
    u, v = r.integers(0, n, m), r.integers(0, n, m)
    s = r.gamma(1 / 0.36, 0.36, n)
    draws = r.random(m)
    draws[:50] = np.minimum(1.0, s[u[:50]] * s[v[:50]] / 2.0)  # exactly at the bound: dropped
    keep = draws < np.minimum(1.0, s[u] * s[v] / 2.0)
    ku, kv = u.copy(), v.copy()
    kept = kernels.keep_fit(ku, kv, s, 0, draws[:7000], 0)  # two chunks, compacted in place
    kept = kernels.keep_fit(ku, kv, s, 7000, draws[7000:], kept)
    np.testing.assert_array_equal(ku[:kept], u[keep])
    np.testing.assert_array_equal(kv[:kept], v[keep])
    assert 0 < kept < m


def _small_world_numpy(n, mean_degree, p_rewire, rng, block=None, p_cross_block=1.0,
                       sociability=None):
    """The small world as numpy expressions (shifted copies of the agents, a draw array
    per step): the reference the compiled lattice and the chunked draws must reproduce."""
    from panoptisim.network.generators import rewire_far_ends
    if sociability is not None:
        s = np.asarray(sociability, dtype=np.float64)
        probe = rng.integers(0, n, size=(2, 20_000))
        keep_rate = float(np.minimum(1.0, s[probe[0]] * s[probe[1]] / 2.0).mean())
        u, v = _small_world_numpy(n, min(mean_degree / max(keep_rate, 1e-9), n - 1), p_rewire,
                                  rng, block, p_cross_block)
        keep = rng.random(len(u)) < np.minimum(1.0, s[u] * s[v] / 2.0)
        return u[keep], v[keep]
    half = mean_degree / 2.0
    whole = int(np.floor(half))
    frac = half - whole
    nodes = np.arange(n, dtype=np.int64)
    us, vs = [], []
    for offset in range(1, whole + 2):
        if offset <= whole:
            src = nodes
        else:
            if frac <= 0:
                break
            src = nodes[rng.random(n) < frac]
        us.append(src)
        vs.append((src + offset) % n)
    u, v = np.concatenate(us), np.concatenate(vs)
    # the far ends' moves are the generator's (unchanged); the draws deciding them are not
    rewire_far_ends(u, v, rng.random(len(u)) < p_rewire, rng, n, block, p_cross_block)
    return u, v


@pytest.mark.parametrize("mean_degree, block, sociability", [
    (18.0, False, False), (10.5, True, False), (18.0, True, True), (7.3, False, True)])
def test_small_world_gives_the_ties_of_the_numpy_expressions(monkeypatch, mean_degree, block,
                                                             sociability):
    """The compiled lattice and the draws taken in chunks (smaller than the lattice here)
    give the ties, in the order, of the numpy expressions, and leave the generator where
    they left it."""
    from panoptisim.network import generators
    monkeypatch.setattr(generators, "DRAW_CHUNK", 1000)
    n = 3000
    r = rng(12)
    args = dict(block=np.sort(r.integers(0, 3, n)) if block else None, p_cross_block=0.3,
                sociability=r.gamma(1 / 0.36, 0.36, n) if sociability else None)
    got, want = rng(13), rng(13)
    u, v = make_small_world(n, mean_degree, 0.2, got, **args)
    wu, wv = _small_world_numpy(n, mean_degree, 0.2, want, **args)
    assert len(u) > 5 * generators.DRAW_CHUNK
    np.testing.assert_array_equal(u, wu)
    np.testing.assert_array_equal(v, wv)
    assert got.random() == want.random()


def test_within_and_row_counts_equal_the_numpy_expressions():
    from panoptisim import kernels
    g = random_graph(n=400, m=4000, seed=9)
    for group in (rng(2).integers(0, 40, g.n), rng(3).integers(0, 3, g.n).astype(np.int8)):
        want = group[g.sources] == group[g.indices]
        got = g.within(group)
        np.testing.assert_array_equal(got, want)
        assert 0 < want.sum() < len(want)
        np.testing.assert_array_equal(kernels.row_counts(g.indptr, got),
                                      np.bincount(g.sources[want], minlength=g.n))


def test_pick_in_random_order_takes_the_entries_lexsort_puts_first_in_each_row():
    """The tie choice's draw of ``k`` distinct entries per row: the first ``k`` of each row
    in the order of their random keys, equal keys in row order (what ``np.lexsort((keys,
    which))`` gives), in that order, rows without a pick or a tie included."""
    from panoptisim import kernels
    rng = np.random.default_rng(8)
    g = from_edges(300, rng.integers(0, 300, 2000), rng.integers(0, 300, 2000))
    rows = np.sort(rng.choice(300, 120, replace=False))
    degree = g.indptr[rows + 1] - g.indptr[rows]
    picks = rng.binomial(degree, 0.4)
    for keys in (rng.random(degree.sum()), rng.integers(0, 3, degree.sum()) / 4.0):  # ties
        entries = np.concatenate([np.arange(g.indptr[r], g.indptr[r + 1]) for r in rows])
        which = np.repeat(np.arange(len(rows)), degree)
        order = np.lexsort((keys, which))
        first = np.searchsorted(which[order], which[order], side="left")
        pick = order[np.arange(len(order)) - first < picks[which[order]]]
        got_entries, got_which = kernels.pick_in_random_order(g.indptr, rows, picks, keys)
        np.testing.assert_array_equal(got_entries, entries[pick])
        np.testing.assert_array_equal(got_which, which[pick])

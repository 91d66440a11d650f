"""The validation cases: textbook results reproduced with the project's own kernels.

Each case computes its expected values from its inputs (``theory``) and its observed values
by running the project's code: the network generators and graph builder
(``panoptisim.network``), the threshold and percolation kernels (``panoptisim.contagion``,
whose fractional support is ``behavior.support_share``), the expression rule
(``behavior.expression_utility``), the sensor error model (``sensors.alert_outcomes``,
``sensors.fpir_by_group``, ``sensors.fpir_of_gallery``) and the full simulation
(``panoptisim.run``). Random draws come from named ``Streams`` of the case's seed, so every
case is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.special import expit

from panoptisim import contagion, sensors
from panoptisim.behavior import expression_utility
from panoptisim.network import from_edges, make_configuration, make_erdos_renyi
from panoptisim.streams import Streams
from panoptisim.validation import theory
from panoptisim.validation.registry import Check, Param, Params, case

SEED = Param("seed", 1, "Root seed of the case's random streams.", kind="int", lo=0,
             hi=2**63 - 1)


def _rng(p: Params, case_name: str, purpose: str) -> np.random.Generator:
    """The case's stream for ``purpose`` (independent of every other purpose)."""
    return Streams(p["seed"]).generator(f"validation.{case_name}.{purpose}")


def _g(x: float) -> str:
    """A number for a quantity label."""
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:.4g}"


# ======================================================================= 1 Granovetter
@case(
    "granovetter-count", "Granovetter (1978) riot, count thresholds",
    params=(
        Param("n", 100, "Crowd size.", kind="int", lo=2, hi=1_000_000),
        Param("moved", 1, "The agent whose threshold k is raised to k + 1.", kind="int",
              lo=0, hi=999_998),
    ),
    constraints=lambda p: None if p["moved"] <= p["n"] - 2 else
    f"moved = {p['moved']} must be at most n - 2 = {p['n'] - 2}",
    summary="""
In a crowd of n, agent k joins a riot once k others have joined (thresholds 0, 1, ..., n-1).
The instigator (threshold 0) starts, which brings in the agent of threshold 1, and so on:
all n riot. Raise one threshold from k to k + 1 and the chain stops after the first k agents:
with k = 1, only the instigator riots. Granovetter's point: two crowds with nearly identical
preferences can behave completely differently.""",
    method="""
`contagion.threshold_cascade` in complete-graph mode (support = number of *other* active
agents, count thresholds, synchronous rounds to the fixed point). Expected: n for the
uniform thresholds and k once agent k is moved to k + 1 (closed form). Exact.""",
    sources=("Granovetter, M. (1978). Threshold models of collective behavior. *American "
             "Journal of Sociology*, 83(6), 1420-1443. doi:10.1086/226707",),
    inputs="All inputs are Granovetter's own example (n = 100, thresholds 0..99, the "
           "threshold-1 agent moved to 2); nothing is assumed.",
)
def granovetter_count(p: Params) -> list[Check]:
    """Uniform count thresholds: all riot; one threshold moved: the riot stops at it."""
    n, k = p["n"], p["moved"]
    uniform = np.arange(n, dtype=np.float64)
    moved = uniform.copy()
    moved[k] = k + 1
    all_riot = contagion.threshold_cascade(uniform).final_size
    stalled = contagion.threshold_cascade(moved).final_size
    return [
        Check(f"rioters, thresholds 0,1,...,{n - 1} (n = {n})", n, int(all_riot), 0, "exact"),
        Check(f"rioters, threshold-{k} agent moved to {k + 1}", k, int(stalled), 0, "exact"),
    ]


# ============================================================ 2 Granovetter, normal
def _quantile_thresholds(n: int, mean: float, sd: float, scale: int = 1) -> np.ndarray:
    """Thresholds of n x scale agents at the midpoint quantiles of Normal(mean, sd),
    in units of 1/scale person (so ``scale`` copies of the crowd approximate the
    continuous distribution)."""
    q = (np.arange(n * scale) + 0.5) / (n * scale)
    return scale * (mean + sd * stats.norm.ppf(q))


def _rioters(n: int, mean: float, sd: float, scale: int = 1) -> int:
    return int(contagion.threshold_cascade(_quantile_thresholds(n, mean, sd, scale)).final_size)


@case(
    "granovetter-normal", "Granovetter (1978) riot, normal thresholds",
    params=(
        Param("n", 100, "Crowd size.", kind="int", lo=10, hi=100_000),
        Param("mean", 25.0, "Mean threshold (people).", lo=0.0, hi=1e5),
        Param("delta", 0.5, "Distance of the two sides from the critical sd.", lo=0.0,
              hi=1e4, lo_open=True),
        Param("scale", 100, "Copies of the crowd used to estimate the critical sd in the "
                            "continuous limit.", kind="int", lo=1, hi=10_000),
    ),
    constraints=lambda p: (f"mean = {p['mean']:g} must be below n = {p['n']}"
                           if p["mean"] >= p["n"] else
                           f"n x scale = {p['n'] * p['scale']:,} must be at most 10,000,000"
                           if p["n"] * p["scale"] > 10_000_000 else None),
    summary="""
With thresholds Normal(mean 25, sd) in a crowd of 100, the number of rioters follows
r <- 100 Phi((r - 25)/sd) from r = 0. As sd grows the low equilibrium vanishes at a tangency:
just below the critical sd the riot stalls at a handful of people, just above it all 100
join. Granovetter reports the critical value 12.2.""",
    method="""
Expected critical sd: the sd at which the map's local minimum touches the diagonal
(solved exactly; 12.22 at the defaults). Observed: bisection on sd of
`contagion.threshold_cascade` (complete graph, count thresholds) on `scale` copies of the
crowd with thresholds at the midpoint quantiles of the normal (10,000 agents at the
defaults: the continuous limit); tolerance 0.05 (the paper's one decimal). Both sides:
the kernel on the crowd of n agents at sd = critical -/+ delta against the map's smallest
fixed point; tolerance 1 + 0.5/(1 - slope of the map there), a stated allowance for the
finite crowd: one person because the kernel counts whole people, half a person because each
quantile threshold stands for a slice of the distribution, amplified where the map is nearly
parallel to the diagonal (close to the critical sd a crowd of 100 cannot resolve the
difference, and the allowance grows accordingly).""",
    sources=("Granovetter, M. (1978). Threshold models of collective behavior. *American "
             "Journal of Sociology*, 83(6), 1420-1443. doi:10.1086/226707",),
    inputs="Published: n = 100, mean 25 and the critical sd 12.2 (Granovetter 1978). "
           "Assumed: a finite crowd realises the normal by its midpoint quantiles (no "
           "sampling noise); delta = 0.5.",
)
def granovetter_normal(p: Params) -> list[Check]:
    """Critical sd of the normal-threshold riot, and the riot just below and above it."""
    n, mean, delta, scale = p["n"], p["mean"], p["delta"], p["scale"]
    critical = theory.granovetter_critical_sd(n, mean)
    lo, hi = critical / 2.0, critical * 2.0
    half = n * scale / 2
    if _rioters(n, mean, lo, scale) >= half or _rioters(n, mean, hi, scale) < half:
        observed = math.nan  # the kernel's transition is not inside the bracket
    else:
        while hi - lo > 1e-4:
            mid = 0.5 * (lo + hi)
            if _rioters(n, mean, mid, scale) >= half:
                hi = mid
            else:
                lo = mid
        observed = 0.5 * (lo + hi)
    rows = [Check(f"critical sd (kernel, {n * scale:,} agents; paper: 12.2 at n=100, mean=25)",
                  critical, observed, 0.05, "stated: paper's precision")]
    for side, sd in (("below", critical - delta), ("above", critical + delta)):
        if sd <= 0:
            continue
        fixed = theory.granovetter_equilibrium(n, mean, sd)
        slope = theory.granovetter_slope(fixed, n, mean, sd)
        tol = 1.0 + 0.5 / max(1.0 - slope, 1e-9)
        rows.append(Check(f"rioters just {side} (sd = {sd:.2f}, n = {n:,})", fixed,
                          _rioters(n, mean, sd), tol, "finite crowd vs continuous map"))
    return rows


# ============================================================= 3 Erdős–Rényi giant
@case(
    "er-giant", "Erdős–Rényi giant component",
    params=(
        Param("n", 100_000, "Nodes.", kind="int", lo=1000, hi=10_000_000),
        Param("c", (1.5, 2.0, 3.0, 0.5), "Mean degrees.", kind="floats", lo=0.0, hi=50.0),
        Param("graphs", 3, "Graphs averaged per mean degree.", kind="int", lo=1, hi=100),
        Param("tolerance", 0.01, "Allowed |observed - expected| share.", lo=0.0, hi=1.0),
        SEED,
    ),
    summary="""
In G(n, c/n) the share S of nodes in the giant component solves S = 1 - exp(-c S): 0.583 at
c = 1.5, 0.797 at c = 2, 0.940 at c = 3, and no giant component (S = 0) for c <= 1.""",
    method="""
Observed: `network.make_erdos_renyi` + `network.from_edges` (the project's generator and
graph builder, duplicates and self-loops dropped) and `contagion.giant_component_share`
(connected components by scipy.sparse.csgraph), averaged over `graphs` graphs. Expected:
the root of S = 1 - exp(-c S) (brentq). Tolerance 0.01 as stated; the finite-size standard
deviation of one graph, sqrt(S(1 - S)/n)/(1 - c(1 - S)), is about 0.004 at c = 1.5 and
n = 100,000, and it grows near c = 1, where the tolerance is too tight for finite n.""",
    sources=("Erdős, P., & Rényi, A. (1960). On the evolution of random graphs. *Publications "
             "of the Mathematical Institute of the Hungarian Academy of Sciences*, 5, 17-61.",
             "Newman, M. E. J. (2010). *Networks: An Introduction*, section 12.5. Oxford "
             "University Press. doi:10.1093/acprof:oso/9780199206650.001.0001"),
    inputs="Textbook case: no published data. n = 100,000 and the mean degrees are the "
           "issue's choice.",
)
def er_giant(p: Params) -> list[Check]:
    """Giant-component share of the project's Erdős–Rényi graphs against S = 1 - e^{-cS}."""
    rows = []
    for c in p["c"]:
        rng = _rng(p, "er-giant", f"c={c!r}")
        shares = []
        for _ in range(p["graphs"]):
            u, v = make_erdos_renyi(p["n"], c, rng)
            shares.append(contagion.giant_component_share(from_edges(p["n"], u, v)))
        expected = theory.er_giant_component(c)
        rows.append(Check(f"giant component share, c = {c:g} (n = {p['n']:,})", expected,
                          float(np.mean(shares)), p["tolerance"], "stated"))
    return rows


# =================================================================== 4 percolation
def _percolation_pmf(family: str, k: float) -> np.ndarray:
    return theory.poisson_pmf(k) if family == "poisson" else theory.regular_pmf(int(k))


def _percolation_constraints(p: Params) -> str | None:
    k = p["mean_degree"]
    if "regular" in p["families"] and (not float(k).is_integer() or k < 3):
        return f"mean_degree = {k:g} must be an integer >= 3 for the regular family"
    for family in p["families"]:
        tc = theory.percolation_threshold(_percolation_pmf(family, k))
        if not tc * p["above"] <= 1.0:
            return (f"above = {p['above']:g} puts T = {tc * p['above']:.3g} above 1 for the "
                    f"{family} family (T_c = {tc:.3g}); lower 'above' or raise mean_degree")
    return None


@case(
    "percolation", "Bond percolation / SIR epidemic threshold",
    params=(
        Param("n", 100_000, "Nodes.", kind="int", lo=1000, hi=5_000_000, quick=20_000),
        Param("families", ("poisson", "regular"), "Degree distributions.", kind="choices",
              choices=("poisson", "regular")),
        Param("mean_degree", 4.0, "Mean degree (the degree of the regular family).",
              lo=1.0, hi=100.0, lo_open=True),
        Param("graphs", 3, "Graphs per family.", kind="int", lo=1, hi=100),
        Param("grid", 41, "Transmissibilities scanned in [0.6, 1.4] x T_c.", kind="int",
              lo=5, hi=1001),
        Param("below", 0.75, "Transmissibility below threshold, in units of T_c.", lo=0.0,
              hi=1.0, lo_open=True),
        Param("above", 1.5, "Transmissibility above threshold, in units of T_c.", lo=1.0,
              hi=100.0, lo_open=True),
        Param("tolerance", 0.03, "Allowed |observed - expected| for T_c and outbreak shares.",
              lo=0.0, hi=1.0),
        SEED,
    ),
    constraints=_percolation_constraints,
    summary="""
An SIR epidemic in which each tie transmits with probability T reaches exactly the nodes of
the index case's cluster after bond percolation with retention T. On a configuration-model
graph the threshold is T_c = <k> / (<k^2> - <k>): 1/c = 0.25 for Poisson degrees with mean
c = 4 (Erdős–Rényi), 1/(k - 1) = 1/3 for the 4-regular graph. Below T_c outbreaks stay
microscopic; above it a large outbreak reaches a finite share S(T) of the population.""",
    method="""
Observed: degrees drawn from the family (`network.make_configuration`, erased configuration
model, then `network.from_edges`), one uniform per tie, and `contagion.bond_percolation`
over a grid of T (the same uniforms for every T, so the percolated graphs are nested). T_c is
located at the peak of the mean cluster size of a random node outside the giant
(`contagion.susceptibility`, summed over `graphs` graphs), the standard finite-size
estimator; the large-outbreak size is the giant component's share at T = below x T_c and
above x T_c. Expected: T_c from the moments of the degree distribution and S(T) from the
generating functions u = G1(1 - T + T u), S = 1 - G0(1 - T + T u) (0 below T_c). Tolerance
0.03 as stated; the grid step is 0.02 T_c.""",
    sources=("Newman, M. E. J. (2002). Spread of epidemic disease on networks. *Physical "
             "Review E*, 66(1), 016128. doi:10.1103/PhysRevE.66.016128",
             "Molloy, M., & Reed, B. (1995). A critical point for random graphs with a given "
             "degree sequence. *Random Structures & Algorithms*, 6(2-3), 161-180. "
             "doi:10.1002/rsa.3240060204",
             "Newman, M. E. J., & Ziff, R. M. (2000). Efficient Monte Carlo algorithm and "
             "high-precision results for percolation. *Physical Review Letters*, 85(19), "
             "4104-4107. doi:10.1103/PhysRevLett.85.4104"),
    inputs="Textbook case: no published data. Degree families, mean degree 4 and n are the "
           "issue's choice; the T grid, graphs per family and the 0.75 / 1.5 T_c "
           "probes are assumptions of the check.",
)
def percolation(p: Params) -> list[Check]:
    """T_c from the susceptibility peak and outbreak sizes on both sides of it."""
    rows = []
    n, k = p["n"], p["mean_degree"]
    for family in p["families"]:
        pmf = _percolation_pmf(family, k)
        tc = theory.percolation_threshold(pmf)
        grid = np.linspace(0.6 * tc, 1.4 * tc, p["grid"])
        grid = grid[grid <= 1.0]
        chi = np.zeros(len(grid))
        rng = _rng(p, "percolation", f"{family}:{k!r}")
        shares = {"below": [], "above": []}
        for _ in range(p["graphs"]):
            degrees = rng.poisson(k, n) if family == "poisson" else np.full(n, int(k))
            u, v = make_configuration(degrees, rng)
            graph = from_edges(n, u, v)
            u_tie = rng.random(len(contagion.live_ties(graph)[0]))
            chi += [contagion.susceptibility(contagion.bond_percolation(graph, t, u_tie))
                    for t in grid]
            for side in shares:
                labels = contagion.bond_percolation(graph, p[side] * tc, u_tie)
                shares[side].append(contagion.component_sizes(labels)[0] / n)
        label = "Erdős–Rényi" if family == "poisson" else f"{int(k)}-regular"
        label = f"{label} (<k> = {k:g}, n = {n:,})"
        rows.append(Check(f"T_c, {label}", tc, float(grid[int(chi.argmax())]), p["tolerance"],
                          "stated"))
        for side in ("below", "above"):
            t = p[side] * tc
            rows.append(Check(f"large-outbreak share at T = {p[side]:g} T_c = {t:.3g}, {label}",
                              theory.bond_percolation_giant(pmf, t),
                              float(np.mean(shares[side])), p["tolerance"], "stated"))
    return rows


# ========================================================================= 5 Watts
@case(
    "watts", "Watts (2002) global cascades",
    params=(
        Param("n", 10_000, "Nodes (Watts used 10,000).", kind="int", lo=1000,
              hi=1_000_000),
        Param("phi", 0.18, "Uniform fractional threshold.", lo=0.0, hi=1.0, lo_open=True),
        Param("z", (0.8, 3.0, 8.0), "Mean degrees.", kind="floats", lo=0.0, hi=100.0,
              lo_open=True),
        Param("trials", 1000, "Single-seed cascades per mean degree.", kind="int", lo=10,
              hi=100_000, quick=200),
        Param("global_share", 0.05, "A cascade is global when it reaches this share.",
              lo=0.0, hi=1.0, lo_open=True),
        Param("allowance", 0.05, "Finite-size allowance added to the binomial interval.",
              lo=0.0, hi=1.0),
        SEED,
    ),
    summary="""
Each node of an Erdős–Rényi graph of mean degree z adopts once a share phi of its
neighbours has. A single seed can trigger a global cascade only if the vulnerable nodes
(those with degree k <= 1/phi, which one active neighbour tips) percolate: z P(Poisson(z) <=
floor(1/phi) - 2) > 1, the cascade window, about 1.02 < z < 5.76 for phi = 0.18. Outside the
window global cascades are absent (z = 0.8: the graph falls apart; z >= 8: nodes are too
stable); inside they are frequent (z = 3).""",
    method="""
Observed: `network.make_erdos_renyi` + `network.from_edges`, one seed per trial (all trials
at once as columns of one (n, trials) state), `contagion.threshold_cascade` with fractional
thresholds, whose support is `behavior.support_share`, the share of live ties active, as in
the expression rule. A cascade is global if it reaches `global_share` of the nodes (an
assumption; in these runs cascades outside the window stay below 1%). Expected: the window
from Watts' condition (brentq) and the frequency of global cascades, the seed's chance to
sit in or next to the vulnerable cluster, 1 - exp(-z(1 - u)) with u = 1 - G1(1) + G1(u) over
vulnerable degrees (0 outside the window). Tolerance: the 99% binomial interval of `trials`
trials plus a stated finite-size allowance of 0.05 (near the window's upper edge finite
graphs keep cascading a little beyond the analytic boundary).""",
    sources=("Watts, D. J. (2002). A simple model of global cascades on random networks. "
             "*Proceedings of the National Academy of Sciences*, 99(9), 5766-5771. "
             "doi:10.1073/pnas.082090499",
             "Gleeson, J. P., & Cahalane, D. J. (2007). Seed size strongly affects cascades "
             "on random networks. *Physical Review E*, 75(5), 056103. "
             "doi:10.1103/PhysRevE.75.056103"),
    inputs="Published: phi = 0.18 and the window of Watts (2002), n = 10,000 as in his "
           "simulations. Assumed: the 5% share that makes a cascade global, the number of "
           "trials and the finite-size allowance.",
)
def watts(p: Params) -> list[Check]:
    """Frequency of single-seed global cascades inside and outside the cascade window."""
    n, phi, trials = p["n"], p["phi"], p["trials"]
    window = theory.watts_window(phi)
    where = (f"window {window[0]:.3f} < z < {window[1]:.3f}" if window
             else "no cascade window")
    rows = []
    thresholds = np.full(n, phi)
    for z in p["z"]:
        rng = _rng(p, "watts", f"z={z!r}")
        u, v = make_erdos_renyi(n, z, rng)
        graph = from_edges(n, u, v)
        seeds = np.zeros((n, trials), bool)
        seeds[rng.integers(0, n, trials), np.arange(trials)] = True
        sizes = contagion.threshold_cascade(thresholds, seeds, graph, fractional=True).final_size
        frequency = float((sizes >= p["global_share"] * n).mean())
        expected = theory.watts_cascade_probability(z, phi)
        inside = window is not None and window[0] < z < window[1]
        tol = theory.binomial_half_width(trials, expected, 0.99) / trials + p["allowance"]
        side = "inside" if inside else "outside"
        rows.append(Check(f"global-cascade frequency, z = {z:g} ({side} {where}, phi = {phi:g})",
                          expected, frequency, tol,
                          f"binomial 99% + {p['allowance']:g} finite size"))
    return rows


# ================================================================ 6 face identification
@case(
    "base-rate", "Base-rate arithmetic of 1:N face identification",
    params=(
        Param("scans", 1_000_000, "Faces scanned against each watchlist.", kind="int",
              lo=1000, hi=50_000_000),
        Param("fmr", 1e-7, "False match rate per comparison.", lo=0.0, hi=0.01, lo_open=True),
        Param("watchlists", (1000.0, 10000.0), "Watchlist sizes (the first is the "
              "reference the model scales from).", kind="floats", lo=1.0, hi=1e9),
        Param("prevalence", 1e-4, "Share of scanned faces on the watchlist.", lo=0.0, hi=1.0,
              lo_open=True),
        Param("tpir", 0.89, "True-positive identification rate.", lo=0.0, hi=1.0),
        Param("fpir", 1 / 6000, "False-positive identification rate per search.", lo=0.0,
              hi=1.0),
        Param("ppv_scans", 5_000_000, "Faces scanned for the predictive value.", kind="int",
              lo=1000, hi=100_000_000, quick=2_000_000),
        Param("confidence", 0.95, "Level of the binomial intervals.", lo=0.5, hi=0.99999),
        SEED,
    ),
    summary="""
Scanning a crowd against a watchlist raises false alerts in proportion to the faces scanned:
expected false alerts = scans x FPIR, whatever the prevalence of wanted people. FPIR itself
grows with the watchlist: 1 - (1 - FMR)^N, about N x FMR for small FMR, so a watchlist ten
times larger gives ten times the false alerts. At a prevalence of 1 in 10,000, with TPIR 0.89
and FPIR 1/6,000, only p TPIR / (p TPIR + (1 - p) FPIR) = 34.8% of alerts are true.""",
    method="""
Observed: `sensors.alert_outcomes`, the draw inside the model's ambient camera scanning,
with float32 uniforms from a named stream as in the simulation. The FPIR of each watchlist
is the model's linear scaling `sensors.fpir_by_group(FPIR of the first watchlist, size
ratio)`, the first watchlist's FPIR from `sensors.fpir_of_gallery(FMR, size)`; the expected
false alerts use the exact 1 - (1 - FMR)^N, so the check covers the scaling too.
Watchlisted faces for the predictive value are Bernoulli(prevalence). Expected: scans x
FPIR, scans x p x TPIR and the predictive value in closed form. Tolerance: central binomial
intervals at `confidence` (95%) for counts; for the ratio of false alerts, the matching
normal quantile (1.96 at 95%) times the standard error of the log ratio; for the predictive
value, the binomial interval of true alerts among the alerts raised.""",
    sources=("Grother, P., Ngan, M., & Hanaoka, K. (2019). *Face Recognition Vendor Test "
             "(FRVT) Part 2: Identification* (NISTIR 8271). NIST. doi:10.6028/NIST.IR.8271",
             "Mansfield, T. (2023). *Facial Recognition Technology in Law Enforcement: "
             "Equitability Study* (NPL Report MS 43). National Physical Laboratory.",
             "Bar-Hillel, M. (1980). The base-rate fallacy in probability judgments. *Acta "
             "Psychologica*, 44(3), 211-233. doi:10.1016/0001-6918(80)90046-3"),
    inputs="Published: TPIR 0.89 and FPIR 1 in 6,000 (NPL 2023, the Met's NEC system at face "
           "match threshold 0.6). Assumed: prevalence 1 in 10,000, FMR 1e-7 per comparison, "
           "watchlists of 1,000 and 10,000 and the numbers of scans.",
)
def base_rate(p: Params) -> list[Check]:
    """False alerts scale with scans and watchlist size; the predictive value is low."""
    conf = p["confidence"]
    z = stats.norm.isf((1.0 - conf) / 2.0)
    scans = p["scans"]
    sizes = p["watchlists"]
    reference = float(sensors.fpir_of_gallery(p["fmr"], sizes[0]))
    rows, counts, expected = [], [], []
    nobody = np.zeros(scans, bool)
    everyone = np.ones(scans, bool)
    for size in sizes:
        model_fpir = float(sensors.fpir_by_group(reference, size / sizes[0], 1.0, 1.0)[0])
        u = _rng(p, "base-rate", f"watchlist={size!r}").random(scans, dtype=np.float32)
        _, false_alert = sensors.alert_outcomes(everyone, nobody, u, p["tpir"], model_fpir)
        exact = float(sensors.fpir_of_gallery(p["fmr"], size))
        count = int(false_alert.sum())
        counts.append(count)
        expected.append(scans * exact)
        rows.append(Check(f"false alerts, watchlist {_g(size)}, {_g(scans)} scans "
                          f"(FPIR {exact:.3g} ~ N x FMR = {size * p['fmr']:.3g})",
                          scans * exact, count,
                          theory.binomial_half_width(scans, exact, conf),
                          f"binomial {conf:.0%}"))
    if len(sizes) > 1 and min(counts) > 0:
        ratio = expected[-1] / expected[0]
        se = math.sqrt(1.0 / expected[-1] + 1.0 / expected[0])
        rows.append(Check(f"false alerts, watchlist {_g(sizes[-1])} / {_g(sizes[0])}",
                          ratio, counts[-1] / counts[0], ratio * math.expm1(z * se),
                          f"log-ratio {conf:.0%}"))

    n, prev, tpir, fpir = p["ppv_scans"], p["prevalence"], p["tpir"], p["fpir"]
    rng = _rng(p, "base-rate", "ppv")
    watchlisted = rng.random(n) < prev
    u = rng.random(n, dtype=np.float32)
    true_alert, false_alert = sensors.alert_outcomes(np.ones(n, bool), watchlisted, u, tpir,
                                                     fpir)
    hits, misses = int(true_alert.sum()), int(false_alert.sum())
    ppv = theory.positive_predictive_value(prev, tpir, fpir)
    total = hits + misses
    rows += [
        Check(f"true alerts, {_g(n)} scans, prevalence {prev:g}, TPIR {tpir:g}", n * prev * tpir,
              hits, theory.binomial_half_width(n, prev * tpir, conf), f"binomial {conf:.0%}"),
        Check(f"false alerts, {_g(n)} scans, FPIR {fpir:.3g}", n * (1 - prev) * fpir, misses,
              theory.binomial_half_width(n, (1 - prev) * fpir, conf), f"binomial {conf:.0%}"),
        Check("positive predictive value (share of alerts that are true)", ppv,
              hits / total if total else math.nan,
              theory.binomial_half_width(total, ppv, conf) / total if total else 0.0,
              f"binomial {conf:.0%}"),
    ]
    return rows


def _deployment(p: Params, prefix: str, label: str) -> Check:
    """Simulate one deployment's scans with rates derived from (or given against) its counts."""
    scans, alerts, false = p[f"{prefix}_scans"], p[f"{prefix}_alerts"], p[f"{prefix}_false"]
    tpir = p[f"{prefix}_tpir"]
    true = alerts - false
    watchlisted_scans = true / tpir if tpir > 0 else 0.0
    prevalence = watchlisted_scans / scans
    fpir = p[f"{prefix}_fpir"]
    if fpir is None:
        fpir = false / (scans - watchlisted_scans)
    rng = _rng(p, "deployments", prefix)
    watchlisted = rng.random(scans) < prevalence
    u = rng.random(scans, dtype=np.float32)
    true_alert, false_alert = sensors.alert_outcomes(np.ones(scans, bool), watchlisted, u, tpir,
                                                     fpir)
    sim_false, sim_total = int(false_alert.sum()), int(false_alert.sum() + true_alert.sum())
    share = false / alerts
    tol = theory.binomial_half_width(sim_total, share, p["confidence"]) / sim_total \
        if sim_total else 0.0
    return Check(f"false-alert share, {label} ({false:,} of {alerts:,}; {scans:,} scans, "
                 f"FPIR {fpir:.3g})", share, sim_false / sim_total if sim_total else math.nan,
                 tol, f"binomial {p['confidence']:.0%}")


def _deployment_constraints(p: Params) -> str | None:
    for prefix in ("swp", "met"):
        scans, alerts, false = (p[f"{prefix}_scans"], p[f"{prefix}_alerts"],
                                p[f"{prefix}_false"])
        if not 0 <= false <= alerts:
            return f"{prefix}_false = {false} must lie in [0, {prefix}_alerts = {alerts}]"
        true = alerts - false
        if true > 0 and p[f"{prefix}_tpir"] == 0:
            return f"{prefix}_tpir must be above 0 when there are true alerts"
        watchlisted = true / p[f"{prefix}_tpir"] if true else 0.0
        if watchlisted >= scans:
            return (f"{prefix}_scans = {scans} is too small for {true} true alerts at TPIR "
                    f"{p[prefix + '_tpir']:g}")
    return None


@case(
    "deployments", "False-alert shares of two live facial recognition deployments",
    params=(
        Param("swp_scans", 170_000, "South Wales Police 2017: faces scanned (assumed).",
              kind="int", lo=1, hi=50_000_000),
        Param("swp_alerts", 2470, "South Wales Police 2017: alerts (published).", kind="int",
              lo=1, hi=1e9),
        Param("swp_false", 2297, "South Wales Police 2017: false alerts (published).",
              kind="int", lo=0, hi=1e9),
        Param("swp_tpir", 0.9, "South Wales Police 2017: TPIR (assumed).", lo=0.0, hi=1.0),
        Param("swp_fpir", None, "South Wales Police 2017: FPIR per scan (auto: derived from "
              "the counts).", lo=0.0, hi=1.0, auto=True),
        Param("met_scans", 3_147_436, "Met Police 2024-25: faces scanned (published).",
              kind="int", lo=1, hi=50_000_000),
        Param("met_alerts", 2077, "Met Police 2024-25: alerts (published).", kind="int", lo=1,
              hi=1e9),
        Param("met_false", 10, "Met Police 2024-25: false alerts (published).", kind="int",
              lo=0, hi=1e9),
        Param("met_tpir", 0.89, "Met Police 2024-25: TPIR (NPL 2023 at threshold 0.6).",
              lo=0.0, hi=1.0),
        Param("met_fpir", None, "Met Police 2024-25: FPIR per scan (auto: derived from the "
              "counts).", lo=0.0, hi=1.0, auto=True),
        Param("confidence", 0.95, "Level of the binomial intervals.", lo=0.5, hi=0.99999),
        SEED,
    ),
    constraints=_deployment_constraints,
    summary="""
Two deployments at opposite ends of the base-rate arithmetic. South Wales Police at the
2017 UEFA Champions League final in Cardiff: 2,297 of 2,470 alerts were false (93%). The
Metropolitan Police's live facial recognition in 2024-25: 10 false alerts among 2,077 (0.48%)
from 3,147,436 faces scanned. The same sensor model gives both once each deployment's own
scans, watchlist hits and rates are put in.""",
    method="""
For each deployment the true alerts (alerts - false) fix the watchlisted faces among the
scans (true / TPIR), hence the prevalence; FPIR is false / (scans - watchlisted) unless given
(`--param met_fpir=...`). The scans are then simulated with `sensors.alert_outcomes` (float32
uniforms, as in the model) and the simulated share of false alerts is compared with the
published share; tolerance: the central binomial interval (95%) of the published share
among the simulated alerts. Because the rates are derived from the published counts, the
case checks that the model's scan arithmetic reproduces the published outcome from its
inputs; it is not an independent prediction. Giving an assumed FPIR instead (e.g. a lab
operating point) tests whether that rate is consistent with the deployment: the NPL's 1 in
6,000 for the Met would predict about 20% false alerts, not 0.48%.""",
    sources=("South Wales Police (2018). Figures on automated facial recognition at the UEFA "
             "Champions League final, Cardiff, 3 June 2017 (2,470 alerts, 2,297 false), "
             "released in May 2018 and reported by the press (e.g. BBC News and the Guardian, "
             "4-5 May 2018).",
             "Metropolitan Police Service. Live facial recognition deployment figures for "
             "2024-25 (3,147,436 faces scanned, 2,077 alerts, 10 false), as given in the "
             "project's issue and in the source of `surveillance.cameras.p_ambient_scan`; "
             "check them against the Met's published LFR reports before citing.",
             "Mansfield, T. (2023). *Facial Recognition Technology in Law Enforcement: "
             "Equitability Study* (NPL Report MS 43). National Physical Laboratory."),
    inputs="Published: alerts and false alerts of both deployments and the Met's faces "
           "scanned. Assumed: the faces scanned in Cardiff (170,000, the crowd reported in the "
           "city that day; South Wales Police did not publish a scan count) and both TPIRs "
           "(0.9 for South Wales, 0.89 for the Met from the NPL study). With the prevalence "
           "derived from the true alerts, the expected share does not depend on TPIR. Both "
           "FPIRs are derived from the published counts.",
)
def deployments(p: Params) -> list[Check]:
    """The simulated false-alert share of each deployment against its published share."""
    return [_deployment(p, "swp", "South Wales Police 2017"),
            _deployment(p, "met", "Met Police 2024-25")]


# ============================================================ 7 spiral of silence
@case(
    "spiral-of-silence", "Spiral of silence (Ross et al. 2019) on the expression rule",
    params=(
        Param("inner", 1.5, "Inner confidence c before the update.", lo=-50.0, hi=50.0),
        Param("delta", -0.5, "Opinion-climate signal delta.", lo=-50.0, hi=50.0),
        Param("alpha", 1.0, "Learning rate alpha.", lo=0.0, hi=100.0),
        Param("threshold", 0.5, "Displayed confidence below which the agent is silent.",
              lo=-1.0, hi=1.0),
    ),
    summary="""
In Ross et al.'s agent-based spiral of silence an agent shows the displayed confidence
2/(1 + e^(-c)) - 1 of its inner confidence c, speaks only while it is at least the
threshold, and updates c <- c + alpha delta after seeing the opinion climate. An agent with
inner confidence 1.5 (displayed 0.6351, speaks) that meets delta = -0.5 with alpha = 1 ends
at c = 1.0, displayed 0.4621: silenced at threshold 0.5.""",
    method="""
The rule is a configuration of the project's expression utility
(`behavior.expression_utility`): intercept = c, beta_support = alpha, support = delta,
threshold = 0 and beta_dissent = beta_risk = 0 give U = c + alpha delta, the updated inner
confidence; the logit choice gives P = expit(U), and the displayed confidence is 2P - 1,
silence when it falls below the threshold. Expected values are computed from the paper's
formulas, reimplemented here from the paper (no code from elsewhere). Only the individual
rule is checked; the paper's network simulation (opinion climate from neighbours, bots) is
not reproduced. Tolerance 1e-9 (round-off).""",
    sources=("Ross, B., Pilz, L., Cabrera, B., Brachten, F., Neubaum, G., & Stieglitz, S. "
             "(2019). Are social bots a real threat? An agent-based model of the spiral of "
             "silence to analyse the impact of manipulative actors in social networks. "
             "*European Journal of Information Systems*, 28(4), 394-412. "
             "doi:10.1080/0960085X.2018.1560920",
             "Noelle-Neumann, E. (1974). The spiral of silence: A theory of public opinion. "
             "*Journal of Communication*, 24(2), 43-51. "
             "doi:10.1111/j.1460-2466.1974.tb00367.x"),
    inputs="The displayed-confidence function and the update rule are the paper's; the "
           "agent's inner confidence 1.5, delta = -0.5, alpha = 1 and the 0.5 threshold are "
           "the issue's worked example.",
)
def spiral_of_silence(p: Params) -> list[Check]:
    """One agent's confidence update and silencing through the expression rule."""
    c, delta, alpha, threshold = p["inner"], p["delta"], p["alpha"], p["threshold"]

    def machinery(signal: float) -> tuple[float, float]:
        """(utility, displayed confidence) of the configured expression rule."""
        utility = float(expression_utility(0.5, signal, 0.0, 0.0, 0.0, intercept=c,
                                           beta_dissent=0.0, beta_support=alpha,
                                           beta_risk=0.0))
        return utility, 2.0 * float(expit(utility)) - 1.0

    _, shown_before = machinery(0.0)
    updated, shown_after = machinery(delta)
    paper_before = theory.displayed_confidence(c)
    paper_after = theory.displayed_confidence(c + alpha * delta)
    return [
        Check(f"displayed confidence at c = {c:g}", paper_before, shown_before, 1e-9,
              "round-off"),
        Check(f"speaks before the update (1 yes, 0 no; threshold {threshold:g})",
              float(paper_before >= threshold), float(shown_before >= threshold), 0, "exact"),
        Check(f"inner confidence after c + alpha delta (alpha {alpha:g}, delta {delta:g})",
              c + alpha * delta, updated, 1e-9, "round-off"),
        Check("displayed confidence after the update", paper_after, shown_after, 1e-9,
              "round-off"),
        Check(f"silenced after the update (1 yes, 0 no; threshold {threshold:g})",
              float(paper_after < threshold), float(shown_after < threshold), 0, "exact"),
    ]


# ================================================================== 8 invariants
@case(
    "invariants", "Invariants of the full model",
    params=(
        Param("population", 3000, "Agents.", kind="int", lo=100, hi=1_000_000, quick=1500),
        Param("steps", 180, "Days.", kind="int", lo=1, hi=3650, quick=60),
        Param("replicates", 4, "Paired replicates for the chilling index.", kind="int", lo=2,
              hi=100, quick=2),
        SEED,
    ),
    summary="""
Three properties the full simulation must have whatever its parameters. With scoring off
the treated arm is the control arm (common random numbers, nothing else differs). With no
sensors nothing is ever flagged, so expression is not chilled: the chilling index is zero
in expectation. And counts are conserved: every flag comes from a sensor the scorer uses
and is counted once by the daily metrics; every sanction is traced to flags (penalty points
from flags, a flag on or before its day) and is counted once.""",
    method="""
`panoptisim.run` on the built-in scenarios: `baseline` with `scoring.regime = none` (every
metric of the treated arm minus the control arm, exact); `no-surveillance` (every sensor
off) with the citizen regime and transparent rules, `replicates` paired replicates, against
its 95% t-interval; `baseline` for conservation, from `Result.final_state` (the flag and
sanction logs) against the per-day metrics. All conservation checks are exact counts.
Under opaque rules a scorer without sensors still chills expression by design (the
ambiguity premium), which is why the placebo uses transparent rules.""",
    sources=("Grimm, V., et al. (2020). The ODD protocol for describing agent-based and other "
             "simulation models: A second update to improve clarity, replication, and "
             "structural realism. *Journal of Artificial Societies and Social Simulation*, "
             "23(2), 7. doi:10.18564/jasss.4259",),
    inputs="No external data: model invariants. Scenario sizes are assumptions chosen for "
           "run time.",
)
def invariants(p: Params) -> list[Check]:
    """Scoring off = control; no sensors = no chilling; flags and sanctions conserved."""
    from panoptisim.api import run
    from panoptisim.metrics import METRIC_NAMES
    from panoptisim.regime import make_arm
    from panoptisim.state import SENSORS

    size = {"population.size": p["population"], "run.steps": p["steps"]}
    rows = []

    off = run("baseline", seed=p["seed"], overrides={**size, "scoring.regime": "none"})
    m = off.metrics
    treated = m[m["arm"] == "treated"][list(METRIC_NAMES)].to_numpy(np.float64)
    control = m[m["arm"] == "control"][list(METRIC_NAMES)].to_numpy(np.float64)
    rows.append(Check("scoring off: max |treated - control| over every metric and day", 0.0,
                      float(np.abs(treated - control).max()), 0.0, "exact"))

    placebo = run("no-surveillance", seed=p["seed"],
                  overrides={**size, "run.replicates": p["replicates"],
                             "scoring.regime": "citizen", "safeguards.transparent": True})
    chill = placebo.summary["metrics"]["chilling_index"]
    ci = chill.get("ci95") or [0.0, 0.0]
    rows.append(Check(f"no sensors: chilling index, mean of {p['replicates']} replicates",
                      0.0, float(chill["effect"]), max(abs(ci[1] - ci[0]) / 2.0, 0.0),
                      "95% t-interval"))

    full = run("baseline", seed=p["seed"], overrides=size)
    state = full.final_state("treated")
    arm = make_arm(full.scenario, "treated")
    days = full.metrics[full.metrics["arm"] == "treated"]
    flags, sanctions = state.flags, state.sanction_log
    used = np.array([arm.uses(s) for s in SENSORS])
    sensor = flags.sensor.astype(np.int64)
    valid = (sensor >= 0) & (sensor < len(SENSORS))
    rows.append(Check(f"flags from no sensor or one the scorer does not use "
                      f"(of {len(flags):,})", 0, int((~valid | ~used[np.clip(sensor, 0, len(
                          SENSORS) - 1)]).sum()), 0, "exact"))
    per_sensor = sum(abs(int(((sensor == i) & (flags.is_true == truth)).sum())
                         - int(days[f"flags_{'true' if truth else 'false'}_{s}"].sum()))
                     for i, s in enumerate(SENSORS) for truth in (True, False))
    rows.append(Check("flags in the log - flags in the daily metrics, per sensor and "
                      "truth (sum of |differences|)", 0, per_sensor, 0, "exact"))
    points = sanctions.points_true + sanctions.points_false
    rows.append(Check(f"sanctions without penalty points from flags (of {len(sanctions):,})",
                      0, int((points <= 0).sum()), 0, "exact"))
    first_flag = np.full(state.n, np.iinfo(np.int64).max)
    np.minimum.at(first_flag, flags.agent.astype(np.int64), flags.day.astype(np.int64))
    untraced = first_flag[sanctions.agent.astype(np.int64)] > sanctions.day
    rows.append(Check("sanctions of agents with no flag on or before that day", 0,
                      int(untraced.sum()), 0, "exact"))
    rows.append(Check("sanctions in the log - sanctions in the daily metrics", 0,
                      len(sanctions) - int(days["sanctions_new"].sum()), 0, "exact"))
    control_flags = len(full.final_state("control").flags)
    rows.append(Check("flags in the control arm", 0, control_flags, 0, "exact"))
    return rows

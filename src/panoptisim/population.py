"""Building the synthetic society: agents' attributes and their household + friendship ties."""

from __future__ import annotations

import numpy as np

from panoptisim import allocator
from panoptisim.network import from_edges, make_households, make_small_world
from panoptisim.rules import Rules
from panoptisim.scenario import Scenario
from panoptisim.scenario.timeline import schedule
from panoptisim.state import State
from panoptisim.streams import Streams


def build_society(scenario: Scenario, streams: Streams) -> State:
    """Draw the population and its network (one seeded build, shared by both arms;
    ``draw_society``), then give back to the system the memory the build freed
    (``allocator.release_free_memory``): more than a day uses, it would otherwise stay
    resident in the heap for the whole run."""
    society = draw_society(scenario, streams)
    allocator.release_free_memory()
    return society


def draw_society(scenario: Scenario, streams: Streams) -> State:
    """Draw the population and its network.

    Only what is drawn (or computed from draws) is built here; every other ``State`` field
    starts at its declared initial value (``State.allocate``).

    Agents are laid out household by household, region by region (``population.regions``
    order) and within a region urban households first, so that the small-world lattice over
    agent order is a lattice of neighbourhoods within a region. Region and settlement
    (urban or rural) are household attributes.
    """
    from panoptisim import kernels  # numba loads on first use, not at import
    pop, net = scenario.population, scenario.network
    n = pop.size
    rng = streams.generator("population")
    regions = pop.regions
    rules = schedule(scenario).periods[0].regions  # each region's rules on day 0

    household, hu, hv = make_households(n, net.household_size_mean,
                                        streams.generator("network.households"))
    n_households = int(household[-1]) + 1
    ends = np.round(np.cumsum([r.share for r in regions]) * n_households).astype(np.int64)
    ends[-1] = n_households
    starts = np.concatenate([[0], ends[:-1]])
    region_of_household = np.repeat(np.arange(len(regions), dtype=np.int8), ends - starts)
    urban_of_household = np.zeros(n_households, bool)
    for r, (a, b) in enumerate(zip(starts, ends, strict=True)):
        urban_of_household[a: a + round((b - a) * regions[r].urbanity)] = True
    region = region_of_household[household]
    urban = urban_of_household[household]
    group_of_household = (rng.random(n_households) < pop.p_group_1).astype(np.int8)
    group = group_of_household[household]

    median = np.where(urban, pop.income_median_urban, pop.income_median_rural)
    rel_income = np.array([r.rel_income for r in regions])
    if (rel_income != 1.0).any():
        median = median * rel_income[region]
    income = median * np.exp(pop.income_sigma * rng.standard_normal(n))
    quintile = np.searchsorted(np.quantile(income, [0.2, 0.4, 0.6, 0.8]), income,
                               side="right").astype(np.int8)

    latent_dissent = rng.beta(pop.dissent_alpha, pop.dissent_beta, n).astype(np.float32)
    threshold = np.clip(rng.normal(pop.threshold_mean, pop.threshold_sd, n), 0.0, 1.0)
    has_loan = rng.random(n) < pop.p_has_loan
    payment_offset = rng.integers(0, scenario.behavior.dur_payment_interval, n).astype(np.int16)

    friends_rng = streams.generator("network.friends")
    cv = net.sociability_cv
    sociability = friends_rng.gamma(1.0 / cv**2, cv**2, n) if cv > 0 else None
    fu, fv = make_small_world(n, net.mean_friends, net.p_rewire, friends_rng, block=region,
                              p_cross_block=net.p_cross_region, sociability=sociability)
    graph = from_edges(n, np.concatenate([hu, fu]), np.concatenate([hv, fv]))

    by_region = Rules(rules, region).of  # each agent's region's value (a number if equal)
    score_start = np.clip(rng.normal(by_region("scoring.score_start"),
                                     by_region("scoring.score_start_sd"), n),
                          by_region("scoring.score_min"), by_region("scoring.score_max"))
    watchlisted = streams.generator("population.watchlist").random(n) < \
        by_region("surveillance.cameras.p_watchlisted")
    family = graph.within(household)  # per CSR entry: a tie within one household
    return State.allocate(
        n, region=region, urban=urban, group=group, income_base=income, income_quintile=quintile,
        latent_dissent=latent_dissent, dissenter=latent_dissent >= 0.5,
        expression_threshold=threshold.astype(np.float32), has_loan=has_loan,
        payment_offset=payment_offset, score_start=score_start, graph=graph,
        household=household.astype(np.int32), active_degree=graph.active_degree(),
        family_degree=kernels.row_counts(graph.indptr, family).astype(np.float32),
        watchlisted=watchlisted,
    )


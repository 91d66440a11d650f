"""Peak-memory estimate of a scenario, from its size, degree and length, before allocating.

Every large allocation of a run is linear in the number of agents n, in the number of CSR
entries (n x mean degree) or in agent-days (the flag log), so the peak resident memory is

    peak = interpreter + max(build, steady + logs)

- interpreter: Python with numpy, scipy, pandas, pyarrow and numba loaded;
- build: the society's build (the small-world lattice before thinning, the edge lists and
  the CSR arrays alive together; see population.build_society), per CSR entry;
- steady: per agent and arm, the State arrays an arm writes and the day's event arrays and
  temporaries (an arm with a regime writes more of them than the control arm); per agent,
  the fixed State arrays the arms share and what the context derives from them; per CSR
  entry, ``indices`` (int32) and the uint8 ``active`` mask of the arm that cuts ties;
- logs: the growable flag, association and sanction logs (their rows in use) and the flags
  pending their end, per agent-day of a scoring arm.

The estimate is for compiled kernels: the first run after an install also compiles the
numba kernels once (cached afterwards), which costs about 200 MB more for that run only.

The per-unit constants below were measured on the default ``baseline`` scenario (peak RSS
of runs of 1e5 to 1e7 agents; tests/test_footprint.py checks the estimate stays within 25%
of the measured peak). ``panoptisim run`` refuses a scenario whose estimate exceeds the
available memory, and ``panoptisim run --dry-run`` prints the estimate. (Where freed
memory goes during a run, glibc malloc's thresholds, is :mod:`panoptisim.allocator`.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from panoptisim.errors import ScenarioError
from panoptisim.scenario import Scenario

MB = 1024 ** 2
#: Resident memory of the interpreter with the package and its dependencies imported and
#: the numba kernels loaded from their cache (LLVM included): measured 339-366 MB in a fresh
#: venv as CI builds it, less in a long-lived development venv (peak_rss, 2026-11-27).
INTERPRETER_BYTES = 325 * MB
#: Fixed working memory of a run beyond the interpreter (compiled kernels, small tables).
FIXED_BYTES = 25 * MB
#: Build transient per CSR entry (lattice before thinning, edge lists, CSR build buffers):
#: 38.7 B an entry at 10^6 agents (936 MiB at the build, 2026-11-30).
BUILD_BYTES_PER_ENTRY = 39.0
#: Steady state per agent of an arm with a regime (the State arrays it writes, its per-agent
#: sum buffers, the day's events, draws and temporaries) ...
REGIME_ARM_BYTES_PER_AGENT = 235.0
#: ... of an arm without one (the control arm: the arrays still at zero when it is copied,
#: its sums, counters and sanctions, are never written, so never resident; ``State.copy``)
#: ...
PLAIN_ARM_BYTES_PER_AGENT = 74.0
#: ... and shared by the arms (the fixed State arrays and what the context derives from
#: them; ``State.derived``). Fitted to the peaks of 10^6, 3 x 10^6 and 10^7 agents x 365
#: days (``benchmarks/scale.py``: 1,105, 2,663 and 8,098 MiB, 816 B a further agent, of
#: which graph 124 and logs 320) and of 10^6 with one arm and two (the second arm 93 B an
#: agent, its live-tie mask included), 2026-11-30; since the control arm holds no mask,
#: 10^7 x 365 peaks at 7,834 MiB (the estimate: 7,992).
SHARED_BYTES_PER_AGENT = 63.0
#: Graph per CSR entry shared by the arms (indices int32) ...
GRAPH_BYTES_PER_ENTRY = 4.0
#: ... and per arm with a regime (its uint8 live-tie mask; an arm without one cuts no tie and
#: reads a view of no memory, ``Graph.for_other_arm``).
MASK_BYTES_PER_ENTRY_ARM = 1.0
#: indptr (int64) per agent.
INDPTR_BYTES_PER_AGENT = 8.0
#: Flag, association and sanction logs per agent-day of an arm that scores: the rows in use
#: (their spare capacity is not resident, ``allocator.mapped_zeros``) and the flags pending
#: their end.
LOG_BYTES_PER_AGENT_DAY = 0.877


@dataclass(frozen=True)
class Estimate:
    """Estimated peak resident memory of a run, in bytes, with its parts."""

    peak: int
    interpreter: int
    build: int
    steady: int
    logs: int
    entries: int

    def line(self) -> str:
        """One line: the estimate and its parts in MiB."""
        return (f"estimated peak memory {self.peak / MB:,.0f} MiB (interpreter "
                f"{self.interpreter / MB:,.0f}, build {self.build / MB:,.0f}, state and graph "
                f"{self.steady / MB:,.0f}, logs {self.logs / MB:,.0f}; "
                f"{self.entries:,} CSR entries)")


def mean_degree(scenario: Scenario) -> float:
    """Expected ties per agent: friends plus household members (size 1 + Poisson(m - 1): an
    agent's household has E[s^2]/E[s] - 1 other members)."""
    net = scenario.network
    m = net.household_size_mean
    household = (m - 1.0 + m * m) / m - 1.0
    return float(net.mean_friends) + household


def estimate(scenario: Scenario) -> Estimate:
    """The peak-memory estimate of ``scenario`` (one replicate at a time, as the engine runs)."""
    n = scenario.population.size
    arms = 2 if scenario.run.control else 1
    entries = int(n * mean_degree(scenario))
    build = FIXED_BYTES + BUILD_BYTES_PER_ENTRY * entries
    scoring_arms = 1 if scenario.scoring.regime != "none" else 0  # the treated arm
    per_agent = (REGIME_ARM_BYTES_PER_AGENT * scoring_arms
                 + PLAIN_ARM_BYTES_PER_AGENT * (arms - scoring_arms)
                 + SHARED_BYTES_PER_AGENT + INDPTR_BYTES_PER_AGENT)
    steady = (FIXED_BYTES + per_agent * n
              + (GRAPH_BYTES_PER_ENTRY + MASK_BYTES_PER_ENTRY_ARM * max(scoring_arms, 1))
              * entries)
    logs = LOG_BYTES_PER_AGENT_DAY * n * scenario.run.steps * scoring_arms
    peak = INTERPRETER_BYTES + max(build, steady + logs)
    return Estimate(int(peak), INTERPRETER_BYTES, int(build), int(steady), int(logs), entries)


def measured(states: list, interpreter: int) -> dict[str, int]:
    """Bytes a finished run holds, by component, from its arms' ``State`` objects: the
    per-agent arrays of every arm (``state``; the fixed ones, shared by the arms, once), the
    graph (CSR arrays shared by the arms, one live-tie mask and cut-tie list per arm), the
    logs (flag, association and sanction logs: their rows in use) and ``interpreter``
    (resident memory before the build, measured by the caller). What the peak holds beyond
    them is the day's temporaries and the build's transient."""
    from panoptisim.flags import _Columns
    from panoptisim.network import Graph

    parts = {"interpreter": int(interpreter), "state": 0, "graph": 0, "logs": 0}
    shared: set[int] = set()
    for state in states:
        for name in state.__dataclass_fields__:
            value = getattr(state, name)
            if isinstance(value, np.ndarray):
                if id(value) not in shared:  # the fixed arrays are shared by the arms
                    shared.add(id(value))
                    parts["state"] += value.nbytes
            elif isinstance(value, _Columns):
                parts["logs"] += value.nbytes
            elif isinstance(value, Graph):
                # a mask not yet an arm's own is a view of no memory (Graph.for_other_arm)
                mask = value.active.nbytes if value.active.strides[0] else 0
                parts["graph"] += mask + value.cut_ties.nbytes
                for arr in (value.indptr, value.indices):
                    if id(arr) not in shared:  # the CSR arrays are shared by the arms
                        shared.add(id(arr))
                        parts["graph"] += arr.nbytes
    return parts


def check_fits(scenario: Scenario, limit: int | None = None) -> Estimate:
    """The estimate of ``scenario``, or ScenarioError (one line) if its peak exceeds
    ``limit`` bytes (default: the memory available now)."""
    need = estimate(scenario)
    limit = available_bytes() if limit is None else limit
    if need.peak > limit:
        raise ScenarioError(f"population.size = {scenario.population.size} needs an estimated "
                            f"{need.peak / MB:,.0f} MiB at peak, more than the "
                            f"{limit / MB:,.0f} MiB available: reduce population.size")
    return need


def _proc_bytes(path: str, key: str) -> int | None:
    """The ``key:`` line of a Linux /proc file in kB, as bytes; None where there is none."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_bytes() -> int:
    """Memory available to a new allocation now (``MemAvailable``), or total physical memory
    where that is not known."""
    available = _proc_bytes("/proc/meminfo", "MemAvailable")
    if available is not None:
        return available
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def peak_rss() -> int:
    """This process's peak resident memory (bytes) since it began running its program.

    Linux's ``getrusage`` high-water mark survives ``exec``: a child started from a big
    process (a test runner) would report at least its parent's size at the fork. The
    memory map's own high-water mark (``VmHWM``) starts afresh at ``exec``, so it is read
    where it exists."""
    peak = _proc_bytes("/proc/self/status", "VmHWM")
    if peak is not None:
        return peak
    import resource
    import sys
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024

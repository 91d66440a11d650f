"""The peak-memory estimate (panoptisim.footprint) against the measured peak, and the CLI's
refusal and --dry-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from panoptisim.cli import main
from panoptisim.footprint import MB, estimate, peak_rss
from panoptisim.scenario import load_scenario

CHILD = r"""
import json, sys
import panoptisim
from panoptisim import kernels
from panoptisim.footprint import peak_rss
kernels.warm_up()
overrides = json.loads(sys.argv[1])
panoptisim.run("baseline", seed=1, overrides=overrides)
print(json.dumps({"peak": peak_rss()}))
"""


def measured_peak(overrides: dict, numba_cache: Path) -> int:
    """Peak RSS (bytes) of a fresh process running the baseline with ``overrides``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(numba_cache))
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(overrides)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak"]


def check_within(size: int, steps: int, numba_cache: Path) -> None:
    overrides = {"population.size": size, "run.steps": steps}
    # The estimate is for compiled kernels: on a fresh install the first run also compiles
    # (and caches) the numba kernels, which costs its own ~200 MB once. Warm a cache of this
    # test's own (other test processes may be compiling into the package's at the same
    # time) with every kernel and a one-day run, then measure with that cache.
    measured_peak({**overrides, "run.steps": 1}, numba_cache)
    est = estimate(load_scenario("baseline", overrides)).peak
    peak = measured_peak(overrides, numba_cache)
    assert abs(est - peak) <= 0.25 * peak, (size, est / MB, peak / MB)


@pytest.mark.slow  # a measured run of 10^5 agents: about 65 s
def test_estimate_within_25_percent_at_1e5(tmp_path):
    check_within(100_000, 30, tmp_path)


@pytest.mark.slow
def test_estimate_within_25_percent_at_1e6(tmp_path):
    check_within(1_000_000, 30, tmp_path)


def test_estimate_grows_linearly_with_size():
    a = estimate(load_scenario("baseline", {"population.size": 1_000_000}))
    b = estimate(load_scenario("baseline", {"population.size": 2_000_000}))
    assert 1.8 < (b.peak - a.interpreter) / (a.peak - a.interpreter) < 2.2


def exit_status(argv: list[str]) -> int:
    """The exit status ``panoptisim ARGV`` gives the shell, run in this process: 0 when
    ``main`` returns, else the code of the ``SystemExit`` it raises (as Python maps it)."""
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
        return 0 if code is None else code if isinstance(code, int) else 1
    return 0


def test_dry_run_prints_the_estimate_and_runs_nothing(capsys, tmp_path, monkeypatch):
    """--dry-run exits 0 with the estimate of the resolved scenario, even one too big to
    run, and neither simulates nor writes anything."""
    def must_not_run(*_args: object, **_kw: object) -> None:
        raise AssertionError("--dry-run started a run")

    monkeypatch.setattr("panoptisim.api.run", must_not_run)
    monkeypatch.setattr("panoptisim.footprint.available_bytes", lambda: 100 * MB)
    monkeypatch.chdir(tmp_path)  # a default run folder would land under tmp_path/runs
    status = exit_status(["run", "--dry-run", "--out", str(tmp_path / "x"), "--set",
                          "population.size=200000"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    expected = estimate(load_scenario("baseline", {"population.size": 200_000})).line()
    assert captured.out.strip() == f"{expected}; available 100 MiB", captured.out
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_run_that_does_not_fit(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("panoptisim.footprint.available_bytes", lambda: 100 * MB)
    with pytest.raises(SystemExit) as exc:
        main(["run", "--out", str(tmp_path / "x"), "--set", "population.size=200000"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MiB" in err[0] and "100 MiB" in err[0]
    assert not (tmp_path / "x").exists()


def test_peak_rss_is_the_childs_own():
    """A child of a big process reports its own peak, not its parent's size at the fork."""
    ballast = np.ones(200 * MB // 8)  # this process: at least 200 MiB resident
    code = "from panoptisim.footprint import peak_rss; print(peak_rss())"
    child = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout)
    assert child < peak_rss() - 150 * MB
    assert ballast.sum() > 0


def test_measured_bytes_by_component_count_the_shared_graph_and_fixed_arrays_once():
    from panoptisim.engine import simulate
    from panoptisim.footprint import measured

    sim = simulate(load_scenario("baseline", {"population.size": 2000, "run.steps": 20},
                                 seed=1))
    states = [r.state for r in sim.runs]
    one = measured(states[:1], 0)
    both = measured(states, 123)
    g = states[0].graph
    csr = g.indptr.nbytes + g.indices.nbytes
    assert both["interpreter"] == 123
    treated, control = (s.graph for s in states)
    assert control.active.strides == (0,)  # no tie cut: the view of no memory
    assert both["graph"] == csr + treated.active.nbytes + treated.cut_ties.nbytes \
        + control.cut_ties.nbytes
    fixed = sum(getattr(states[0], name).nbytes for name in states[0].fixed_fields())
    assert fixed > 2000 * 30  # over thirty bytes per agent
    assert both["state"] == 2 * one["state"] - fixed > 2000 * 100  # over 100 bytes an agent
    assert both["logs"] == one["logs"] == states[0].flags.nbytes + \
        states[0].association_log.nbytes + states[0].sanction_log.nbytes > 0  # rows in use:
    assert len(states[1].flags) == 0  # the control arm scores nobody

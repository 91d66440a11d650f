"""Sweeps on a real dask.distributed cluster: a scheduler and two workers started as
separate processes (``dask scheduler``, ``dask worker``) on 127.0.0.1, stopped by the
fixture whatever happens."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_experiments_support import (
    assert_same_summary,
    cli,
    free_port,
    start,
    stop_group,
    write_sweep,
)

import panoptisim
from panoptisim.experiments.store import SweepStore
from panoptisim.faults import ENV as FAULTS_ENV

distributed = pytest.importorskip("distributed")

AXES = '"surveillance.cameras.fpir" = [0.001, 0.03]\n"safeguards.appeals" = [false, true]'


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` + 2 ``dask worker`` processes on loopback; yields the address."""
    folder = tmp_path_factory.mktemp("dask")
    faults = folder / "faults"
    faults.mkdir()
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # Only the sweep named "dask-kill" is hurt: its run p00001-r000 SIGKILLs its worker
    # process halfway through, once; the worker's nanny restarts it.
    env = {FAULTS_ENV: f"worker.halfway:kill:dask-kill/p00001-r000:1;counts={faults}"}
    procs = []
    try:
        procs.append(start([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                            "--no-dashboard"], log=folder / "scheduler.log"))
        for i in range(2):
            procs.append(start([dask, "worker", address, "--host", "127.0.0.1",
                                "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                "--name", f"w{i}", "--local-directory", str(folder / f"w{i}")],
                               env=env, log=folder / f"worker{i}.log"))
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, faults, folder
    finally:
        for proc in reversed(procs):
            stop_group(proc)


def _summaries(out: Path) -> dict[str, str]:
    return {p.name: (p / "summary.json").read_text() for p in sorted((out / "runs").iterdir())}


def test_dask_sweep_is_identical_to_the_local_one(cluster, tmp_path):
    address, _, folder = cluster
    path = write_sweep(tmp_path, AXES, name="dask-same", replicates=2)
    local, remote = tmp_path / "local", tmp_path / "remote"
    res = cli("sweep", path, "--out", local, "--jobs", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    res = cli("sweep", path, "--executor", "dask", "--address", address, "--out", remote,
              "--quiet")
    assert res.returncode == 0, res.stderr
    assert "8 of 8 runs done, 0 failed" in res.stdout
    a, b = _summaries(local), _summaries(remote)
    assert list(a) == [f"p0000{p}-r00{r}" for p in range(4) for r in range(2)]
    assert a == b  # byte for byte, run by run
    rl, rr = SweepStore(local).results(), SweepStore(remote).results()
    cols = ["run_id", "seed", "metric", "treated", "control", "effect"]
    key = ["run_id", "metric"]
    assert rl[cols].sort_values(key).reset_index(drop=True).equals(
        rr[cols].sort_values(key).reset_index(drop=True))
    assert set(rr["executor"]) == {"dask"}
    assert rr["worker"].nunique() == 2  # both workers took runs
    for out in (local, remote):
        assert cli("summarize", out, "--ci", "t").returncode == 0
    sl = json.loads(
        cli("query", "SELECT point, metric, arm, mean, ci_low, ci_high FROM point_summaries "
                     "ORDER BY ALL", "--dir", local, "--format", "json").stdout)
    sr = json.loads(
        cli("query", "SELECT point, metric, arm, mean, ci_low, ci_high FROM point_summaries "
                     "ORDER BY ALL", "--dir", remote, "--format", "json").stdout)
    assert sl == sr and len(sl) > 100


@pytest.mark.slow  # the local executor's dying workers are retried in the quick suite
def test_a_worker_killed_mid_run_is_retried_and_the_sweep_finishes(cluster, tmp_path):
    address, faults, folder = cluster
    path = write_sweep(tmp_path, AXES, name="dask-kill", replicates=1)
    out = tmp_path / "out"
    res = cli("sweep", path, "--executor", "dask", "--address", address, "--out", out,
              "--quiet")
    assert res.returncode == 0, res.stderr
    assert (faults / "kill-dask-kill_p00001-r000-0").exists()  # the kill happened
    assert "4 of 4 runs done, 0 failed" in res.stdout
    store = SweepStore(out)
    assert store.failed() == {} and store.results()["run_id"].nunique() == 4
    # The run that lost its worker ran again: its result is that of a clean run.
    row = store.plan_table().set_index("run_id").loc["p00001-r000"]
    direct = panoptisim.run("baseline", seed=int(row.seed), overrides={
        "population.size": 500, "run.steps": 20, "surveillance.cameras.fpir": 0.001,
        "safeguards.appeals": True})
    stored = json.loads((out / "runs" / "p00001-r000" / "summary.json").read_text())
    assert_same_summary(stored, json.loads(json.dumps(direct.summary)))
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_dask_without_an_address_starts_a_local_cluster(tmp_path):
    path = write_sweep(tmp_path, AXES, name="dask-local", replicates=1)
    res = cli("sweep", path, "--executor", "dask", "--jobs", "2", "--out", tmp_path / "o",
              "--quiet")
    assert res.returncode == 0, res.stderr
    assert "4 of 4 runs done" in res.stdout
    assert set(SweepStore(tmp_path / "o").results()["executor"]) == {"dask"}

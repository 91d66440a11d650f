"""Sweeps end to end on the local executor, run as a user runs them (subprocesses), with
real faults: the driver killed with SIGKILL, Ctrl-C (SIGINT to the process group),
workers that die mid-run, and runs that raise."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_experiments_support import (
    assert_same_summary,
    cli,
    command,
    n_results,
    session_group_alive,
    start,
    stop_group,
    wait_for,
    write_sweep,
)

import panoptisim
from panoptisim.experiments import SweepError, analyze_sweep, catalog, load_sweep, run_sweep
from panoptisim.experiments.store import SweepStore
from panoptisim.faults import ENV as FAULTS_ENV

FPIR = '"surveillance.cameras.fpir" = [0.001, 0.01, 0.03]'


def _run_ids(store: SweepStore) -> list[str]:
    return list(store.plan_table()["run_id"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A grid sweep of 3 points x 2 replicates, run to completion with 2 workers."""
    folder = tmp_path_factory.mktemp("grid")
    path = write_sweep(folder, FPIR, name="grid", replicates=2)
    out = folder / "out"
    res = cli("sweep", path, "--out", out, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    return out, res


def test_each_run_has_its_folder_result_file_and_recorded_seed(finished):
    out, res = finished
    store = SweepStore(out)
    plan = store.plan_table()
    assert len(plan) == 6 and "6 of 6 runs done, 0 failed" in res.stdout
    assert plan["seed"].nunique() == 6
    results = store.results()
    for row in plan.itertuples():
        folder = out / "runs" / row.run_id
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["scenario.toml", "metrics.parquet", "regions.parquet", "summary.json",
             "manifest.json"])
        assert json.loads((folder / "manifest.json").read_text())["seed"] == row.seed
        rows = results[results.run_id == row.run_id]
        assert (rows["seed"] == row.seed).all() and (rows["point"] == row.point).all()
        summary = json.loads((folder / "summary.json").read_text())
        chill = rows.set_index("metric").loc["chilling_index", "effect"]
        assert chill == summary["metrics"]["chilling_index"]["effect"]
    info = json.loads((out / "sweep.json").read_text())
    assert info["n_runs"] == 6 and info["design"] == "grid" and info["root_seed"] == 11
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


def test_a_run_of_the_sweep_is_the_same_as_panoptisim_run_with_its_seed(finished):
    out, _ = finished
    store = SweepStore(out)
    row = store.plan_table().iloc[3]
    fpir = pd.read_parquet(out / "points.parquet").set_index("point").loc[
        row.point, "surveillance.cameras.fpir"]
    direct = panoptisim.run("baseline", seed=int(row.seed), overrides={
        "population.size": 500, "run.steps": 20, "surveillance.cameras.fpir": fpir})
    stored = json.loads((out / "runs" / row.run_id / "summary.json").read_text())
    assert_same_summary(stored, json.loads(json.dumps(direct.summary)))


def test_summarize_writes_mean_sd_and_interval_per_point_and_arm(finished):
    out, _ = finished
    res = cli("summarize", out)
    assert res.returncode == 0, res.stderr
    assert "chilling_index" in res.stdout and "summary.parquet" in res.stdout
    table = pd.read_parquet(out / "summary.parquet")
    assert {"point", "surveillance.cameras.fpir", "metric", "arm", "n", "mean", "sd",
            "ci_low", "ci_high", "ci_method"} <= set(table.columns)
    assert set(table["arm"]) == {"treated", "control", "effect"}
    chill = table[table.metric == "chilling_index"]
    assert list(chill["arm"]) == ["effect"] * 3 and (chill["n"] == 2).all()
    results = SweepStore(out).results()
    flags = results[(results.metric == "flags_false") & (results.point == 1)]["treated"]
    row = table[(table.metric == "flags_false") & (table.point == 1) &
                (table.arm == "treated")].iloc[0]
    assert row["mean"] == pytest.approx(flags.mean()) and row["sd"] == pytest.approx(
        flags.std(ddof=1))
    if row["sd"] > 0:
        half = 12.706204736 * row["sd"] / np.sqrt(2)  # t(0.975, 1)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (row["mean"] - half, row["mean"] + half))
        assert row["ci_method"] == "t"
    assert (out / "summary.csv").read_text().startswith("sweep_id,point,")


def test_intervals_of_quantities_that_cannot_be_negative_stay_at_or_above_0(finished):
    """Two replicates give t(0.975, 1) = 12.7: the t interval of a small count reaches far
    below 0, and is floored there; a metric that can be negative is left as it is."""
    from panoptisim.experiments.aggregate import summarize_sweep
    from panoptisim.metrics import CAN_BE_NEGATIVE

    out, _ = finished
    table = summarize_sweep(out, ci="t", write=False)
    unsigned = ~table.metric.isin(CAN_BE_NEGATIVE)
    per_arm = table[unsigned & table.arm.isin(["treated", "control"])]
    assert (per_arm.ci_low >= 0).all() and per_arm.floored.any()
    # where the control arm has none of it (flags), the effect is the treated value
    flags = table[(table.metric == "flags_false") & (table.arm == "effect")]
    assert (flags.ci_low >= 0).all()
    half = 12.706204736 * per_arm.sd / np.sqrt(per_arm.n)
    np.testing.assert_array_equal(per_arm.floored, per_arm["mean"] - half < 0)
    signed = table[table.metric.isin(CAN_BE_NEGATIVE) & (table.sd > 0)]
    assert not signed.floored.any() and (signed.ci_low < signed["mean"]).all()
    res = cli("summarize", out, "--ci", "bootstrap", "--resamples", "200")
    assert res.returncode == 0 and "warning: --ci bootstrap with 2 replicates" in res.stderr
    assert "warning" not in cli("summarize", out, "--ci", "t").stderr


def test_the_catalog_answers_sql_over_runs_parameters_metrics_and_summaries(finished):
    out, _ = finished
    res = cli("query", "SELECT status, count(*) AS n FROM runs GROUP BY status", "--dir", out,
              "--format", "csv")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["status,n", "done,6"]
    sql = ("SELECT p.value AS fpir, avg(s.effect) AS chill, count(*) AS n "
           "FROM summaries s JOIN parameters p ON p.sweep_id = s.sweep_id "
           "AND p.point = s.point AND p.key = 'surveillance.cameras.fpir' "
           "WHERE s.metric = 'chilling_index' GROUP BY fpir ORDER BY fpir")
    rows = catalog.query(sql, out)
    assert list(rows["fpir"]) == [0.001, 0.01, 0.03] and (rows["n"] == 2).all()
    res = cli("query", "SELECT r.run_id, r.seed, count(*) AS n FROM metrics m JOIN runs r "
                       "USING (sweep_id, run_id) GROUP BY ALL ORDER BY 1", "--dir", out)
    assert res.returncode == 0 and "p00002-r001" in res.stdout and "6 rows" in res.stdout
    days = catalog.query("SELECT run_id, arm, count(*) AS n FROM metrics GROUP BY ALL", out)
    assert len(days) == 12 and (days["n"] == 20).all()
    # The catalog file itself holds the views: any DuckDB client reads the Parquet in place.
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 6 * 2 * 20
        assert con.execute("SELECT n_runs, n_done FROM sweeps").fetchone() == (6, 6)
    finally:
        con.close()
    bad = cli("query", "SELECT * FROM nonexistent", "--dir", out)
    assert bad.returncode == 2 and bad.stderr.startswith("error: query failed:")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_folder_of_sweeps_is_one_catalog(finished, tmp_path):
    out, _ = finished
    both = catalog.query("SELECT count(DISTINCT sweep_id) AS sweeps, count(*) AS runs "
                         "FROM runs", out.parent)
    assert both.iloc[0].tolist() == [1, 6]
    assert (out.parent / "catalog.duckdb").exists()
    with pytest.raises(SweepError, match="no sweep or run folder at or under"):
        catalog.query("SELECT 1", tmp_path)


def test_one_sweep_file_run_into_two_folders_is_two_sweeps_in_the_catalog(tmp_path):
    """Each folder its own sweep_id (the same digest: the same runs), each summary row its
    run folder: a catalog over both counts each run once."""
    path = write_sweep(tmp_path, '"safeguards.appeals" = [false, true]', name="twice",
                       replicates=2)
    plan = load_sweep(path)
    for folder in ("one", "two"):
        assert run_sweep(plan, tmp_path / "sweeps" / folder, jobs=1).done == 4
    ids = catalog.query("SELECT sweep_id, digest, path, n_runs FROM sweeps ORDER BY path",
                        tmp_path / "sweeps")
    assert ids.sweep_id.nunique() == 2 and ids.digest.nunique() == 1
    assert all(i.startswith(plan.content_id + "-") for i in ids.sweep_id)
    runs = catalog.query("SELECT sweep_id, count(*) AS n FROM runs GROUP BY 1",
                         tmp_path / "sweeps")
    assert sorted(runs.n) == [4, 4]
    rows = catalog.query("SELECT DISTINCT sweep_id, path FROM summaries", tmp_path / "sweeps")
    assert len(rows) == 8 and all((Path(p) / "summary.json").is_file() for p in rows.path)
    for sid, p in zip(rows.sweep_id, rows.path, strict=True):
        folder = ids.loc[ids.sweep_id == sid, "path"].item()
        assert p.startswith(folder + "/runs/")


def test_query_reads_run_folders_too(tmp_path):
    for seed in (1, 2):
        panoptisim.run("baseline", seed=seed, out=tmp_path / "runs" / f"s{seed}",
                       overrides={"population.size": 500, "run.steps": 20})
    folders = catalog.query("SELECT path, scenario, seed FROM run_folders ORDER BY seed",
                            tmp_path / "runs")
    assert list(folders.seed) == [1, 2] and set(folders.scenario) == {"baseline"}
    chill = catalog.query("SELECT path, effect FROM run_summaries "
                          "WHERE metric = 'chilling_index'", tmp_path / "runs")
    assert len(chill) == 2
    days = catalog.query("SELECT path, arm, count(*) AS n FROM run_metrics GROUP BY ALL",
                         tmp_path / "runs")
    assert len(days) == 4 and (days.n == 20).all()
    one = cli("query", "SELECT count(*) AS n FROM run_metrics", "--dir",
              tmp_path / "runs" / "s1", "--format", "csv")
    assert one.returncode == 0 and one.stdout.splitlines() == ["n", "40"], one.stderr


def test_a_finished_sweep_is_not_overwritten_and_resume_checks_the_file(finished, tmp_path):
    out, _ = finished
    path = write_sweep(tmp_path, FPIR, name="grid", replicates=2)
    again = cli("sweep", path, "--out", out)
    assert again.returncode == 2 and "already holds a sweep: add --resume" in again.stderr
    # the same sweep name with other axes, in a file of its own (path stays the sweep's)
    (tmp_path / "other").mkdir()
    other = write_sweep(tmp_path / "other", FPIR.replace("0.03", "0.05"), name="grid",
                        replicates=2)
    assert other != path and path.read_text() != other.read_text()
    res = cli("sweep", other, "--out", out, "--resume")
    assert res.returncode == 2 and "differs from the sweep in" in res.stderr
    assert "only sweep.replicates may grow" in res.stderr
    fewer = cli("sweep", path, "--out", out, "--resume", "--set", "sweep.replicates=1")
    assert fewer.returncode == 2 and ("sweep.replicates = 1 is fewer than the 2 replicates "
                                      "of the sweep in") in fewer.stderr
    same = cli("sweep", path, "--resume", "--out", out, "--quiet")  # the very same sweep
    assert same.returncode == 0 and "0 run now" in same.stdout, same.stderr
    same = cli("sweep", "--resume", "--out", out, "--quiet")  # from the stored copy
    assert same.returncode == 0 and "0 run now" in same.stdout
    assert "--address tcp://127.0.0.1:1 needs --executor dask" in cli(
        "sweep", path, "--address", "tcp://127.0.0.1:1").stderr


# ---------------------------------------------------------------------- faults
#: Days of the interrupted sweeps' runs: long enough (about 0.4 s a run) that the signal sent
#: once two runs have finished arrives well before the other seven can (20 days took 0.04 s
#: a run, and a sweep sometimes finished first).
INTERRUPTED_STEPS = 200


def _start_and_interrupt(tmp_path, sig, name):
    """Start a 9-run sweep, let a few runs finish, then deliver ``sig``."""
    path = write_sweep(tmp_path, FPIR, name=name, replicates=3,
                       settings={"run.steps": INTERRUPTED_STEPS})
    out = tmp_path / "out"
    proc = start(command("sweep", path, "--out", out, "--jobs", "2", "--quiet"),
                 log=tmp_path / "driver.log")
    try:
        wait_for(lambda: n_results(out) >= 2, what="two finished runs")
        before = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.parquet")}
        if sig == signal.SIGKILL:
            proc.send_signal(signal.SIGKILL)  # the driver alone, as `kill -9 PID`
        else:
            os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
        code = proc.wait(60)
        # Workers notice and exit by themselves: nothing of the sweep is left running.
        wait_for(lambda: not session_group_alive(proc.pid), timeout=30, what="workers to exit")
    finally:
        stop_group(proc, signal.SIGKILL)
    return path, out, code, before


def _check_resume(out, before):
    store = SweepStore(out)
    done_before = {name[:-8] for name in before}
    assert len(done_before) < 9
    res = cli("sweep", "--resume", "--out", out, "--jobs", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert "9 of 9 runs done, 0 failed" in res.stdout
    # Only what was missing ran: the finished result files are untouched...
    for name, mtime in before.items():
        assert (out / "results" / name).stat().st_mtime_ns == mtime
    last = [s for s in store.sessions() if s["event"] == "start"][-1]
    end = [s for s in store.sessions() if s["event"] == "end"][-1]
    # ...and the resumed session ran exactly the runs that had no result file.
    assert set(last["todo"]) | set(last["recovered"]) == set(_run_ids(store)) - done_before
    assert set(end["executed"]) == set(last["todo"])
    assert not set(end["executed"]) & done_before
    results = store.results()
    assert results["run_id"].nunique() == 9
    for folder in ("runs", "results"):  # nothing half-written is left
        assert not [p for p in (out / folder).iterdir() if p.name.startswith(".")]
    return store


@pytest.mark.slow  # about 30 s; Ctrl-C then resume (below) and tests/test_kill.py stay quick
def test_kill_9_of_the_driver_then_resume_runs_only_what_is_missing(tmp_path):
    _, out, code, before = _start_and_interrupt(tmp_path, signal.SIGKILL, "killed")
    assert code == -signal.SIGKILL
    store = _check_resume(out, before)
    # Resumed results are those of an uninterrupted run of the same seeds.
    row = store.plan_table().iloc[-1]
    fpir = pd.read_parquet(out / "points.parquet").set_index("point").loc[
        row.point, "surveillance.cameras.fpir"]
    direct = panoptisim.run("baseline", seed=int(row.seed), overrides={
        "population.size": 500, "run.steps": INTERRUPTED_STEPS,
        "surveillance.cameras.fpir": fpir})
    assert_same_summary(json.loads((out / "runs" / row.run_id / "summary.json").read_text()),
                        json.loads(json.dumps(direct.summary)))


def test_ctrl_c_stops_cleanly_and_resume_finishes(tmp_path):
    _, out, code, before = _start_and_interrupt(tmp_path, signal.SIGINT, "interrupted")
    assert code == 130
    log = (tmp_path / "driver.log").read_text()
    assert "interrupted:" in log and "panoptisim sweep --resume --out" in log
    ends = [s for s in SweepStore(out).sessions() if s["event"] == "end"]
    assert ends and ends[-1]["status"] == "interrupted"
    _check_resume(out, before)


def test_dying_workers_are_retried_and_raising_runs_recorded_as_failed(tmp_path):
    path = write_sweep(tmp_path, FPIR, name="faults", replicates=2)
    faults = tmp_path / "faults"
    faults.mkdir()
    env = {FAULTS_ENV: "worker.halfway:kill:faults/p00000-r001:1;"
                       "worker.halfway:kill:faults/p00001-r000;"
                       f"worker.halfway:raise:faults/p00002-r001;counts={faults}"}
    out = tmp_path / "out"
    res = cli("sweep", path, "--out", out, "--jobs", "2", "--retries", "1", "--quiet", env=env)
    assert res.returncode == 1, res.stderr
    assert "4 of 6 runs done, 2 failed" in res.stdout
    assert "failed p00002-r001: RuntimeError: injected fault" in res.stderr
    store = SweepStore(out)
    failed = store.failed()
    assert set(failed) == {"p00001-r000", "p00002-r001"}
    assert failed["p00001-r000"]["kind"] == "crashed" and failed["p00001-r000"]["attempts"] == 2
    assert "gave up after 2 attempts" in failed["p00001-r000"]["error"]
    assert "died (signal SIGKILL)" in failed["p00001-r000"]["error"]
    assert failed["p00002-r001"]["kind"] == "error" and failed["p00002-r001"]["attempts"] == 1
    assert "RuntimeError" in failed["p00002-r001"]["traceback"]
    runs = store.results().drop_duplicates("run_id").set_index("run_id")
    assert runs.loc["p00000-r001", "attempts"] == 2  # killed once, then finished
    assert (faults / "kill-faults_p00000-r001-0").exists()
    q = catalog.query("SELECT run_id, status, failure_kind FROM runs WHERE status <> 'done' "
                      "ORDER BY 1", out)
    assert q.values.tolist() == [["p00001-r000", "failed", "crashed"],
                                 ["p00002-r001", "failed", "error"]]
    # A plain resume leaves failed runs alone; --retry-failed reruns them (faults gone).
    report = run_sweep(load_sweep(out / "sweep.toml"), out, resume=True)
    assert report.executed == [] and report.failed == 2
    res = cli("sweep", "--resume", "--retry-failed", "--out", out, "--quiet")
    assert res.returncode == 0 and "6 of 6 runs done, 0 failed (2 run now" in res.stdout
    assert store.failed() == {}


# ----------------------------------------------------------------- sensitivity
@pytest.mark.parametrize("design,samples,expected", [
    ("sobol", 4, 16),
    pytest.param("morris", 3, 9, marks=pytest.mark.slow),  # Sobol's case runs in make test
])
def test_sensitivity_on_a_small_design_gives_indices_with_intervals(tmp_path, design, samples,
                                                                    expected):
    axes = ('"surveillance.online.p_scan" = { min = 0.1, max = 0.9 }\n'
            '"scoring.w_political" = { min = 0, max = 60 }')
    path = write_sweep(tmp_path, axes, name=design, design=design, samples=samples,
                       replicates=1)
    out = tmp_path / "out"
    res = cli("sweep", path, "--out", out, "--jobs", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert f"{expected} of {expected} runs done" in res.stdout
    res = cli("sensitivity", out, "--metric", "chilling_index", "--metric", "flags_true",
              "--resamples", "100")
    assert res.returncode == 0, res.stderr
    assert "chilling_index (effect)" in res.stdout and "flags_true (effect)" in res.stdout
    table = pd.read_parquet(out / "sensitivity" / "chilling_index.effect.parquet")
    assert set(table["parameter"]) == {"surveillance.online.p_scan", "scoring.w_political"}
    cols = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"] if design == "sobol" else \
        ["mu", "mu_star", "mu_star_low", "mu_star_high", "sigma"]
    assert set(cols) <= set(table.columns) and table[cols].notna().all().all()
    key = "ST" if design == "sobol" else "mu_star"
    assert (table[f"{key}_low"] <= table[key]).all() and (table[key] <= table[f"{key}_high"]).all()
    if design == "morris":  # mu* is a mean of absolute effects: never below 0
        for metric in ("chilling_index", "flags_true"):
            t = pd.read_parquet(out / "sensitivity" / f"{metric}.effect.parquet")
            assert (t["mu_star_low"] >= 0).all(), t
    doc = json.loads((out / "sensitivity" / "flags_true.effect.json").read_text())
    assert doc["method"] == design and doc["verdict"].startswith("flags_true (effect)")
    assert doc["verdict"] in res.stdout
    q = catalog.query("SELECT DISTINCT metric FROM sensitivity ORDER BY 1", out)
    assert list(q["metric"]) == ["chilling_index", "flags_true"]
    with pytest.raises(SweepError, match="did you mean 'chilling_index'?"):
        analyze_sweep(out, "chiling_index")


def test_sensitivity_needs_a_sampled_design(finished):
    out, _ = finished
    res = cli("sensitivity", out, "--metric", "chilling_index")
    assert res.returncode == 2
    assert "needs design 'sobol', 'morris' or 'lhs'" in res.stderr


def test_the_python_interface_runs_a_sweep_in_process(tmp_path):
    from panoptisim.experiments import summarize_sweep

    plan = load_sweep(write_sweep(tmp_path, '"safeguards.appeals" = [false, true]',
                                  name="api", replicates=1))
    t0 = time.perf_counter()
    report = run_sweep(plan, tmp_path / "out", jobs=1)
    assert report.done == 2 and report.failed == 0 and report.status == "finished"
    assert report.wall_s <= time.perf_counter() - t0
    table = summarize_sweep(tmp_path / "out", ci="t")
    assert set(table["point"]) == {0, 1} and (table["n"] == 1).all()
    assert table["ci_method"].eq("none").all()

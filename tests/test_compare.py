"""``panoptisim compare A B`` and ``panoptisim.compare``: the paired difference B - A of every
headline result over replicates on common random numbers, with its 95% interval; under a
posterior, with parameter uncertainty beside seed noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import panoptisim
from panoptisim.errors import InputError
from panoptisim.metrics import HEADLINE
from panoptisim.report.build import kind_of

SMALL = {"population.size": 2000, "run.steps": 60}


@pytest.fixture(scope="module")
def appeals():
    """baseline against safeguards, 4 paired replicates, nothing written."""
    return panoptisim.compare("baseline", "safeguards", replicates=4, overrides=SMALL)


def test_every_headline_result_with_its_paired_interval(appeals):
    doc = appeals.doc
    assert list(doc["results"]) == list(HEADLINE)
    assert doc["a"]["name"] == "baseline" and doc["b"]["name"] == "safeguards"
    for name, r in doc["results"].items():
        low, high = r["ci95"]
        assert low <= r["difference"] <= high, name
        assert r["aggregate"] and r["method"].startswith("paired t over 4 replicates")
    reps = appeals.replicates
    assert len(reps) == 4 * len(HEADLINE)
    flags = reps[reps.metric == "flags_true"]
    np.testing.assert_allclose(flags.difference, flags.b - flags.a)
    assert doc["results"]["flags_true"]["difference"] == pytest.approx(flags.difference.mean())
    # safeguards forgive and sunset flags and allow appeals: the score falls less
    assert doc["results"]["score_mean"]["ci95"][0] > 0
    assert set(appeals.table.columns) >= {"metric", "a", "b", "difference", "ci95_low"}
    assert "safeguards - baseline" in repr(appeals) and len(repr(appeals)) < 200


def test_each_side_is_the_run_of_its_scenario_with_the_shared_seed(appeals):
    seed = appeals.doc["seed"]
    alone = panoptisim.run("safeguards", seed=seed, overrides={**SMALL, "run.replicates": 4})
    effect = alone.summary["metrics"]["flags_true"]["effect"]
    assert appeals.doc["results"]["flags_true"]["b"] == pytest.approx(effect)


def test_a_scenario_against_itself_differs_by_exactly_nothing():
    """Common random numbers: replicate r of A and of B is the same run."""
    same = panoptisim.compare("baseline", "baseline", replicates=2, overrides=SMALL)
    for name, r in same.doc["results"].items():
        assert r["difference"] == 0 and r["ci95"] == [0, 0], name


def test_pairing_narrows_the_interval_against_independent_runs(appeals):
    """The paired interval of flags_true is far narrower than the difference of two
    independent means would give (Welch's interval from the same values)."""
    reps = appeals.replicates[appeals.replicates.metric == "flags_true"]
    n = len(reps)
    unpaired = 2 * 3.18 * np.sqrt(reps.a.var(ddof=1) / n + reps.b.var(ddof=1) / n)
    low, high = appeals.doc["results"]["flags_true"]["ci95"]
    assert high - low < unpaired / 3


def test_under_a_posterior_the_interval_includes_parameter_uncertainty(tmp_path):
    folder = tmp_path / "calib"
    folder.mkdir()
    purchase = np.linspace(0.05, 0.9, 40)
    pq.write_table(pa.table({"behavior.p_purchase": purchase,
                             "weight": np.full(40, 1 / 40)}), folder / "posterior.parquet")
    # the regime's true flags (none without it) are mostly disfavoured purchases: they scale
    # with the daily chance of a purchase, which the posterior spreads over 0.05-0.9
    c = panoptisim.compare("no-surveillance", "baseline", replicates=3, draws=5,
                           overrides={**SMALL, "run.control": False}, posterior=folder,
                           out=tmp_path / "out")
    doc = c.doc
    assert doc["draws"] == 5 and len(doc["parameters"]) == 5
    assert len({p["behavior.p_purchase"] for p in doc["parameters"]}) > 1
    e = doc["results"]["flags_true"]
    assert e["ci95"][1] - e["ci95"][0] > 2 * (e["ci95_seed"][1] - e["ci95_seed"][0])
    assert 0 <= e["parameter_share"] <= 1
    assert (tmp_path / "out" / "draws" / "d004" / "b" / "summary.json").is_file()
    from panoptisim.report import write_report

    html = write_report(tmp_path / "out").read_text()
    assert "95% interval (seeds only)" in html and "parameters&#x27; share" in html
    with pytest.raises(InputError, match="behavior.p_purchase is calibrated"):
        panoptisim.compare("baseline", "safeguards", replicates=2, posterior=folder,
                           overrides={**SMALL, "behavior.p_purchase": 0.1})


def cli(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "panoptisim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def test_the_command_writes_the_folder_table_and_report(tmp_path):
    out = tmp_path / "cmp"
    res = cli("compare", "baseline", "safeguards", "--replicates", "2", "--set",
              "population.size=1500", "--set", "run.steps=40", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "safeguards - baseline: paired differences over 2 replicates" in res.stdout
    assert "wrongful_sanctions" in res.stdout and "95% CI" in res.stdout
    assert kind_of(out) == "comparison"
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["overrides"] == {"population.size": 1500, "run.steps": 40}
    assert (out / "replicates.parquet").is_file() and (out / "a" / "summary.json").is_file()
    html = (out / "report.html").read_text()
    assert "panoptisim comparison: safeguards − baseline" in html
    assert (out / "figures" / "paired_differences.png").is_file()
    # a run folder stands for its scenario, run again with the comparison's seed
    again = cli("compare", out / "a", "safeguards", "--replicates", "2", "--set",
                "population.size=1500", "--set", "run.steps=40", "--out", tmp_path / "re",
                "--quiet", "--no-report")
    assert again.returncode == 0, again.stderr
    redo = json.loads((tmp_path / "re" / "comparison.json").read_text())
    assert redo["results"] == doc["results"]


@pytest.mark.parametrize("args, needle", [
    (["baseline", "nosuch"], "nosuch"),
    (["baseline", "safeguards", "--set", "scoring.w_political=-1"], "scoring.w_political"),
    (["baseline", "safeguards", "--posterior", "nowhere"], "nowhere"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, needle):
    res = cli("compare", *args, "--replicates", "2", "--set", "population.size=500",
              "--out", tmp_path / "out")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], res.stderr
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_a_run_folder_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    with pytest.raises(InputError, match="is a folder but not a run folder"):
        panoptisim.compare(tmp_path / "notes", "baseline", replicates=2, overrides=SMALL)


def test_two_finished_run_folders_are_compared_as_they_ran_without_running(
        tmp_path, monkeypatch):
    """Two run folders from one seed pair replicate by replicate: their comparison is read
    from metrics.parquet (nothing runs) and equals the comparison that runs them."""
    tiny = {"population.size": 300, "run.steps": 20}
    settings = {**tiny, "run.replicates": 3}
    for name in ("baseline", "safeguards"):
        panoptisim.run(name, seed=7, overrides=settings, out=tmp_path / name)
    ran = panoptisim.compare("baseline", "safeguards", replicates=3, seed=7, overrides=tiny)
    compare_module = sys.modules["panoptisim.compare"]

    def no_run(*a, **k):
        raise AssertionError("a finished run was run again")
    monkeypatch.setattr(compare_module, "run_api", no_run)
    read = panoptisim.compare(tmp_path / "baseline", tmp_path / "safeguards",
                              out=tmp_path / "cmp")
    assert read.doc["results"] == ran.doc["results"]
    assert read.doc["run_folders"] == [str((tmp_path / n).resolve())
                                       for n in ("baseline", "safeguards")]
    assert not (tmp_path / "cmp" / "a").exists()  # the runs stay where they are
    with pytest.raises(AssertionError, match="run again"):  # --rerun runs them
        panoptisim.compare(tmp_path / "baseline", tmp_path / "safeguards", rerun=True)


def test_finished_runs_that_do_not_pair_are_refused_saying_how_to_rerun(tmp_path):
    for name, seed in (("a", 1), ("b", 2)):
        panoptisim.run("baseline", seed=seed, overrides={"population.size": 300,
                                                         "run.steps": 5,
                                                         "run.replicates": 2},
                       out=tmp_path / name)
    res = cli("compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "cmp")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "differ in their seeds" in lines[0] and "--rerun" in lines[0]
    assert not (tmp_path / "cmp").exists()


def test_headline_values_that_can_be_negative_are_never_marked_non_negative():
    """A weekly rise can be a fall: cascade_rise and cascade_noise_floor are headline
    results marked signed in every run, while a treated count is non-negative."""
    from panoptisim.replicates import replicate_values
    for control in (True, False):
        sim = panoptisim.run("baseline", overrides={"population.size": 300, "run.steps": 15,
                                                    "run.replicates": 2,
                                                    "run.control": control}).simulation
        values = replicate_values(sim)
        # named here, not taken from metrics.CAN_BE_NEGATIVE, the list under test
        for name in ("cascade_rise", "cascade_noise_floor"):
            assert name in values, (name, control)
            assert values[name][1] is False, (name, control)
    assert values["flags_false"][1] is True  # a treated count, no control arm

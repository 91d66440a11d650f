"""``panoptisim run --posterior``: headline results with parameter uncertainty beside seed
noise, from a calibration's posterior."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from panoptisim.calibration.posterior_runs import result_entry, run_posterior
from panoptisim.errors import InputError
from panoptisim.scenario import load_scenario

SMALL = {"population.size": 2000, "run.steps": 30, "run.replicates": 3}
#: The treated arm alone: its expressed-dissent rate moves with the daily chance to speak
#: (the effect, treated - control, does too but is small after 30 days).
TREATED = {**SMALL, "run.control": False}


def posterior_folder(path, chance: np.ndarray):
    """A calibration folder whose posterior holds these values of the daily chance to speak
    (equal weights)."""
    path.mkdir()
    pq.write_table(pa.table({"generation": np.zeros(len(chance), np.int32),
                             "behavior.p_political_chance": chance,
                             "weight": np.full(len(chance), 1 / len(chance)),
                             "distance": np.zeros(len(chance))}), path / "posterior.parquet")
    return path


@pytest.fixture(scope="module")
def wide_and_narrow(tmp_path_factory):
    root = tmp_path_factory.mktemp("posterior")
    wide = posterior_folder(root / "wide", np.linspace(0.01, 0.2, 40))
    narrow = posterior_folder(root / "narrow", np.full(40, 0.08))
    scenario = load_scenario("baseline", TREATED)
    a = run_posterior(scenario, wide, 6, root / "wide-runs")
    b = run_posterior(scenario, narrow, 6, root / "narrow-runs")
    return a, b, root


def _width(ci):
    return ci[1] - ci[0]


def test_a_wide_posterior_gives_wider_intervals_than_seed_noise(wide_and_narrow):
    wide, narrow, _ = wide_and_narrow
    e = wide["results"]["expressed_dissent_rate"]
    assert _width(e["ci95_posterior"]) > 2 * _width(e["ci95_seed"])
    assert e["parameter_share"] > 0.8
    assert all(v["ci95_seed"][0] >= 0 and v["ci95_posterior"][0] >= 0  # treated values
               for v in wide["results"].values())
    # with every draw at the same parameters only seed noise is left
    n = narrow["results"]["expressed_dissent_rate"]
    assert _width(e["ci95_posterior"]) > 3 * _width(n["ci95_posterior"])
    assert len({round(p["behavior.p_political_chance"], 12) for p in narrow["parameters"]}) == 1


def test_each_draw_is_a_run_folder_and_the_result_is_written(wide_and_narrow):
    wide, _, root = wide_and_narrow
    folder = root / "wide-runs"
    draws = sorted(p.name for p in (folder / "draws").iterdir())
    assert draws == [f"d{k:03d}" for k in range(6)]
    for k, name in enumerate(draws):
        resolved = (folder / "draws" / name / "scenario.toml").read_text()
        assert f"seed = {wide['seeds'][k]}" in resolved
    assert json.loads((folder / "posterior.json").read_text()) == json.loads(json.dumps(wide))
    assert len(set(wide["seeds"])) == 6


def test_the_same_scenario_and_seed_draw_the_same_parameters_and_seeds(wide_and_narrow,
                                                                       tmp_path):
    wide, _, root = wide_and_narrow
    again = run_posterior(load_scenario("baseline", TREATED), root / "wide", 6, tmp_path / "x")
    assert again == wide


def test_intervals_of_quantities_that_cannot_be_negative_stay_non_negative():
    x = np.array([[0.0, 0.0, 0.3], [0.0, 0.1, 0.0]])
    e = result_entry(x, 0.0)
    assert e["ci95_seed"][0] == 0.0 and e["ci95_posterior"][0] >= 0.0
    e = result_entry(x - 1.0, None)  # an effect may be negative
    assert e["ci95_seed"][0] < 0


def test_bad_posterior_input_is_one_line(tmp_path):
    scenario = load_scenario("baseline", SMALL)
    with pytest.raises(InputError, match="not a calibration folder"):
        run_posterior(scenario, tmp_path, 4, tmp_path / "out")
    folder = posterior_folder(tmp_path / "c", np.linspace(0.01, 0.2, 5))
    with pytest.raises(InputError, match="run.replicates >= 2"):
        run_posterior(load_scenario("baseline", {**SMALL, "run.replicates": 1}), folder, 4,
                      tmp_path / "out")
    res = subprocess.run([sys.executable, "-m", "panoptisim", "run", "--posterior",
                          str(tmp_path / "nowhere"), "--set", "population.size=2000",
                          "--set", "run.replicates=3"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "not a calibration folder" in res.stderr


def test_cli_prints_both_intervals(tmp_path):
    folder = posterior_folder(tmp_path / "c", np.linspace(0.01, 0.2, 5))
    res = subprocess.run([sys.executable, "-m", "panoptisim", "run", "--posterior",
                          str(folder), "--draws", "2", "--out", str(tmp_path / "out"),
                          *[f"--set={k}={v}" for k, v in SMALL.items()]],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "200"})  # one line a table row
    assert res.returncode == 0, res.stderr
    assert "95% (parameters + seeds)" in res.stdout and "95% (seeds only)" in res.stdout
    assert (tmp_path / "out" / "posterior.json").is_file()

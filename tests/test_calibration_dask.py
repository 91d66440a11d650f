"""The calibration command on a real dask.distributed cluster (a scheduler and two workers
started as separate processes, as the sweeps' tests do)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import tomli_w
from test_calibration import targets_doc
from test_experiments_dask import cluster  # noqa: F401 - the fixture

pytest.importorskip("distributed")


@pytest.mark.slow  # about 35 s; the quick suite runs a sweep on a Dask scheduler
def test_calibrate_runs_on_a_dask_scheduler_with_two_workers(cluster, tmp_path):  # noqa: F811
    address = cluster[0]
    doc = targets_doc({"dissent": 0.02, "benign": 0.3}, {"dissent": 0.004, "benign": 0.03},
                      particles=12, generations=2, min_epsilon=0.0, predictive_draws=3)
    path = tmp_path / "targets.toml"
    path.write_text(tomli_w.dumps(doc))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "panoptisim", "calibrate", str(path),
                          "--executor", "dask", "--address", address, "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads((out / "calibration.json").read_text())
    assert result["generations"] == 2
    assert result["simulations"] >= 2 * 12
    assert set(result["parameters"]) == set(doc["priors"])

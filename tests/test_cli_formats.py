"""``--format table|csv|json`` of ``show``, ``params`` and ``summarize``: csv and json are
every row and nothing else on stdout, parsed here as a program would; ``params TEXT``
lists only the keys that contain TEXT."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from test_experiments_support import write_sweep
from test_query_safety import run_cli

from panoptisim.experiments import load_sweep, run_sweep
from panoptisim.metrics import HEADLINE
from panoptisim.paramdoc import region_params
from panoptisim.scenario import iter_params

BOX = ("┃", "│", "━")  # rich's table borders: decoration


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("show") / "r"
    code = run_cli_plain("run", "--set", "population.size=500", "--set", "run.steps=20",
                         "--no-report", "--quiet", "--out", out)
    assert code == 0
    return out


def run_cli_plain(*args: object) -> int:
    """``panoptisim ARGS`` in this process, output not captured; the exit status."""
    from panoptisim.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code or 0
    return 0


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("summarize")
    plan = load_sweep(write_sweep(root, '"surveillance.cameras.fpir" = [0.001, 0.01]',
                                  replicates=2))
    run_sweep(plan, root / "s", jobs=1)
    return root / "s"


def parsed(out: str, fmt: str) -> pd.DataFrame:
    """stdout of a csv or json command, as a frame (fails on any decoration)."""
    assert not any(ch in out for ch in BOX)
    if fmt == "csv":
        return pd.read_csv(io.StringIO(out))
    return pd.DataFrame(json.loads(out))


def test_show_prints_csv_and_json_rows_of_the_summary(run_dir, capsys):
    summary = json.loads((run_dir / "summary.json").read_text())
    frames = {}
    for fmt in ("csv", "json"):
        code, out, err = run_cli(capsys, "show", run_dir, "--format", fmt)
        assert code == 0, err
        frames[fmt] = df = parsed(out, fmt)
        assert list(df.columns) == ["metric", "aggregate", "treated", "control", "effect",
                                    "ci_low", "ci_high"]
        assert df["metric"].tolist() == [m for m in HEADLINE if m in summary["metrics"]]
        for row in df.itertuples():
            entry = summary["metrics"][row.metric]
            assert row.aggregate == entry["aggregate"]
            assert row.effect == pytest.approx(entry["effect"], rel=1e-12, abs=0)
    figures = ["treated", "control", "effect", "ci_low", "ci_high"]  # null: no value
    pd.testing.assert_frame_equal(frames["csv"].astype(dict.fromkeys(figures, float)),
                                  frames["json"].astype(dict.fromkeys(figures, float)))
    code, out, _ = run_cli(capsys, "show", run_dir, "--format", "json", "--all")
    assert code == 0 and len(json.loads(out)) == len(summary["metrics"])
    code, out, _ = run_cli(capsys, "show", run_dir)
    assert code == 0 and any(ch in out for ch in BOX) and "chilling_index" in out


def test_params_prints_every_parameter_as_csv_and_json(capsys):
    every = [p.key for p in [*iter_params(), *region_params()]]
    frames = {}
    for fmt in ("csv", "json"):
        code, out, err = run_cli(capsys, "params", "--format", fmt)
        assert code == 0, err
        frames[fmt] = df = parsed(out, fmt)
        assert df["key"].tolist() == every
        assert {"default", "unit", "allowed", "timeline", "meaning", "source"} <= set(df)
    fpir = frames["json"].set_index("key").loc["surveillance.cameras.fpir"]
    assert fpir["unit"] and fpir["meaning"] and fpir["timeline"] == "yes, per region"
    pd.testing.assert_frame_equal(frames["csv"].fillna(""), frames["json"].fillna(""),
                                  check_dtype=False)


def test_params_text_lists_only_the_keys_that_contain_it(capsys):
    every = [p.key for p in [*iter_params(), *region_params()]]
    code, out, _ = run_cli(capsys, "params", "cameras", "--format", "csv")
    keys = parsed(out, "csv")["key"].tolist()
    assert code == 0 and keys == [k for k in every if "cameras" in k]
    assert 0 < len(keys) < len(every) and "surveillance.cameras.fpir" in keys
    code, out, _ = run_cli(capsys, "params", "CAMERAS.FPIR", "--format", "json")
    assert code == 0 and [r["key"] for r in json.loads(out)] == ["surveillance.cameras.fpir"]
    code, out, _ = run_cli(capsys, "params", "cameras")
    assert code == 0 and "fpir" in out and "population.size" not in out
    code, out, err = run_cli(capsys, "params", "nosuchkey")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "'nosuchkey'" in err and "no parameter key contains it" in err
    code, _, err = run_cli(capsys, "params", "cameras", "--markdown")
    assert code == 2 and "--markdown" in err


def test_summarize_prints_csv_and_json_of_the_written_summary(sweep_dir, capsys):
    frames = {}
    for fmt in ("csv", "json"):
        code, out, err = run_cli(capsys, "summarize", sweep_dir, "--format", fmt)
        assert code == 0, err
        frames[fmt] = df = parsed(out, fmt)
        assert "summary:" not in out
    written = pd.read_parquet(sweep_dir / "summary.parquet")
    for df in frames.values():
        assert len(df) == len(written) and set(df["metric"]) == set(written["metric"])
        pd.testing.assert_series_equal(df["mean"], written["mean"], check_dtype=False,
                                       check_names=False, rtol=1e-12)
    code, out, _ = run_cli(capsys, "summarize", sweep_dir, "--format", "json", "--metric",
                           "chilling_index", "--metric", "flags_false")
    rows = pd.DataFrame(json.loads(out))
    assert code == 0 and set(rows["metric"]) == {"chilling_index", "flags_false"}
    assert len(rows) == len(written[written.metric.isin(["chilling_index", "flags_false"])])
    code, out, _ = run_cli(capsys, "summarize", sweep_dir)
    assert code == 0 and any(ch in out for ch in BOX) and "summary:" in out
    code, out, _ = run_cli(capsys, "summarize", sweep_dir, "--max-rows", "1")
    assert "--format csv" in out  # the caption's advice is an option that exists
    code, out, err = run_cli(capsys, "summarize", sweep_dir, "--format", "csv", "--metric",
                             "nosuch")
    assert code == 2 and out == "" and "--metric 'nosuch'" in err

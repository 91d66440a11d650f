"""The bad-input contract, input by input: one line on stderr that names the key, the value
and what is allowed; exit status 2; no traceback; nothing written. Each case here is one a
fuzzing pass found broken (a folder written outside the output folder, a traceback, a
message split over lines, a hang, a value of the wrong type accepted)."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from panoptisim.api import build_scenario
from panoptisim.cli import main
from panoptisim.errors import LINE, ScenarioError
from panoptisim.experiments.spec import load_sweep
from panoptisim.fmt import slug
from panoptisim.scenario import builtin_names, load_scenario

ROOT = Path(__file__).resolve().parents[1]
#: A run that takes well under a second: what a valid input in these tests runs.
TINY = ["--set", "population.size=100", "--set", "run.steps=3", "--set", "run.control=false",
        "--no-report", "--quiet"]
#: The tiny size alone (no run.control), for commands that a regression could let run.
TINY_SIZE = ["--set", "population.size=100", "--set", "run.steps=3", "--set",
             "run.replicates=1"]


def call(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """Exit status, stderr and stdout of ``panoptisim ARGV`` run in this process."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.err, captured.out


def refused(argv: list[str], capsys: pytest.CaptureFixture, parent: Path,
            *needles: str) -> str:
    """Assert the contract for ``argv`` (writing under ``parent``, empty before); returns
    the error line."""
    before = sorted(parent.rglob("*"))
    code, err, _ = call(argv, capsys)
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err[:2000]
    assert "Traceback" not in err and len(lines[0]) <= LINE + len("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert sorted(parent.rglob("*")) == before
    return lines[0]


# ------------------------------------------------------------------ folder names
@pytest.mark.parametrize("name, expect", [
    ("../../escaped", "escaped"), ("/abs/escaped", "abs-escaped"), ("x" * 300, "x" * 64),
    ("a\nb c", "a-b-c"), ("..", "unnamed"), ("baseline", "baseline"), (".hidden", "hidden"),
])
def test_slug_is_one_safe_folder_name(name, expect):
    assert slug(name) == expect
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", slug(name))


@pytest.mark.parametrize("name", ["../../escaped", "ABSOLUTE", "x" * 300])
def test_run_folder_named_from_the_scenario_stays_under_runs(tmp_path, monkeypatch, capsys,
                                                              name):
    work = tmp_path / "work"
    work.mkdir()
    if name == "ABSOLUTE":
        name = str(tmp_path / "elsewhere" / "escaped")
    scenario = work / "s.toml"
    scenario.write_text(f"name = {name!r}\n".replace("'", '"'))
    monkeypatch.chdir(work)
    code, err, _ = call(["run", str(scenario), *TINY], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # nothing beside it
    assert sorted(p.name for p in work.iterdir()) == ["runs", "s.toml"]
    (folder,) = (work / "runs").iterdir()
    assert folder.name.startswith(slug(name) + "-seed") and len(folder.name) < 100
    assert (folder / "summary.json").is_file()


def test_sweep_folder_named_from_the_sweep_stays_under_sweeps(tmp_path, monkeypatch, capsys):
    sweep = tmp_path / "s.toml"
    sweep.write_text('[sweep]\nname = "../../../up"\nscenario = "baseline"\n[set]\n'
                     '"population.size" = 100\n"run.steps" = 3\n[axes]\n'
                     '"safeguards.appeals" = [false, true]\n')
    monkeypatch.chdir(tmp_path)
    code, err, out = call(["sweep", str(sweep), "--dry-run"], capsys)
    assert code == 0, err
    assert re.search(r"^would write: sweeps/up-\d{8}-\d{6}$", out, re.M), out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# ------------------------------------------------------------ tracebacks before
def test_arrays_nested_5000_deep_are_one_line(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    bad = tmp_path / "deep.toml"
    bad.write_text("[run]\nsteps = " + "[" * 5000 + "1" + "]" * 5000 + "\n")
    refused(["run", str(bad), "--out", str(tmp_path / "out" / "r")], capsys, tmp_path,
            "too deeply", "at most 32 levels")
    refused(["run", "--set", "run.steps=" + "[" * 5000, "--out", str(tmp_path / "out" / "r")],
            capsys, tmp_path, "--set run.steps")
    bad.write_text("a." * 5000 + "x = 1\n")  # a dotted key of 5,000 parts
    refused(["run", str(bad), "--out", str(tmp_path / "out" / "r")], capsys, tmp_path,
            "too deeply")
    for key in ("regions.urban." * 3000 + "x", "a." * 20000 + "x"):  # checked without recursion
        refused(["run", "--set", f"{key}=1", "--out", str(tmp_path / "out" / "r")], capsys,
                tmp_path, "unknown key", "...")


def test_a_5000_digit_integer_is_one_line(tmp_path, capsys):
    bad = tmp_path / "big.toml"
    bad.write_text("[population]\nsize = " + "7" * 5000 + "\n")
    refused(["run", str(bad), "--out", str(tmp_path / "r")], capsys, tmp_path,
            "more than 4300 digits")
    refused(["run", "--set", "population.size=" + "7" * 5000, "--out", str(tmp_path / "r")],
            capsys, tmp_path, "--set population.size", "more than 4300 digits")


@pytest.mark.parametrize("command", [["run", *TINY_SIZE],
                                     ["compare", "baseline", "fico", "--replicates", "2",
                                      *TINY_SIZE[:4]],
                                     ["sweep", str(ROOT / "examples/sweeps/fpir-appeals.toml"),
                                      "--dry-run"]])
def test_out_with_a_name_too_long_for_the_file_system(tmp_path, capsys, command):
    long = tmp_path / ("o" * 300) / "run"
    line = refused([*command, "--out", str(long)], capsys, tmp_path, "--out", "300 bytes",
                   "at most")
    assert "'ooo" in line


# ---------------------------------------------------------- one line, not a flood
def test_a_newline_in_a_key_stays_on_one_line(tmp_path, capsys):
    line = refused(["run", "--set", "a\nb=1", "--out", str(tmp_path / "r")], capsys, tmp_path,
                   r"unknown key 'a\nb'")
    assert "\n" not in line


def test_a_100_kb_value_is_shortened(tmp_path, capsys):
    huge = "z" * 100_000
    line = refused(["run", "--set", f"run.steps={huge}", "--out", str(tmp_path / "r")],
                   capsys, tmp_path, "run.steps = 'zzz", "...", "expected an integer")
    assert len(line) < 400
    bad = tmp_path / "s.toml"
    bad.write_text(f'[run]\nsteps = "{huge}\\nmore"\n')
    line = refused(["run", str(bad), "--out", str(tmp_path / "r")], capsys, tmp_path,
                   "run.steps")
    assert len(line) < 400


def test_a_newline_in_a_value_and_a_table_key_stays_on_one_line(tmp_path, capsys):
    bad = tmp_path / "s.toml"
    bad.write_text('[scoring]\nregime = "fico\\nsesame"\n"odd\\nkey" = 1\n')
    refused(["run", str(bad), "--out", str(tmp_path / "r")], capsys, tmp_path, "scoring.")


# ------------------------------------------------------------------- files
@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_a_fifo_is_refused_not_waited_on(tmp_path, kind):
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    res = subprocess.run([sys.executable, "-m", "panoptisim", kind, str(fifo), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 2 and "is a pipe" in res.stderr and "regular file" in res.stderr
    assert len(res.stderr.splitlines()) == 1 and not (tmp_path / "o").exists()


def test_a_folder_as_scenario_is_refused(tmp_path, capsys):
    (tmp_path / "d.toml").mkdir()
    refused(["run", str(tmp_path / "d.toml"), "--out", str(tmp_path / "r")], capsys, tmp_path,
            "is a folder")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeffname = \"bom\"\n[run]\nsteps = 5\n".encode())
    scenario = load_scenario(path)
    assert scenario.name == "bom" and scenario.run.steps == 5


def test_text_that_is_not_utf8_is_one_line(tmp_path, capsys):
    path = tmp_path / "latin.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    refused(["run", str(path), "--out", str(tmp_path / "r")], capsys, tmp_path,
            "not UTF-8", "byte")


# -------------------------------------------------------------------- strict types
@pytest.mark.parametrize("item, needle", [
    ("safeguards.appeals=yes", "safeguards.appeals = 'yes' is not allowed: expected true or "
                               "false"),
    ("run.control=off", "run.control = 'off' is not allowed: expected true or false"),
    ('surveillance.cameras.fpir="0.5"', "expected a number such as 0.5 (without quotes)"),
    ("surveillance.cameras.fpir=true", "surveillance.cameras.fpir = True is not allowed: "
                                       "expected a number"),
    ("run.steps=true", "run.steps = True is not allowed: expected an integer"),
    ("population.size=2e3", "population.size = 2000.0 is not allowed: expected an integer "
                            "such as 2000"),
    ("population.size=2000.5", "expected an integer"),
    ("run.seed=\"7\"", "expected an integer such as 7 (without quotes)"),
    ("name=5", "name = 5 is not allowed: expected text in quotes"),
])
def test_values_of_the_wrong_type_are_refused(tmp_path, capsys, item, needle):
    # the tiny size first: the item, given last, wins over it; a regression runs tiny
    refused(["run", *TINY_SIZE, "--no-report", "--quiet", "--set", item,
             "--out", str(tmp_path / "r")], capsys, tmp_path, needle,
            "(allowed: " if not item.startswith("name") else "")


def test_file_values_of_the_wrong_type_are_refused(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text("[population]\nsize = 2e3\n")
    refused(["run", str(path), "--out", str(tmp_path / "r")], capsys, tmp_path,
            "population.size = 2000.0", "an integer such as 2000", "integer in [100, ")
    path.write_text('[[timeline]]\nday = 1\nset = { "safeguards.appeals" = "yes" }\n')
    refused(["run", str(path), "--out", str(tmp_path / "r")], capsys, tmp_path,
            "timeline.0", "safeguards.appeals = 'yes'", "expected true or false")


def test_the_api_is_strict_too():
    with pytest.raises(ScenarioError, match="an integer such as 2000"):
        build_scenario("baseline", {"population.size": 2e3})
    assert build_scenario("baseline", {"surveillance.cameras.fpir": 1}) \
        .surveillance.cameras.fpir == 1.0  # an integer is a number
    assert build_scenario("baseline", {"population.size": np.int64(2000)}).population.size \
        == 2000  # as is numpy's (a notebook's np.arange)


def test_builtin_scenarios_and_examples_still_load():
    for name in builtin_names():
        assert load_scenario(load_scenario(name)).name  # and a loaded one loads again
    sweeps = sorted(glob.glob(str(ROOT / "examples" / "**" / "*.toml"), recursive=True))
    assert sweeps
    for path in sweeps:
        assert load_sweep(path).n_points >= 1, path

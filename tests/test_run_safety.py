"""A run folder is complete or absent: the report is written before the folder takes its
name, a bad ``--out`` is refused before anything is simulated, stale partial folders of
killed runs are removed by the next run, and of two runs racing for one ``--out`` the
loser is refused without touching the winner's folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import panoptisim
from panoptisim import output
from panoptisim.cli import main
from panoptisim.io import PARTIAL, host_tag, remove_stale_partials

TINY = ["--set", "population.size=300", "--set", "run.steps=8"]
TINY_OVERRIDES = {"population.size": 300, "run.steps": 8}
#: Every entry of a complete run folder written with its report.
COMPLETE = {*output.FILES, "report.html", "figures"}


def run_cli(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """``panoptisim ARGS`` in this process: (exit status, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    out, err = capsys.readouterr()
    return code, out, err


def partials(parent: Path) -> list[Path]:
    """The partial folders (finished or not) in ``parent``."""
    return [p for p in parent.iterdir() if ".partial-" in p.name]


# --------------------------------------------------------- the report in the folder
def test_the_report_is_written_before_the_folder_takes_its_name(tmp_path, capsys,
                                                                 monkeypatch):
    import panoptisim.report.build as build

    out = tmp_path / "run"
    seen = {}
    real = build.write_report

    def watched(folder, **kw):
        seen["final existed"] = out.exists()
        seen["folder"] = Path(folder)
        return real(folder, **kw)

    monkeypatch.setattr(build, "write_report", watched)
    code, stdout, err = run_cli(["run", *TINY, "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    assert seen["final existed"] is False  # the report came first, then the name
    assert seen["folder"].name == "run" and PARTIAL.match(seen["folder"].parent.name)
    assert {p.name for p in out.iterdir()} == COMPLETE
    html = (out / "report.html").read_text()
    assert "run folder run ·" in html  # the report names the folder by its final name
    assert stdout.splitlines() == [f"run folder: {out}", f"report: {out / 'report.html'}"]
    assert partials(tmp_path) == []


def test_a_failing_report_is_a_warning_and_the_folder_is_kept(tmp_path, capsys, monkeypatch):
    import panoptisim.report.build as build

    def broken(folder, **kw):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(build, "write_report", broken)
    out = tmp_path / "run"
    code, stdout, err = run_cli(["run", *TINY, "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    assert stdout.splitlines() == [f"run folder: {out}"]
    assert err.splitlines() == [f"warning: the report was not written (RuntimeError: no "
                                f"fonts); retry with: panoptisim report {out}"]
    assert {p.name for p in out.iterdir()} == set(output.FILES)
    assert partials(tmp_path) == []


def test_ctrl_c_during_the_report_leaves_no_folder(tmp_path, capsys, monkeypatch):
    import panoptisim.report.build as build

    def interrupted(folder, **kw):
        (Path(folder) / "figures").mkdir()  # the report had begun
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "write_report", interrupted)
    out = tmp_path / "run"
    code, stdout, err = run_cli(["run", *TINY, "--quiet", "--out", str(out)], capsys)
    assert code == 130
    assert err.strip().startswith("interrupted")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------- --out refused before simulating
def _bad_outs(tmp_path: Path) -> list[tuple[str, str]]:
    """(--out, what its one-line error says) for every kind of destination refused."""
    empty = tmp_path / "empty"
    empty.mkdir()
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("mine")
    (tmp_path / "to-empty").symlink_to(empty)
    (tmp_path / "to-full").symlink_to(full)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return [(str(tmp_path / "to-empty"), "is a symbolic link"),
            (str(tmp_path / "to-full"), "is a symbolic link"),
            (str(tmp_path / "dangling"), "is a symbolic link"),
            (str(tmp_path / "file"), "is an existing file"),
            (str(full), "already exists and is not empty"),
            (str(tmp_path / "file" / "below"), "is not a folder"),
            ("/proc/panoptisim-out", "is not a writable folder"),
            ("/proc/panoptisim/out/deeper", "is not a writable folder"),
            # no name of its own: '.' crashed with FileExistsError after the whole run
            (".", "names no new folder"), ("/", "names no new folder"),
            (f"{empty}/..", "names no new folder")]


def test_a_bad_out_is_refused_before_anything_is_simulated(tmp_path, capsys, monkeypatch):
    import panoptisim.api as api

    def not_now(*a, **k):
        raise AssertionError("simulated before --out was checked")

    monkeypatch.setattr(api, "simulate", not_now)
    cases = _bad_outs(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for out, needle in cases:
        code, stdout, err = run_cli(["run", *TINY, "--quiet", "--out", out], capsys)
        lines = err.splitlines()
        assert code == 2 and len(lines) == 1, (out, err)
        assert lines[0].startswith(f"error: --out '{out}' ") and needle in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no probe
    assert (tmp_path / "to-empty").is_symlink() and list((tmp_path / "empty").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_a_read_only_parent_is_refused_before_anything_is_simulated(tmp_path, capsys,
                                                                    monkeypatch):
    import panoptisim.api as api

    monkeypatch.setattr(api, "simulate", lambda *a, **k: pytest.fail("simulated"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code, _, err = run_cli(["run", *TINY, "--quiet", "--out", str(locked / "r")], capsys)
    assert code == 2 and "is not a writable folder" in err


def test_an_empty_folder_or_missing_parents_are_fine(tmp_path):
    empty = tmp_path / "made-by-me"
    empty.mkdir()
    r = panoptisim.run("baseline", out=empty, overrides=TINY_OVERRIDES)
    assert r.path == empty and set(output.FILES) <= {p.name for p in empty.iterdir()}
    deep = tmp_path / "a" / "b" / "run"
    r = panoptisim.run("baseline", out=deep, overrides=TINY_OVERRIDES)
    assert (deep / "metrics.parquet").is_file()
    assert partials(tmp_path) == [] and partials(deep.parent) == []


# ----------------------------------------------------- stale partial folders
def _dead_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_run_removes_partial_folders_of_ended_processes_only(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        here = host_tag()
        other_host = "0" * 8 if here != "0" * 8 else "1" * 8
        names = {
            "dead": f".r1.partial-{_dead_pid()}-{here}-abcd_123",
            "dead, no name of its own yet": f".r2.partial-{_dead_pid()}-{here}-zzzz0000",
            "alive (another process)": f".r3.partial-{alive.pid}-{here}-abcd_123",
            "alive (this process)": f".r4.partial-{os.getpid()}-{here}-abcd_123",
            "another host": f".r5.partial-{_dead_pid()}-{other_host}-abcd_123",
            "unknown maker": ".r6.partial-k2j4l5m6",
        }
        for key, name in names.items():
            (tmp_path / name).mkdir()
            if key != "dead, no name of its own yet":  # killed before its folder was made
                inner = tmp_path / name / name.split(".")[1]
                inner.mkdir()
                (inner / "metrics.parquet").write_bytes(b"half")
        panoptisim.run("baseline", out=tmp_path / "next", overrides=TINY_OVERRIDES)
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {"next", *(names[k] for k in ("alive (another process)",
                                                     "alive (this process)", "another host",
                                                     "unknown maker"))}
        alive.kill()
        alive.wait()
        removed = remove_stale_partials(tmp_path)
        assert [p.name for p in removed] == [names["alive (another process)"]]
    finally:
        alive.kill()
        alive.wait()


# ------------------------------------------------------------------------ races
def test_two_runs_racing_for_one_out_one_wins_the_other_is_refused(tmp_path):
    """Both pass the check before simulating; the first to finish takes the name, the
    other is refused at its rename (one line, exit 2) and leaves nothing behind."""
    out = tmp_path / "race"
    cmd = [sys.executable, "-m", "panoptisim", "run", *TINY, "--quiet", "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    done = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        done.append((proc.returncode, stdout, stderr))
    assert sorted(code for code, _, _ in done) == [0, 2], done
    (_, won_out, _), = [d for d in done if d[0] == 0]
    (_, _, lost_err), = [d for d in done if d[0] == 2]
    assert lost_err.splitlines() == [f"error: --out '{out}' was written by another run "
                                     f"meanwhile: this run's results were not kept; choose a "
                                     f"new folder"], lost_err
    assert won_out.splitlines() == [f"run folder: {out}", f"report: {out / 'report.html'}"]
    assert {p.name for p in out.iterdir()} == COMPLETE
    assert len(pd.read_parquet(out / "metrics.parquet")) == 2 * 8
    assert (out / "report.html").read_text().endswith("</html>\n")
    assert list(tmp_path.iterdir()) == [out]  # the loser's partial folder is gone


def test_the_catalog_does_not_count_a_folder_still_in_its_partial_folder(tmp_path):
    """A run killed while drawing its report leaves its data in a partial folder: the
    catalog (``panoptisim query``) does not take it for a run or a sweep."""
    from panoptisim.experiments.catalog import find_runs, find_sweeps

    for folder in (tmp_path / "done", tmp_path / ".killed.partial-99999-0a0b0c0d-abcd_123"
                   / "killed"):
        folder.mkdir(parents=True)
        for name in ("summary.json", "metrics.parquet", "sweep.json"):
            (folder / name).write_text("{}")
    assert find_runs(tmp_path) == [tmp_path / "done"]
    assert find_sweeps(tmp_path) == [tmp_path / "done"]

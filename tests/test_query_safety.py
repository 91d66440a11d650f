"""``panoptisim query`` reads the catalog and nothing else: the probes a user (or a pasted
query) might try — writing files, reading the machine, attaching or installing, creating
tables — are refused with one line and exit status 2, and nothing is written; an export is
written only by ``--to``; folder names with glob characters are read as themselves; and
``panoptisim report --out`` does not replace a file without ``--force``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_experiments_support import write_sweep

from panoptisim.cli import main
from panoptisim.experiments import SweepError, catalog, load_sweep, run_sweep


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``panoptisim ARGS`` in this process: exit status, stdout, stderr."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys: pytest.CaptureFixture[str], folder: Path, sql: str) -> str:
    """Run ``sql`` on ``folder``'s catalog; assert exit 2 with one line; return it."""
    code, out, err = run_cli(capsys, "query", sql, "--dir", folder)
    assert code == 2, (out, err)
    assert out == "" and len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """Two finished sweeps side by side: ``g/alt[1]`` (2 points) and ``g/alt1`` (1 point),
    whose folder the glob ``alt[1]`` matches."""
    root = tmp_path_factory.mktemp("catalog")
    first = load_sweep(write_sweep(root, '"surveillance.cameras.fpir" = [0.001, 0.01]',
                                   name="first", replicates=1))
    other = load_sweep(write_sweep(root, '"surveillance.cameras.fpir" = [0.02]',
                                   name="other", replicates=1))
    run_sweep(first, root / "g" / "alt[1]", jobs=1)
    run_sweep(other, root / "g" / "alt1", jobs=1)
    return root / "g" / "alt[1]", root / "g" / "alt1"


def test_copy_to_is_refused_and_writes_nothing(sweeps, tmp_path, capsys):
    sweep, _ = sweeps
    for target in (tmp_path / "out.csv", sweep / "results" / "p00009-r000.parquet"):
        err = refused(capsys, sweep, f"COPY (SELECT * FROM runs) TO '{target}'")
        assert "COPY is not allowed" in err and "--to FILE.csv|FILE.parquet" in err
        assert not target.exists()
    # a copy into results/ once made the sweep count a run it never planned
    rows = catalog.query("SELECT n_runs, n_done FROM sweeps", sweep)
    assert rows.to_dict("records") == [{"n_runs": 2, "n_done": 2}]


def test_a_stray_result_file_is_not_counted_as_a_run(sweeps, tmp_path):
    sweep, _ = sweeps
    stray = sweep / "results" / "p00009-r000.parquet"
    stray.write_bytes((sweep / "results" / "p00000-r000.parquet").read_bytes())
    try:
        assert catalog.query("SELECT n_done FROM sweeps", sweep)["n_done"].tolist() == [2]
    finally:
        stray.unlink()


def test_files_outside_the_folder_cannot_be_read(sweeps, tmp_path, capsys):
    sweep, other = sweeps
    secret = tmp_path / "secret.csv"
    secret.write_text("name\nhidden-value\n")
    for sql in (f"SELECT * FROM read_csv('{secret}')",
                f"SELECT * FROM read_text('{secret}')",
                f"SELECT * FROM read_csv('{catalog.glob_escape(sweep)}/../../../"
                f"{tmp_path.name}/secret.csv')",
                f"SELECT count(*) FROM read_parquet('{other / 'plan.parquet'}')",
                "SELECT * FROM read_text('/etc/hostname')"):
        err = refused(capsys, sweep, sql)
        assert "Permission Error" in err and "hidden-value" not in err, sql
    link = sweep / "outside"  # a link inside the folder does not lead out of it
    link.symlink_to(tmp_path)
    try:
        err = refused(capsys, sweep, f"SELECT * FROM read_csv('{catalog.glob_escape(link)}"
                                     f"/secret.csv')")
        assert "Permission Error" in err and "hidden-value" not in err
    finally:
        link.unlink()
    # inside the folder, any file may be read
    code, out, _ = run_cli(capsys, "query", f"SELECT count(*) AS n FROM read_parquet("
                           f"'{catalog.glob_escape(sweep / 'plan.parquet')}')", "--dir", sweep,
                           "--format", "csv")
    assert code == 0 and out == "n\n2\n"


def test_the_home_folder_cannot_be_listed(sweeps, capsys):
    sweep, _ = sweeps
    for pattern in (f"{Path.home()}/*", f"{sweep.parent}/*/sweep.json", "/*"):
        assert "Permission Error" in refused(capsys, sweep, f"SELECT * FROM glob('{pattern}')")


def test_attach_install_load_and_settings_are_refused(sweeps, tmp_path, capsys):
    sweep, _ = sweeps
    target = tmp_path / "new.duckdb"
    assert "ATTACH is not allowed" in refused(capsys, sweep, f"ATTACH '{target}'")
    assert not target.exists()
    for sql in ("INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true",
                "PRAGMA enable_profiling", "CHECKPOINT", "EXPLAIN ANALYZE SELECT 1"):
        assert "is not allowed" in refused(capsys, sweep, sql), sql
    assert "PIVOT is not allowed" in refused(capsys, sweep, "PIVOT runs ON status USING count(*)")
    # a remote file is refused before any connection is tried
    err = refused(capsys, sweep, "SELECT * FROM read_parquet('https://example.com/x.parquet')")
    assert "Permission Error" in err


def test_create_table_is_refused_and_not_kept(sweeps, capsys):
    sweep, _ = sweeps
    assert "CREATE is not allowed" in refused(capsys, sweep, "CREATE TABLE kept AS SELECT 1")
    for sql in ("INSERT INTO sweeps SELECT * FROM sweeps", "DROP VIEW runs",
                "SELECT 1; CREATE TABLE kept AS SELECT 1"):
        refused(capsys, sweep, sql)
    con = duckdb.connect(str(sweep / catalog.CATALOG), read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
                 .fetchall()}
    finally:
        con.close()
    assert "kept" not in names and {"sweeps", "runs", "summaries"} <= names
    with pytest.raises(SweepError, match="CREATE is not allowed"):
        catalog.query("CREATE TABLE kept AS SELECT 1", sweep)


def test_the_reader_connection_is_locked_even_without_the_statement_check(sweeps, tmp_path):
    """The statement check is the first wall; the connection itself is the second."""
    sweep, _ = sweeps
    con = catalog.connect_reader(sweep)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (2,)
        locked = "the configuration has been locked"
        no_files = "file system operations are disabled by configuration"
        for sql, says in ((f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'", no_files),
                          ("CREATE TABLE kept AS SELECT 1", "read-only mode"),
                          ("SET enable_external_access = true", locked),
                          ("RESET allowed_directories", locked),
                          (f"ATTACH '{tmp_path / 'new.duckdb'}'", no_files)):
            with pytest.raises(duckdb.Error, match=says):
                con.execute(sql)
    finally:
        con.close()
    assert not list(tmp_path.iterdir())


def test_a_duckdb_error_opening_the_catalog_is_one_line_and_closes_it(sweeps, monkeypatch,
                                                                      capsys):
    opened = []

    def fails(con, _folders):
        opened.append(con)
        raise duckdb.InvalidInputException("no such setting")

    monkeypatch.setattr(catalog, "restrict", fails)
    with pytest.raises(SweepError, match="^query failed: .*no such setting$"):
        catalog.query("SELECT 1", sweeps[0])
    with pytest.raises(duckdb.ConnectionException):  # closed
        opened[0].execute("SELECT 1")
    assert "query failed:" in refused(capsys, sweeps[0], "SELECT 1")


def test_json_output_gives_infinities_and_nan_as_null(sweeps, capsys):
    code, out, err = run_cli(capsys, "query", "SELECT 'inf'::DOUBLE AS up, '-inf'::DOUBLE "
                             "AS down, 'nan'::DOUBLE AS nan, 1.5 AS x", "--dir", sweeps[0],
                             "--format", "json")
    assert code == 0, err
    assert json.loads(out) == [{"up": None, "down": None, "nan": None, "x": 1.5}]


@pytest.mark.parametrize("sql", ["", "   ", " ; ", "/* only a comment */"])
def test_an_empty_query_is_one_line(sweeps, capsys, sql):
    assert "has no statement" in refused(capsys, sweeps[0], sql)


def test_a_folder_named_with_glob_characters_is_read_as_itself(sweeps, capsys):
    sweep, other = sweeps
    own = json.loads((sweep / "sweep.json").read_text())["sweep_id"]
    for table in ("summaries", "metrics", "plan", "runs", "points"):
        ids = catalog.query(f"SELECT DISTINCT sweep_id FROM {table}", sweep)["sweep_id"]
        assert ids.tolist() == [own], table
    n_metrics = catalog.query("SELECT count(DISTINCT metric) AS n FROM summaries", sweep)
    rows = catalog.query("SELECT count(*) AS n FROM summaries", sweep)
    assert rows["n"][0] == 2 * n_metrics["n"][0]  # two runs, not three
    both = catalog.query("SELECT name, n_runs, n_done FROM sweeps ORDER BY name", sweep.parent)
    assert both.to_dict("records") == [{"name": "first", "n_runs": 2, "n_done": 2},
                                       {"name": "other", "n_runs": 1, "n_done": 1}]
    assert catalog.glob_escape("/a/alt[1]/q*?") == "/a/alt[[]1]/q[*][?]"


def test_an_export_is_written_by_to_and_never_over_a_file(sweeps, tmp_path, capsys):
    sweep, _ = sweeps
    sql = "SELECT run_id, point, seed, status FROM runs ORDER BY run_id"
    code, printed, _ = run_cli(capsys, "query", sql, "--dir", sweep, "--format", "csv")
    expected = pd.read_csv(io.StringIO(printed))
    assert code == 0 and len(expected) == 2
    for name, read in (("runs.csv", pd.read_csv), ("runs.parquet", pd.read_parquet)):
        target = tmp_path / name
        code, out, err = run_cli(capsys, "query", sql, "--dir", sweep, "--to", target)
        assert code == 0, err
        assert out == f"2 rows -> {target}\n"
        pd.testing.assert_frame_equal(read(target), expected, check_dtype=False)
        target.write_text("keep")
        code, _, err = run_cli(capsys, "query", sql, "--dir", sweep, "--to", target)
        assert code == 2 and "already exists" in err and "--force" in err
        assert target.read_text() == "keep"
        code, _, _ = run_cli(capsys, "query", sql, "--dir", sweep, "--to", target, "--force")
        assert code == 0 and len(read(target)) == 2
    code, _, err = run_cli(capsys, "query", sql, "--dir", sweep, "--to", tmp_path / "x.txt")
    assert code == 2 and "neither a .csv nor a .parquet" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv", "runs.parquet"]


def test_report_does_not_replace_a_file_without_force(sweeps, tmp_path, capsys):
    run = sweeps[0] / "runs" / "p00000-r000"
    existing = tmp_path / "existing.txt"
    existing.write_text("keep")
    code, out, err = run_cli(capsys, "report", run, "--out", existing, "--no-replay")
    assert code == 2 and "already exists" in err and "--force" in err
    assert existing.read_text() == "keep" and not (tmp_path / "figures").exists()
    code, out, err = run_cli(capsys, "report", run, "--out", existing, "--no-replay", "--force")
    assert code == 0, err
    assert existing.read_text().startswith("<!DOCTYPE html>")

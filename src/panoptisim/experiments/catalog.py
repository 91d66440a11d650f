"""The catalog: a DuckDB database over the Parquet files of one or more sweeps, in place.

``catalog.duckdb`` sits in the sweep folder (written when a sweep session starts and
ends), or in a folder that holds several sweep folders (written by ``panoptisim query``
there). Small descriptive tables are materialised; everything else is a view that reads
the Parquet files where they are, so rows appear as runs finish. Tables and views (see
docs/experiments.md for every column):

============== =====================================================================
``sweeps``     one row per sweep: identity, design, counts, root seed, folder
``runs``       one row per planned run: seed, status (done | failed | missing), worker,
               attempts, wall time, error, run folder
``parameters`` one row per point and swept parameter: key, value (number), value_text
``points``     one row per point, one column per swept parameter (dotted names)
``metrics``    one row per run, arm and day: every per-step metric (metrics.parquet)
``summaries``  one row per finished run and metric: treated, control, effect
``failures``   one row per failed run: kind (error | crashed), error, traceback
``sessions``   one row per driver session event (start, end)
``point_summaries`` (after ``panoptisim summarize``) mean, sd, 95% interval per point
``sensitivity`` (after ``panoptisim sensitivity``) indices per metric and parameter
============== =====================================================================

Run folders (``panoptisim run``) outside sweeps, at ``--dir`` or up to two levels below,
get three tables of their own: ``run_folders`` (one row per folder: path, scenario,
regime, seed, replicates, population, steps), ``run_summaries`` (one row per folder and
metric of its summary.json) and ``run_metrics`` (one row per folder, replicate, arm and
day of its metrics.parquet).

Views hold absolute paths (glob characters escaped: a folder ``alt[1]`` is read as itself);
they are recreated whenever the catalog is opened through :func:`connect`, so a moved folder
is found again. :func:`query` (``panoptisim query``) runs one SELECT statement on a
connection that can read the catalog's folder and nothing else (:func:`connect_reader`);
:func:`export` writes a result to CSV or Parquet.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from panoptisim.experiments.spec import SweepError
from panoptisim.experiments.store import SweepStore
from panoptisim.io import write_bytes_atomic, write_parquet_atomic

CATALOG = "catalog.duckdb"

_EMPTY = {
    "summaries": "sweep_id VARCHAR, run_id VARCHAR, point INTEGER, replicate INTEGER, "
                 "seed BIGINT, metric VARCHAR, aggregate VARCHAR, treated DOUBLE, "
                 "control DOUBLE, effect DOUBLE, session INTEGER, attempts INTEGER, "
                 "executor VARCHAR, worker VARCHAR, wall_s DOUBLE, finished_at VARCHAR, "
                 "recovered BOOLEAN, path VARCHAR",
    "metrics": "sweep_id VARCHAR, run_id VARCHAR, arm VARCHAR, day INTEGER",
    "point_summaries": "sweep_id VARCHAR, point INTEGER, metric VARCHAR, arm VARCHAR, "
                       "n INTEGER, mean DOUBLE, sd DOUBLE, ci_low DOUBLE, ci_high DOUBLE, "
                       "ci_method VARCHAR",
    "sensitivity": "sweep_id VARCHAR, metric VARCHAR, arm VARCHAR, method VARCHAR, "
                   "parameter VARCHAR",
    "failures": "sweep_id VARCHAR, run_id VARCHAR, point INTEGER, replicate INTEGER, "
                "seed BIGINT, kind VARCHAR, error VARCHAR, traceback VARCHAR, "
                "attempts INTEGER, worker VARCHAR, session INTEGER, executor VARCHAR, "
                "failed_at VARCHAR",
    "sessions": "sweep_id VARCHAR, session INTEGER, event VARCHAR, at VARCHAR, "
                "executor VARCHAR, status VARCHAR, done INTEGER, failed INTEGER, "
                "retried INTEGER, wall_s DOUBLE, todo VARCHAR[], executed VARCHAR[], "
                "recovered VARCHAR[]",
}


def _shown(path: Path, root: Path) -> bool:
    """Whether no folder between ``root`` and ``path`` is hidden: a folder being written
    (or left by a killed process) is inside a hidden partial folder (panoptisim.io)."""
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def find_sweeps(root: str | Path) -> list[Path]:
    """Sweep folders at ``root`` or up to two levels below it (sorted)."""
    root = Path(root).absolute()
    if (root / "sweep.json").is_file():
        return [root]
    found = sorted(p.parent for p in root.glob("*/sweep.json"))
    found += sorted(p.parent for p in root.glob("*/*/sweep.json"))
    return [p for p in found if _shown(p, root)]


def _is_run_folder(path: Path) -> bool:
    return (path / "summary.json").is_file() and (path / "metrics.parquet").is_file()


def find_runs(root: str | Path) -> list[Path]:
    """Run folders at ``root`` or up to two levels below it that are not runs of a sweep
    (a sweep's own runs are in its tables), sorted."""
    root = Path(root).absolute()
    if _is_run_folder(root):
        return [root]
    found = [p for p in [*sorted(root.glob("*")), *sorted(root.glob("*/*"))]
             if p.is_dir() and _shown(p, root) and _is_run_folder(p)]
    return [p for p in found if not (p.parent.name == "runs"
                                     and (p.parent.parent / "sweep.json").is_file())]


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def glob_escape(path: str | Path) -> str:
    """``path`` with DuckDB's glob characters (``[``, ``*``, ``?``) made literal, so a folder
    named ``alt[1]`` is read as itself, not as the pattern that matches ``alt1``."""
    return re.sub(r"([\[*?])", r"[\1]", str(path))


def _files(paths: list[Path], pattern: str = "") -> str:
    """A DuckDB list of files: each path literal (glob characters escaped), followed by
    ``pattern`` (a glob of the caller's, e.g. ``/p*.parquet``)."""
    return "[" + ", ".join(_sql_str(glob_escape(p) + pattern) for p in paths) + "]"


def _empty(name: str) -> str:
    cols = ", ".join(f"NULL::{c.split(' ', 1)[1]} AS {c.split(' ', 1)[0]}"
                     for c in _EMPTY[name].split(", "))
    return f"SELECT {cols} WHERE false"


def _parquet_view(con: Any, name: str, paths: list[Path], exists: bool,
                  pattern: str = "") -> None:
    if exists:
        sql = f"SELECT * FROM read_parquet({_files(paths, pattern)}, union_by_name = true)"
    else:
        sql = _empty(name)
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    cols = [c.split(" ", 1)[0] for c in _EMPTY[name].split(", ")]
    df = pd.DataFrame(rows)
    for c in cols:
        if c not in df:
            df[c] = None
    return df[cols]


def build(con: Any, sweeps: list[Path]) -> None:
    """(Re)create every table and view of the catalog for ``sweeps`` on ``con``."""
    infos, failures, sessions = [], [], []
    for root in sweeps:
        info = json.loads((root / "sweep.json").read_text())
        planned = set(pd.read_parquet(root / "plan.parquet", columns=["run_id"])["run_id"])
        done = len(SweepStore(root).done() & planned)  # a stray file is not a run
        failed_files = [p for p in (root / "failed").glob("*.json")
                        if not p.name.startswith(".")]
        infos.append({
            "sweep_id": info["sweep_id"], "name": info["name"], "path": str(root),
            "design": info["design"], "n_points": info["n_points"],
            "replicates": info["replicates"], "n_runs": info["n_runs"],
            "n_done": done, "n_failed": len(failed_files),
            "root_seed": info["root_seed"], "common_seeds": info["common_seeds"],
            "axes": ", ".join(a["key"] for a in info["axes"]),
            "base_scenario": info["base_scenario"],
            "base_scenario_hash": info["base_scenario_hash"],
            "population": info["population"], "steps": info["steps"],
            "control": info["control"], "digest": info["digest"],
            "created_at": info["created_at"],
            "panoptisim_version": info["panoptisim_version"]})
        for p in failed_files:
            try:
                failures.append(json.loads(p.read_text()))
            except (OSError, ValueError):
                continue
        log = root / "sessions.jsonl"
        if log.exists():
            for line in log.read_text().splitlines():
                if line.strip():
                    sessions.append({"sweep_id": info["sweep_id"], **json.loads(line)})
    sweeps_df = pd.DataFrame(infos)
    failures_df = _frame(failures, "failures")
    sessions_df = _frame(sessions, "sessions")
    for c in ("todo", "executed", "recovered"):
        sessions_df[c] = sessions_df[c].map(lambda v: v if isinstance(v, list) else None)
    con.register("_sweeps_df", sweeps_df)
    con.execute("CREATE OR REPLACE TABLE sweeps AS SELECT * FROM _sweeps_df")
    con.unregister("_sweeps_df")
    con.execute(f"CREATE OR REPLACE TABLE failures AS SELECT * FROM ({_empty('failures')})")
    if len(failures_df):
        con.register("_failures_df", failures_df)
        con.execute("INSERT INTO failures SELECT * FROM _failures_df")
        con.unregister("_failures_df")
    con.execute(f"CREATE OR REPLACE TABLE sessions AS SELECT * FROM ({_empty('sessions')})")
    if len(sessions_df):
        con.register("_sessions_df", sessions_df)
        con.execute("INSERT INTO sessions SELECT * FROM _sessions_df")
        con.unregister("_sessions_df")

    _parquet_view(con, "plan", [r / "plan.parquet" for r in sweeps], True)
    _parquet_view(con, "parameters", [r / "parameters.parquet" for r in sweeps], True)
    _parquet_view(con, "points", [r / "points.parquet" for r in sweeps], True)
    with_results = [r for r in sweeps if any((r / "results").glob("p*.parquet"))]
    if with_results:  # each row with the run folder it comes from
        globs = _files([r / "results" for r in with_results], "/p*.parquet")
        con.execute(
            "CREATE OR REPLACE VIEW summaries AS SELECT * EXCLUDE (filename), "
            "regexp_replace(filename, '/results/[^/]+$', '') || '/runs/' || run_id AS path "
            f"FROM read_parquet({globs}, union_by_name = true, filename = true)")
    else:
        con.execute(f"CREATE OR REPLACE VIEW summaries AS {_empty('summaries')}")
    with_runs = [r for r in sweeps if any((r / "runs").glob("p*/metrics.parquet"))]
    if with_runs:
        parts = []
        for r in with_runs:
            sid = next(i["sweep_id"] for i in infos if i["path"] == str(r))
            glob = _files([r / "runs"], "/p*/metrics.parquet")
            parts.append(
                f"SELECT {_sql_str(sid)} AS sweep_id, regexp_extract(filename, "
                f"'/runs/([^/]+)/metrics\\.parquet$', 1) AS run_id, "
                f"* EXCLUDE (filename, replicate) "
                f"FROM read_parquet({glob}, filename = true, union_by_name = true)")
        con.execute("CREATE OR REPLACE VIEW metrics AS " + " UNION ALL BY NAME ".join(parts))
    else:
        con.execute(f"CREATE OR REPLACE VIEW metrics AS {_empty('metrics')}")
    summarized = [r / "summary.parquet" for r in sweeps if (r / "summary.parquet").exists()]
    _parquet_view(con, "point_summaries", summarized, bool(summarized))
    analysed = [r for r in sweeps if any((r / "sensitivity").glob("*.parquet"))]
    _parquet_view(con, "sensitivity", [r / "sensitivity" for r in analysed], bool(analysed),
                  pattern="/*.parquet")
    con.execute("""
        CREATE OR REPLACE VIEW runs AS
        SELECT p.sweep_id, p.run_id, p.point, p.replicate, p.seed,
               CASE WHEN r.run_id IS NOT NULL THEN 'done'
                    WHEN f.run_id IS NOT NULL THEN 'failed' ELSE 'missing' END AS status,
               COALESCE(r.session, f.session) AS session,
               COALESCE(r.attempts, f.attempts) AS attempts,
               COALESCE(r.executor, f.executor) AS executor,
               COALESCE(r.worker, f.worker) AS worker,
               r.wall_s, r.finished_at, r.recovered,
               f.kind AS failure_kind, f.error,
               CASE WHEN r.run_id IS NOT NULL THEN s.path || '/runs/' || p.run_id END
                   AS path
        FROM plan p
        LEFT JOIN (SELECT DISTINCT sweep_id, run_id, session, attempts, executor, worker,
                          wall_s, finished_at, recovered FROM summaries) r
               ON r.sweep_id = p.sweep_id AND r.run_id = p.run_id
        LEFT JOIN failures f ON f.sweep_id = p.sweep_id AND f.run_id = p.run_id
        LEFT JOIN sweeps s ON s.sweep_id = p.sweep_id
    """)


def summary_rows(doc: dict[str, Any], names: tuple[str, ...] | None = None
                 ) -> list[dict[str, Any]]:
    """One row per metric of a run's summary.json (those in ``names``, in that order, if
    given): metric, aggregate, treated, control, effect, ci_low, ci_high (the effect's 95%
    interval; None where the summary has none)."""
    metrics = doc.get("metrics", {})
    rows = []
    for metric in names or tuple(metrics):
        v = metrics.get(metric)
        if v is None:
            continue
        ci = v.get("ci95") or [None, None]
        rows.append({"metric": metric, "aggregate": v.get("aggregate"),
                     "treated": v.get("treated"), "control": v.get("control"),
                     "effect": v.get("effect"), "ci_low": ci[0], "ci_high": ci[1]})
    return rows


def build_runs(con: Any, runs: list[Path]) -> None:
    """(Re)create ``run_folders``, ``run_summaries`` and ``run_metrics`` for ``runs``."""
    folders, rows = [], []
    for path in runs:
        doc = json.loads((path / "summary.json").read_text())
        folders.append({"path": str(path), "scenario": doc.get("scenario"),
                        "regime": doc.get("regime"), "seed": doc.get("seed"),
                        "replicates": doc.get("replicates"),
                        "population": doc.get("population"), "steps": doc.get("steps")})
        rows += [{"path": str(path), **row} for row in summary_rows(doc)]
    frames = {"run_folders": pd.DataFrame(folders), "run_summaries": pd.DataFrame(rows)}
    for name, frame in frames.items():
        con.register("_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
        con.unregister("_frame")
    files = _files([p / "metrics.parquet" for p in runs])
    con.execute("CREATE OR REPLACE VIEW run_metrics AS SELECT "
                "regexp_replace(filename, '/metrics\\.parquet$', '') AS path, "
                "* EXCLUDE (filename) FROM read_parquet("
                f"{files}, union_by_name = true, filename = true)")


def _open(path: Path, attempts: int = 20) -> Any:
    import duckdb

    for i in range(attempts):
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException:
            if i == attempts - 1:
                raise
            time.sleep(0.25)
    raise AssertionError("unreachable")


def register_sweep(root: str | Path, quiet: bool = False) -> Path | None:
    """Write (or refresh) ``catalog.duckdb`` in the sweep folder ``root``.

    With ``quiet``, a catalog that is locked by another process is left as it is (it is
    refreshed on the next query) instead of raising.
    """
    import duckdb

    root = Path(root).absolute()
    try:
        con = _open(root / CATALOG, attempts=4 if quiet else 20)
    except duckdb.IOException:
        if quiet:
            return None
        raise
    try:
        build(con, [root])
    finally:
        con.close()
    return root / CATALOG


def _folders(root: str | Path) -> tuple[Path, list[Path], list[Path]]:
    """``root`` made absolute, with the sweep and run folders at or under it."""
    root = Path(root).absolute()
    if not root.is_dir():
        raise SweepError(f"--dir '{root}' is not a folder")
    sweeps, runs = find_sweeps(root), find_runs(root)
    if not sweeps and not runs:
        raise SweepError(f"no sweep or run folder at or under '{root}' (a sweep folder holds "
                         f"sweep.json, a run folder summary.json and metrics.parquet): give "
                         f"--dir SWEEP_DIR or RUN_DIR")
    return root, sweeps, runs


def _fill(con: Any, sweeps: list[Path], runs: list[Path]) -> None:
    if sweeps:
        build(con, sweeps)
    if runs:
        build_runs(con, runs)


def _in_memory(sweeps: list[Path], runs: list[Path]) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    _fill(con, sweeps, runs)
    return con


def _refreshed(root: Path, sweeps: list[Path], runs: list[Path]) -> tuple[Any, bool]:
    """A writable connection to the refreshed catalog, and whether it is the catalog file
    (False: built in memory, the file being locked or its folder read-only)."""
    import duckdb

    try:
        con = _open(root / CATALOG, attempts=8)
    except (duckdb.IOException, OSError):
        return _in_memory(sweeps, runs), False
    try:
        _fill(con, sweeps, runs)
    except duckdb.Error:
        con.close()
        return _in_memory(sweeps, runs), False
    return con, True


def connect(root: str | Path = ".") -> Any:
    """A DuckDB connection to the catalog of every sweep and run folder at or under
    ``root``.

    The catalog file (``root/catalog.duckdb``) is refreshed; if it cannot be written
    (locked by a running session, or a read-only folder) the same tables and views are
    built in memory. The connection is the caller's to use as it likes; ``panoptisim
    query`` reads through :func:`connect_reader` instead.
    """
    root, sweeps, runs = _folders(root)
    return _refreshed(root, sweeps, runs)[0]


def restrict(con: Any, folders: list[Path]) -> Any:
    """Lock ``con`` so that no statement reaches a file outside ``folders``: no file
    access elsewhere (``enable_external_access`` off, ``allowed_directories`` the folders,
    as given and with their links resolved), no extension installed or loaded, and no
    setting changed afterwards (``lock_configuration``). Returns ``con``."""
    # DuckDB checks a glob as written (the views' escaped paths) and each file it matches
    allowed = sorted({form + "/" for f in folders for p in (f, f.resolve())
                      for form in (str(p), glob_escape(p))})
    con.execute(f"SET temp_directory = {_sql_str(str(folders[0] / (CATALOG + '.tmp')))}")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"SET allowed_directories = [{', '.join(map(_sql_str, allowed))}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def connect_reader(root: str | Path = ".") -> Any:
    """A connection that can only read the catalog at ``root`` (what ``panoptisim query``
    runs a user's SQL on).

    The catalog file is refreshed, then opened read-only (or, if that fails, the catalog
    is built in memory), and :func:`restrict`-ed to ``root`` and the folders under it that
    it catalogs: a statement can neither write the catalog nor read or write any other
    file, reach the network or change these settings.
    """
    import duckdb

    root, sweeps, runs = _folders(root)
    con, in_file = _refreshed(root, sweeps, runs)
    if in_file:
        con.close()
        try:
            con = duckdb.connect(str(root / CATALOG), read_only=True)
        except duckdb.Error:  # taken by another process meanwhile
            con = _in_memory(sweeps, runs)
    try:
        return restrict(con, [root, *sweeps, *runs])
    except BaseException:
        con.close()
        raise


def _one_line(exc: BaseException) -> str:
    """DuckDB's message on one line, without the excerpt of the query it points into."""
    return " ".join(str(exc).split("\n\nLINE ")[0].split())


def check_read_only(sql: str) -> None:
    """Refuse (SweepError) SQL that is not exactly one SELECT statement (``WITH``,
    ``FROM``, ``VALUES``, ``DESCRIBE``, ``SHOW`` and ``SUMMARIZE`` are SELECTs to DuckDB)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SweepError(f"query failed: {_one_line(exc)}") from None
    if not statements:
        raise SweepError(f"query {sql!r} has no statement: give one SELECT statement, e.g. "
                         f"\"SELECT status, count(*) FROM runs GROUP BY status\"")
    if len(statements) > 1:
        raise SweepError(f"query has {len(statements)} statements: give one SELECT statement")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = "PIVOT" if kind == duckdb.StatementType.MULTI else kind.name  # runs as several
        raise SweepError(f"query: {name} is not allowed (the catalog is read-only): "
                         f"give one SELECT statement (WITH, FROM, DESCRIBE, SHOW are "
                         f"allowed); to write a result, use --to FILE.csv|FILE.parquet")


def _run(sql: str, root: str | Path, fetch: Callable[[Any], Any]) -> Any:
    import duckdb

    check_read_only(sql)
    con = None
    try:
        con = connect_reader(root)
        return fetch(con.sql(sql))
    except duckdb.Error as exc:
        raise SweepError(f"query failed: {_one_line(exc)}") from None
    finally:
        if con is not None:
            con.close()


def query(sql: str, root: str | Path = ".") -> pd.DataFrame:
    """Run one SELECT statement ``sql`` on the catalog at ``root`` (read-only: see
    :func:`connect_reader`); returns the result as a DataFrame.

    Any other statement, and a query DuckDB rejects, raise SweepError with one line.
    """
    return _run(sql, root, lambda result: result.df())


def query_arrow(sql: str, root: str | Path = ".") -> pa.Table:
    """As :func:`query`, the result as an Arrow table (its column types kept exactly)."""
    return _run(sql, root, lambda result: result.to_arrow_table())


#: The files ``panoptisim query --to`` writes, by suffix.
EXPORTS = (".csv", ".parquet")


def check_export(path: Path, force: bool = False) -> None:
    """Refuse (SweepError) an export file of another kind than EXPORTS, a folder, or a file
    that exists (unless ``force``)."""
    path = Path(path)
    if path.suffix.lower() not in EXPORTS:
        raise SweepError(f"--to '{path}' is neither a .csv nor a .parquet file: give "
                         f"FILE.csv or FILE.parquet")
    if path.is_dir():
        raise SweepError(f"--to '{path}' is a folder: give a file name")
    if path.exists() and not force:
        raise SweepError(f"--to '{path}' already exists: give a new file name, or --force to "
                         f"replace it")


def _list_as_json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value) if isinstance(value, list) else value


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV with a header row; a list (the run ids of ``sessions``) as its JSON
    text, ``["p00000-r000", "p00001-r000"]``."""
    lists = {c: df[c].map(_list_as_json) for c in df.columns if df[c].dtype == object}
    return df.assign(**lists).to_csv(index=False)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else str(value)


def _json_value(value: Any) -> Any:
    """``value`` for JSON: None for a missing value (None, NaN, NaT, NA) or an infinity."""
    if np.ndim(value) == 0 and pd.isna(value):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_records(df: pd.DataFrame) -> str:
    """``df`` as a JSON array of one object per row: numbers as stored (every digit), a
    missing value, NaN or an infinity (which JSON cannot hold) as null, a list as a list."""
    rows = [{key: _json_value(value) for key, value in row.items()}
            for row in df.astype(object).to_dict(orient="records")]
    return json.dumps(rows, indent=1, default=_plain, allow_nan=False)


def export(table: pa.Table, path: Path, force: bool = False) -> Path:
    """Write a query's result to ``path`` (CSV or Parquet, by its suffix), whole or not at
    all; never over an existing file unless ``force``."""
    path = Path(path)
    check_export(path, force)
    if path.suffix.lower() == ".csv":
        write_bytes_atomic(path, csv_text(table.to_pandas()).encode())
    else:
        write_parquet_atomic(path, table)
    return path

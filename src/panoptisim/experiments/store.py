"""The sweep folder: layout, atomic writes, and what is done, failed or missing.

Layout (documented in docs/experiments.md)::

    SWEEP_DIR/
      sweep.toml          the sweep file, normalised (the base scenario by file name)
      base.toml           the base scenario with [set] applied, fully resolved
      sweep.json          identity (sweep_id, digest), design, axes, counts, version
      plan.parquet        one row per run: run_id, point, replicate, seed
      points.parquet      one row per point: the value of every axis
      design.parquet      sampled designs: the design matrix in the analysis space
      parameters.parquet  one row per point and axis (long form, for SQL)
      sessions.jsonl      one line per driver session start and end
      runs/<run_id>/      the run folder (scenario.toml, metrics.parquet, summary.json,
                          manifest.json), written atomically
      results/<run_id>.parquet   one file per finished run: a row per metric
      failed/<run_id>.json       one file per failed run: the error and its traceback
      catalog.duckdb      the catalog (views over the Parquet files, in place)

A run is *done* when its result file exists: every file is written under a temporary
name and renamed (:mod:`panoptisim.io`), so a file under its final name is always complete;
the folder itself is built under a hidden name and renamed into place.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import tomli_w

from panoptisim import __version__
from panoptisim.experiments.design import SAMPLED, salib_problem
from panoptisim.experiments.spec import Plan, RunSpec, SweepError
from panoptisim.io import (
    check_new_folder,
    folder_atomic,
    json_text,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
)

RESULT_SCHEMA = pa.schema([
    ("sweep_id", pa.string()), ("run_id", pa.string()), ("point", pa.int32()),
    ("replicate", pa.int32()), ("seed", pa.int64()), ("metric", pa.string()),
    ("aggregate", pa.string()), ("treated", pa.float64()), ("control", pa.float64()),
    ("effect", pa.float64()), ("session", pa.int32()), ("attempts", pa.int32()),
    ("executor", pa.string()), ("worker", pa.string()), ("wall_s", pa.float64()),
    ("finished_at", pa.string()), ("recovered", pa.bool_()),
])
FORMAT = 1
#: What is computed from the finished runs and goes stale when replicates are added.
DERIVED = ("summary.parquet", "summary.csv", "sensitivity")


def utcnow() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def sweep_toml(plan: Plan, base_file: str = "base.toml") -> str:
    """The sweep file as stored in the sweep folder, so ``--resume`` can run from the folder
    alone: the base scenario by file name, every default made explicit, a grid's axes as
    their values and a sampled design's as their bounds, in the order of the plan."""
    section = plan.section.model_dump(exclude_none=True)
    section.update(name=plan.name, scenario=base_file, seed=plan.root_seed)
    if plan.posterior is not None:  # absolute: --resume reads it from the sweep folder
        section["posterior"] = str(plan.posterior)
    if plan.design.name in SAMPLED:
        section["samples"] = plan.design.options["samples"]
    # A design's axes are all of one form (values, or bounds), so TOML keeps their order.
    axes = {a.key: list(a.values) if a.kind == "values" else
            {"min": a.low, "max": a.high} | ({"log": True} if a.log else {})
            for a in plan.axes}
    return tomli_w.dumps({"sweep": section, "set": plan.settings, "axes": axes})


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _plan_table(plan: Plan, sid: str) -> pa.Table:
    """plan.parquet: one row per run (sweep_id, run_id, point, replicate, seed)."""
    runs = plan.runs()
    return pa.table({
        "sweep_id": pa.array([sid] * len(runs), pa.string()),
        "run_id": pa.array([r.run_id for r in runs], pa.string()),
        "point": pa.array([r.point for r in runs], pa.int32()),
        "replicate": pa.array([r.replicate for r in runs], pa.int32()),
        "seed": pa.array([r.seed for r in runs], pa.int64())})


def _sweep_doc(plan: Plan, sid: str) -> dict[str, Any]:
    """sweep.json: the sweep's identity, design, axes and counts."""
    return {
        "format": FORMAT,
        "sweep_id": sid,
        "name": plan.name,
        "digest": plan.digest(),
        "created_at": utcnow(),
        "panoptisim_version": __version__,
        "source": str(plan.source) if plan.source else None,
        "base_scenario": plan.base.name,
        "base_scenario_hash": plan.base.digest(),
        "design": plan.design.name,
        "design_options": plan.design.options,
        "problem": salib_problem(plan.axes) if plan.design.name in SAMPLED else None,
        "axes": [{"key": a.key, "kind": a.kind, "values": list(a.values) or None,
                  "min": None if a.kind == "values" else a.low,
                  "max": None if a.kind == "values" else a.high,
                  "log": a.log, "integer": a.integer} for a in plan.axes],
        "set": plan.settings,
        "root_seed": plan.root_seed,
        "common_seeds": plan.section.common_seeds,
        "replicates": plan.replicates,
        "n_points": plan.n_points,
        "n_runs": plan.n_runs,
        "population": plan.base.population.size,
        "steps": plan.base.run.steps,
        "control": plan.base.run.control,
        "posterior": None if plan.posterior is None else {
            "folder": str(plan.posterior),
            "draws": [dict(d, replicate=r) for r, d in enumerate(plan.draws)]},
    }


class SweepStore:
    """One sweep folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root).absolute()
        self.runs_dir = self.root / "runs"
        self.results_dir = self.root / "results"
        self.failed_dir = self.root / "failed"
        self._lock_fd: int | None = None

    # ----------------------------------------------------------------- reading
    def exists(self) -> bool:
        """True if the folder holds a sweep."""
        return (self.root / "sweep.json").is_file()

    def info(self) -> dict[str, Any]:
        """The sweep.json document."""
        try:
            return json.loads((self.root / "sweep.json").read_text())
        except FileNotFoundError:
            raise SweepError(f"'{self.root}' is not a sweep folder: sweep.json does not "
                             f"exist") from None

    def plan_table(self) -> pd.DataFrame:
        """One row per run: run_id, point, replicate, seed."""
        return pd.read_parquet(self.root / "plan.parquet")

    def done(self) -> set[str]:
        """Runs whose result file exists."""
        if not self.results_dir.is_dir():
            return set()
        return {p.name[:-8] for p in self.results_dir.iterdir()
                if p.name.endswith(".parquet") and not p.name.startswith(".")}

    def failed(self) -> dict[str, dict[str, Any]]:
        """Failure records by run."""
        if not self.failed_dir.is_dir():
            return {}
        out = {}
        for p in sorted(self.failed_dir.glob("*.json")):
            if not p.name.startswith("."):
                out[p.stem] = json.loads(p.read_text())
        return out

    def results(self) -> pd.DataFrame:
        """Every result row (one per finished run and metric)."""
        if not self.done():
            return RESULT_SCHEMA.empty_table().to_pandas()
        # A dataset read (threaded; files named with '.' or '_' first are skipped, so
        # temporary files of a running session are not read).
        table = pq.read_table(self.results_dir, schema=RESULT_SCHEMA)
        return table.to_pandas().sort_values(["point", "replicate"], kind="stable",
                                             ignore_index=True)

    def sessions(self) -> list[dict[str, Any]]:
        """Every line of sessions.jsonl."""
        path = self.root / "sessions.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    # ----------------------------------------------------------------- writing
    def check_new(self) -> None:
        """Refuse a destination that holds a sweep (say how to resume it), holds anything
        else, or cannot be created."""
        if (self.root / "sweep.json").exists():
            raise SweepError(f"--out '{self.root}' already holds a sweep: add --resume to "
                             f"finish it, or choose a new folder")
        check_new_folder(self.root)

    def create(self, plan: Plan) -> None:
        """Write the sweep's description atomically (a folder renamed into place). The
        folder's ``sweep_id`` is the plan's content id and a random token, so the same sweep
        file run into two folders gives two sweeps in a catalog over both (their ``digest``
        is the same: they compute the same runs)."""
        self.check_new()
        with folder_atomic(self.root) as folder:
            self._describe(folder, plan, f"{plan.content_id}-{secrets.token_hex(3)}")

    @property
    def sweep_id(self) -> str:
        """This folder's sweep id (sweep.json)."""
        return str(self.info()["sweep_id"])

    def _describe(self, folder: Path, plan: Plan, sid: str) -> None:
        (folder / "base.toml").write_text(plan.base.to_toml())
        (folder / "sweep.toml").write_text(sweep_toml(plan, "base.toml"))
        for sub in ("runs", "results", "failed"):
            (folder / sub).mkdir()
        pq.write_table(_plan_table(plan, sid), folder / "plan.parquet")
        points = pd.DataFrame([{k: _cell(v) for k, v in p.items()}
                               for p in plan.design.points])
        points.insert(0, "point", pd.Series(range(plan.n_points), dtype="int32"))
        points.insert(0, "sweep_id", sid)
        pq.write_table(pa.Table.from_pandas(points, preserve_index=False),
                       folder / "points.parquet")
        if plan.design.matrix is not None:
            design = pd.DataFrame(plan.design.matrix, columns=[a.key for a in plan.axes])
            design.insert(0, "point", pd.Series(range(plan.n_points), dtype="int32"))
            pq.write_table(pa.Table.from_pandas(design, preserve_index=False),
                           folder / "design.parquet")
        rows = []
        for i, p in enumerate(plan.design.points):
            for k, v in p.items():
                num = float(v) if isinstance(v, (int, float)) else None
                rows.append((sid, i, k, num, json.dumps(v)))
        pq.write_table(pa.table({
            "sweep_id": pa.array([r[0] for r in rows], pa.string()),
            "point": pa.array([r[1] for r in rows], pa.int32()),
            "key": pa.array([r[2] for r in rows], pa.string()),
            "value": pa.array([r[3] for r in rows], pa.float64()),
            "value_text": pa.array([r[4] for r in rows], pa.string())}),
            folder / "parameters.parquet")
        (folder / "sweep.json").write_text(json_text(_sweep_doc(plan, sid)))

    def check_same(self, plan: Plan) -> bool:
        """Refuse to resume a folder with a different sweep. True when ``plan`` is the
        folder's sweep with replicates added: the same sweep but for ``sweep.replicates``
        (its digest over the folder's replicates is the folder's, so the runs done keep
        their names, seeds and posterior draws), for :meth:`add_replicates`."""
        info = self.info()
        if info["digest"] == plan.digest():
            return False
        had = int(info["replicates"])
        if plan.replicates < had:
            raise SweepError(f"sweep.replicates = {plan.replicates} is fewer than the {had} "
                             f"replicates of the sweep in '{self.root}': replicates can be "
                             f"added to a sweep, not taken away; resume with --set "
                             f"sweep.replicates={had} or more, or without the sweep file")
        if plan.replicates > had and info["digest"] == plan.digest(had):
            runs = plan.runs()
            every = [r.run_id for r in runs]
            kept = [r.run_id for r in runs if r.replicate < had]
            # plan.parquet may hold ``plan`` already: a session killed in add_replicates
            # between plan.parquet and sweep.json; add_replicates then finishes the change
            if list(self.plan_table()["run_id"]) not in (kept, every):
                raise SweepError(f"sweep.replicates = {plan.replicates} would rename the runs "
                                 f"of the sweep in '{self.root}' (its {had} replicates are "
                                 f"numbered with fewer digits): run it into a new --out")
            return True
        raise SweepError(f"the sweep file differs from the sweep in '{self.root}' "
                         f"(digest {plan.digest()[:10]} vs {info['digest'][:10]}): resume "
                         f"with the same file (only sweep.replicates may grow), or choose a "
                         f"new --out")

    def add_replicates(self, plan: Plan) -> int:
        """Make the folder's sweep ``plan``, which adds replicates to it (see
        :meth:`check_same`); returns the replicates it had. sweep.toml, plan.parquet and
        sweep.json are rewritten, each atomically and sweep.json (whose digest says which
        sweep the folder holds) last; the sweep_id, the points and every run stay, and
        sweep.json's ``replicates_added`` records the change. What was derived from the
        runs of fewer replicates (summary.parquet, summary.csv, sensitivity/) is removed
        first: ``panoptisim summarize`` and ``panoptisim sensitivity`` make it again."""
        info = self.info()
        sid = info["sweep_id"]
        for derived in DERIVED:
            path = self.root / derived
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        write_bytes_atomic(self.root / "sweep.toml", sweep_toml(plan, "base.toml").encode())
        write_parquet_atomic(self.root / "plan.parquet", _plan_table(plan, sid))
        doc = _sweep_doc(plan, sid)
        for kept in ("created_at", "panoptisim_version", "source"):
            doc[kept] = info[kept]
        doc["replicates_added"] = [*info.get("replicates_added", []), {
            "at": utcnow(), "from": info["replicates"], "to": plan.replicates,
            "digest_before": info["digest"], "panoptisim_version": __version__}]
        write_json_atomic(self.root / "sweep.json", doc)
        return int(info["replicates"])

    def lock(self) -> None:
        """Take the folder's lock (released when the process ends, even by kill -9)."""
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SweepError(f"another sweep driver is running on '{self.root}': wait for it "
                             f"or stop it first") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def clean_stale(self) -> list[str]:
        """Remove what an interrupted session left: temporary files and attempt folders."""
        removed = []
        for folder in (self.runs_dir, self.results_dir, self.failed_dir):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.name.startswith("."):
                    removed.append(p.name)
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else \
                        p.unlink(missing_ok=True)
        return removed

    def run_folder(self, run_id: str) -> Path:
        """Where a run's folder goes."""
        return self.runs_dir / run_id

    def completed_folder_summary(self, run_id: str) -> dict[str, Any] | None:
        """The summary of a run folder that is complete (renamed into place), or None."""
        path = self.run_folder(run_id) / "summary.json"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def write_result(self, sweep_id: str, run: RunSpec, summary: dict[str, Any],
                     meta: dict[str, Any]) -> Path:
        """The run's result file: one row per metric of its summary (atomic)."""
        rows = [(name, m.get("aggregate"), m.get("treated"), m.get("control"),
                 m.get("effect")) for name, m in summary["metrics"].items()]
        n = len(rows)

        def const(value: Any, typ: pa.DataType) -> pa.Array:
            return pa.array([value] * n, typ)

        table = pa.table([
            const(sweep_id, pa.string()), const(run.run_id, pa.string()),
            const(run.point, pa.int32()), const(run.replicate, pa.int32()),
            const(run.seed, pa.int64()),
            pa.array([r[0] for r in rows], pa.string()),
            pa.array([r[1] for r in rows], pa.string()),
            pa.array([r[2] for r in rows], pa.float64()),
            pa.array([r[3] for r in rows], pa.float64()),
            pa.array([r[4] for r in rows], pa.float64()),
            const(meta["session"], pa.int32()), const(meta["attempts"], pa.int32()),
            const(meta["executor"], pa.string()), const(meta.get("worker"), pa.string()),
            const(meta.get("wall_s"), pa.float64()), const(utcnow(), pa.string()),
            const(bool(meta.get("recovered", False)), pa.bool_()),
        ], schema=RESULT_SCHEMA)
        path = self.results_dir / f"{run.run_id}.parquet"
        write_parquet_atomic(path, table)
        (self.failed_dir / f"{run.run_id}.json").unlink(missing_ok=True)
        return path

    def write_failure(self, sweep_id: str, run: RunSpec, record: dict[str, Any]) -> Path:
        """The run's failure record (atomic)."""
        doc = {"sweep_id": sweep_id, "run_id": run.run_id, "point": run.point,
               "replicate": run.replicate, "seed": run.seed, **record,
               "failed_at": utcnow()}
        path = self.failed_dir / f"{run.run_id}.json"
        write_json_atomic(path, doc)
        return path

    def log_session(self, event: dict[str, Any]) -> None:
        """Append one line to sessions.jsonl (flushed and synced)."""
        with open(self.root / "sessions.jsonl", "a") as f:
            f.write(json.dumps(event) + "\n")
            f.flush()
            os.fsync(f.fileno())

"""Agent snapshots: every agent's state and the live ties at the end of chosen days, for
users who study individuals and networks (synthetic agents only).

``run.snapshots`` (``panoptisim run --snapshots 30,364``) lists the days (0-based, as the
``day`` column of metrics.parquet). At the end of each, after the day's stages and metrics,
:class:`SnapshotWriter` writes into the run folder's ``snapshots/``:

- ``agents-day-DDDD.parquet``: one row per replicate, arm and agent (``AGENT_COLUMNS``);
- ``edges-day-DDDD.parquet``: one row per replicate, arm and live tie, each tie once with
  ``source < target`` (``EDGE_COLUMNS``).

Each column's unit and meaning are in its Parquet field metadata (``unit``, ``meaning``).
Taking a snapshot only reads the state, so a run's metrics and summary do not change. The
files are written into the run's temporary folder, so they appear with the run folder or
not at all. :func:`read_snapshot` reads one arm and replicate back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from panoptisim.contagion import live_ties
from panoptisim.context import Context
from panoptisim.errors import InputError
from panoptisim.regional import region_names
from panoptisim.state import SANCTIONS, State

#: The run folder's subfolder of snapshots.
FOLDER = "snapshots"
#: Arms in the order of ``engine.ARMS`` (the dictionary of the ``arm`` column).
ARMS = ("treated", "control")
#: Columns that say which replicate, arm and day a row is of (left out by an export).
KEYS = ("replicate", "arm", "day")
_NAME = re.compile(r"^agents-day-(\d+)\.parquet$")


def file_name(kind: str, day: int) -> str:
    """``agents-day-0030.parquet`` (``kind``: agents or edges)."""
    return f"{kind}-day-{day:04d}.parquet"


def parse_days(text: str) -> list[int]:
    """The days of ``--snapshots 30,90,364`` (whether each lies in the run is the
    scenario's check, ``run.snapshots``); InputError if the text is not such a list."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"--snapshots '{text}' is not a list of days: give day numbers "
                         "separated by commas, e.g. --snapshots 30,90,364") from None


@dataclass(frozen=True)
class Column:
    """One column of a snapshot: name, unit, meaning and, for an agent column, its values
    for one arm on a day (``value(ctx, day)``: an array over agents)."""

    name: str
    unit: str
    meaning: str
    value: Callable[[Context, int], np.ndarray | pa.Array] | None = None

    def field(self, array: pa.Array) -> pa.Field:
        """The Parquet field of ``array``, carrying unit and meaning."""
        return pa.field(self.name, array.type, metadata={"unit": self.unit,
                                                         "meaning": self.meaning})


_STATE = {f.name: f.metadata for f in fields(State)}


def _declared(name: str, as_name: str | None = None, dtype: type | None = None) -> Column:
    """A column of ``State.<name>`` as declared (unit, meaning), optionally renamed or cast."""
    meta = _STATE[name]

    def value(ctx: Context, _t: int) -> np.ndarray:
        array = getattr(ctx.state, name)
        return array if dtype is None else array.astype(dtype)

    return Column(as_name or name, meta["unit"], meta["meaning"], value)


def _days_left(k: int) -> Column:
    return Column(f"days_left_{SANCTIONS[k]}", "days",
                  f"Remaining days of the running {SANCTIONS[k].replace('_', ' ')} "
                  "sanction (0: none).", lambda ctx, _t: ctx.state.sanction_days_left[k])


def _region(ctx: Context, _t: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(ctx.state.region),
                                          pa.array(region_names(ctx)))


#: What a row of ``agents-day-DDDD.parquet`` holds after its keys (``KEYS``).
AGENT_COLUMNS: tuple[Column, ...] = (
    Column("agent", "agent id", "Index of the agent, 0 to population.size - 1 (the id of "
           "`source` and `target` in the edge list).",
           lambda ctx, _t: np.arange(ctx.state.n, dtype=np.int64)),
    _declared("score"),
    _declared("latent_dissent"),
    _declared("dissenter"),
    Column("expressed", "bool", "Expressed dissent on this day (as counted by "
           "expressed_dissent_rate).", lambda ctx, t: ctx.state.ti_expressed == t),
    _declared("ti_expressed"),
    _declared("perceived_risk"),
    Column("sanctions_running", "sanction types", "Sanction types running at the end of "
           "the day (of travel_ban, internet_throttled, visa_denial, shaming, "
           "employer_notified).",
           lambda ctx, _t: (ctx.state.sanction_days_left > 0).sum(axis=0, dtype=np.int8)),
    Column("sanctions_ever", "sanction types", "Sanction types imposed at least once since "
           "day 0.", lambda ctx, _t: ctx.state.ever_sanctioned.sum(axis=0, dtype=np.int8)),
    *(_days_left(k) for k in range(len(SANCTIONS))),
    _declared("ever_wrongful"),
    _declared("group"),
    Column("region", "name in population.regions", "Region of residence (fixed).", _region),
    _declared("urban"),
    _declared("household"),
    _declared("active_degree", "degree", np.int32),
    _declared("family_degree", dtype=np.int32),
)


#: What a row of ``edges-day-DDDD.parquet`` holds after its keys (``edges_table``).
EDGE_COLUMNS: tuple[Column, ...] = (
    Column("source", "agent id", "Agent at the lower-numbered end of a live tie (ties are "
           "undirected; each is listed once)."),
    Column("target", "agent id", "Agent at the higher-numbered end of the tie."),
    Column("family", "bool", "Both ends live in one household (a family tie), else a "
           "friendship."),
)

_KEY_COLUMNS = (
    Column("replicate", "replicate index", "Paired replicate of the run (0-based)."),
    Column("arm", "treated | control", "Arm of the paired counterfactual."),
    Column("day", "day (0-based)", "Day at whose end the snapshot was taken."),
)


def _table(columns: tuple[Column, ...], values: list[np.ndarray | pa.Array], replicate: int,
           arm: str, t: int) -> pa.Table:
    """The rows of one arm: the keys, then ``values`` of ``columns``, with their metadata."""
    n = len(values[0])
    keys = [pa.array(np.full(n, replicate, np.int32)),
            pa.DictionaryArray.from_arrays(pa.array(np.full(n, ARMS.index(arm), np.int8)),
                                           pa.array(ARMS)),
            pa.array(np.full(n, t, np.int32))]
    arrays = keys + [v if isinstance(v, pa.Array) else pa.array(v) for v in values]
    schema = pa.schema([c.field(a) for c, a in zip(_KEY_COLUMNS + columns, arrays)])
    return pa.Table.from_arrays(arrays, schema=schema)


def agents_table(ctx: Context, replicate: int, t: int) -> pa.Table:
    """Every agent of one arm at the end of day ``t`` (``AGENT_COLUMNS``)."""
    return _table(AGENT_COLUMNS, [c.value(ctx, t) for c in AGENT_COLUMNS], replicate,
                  ctx.arm.name, t)


def edges_table(ctx: Context, replicate: int, t: int) -> pa.Table:
    """Every live tie of one arm at the end of day ``t``, once each (``EDGE_COLUMNS``)."""
    source, target = live_ties(ctx.state.graph)  # one mask over the CSR entries
    family = ctx.state.household[source] == ctx.state.household[target]
    return _table(EDGE_COLUMNS, [source, target, family], replicate, ctx.arm.name, t)


class SnapshotWriter:
    """Writes the snapshots of ``days`` into ``folder`` as the run reaches them.

    Replicates run one after the other, so each replicate's day is written as a part file
    as soon as it is reached (one arm's tables in memory at a time); :meth:`close` joins
    each day's parts into its file, replicate by replicate.
    """

    def __init__(self, folder: Path, days: list[int]) -> None:
        self.folder = Path(folder)
        self.days = frozenset(days)
        self.parts: dict[tuple[str, int], list[Path]] = {}

    def after(self, t: int, replicate: int, contexts: Sequence[Context]) -> None:
        """After finished day ``t`` of ``replicate``: write the snapshot of every arm's
        context (``contexts``, in arm order) if ``t`` is one of ``days``."""
        if t not in self.days or not contexts:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for kind, table in (("agents", agents_table), ("edges", edges_table)):
            path = self.folder / f".{file_name(kind, t)}.r{replicate}"
            first = table(contexts[0], replicate, t)
            with pq.ParquetWriter(path, first.schema) as writer:
                writer.write_table(first)
                del first
                for ctx in contexts[1:]:  # one arm's table at a time
                    writer.write_table(table(ctx, replicate, t))
            self.parts.setdefault((kind, t), []).append(path)

    def close(self) -> None:
        """Join each day's parts (one per replicate) into its file."""
        for (kind, t), parts in sorted(self.parts.items()):
            final = self.folder / file_name(kind, t)
            if len(parts) == 1:
                os.replace(parts[0], final)
                continue
            with pq.ParquetWriter(final, pq.read_schema(parts[0])) as writer:
                for part in parts:  # replicate order
                    writer.write_table(pq.read_table(part))
                    part.unlink()
        self.parts.clear()


def available_days(run_dir: Path) -> list[int]:
    """The days of which ``run_dir`` holds a snapshot, in order."""
    folder = Path(run_dir) / FOLDER
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _NAME.match(p.name)))


def read_snapshot(run_dir: Path, day: int, arm: str = "treated",
                  replicate: int = 0) -> tuple[pa.Table, pa.Table]:
    """One arm and replicate of the snapshot of ``day``: (agents, edges), without the key
    columns; InputError (one line naming what exists) for a folder, day, arm or replicate
    without one."""
    run_dir = Path(run_dir)
    if not (run_dir / "summary.json").is_file():
        raise InputError(f"'{run_dir}' is not a run folder: {run_dir / 'summary.json'} does "
                         "not exist")
    days = available_days(run_dir)
    if not days:
        raise InputError(f"'{run_dir}' has no snapshots: run the scenario with --snapshots "
                         "DAYS (or run.snapshots) to write them")
    if day not in days:
        raise InputError(f"--day {day}: '{run_dir}' has no snapshot of that day (available "
                         f"days: {', '.join(map(str, days))})")
    tables = []
    for kind in ("agents", "edges"):
        path = run_dir / FOLDER / file_name(kind, day)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"'{path}' cannot be read: {exc}") from None
        tables.append(table)
    agents, edges = tables
    arms = sorted(set(agents["arm"].unique().to_pylist()), key=ARMS.index)
    if arm not in arms:
        raise InputError(f"--arm {arm}: the snapshot has no such arm (available: "
                         f"{', '.join(arms)})")
    reps = sorted(agents["replicate"].unique().to_pylist())
    if replicate not in reps:
        raise InputError(f"--replicate {replicate}: the snapshot has no such replicate "
                         f"(available: 0 to {reps[-1]})")
    out = []
    for table in tables:
        keep = pc.and_(pc.equal(table["arm"].cast(pa.string()), arm),
                       pc.equal(table["replicate"], replicate))
        out.append(table.filter(keep).drop_columns(list(KEYS)))
    return out[0], out[1]

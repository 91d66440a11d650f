"""The social network of one snapshot for network tools: GraphML (networkx, igraph, Gephi)
or a pair of Parquet tables (nodes and edges).

Nodes are the agents of one arm and replicate with their snapshot columns as attributes
(node id: the agent id); edges are the live ties, undirected, with ``family`` as their
attribute. GraphML's declarations are escaped with the standard library's xml; its node
and edge lines are built column by column by Arrow's string kernels (casts to text, escapes,
element-wise joins), not agent by agent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from panoptisim.errors import InputError
from panoptisim.io import folder_atomic, partial_prefix, write_bytes_atomic, write_parquet_atomic
from panoptisim.snapshots import read_snapshot

FORMATS = ("graphml", "parquet")

#: The files of a Parquet export: the only ones a folder may hold for the export to replace it.
PARQUET_FILES = ("nodes.parquet", "edges.parquet")

#: GraphML attribute types of the Arrow types a snapshot uses.
_GRAPHML_TYPES = {pa.bool_(): "boolean", pa.int8(): "int", pa.int16(): "int",
                  pa.int32(): "int", pa.int64(): "long", pa.float32(): "float",
                  pa.float64(): "double", pa.string(): "string"}


def _graphml_type(field: pa.Field) -> str:
    kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    return _GRAPHML_TYPES[kind]


#: What XML text may not hold as is, in the order to replace it.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column's values as GraphML text: booleans as true / false, numbers as their
    shortest round-trip decimal (Arrow's cast), names XML-escaped."""
    text = pc.cast(column, pa.large_string())  # 64-bit offsets: no 2 GB limit
    if pa.types.is_dictionary(column.type) or pa.types.is_string(column.type):
        for char, entity in _ESCAPES:
            text = pc.replace_substring(text, char, entity)
    return text


def _keys(table: pa.Table, domain: str, skip: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The ``<key>`` declarations of a table's attribute columns and their ids."""
    lines, ids = [], []
    for field in table.schema:
        if field.name in skip:
            continue
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        desc = "; ".join(x for x in (meta.get("unit"), meta.get("meaning")) if x)
        key = f"{domain}_{field.name}"
        lines.append(f"  <key id={quoteattr(key)} for={quoteattr(domain)} "
                     f"attr.name={quoteattr(field.name)} "
                     f"attr.type={quoteattr(_graphml_type(field))}>"
                     f"<desc>{escape(desc)}</desc></key>\n")
        ids.append(key)
    return lines, ids


def _elements(table: pa.Table, head: list[tuple[str, str]], keys: list[str],
              tag: str) -> str:
    """One element a row: ``<tag a="..">`` with ``head`` (attribute, column) pairs, then a
    ``<data>`` per key, built column by column (one element-wise join)."""
    if table.num_rows == 0:
        return ""
    parts: list[object] = [f"    <{tag}"]
    for attr, col in head:
        parts += [f' {attr}="', _text(table[col]), '"']
    parts.append(">")
    for key in keys:
        parts += [f'<data key="{key}">', _text(table[key.split("_", 1)[1]]), "</data>"]
    parts.append(f"</{tag}>\n")
    parts = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return _concatenated(pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string())))


def _concatenated(lines: pa.ChunkedArray) -> str:
    """Every string of a large_string column, one after the other: the bytes of each
    chunk's data buffer between its first and last offset (no loop over the strings)."""
    out = []
    for chunk in lines.chunks:
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(offsets, np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        out.append(bytes(memoryview(data)[ends[0]:ends[-1]]).decode())
    return "".join(out)


def graphml_text(agents: pa.Table, edges: pa.Table, graph_data: dict[str, object]) -> str:
    """The GraphML document of one snapshot: undirected, node id = agent id, every other
    agent column a node attribute and every edge column but the ends an edge attribute
    (each key's ``<desc>`` gives its unit and meaning); ``graph_data`` (day, arm,
    replicate) as graph attributes."""
    node_keys, node_ids = _keys(agents, "node", ("agent",))
    edge_keys, edge_ids = _keys(edges, "edge", ("source", "target"))
    graph_keys = [f"  <key id={quoteattr('graph_' + k)} for=\"graph\" attr.name={quoteattr(k)} "
                  f"attr.type=\"{'int' if isinstance(v, int) else 'string'}\"/>\n"
                  for k, v in graph_data.items()]
    data = "".join(f"    <data key={quoteattr('graph_' + k)}>{escape(str(v))}</data>\n"
                   for k, v in graph_data.items())
    return ("<?xml version='1.0' encoding='utf-8'?>\n"
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
            + "".join(graph_keys + node_keys + edge_keys)
            + '  <graph id="G" edgedefault="undirected">\n' + data
            + _elements(agents, [("id", "agent")], node_ids, "node")
            + _elements(edges, [("source", "source"), ("target", "target")], edge_ids, "edge")
            + "  </graph>\n</graphml>\n")


def default_out(run_dir: Path, day: int, fmt: str, arm: str, replicate: int) -> Path:
    """Where an export goes by default: in the run folder, named by day, arm and replicate
    (a .graphml file, or a folder of Parquet tables)."""
    name = f"network-day-{day:04d}-{arm}-r{replicate}"
    return Path(run_dir) / (f"{name}.graphml" if fmt == "graphml" else name)


def _check_parquet_out(out: Path) -> None:
    """Refuse (InputError) a Parquet destination the export may not replace: a file, a
    symbolic link, or a folder holding anything but an earlier export's tables."""
    if out.is_symlink():
        raise InputError(f"--out '{out}' is a symbolic link: give the path of a folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}' is a file: a Parquet export is a folder "
                         f"({', '.join(PARQUET_FILES)})")
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in PARQUET_FILES)
        if others:
            raise InputError(f"--out '{out}' is a folder holding other files than "
                             f"{' and '.join(PARQUET_FILES)} ({', '.join(others[:3])}"
                             f"{', ...' if len(others) > 3 else ''}): choose a new folder")


def write_parquet_pair(out: Path, agents: pa.Table, edges: pa.Table) -> None:
    """Write nodes.parquet and edges.parquet into a folder built beside ``out`` and renamed
    into place whole (:func:`panoptisim.io.folder_atomic`), replacing an earlier export as a
    whole: a kill at any moment leaves the earlier pair, the new pair or no folder, never
    one table of each."""
    _check_parquet_out(out)
    aside: Path | None = None
    try:
        with folder_atomic(out) as folder:
            write_parquet_atomic(folder / PARQUET_FILES[0], agents)
            write_parquet_atomic(folder / PARQUET_FILES[1], edges)
            if out.is_dir() and any(out.iterdir()):
                # the earlier export moves into a partial folder of this process (removed
                # as stale if the process dies first), so the rename can take its place
                aside = Path(tempfile.mkdtemp(prefix=partial_prefix(out), dir=out.parent))
                os.replace(out, aside / out.name)
    except BaseException:
        if aside is not None and not out.exists():  # the new pair failed: the earlier back
            os.replace(aside / out.name, out)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def export_network(run_dir: Path, day: int, fmt: str = "graphml", out: Path | None = None,
                   arm: str = "treated", replicate: int = 0) -> tuple[Path, int, int]:
    """Write the network of ``run_dir``'s snapshot of ``day`` (one arm and replicate) as
    GraphML (the file ``out``, replacing a file there) or Parquet (the folder ``out`` with
    nodes.parquet and edges.parquet, replacing an earlier export there as a whole, see
    :func:`write_parquet_pair`); returns (path, agents, live ties)."""
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt} is not allowed (allowed: {' | '.join(FORMATS)})")
    out = Path(out) if out is not None else default_out(run_dir, day, fmt, arm, replicate)
    if fmt == "graphml" and out.is_dir():
        raise InputError(f"--out '{out}' is a folder: a GraphML export is a file "
                         f"(e.g. '{out / 'network.graphml'}')")
    if fmt == "parquet":
        _check_parquet_out(out)  # before reading the snapshot
    agents, edges = read_snapshot(run_dir, day, arm, replicate)
    if fmt == "graphml":
        text = graphml_text(agents, edges, {"day": day, "arm": arm, "replicate": replicate})
        write_bytes_atomic(out, text.encode())
    else:
        write_parquet_pair(out, agents, edges)
    return out, agents.num_rows, edges.num_rows

"""Agent snapshots (``run --snapshots``, ``run.snapshots``) and the network export
(``export-network``): end to end through the command line, and the tables themselves."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers_mech import live_edges, make_ctx

import panoptisim
from panoptisim import snapshots
from panoptisim.cli import main
from panoptisim.errors import InputError
from panoptisim.network_export import export_network
from panoptisim.snapshots import AGENT_COLUMNS, EDGE_COLUMNS, KEYS

N, STEPS, DAYS = 600, 20, (3, 12, 19)
SMALL = ["--set", f"population.size={N}", "--set", f"run.steps={STEPS}", "--set",
         "run.replicates=2", "--seed", "11", "--no-report", "--quiet"]
G = "{http://graphml.graphdrawing.org/xmlns}"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "panoptisim", *args], capture_output=True,
                          text=True, timeout=600)


def in_process(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """``panoptisim ARGS`` through ``cli.main``: (exit status, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same run (two replicates) with snapshots of DAYS and without any."""
    root = tmp_path_factory.mktemp("snapshots")
    with_, without = root / "with", root / "without"
    res = cli("run", *SMALL, "--snapshots", ",".join(map(str, DAYS)), "--out", str(with_))
    assert res.returncode == 0, res.stderr
    res = cli("run", *SMALL, "--out", str(without))
    assert res.returncode == 0, res.stderr
    return with_, without


def test_snapshots_do_not_change_the_run(runs):
    with_, without = runs
    for name in ("metrics.parquet", "summary.json", "regions.parquet"):
        assert (with_ / name).read_bytes() == (without / name).read_bytes(), name
    assert not (without / "snapshots").exists()
    assert panoptisim.load_scenario(with_ / "scenario.toml").run.snapshots == list(DAYS)


def test_snapshot_files_hold_every_agent_and_live_tie_of_each_arm_and_replicate(runs):
    folder = runs[0] / "snapshots"
    names = sorted(p.name for p in folder.iterdir())  # no part files left behind
    assert names == sorted(f"{k}-day-{d:04d}.parquet" for k in ("agents", "edges")
                           for d in DAYS)
    assert snapshots.available_days(runs[0]) == list(DAYS)
    metrics = pd.read_parquet(runs[0] / "metrics.parquet")
    for day in DAYS:
        agents = pd.read_parquet(folder / f"agents-day-{day:04d}.parquet")
        edges = pd.read_parquet(folder / f"edges-day-{day:04d}.parquet")
        assert list(agents.columns) == [*KEYS, *(c.name for c in AGENT_COLUMNS)]
        assert list(edges.columns) == [*KEYS, *(c.name for c in EDGE_COLUMNS)]
        assert len(agents) == 2 * 2 * N and set(agents.day) == set(edges.day) == {day}
        for (rep, arm), a in agents.groupby(["replicate", "arm"], observed=True):
            e = edges[(edges.replicate == rep) & (edges.arm == arm)]
            assert np.array_equal(a.agent, np.arange(N))
            # the day's expressions are those metrics.parquet counted that day
            row = metrics[(metrics.replicate == rep) & (metrics.arm == arm)
                          & (metrics.day == day)]
            assert a.expressed.mean() == pytest.approx(row.expressed_dissent_rate.item())
            assert a.score.mean() == pytest.approx(row.score_mean.item(), rel=1e-12)
            # each live tie once, and each agent's degree its ends in the edge list
            assert (e.source < e.target).all() and not e.duplicated(["source", "target"]).any()
            ends = np.bincount(np.concatenate([e.source, e.target]), minlength=N)
            assert np.array_equal(ends, a.degree) and len(e) > N
            household = a.household.to_numpy()
            assert np.array_equal(e.family, household[e.source] == household[e.target])
            assert ((a.sanctions_running > 0) == (a.filter(like="days_left_") > 0).any(
                axis=1)).all()
        # the treated arm is scored; the control arm never is
        control = agents[agents.arm == "control"]
        assert (control.sanctions_ever == 0).all() and (control.sanctions_running == 0).all()
        treated = agents[agents.arm == "treated"]
        assert (treated.score.to_numpy() != control.score.to_numpy()).any()


def test_every_snapshot_column_carries_its_unit_and_meaning(runs):
    for kind in ("agents", "edges"):
        schema = pq.read_schema(runs[0] / "snapshots" / f"{kind}-day-0003.parquet")
        for field in schema:
            meta = field.metadata or {}
            assert meta.get(b"unit") and len(meta.get(b"meaning", b"")) > 10, field.name
    schema = pq.read_schema(runs[0] / "snapshots" / "agents-day-0003.parquet")
    assert schema.field("score").metadata[b"unit"] == b"points"
    assert schema.field("degree").metadata[b"unit"] == b"ties"


def test_export_graphml_reads_back_with_every_node_edge_and_attribute(runs, tmp_path):
    out = tmp_path / "net.graphml"
    res = cli("export-network", str(runs[0]), "--day", "12", "--out", str(out),
              "--replicate", "1")
    assert res.returncode == 0, res.stderr
    agents, edges = snapshots.read_snapshot(runs[0], 12, "treated", 1)
    assert f"{N:,} agents (nodes), {edges.num_rows:,} live ties" in res.stdout
    root = ET.parse(out).getroot()
    graph = root.find(f"{G}graph")
    assert graph.get("edgedefault") == "undirected"
    keys = {k.get("id"): k for k in root.findall(f"{G}key")}
    assert keys["node_score"].get("attr.type") == "double"
    assert keys["node_expressed"].get("attr.type") == "boolean"
    assert keys["node_region"].get("attr.type") == "string"
    assert keys["edge_family"].get("for") == "edge"
    assert "points" in keys["node_score"].find(f"{G}desc").text
    nodes, ties = graph.findall(f"{G}node"), graph.findall(f"{G}edge")
    assert len(nodes) == N and len(ties) == edges.num_rows
    frame = agents.to_pandas()
    for node in nodes[::97]:
        i = int(node.get("id"))
        data = {d.get("key"): d.text for d in node.findall(f"{G}data")}
        assert len(data) == len(AGENT_COLUMNS) - 1  # every column but the id
        assert float(data["node_score"]) == frame.score[i]  # round-trip decimals
        assert np.float32(data["node_latent_dissent"]) == frame.latent_dissent[i]
        assert data["node_expressed"] == str(bool(frame.expressed[i])).lower()
        assert data["node_region"] == frame.region[i]
        assert int(data["node_degree"]) == frame.degree[i]
    pairs = {(int(t.get("source")), int(t.get("target"))) for t in ties}
    assert pairs == set(zip(edges["source"].to_pylist(), edges["target"].to_pylist()))
    graph_data = {d.get("key"): d.text for d in graph.findall(f"{G}data")}
    assert graph_data == {"graph_day": "12", "graph_arm": "treated", "graph_replicate": "1"}


def test_export_graphml_reads_in_networkx(runs, tmp_path):
    nx = pytest.importorskip("networkx")
    path, n_agents, n_ties = export_network(runs[0], 19, out=tmp_path / "g.graphml")
    g = nx.read_graphml(path, node_type=int)
    assert g.number_of_nodes() == n_agents == N and g.number_of_edges() == n_ties
    assert set(g.nodes[0]) >= {"score", "latent_dissent", "degree", "region"}


def test_export_parquet_is_a_folder_of_nodes_and_edges(runs, tmp_path, capsys):
    out = tmp_path / "pq"
    code, stdout, _ = in_process(capsys, "export-network", str(runs[0]), "--day", "19",
                                 "--format", "parquet", "--arm", "control", "--out", str(out))
    assert code == 0 and str(out) in stdout
    nodes, edges = pd.read_parquet(out / "nodes.parquet"), pd.read_parquet(out / "edges.parquet")
    assert len(nodes) == N and list(nodes.columns) == [c.name for c in AGENT_COLUMNS]
    assert list(edges.columns) == ["source", "target", "family"]
    assert (nodes.sanctions_ever == 0).all()  # the control arm
    assert pq.read_schema(out / "edges.parquet").field("family").metadata[b"unit"] == b"bool"


def test_export_default_goes_into_the_run_folder(runs, capsys):
    path = runs[0] / "network-day-0003-treated-r0.graphml"
    try:
        code, stdout, _ = in_process(capsys, "export-network", str(runs[0]), "--day", "3")
        assert code == 0 and path.is_file() and str(path) in stdout
    finally:
        path.unlink(missing_ok=True)  # leave the shared run folder as it was


def test_export_parquet_replaces_an_earlier_export_whole(runs, tmp_path, capsys):
    out, ref = tmp_path / "pq", tmp_path / "ref"
    for day, arm in (("12", "control"), ("19", "treated")):
        code, _, err = in_process(capsys, "export-network", str(runs[0]), "--day", day,
                                  "--format", "parquet", "--arm", arm, "--out", str(out))
        assert code == 0, err
    export_network(runs[0], 19, "parquet", ref)  # the second export, into a new folder
    assert sorted(p.name for p in out.iterdir()) == ["edges.parquet", "nodes.parquet"]
    for name in ("nodes.parquet", "edges.parquet"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq", "ref"]  # no partial left


def test_export_parquet_interrupted_between_its_tables_leaves_no_mismatched_pair(
        runs, tmp_path, monkeypatch):
    """Interrupted after nodes.parquet, before edges.parquet: the earlier export stays
    whole (or, for a new folder, no folder appears), and no partial folder is left."""
    from panoptisim import network_export

    real = network_export.write_parquet_atomic

    def interrupted(path: Path, table) -> None:
        if path.name == "edges.parquet":
            raise KeyboardInterrupt
        real(path, table)

    earlier = tmp_path / "earlier"
    export_network(runs[0], 19, "parquet", earlier, arm="control")
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    monkeypatch.setattr(network_export, "write_parquet_atomic", interrupted)
    for out in (earlier, tmp_path / "new"):
        with pytest.raises(KeyboardInterrupt):
            export_network(runs[0], 12, "parquet", out, arm="treated")
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["earlier"]


@pytest.mark.parametrize("fmt, holds", [("graphml", ()), ("graphml", ("notes.txt",)),
                                        ("parquet", ("notes.txt",))])
def test_export_into_a_folder_it_may_not_replace_is_refused_in_one_line(
        runs, tmp_path, capsys, fmt, holds):
    out = tmp_path / "folder"
    out.mkdir()
    for name in holds:
        (out / name).write_text("keep me")
    code, stdout, err = in_process(capsys, "export-network", str(runs[0]), "--day", "3",
                                   "--format", fmt, "--out", str(out))
    assert code == 2 and not stdout and err.strip().count("\n") == 0, err
    assert f"--out '{out}'" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == sorted(holds)
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_export_out_with_a_name_too_long_is_refused_in_one_line(runs, tmp_path, capsys):
    out = tmp_path / ("n" * 300 + ".graphml")
    code, stdout, err = in_process(capsys, "export-network", str(runs[0]), "--day", "3",
                                   "--out", str(out))
    assert code == 2 and not stdout and err.strip().count("\n") == 0, err
    assert "--out" in err and "Traceback" not in err and not list(tmp_path.iterdir())


def test_export_of_a_day_without_snapshot_names_the_available_days(runs, capsys):
    code, stdout, err = in_process(capsys, "export-network", str(runs[0]), "--day", "4")
    assert code == 2 and not stdout
    assert err.strip().count("\n") == 0
    assert "--day 4" in err and "available days: 3, 12, 19" in err
    code, _, err = in_process(capsys, "export-network", str(runs[1]), "--day", "3")
    assert code == 2 and "has no snapshots" in err and "--snapshots" in err
    code, _, err = in_process(capsys, "export-network", str(runs[0]), "--day", "3",
                              "--replicate", "5")
    assert code == 2 and "available: 0 to 1" in err


def test_snapshot_days_outside_the_run_are_refused_before_it_runs(tmp_path, capsys):
    out = tmp_path / "never"
    tiny = ["--set", f"population.size={N}", "--set", "run.replicates=1"]
    code, stdout, err = in_process(capsys, "run", *tiny, "--set", "run.steps=20",
                                   "--snapshots", "5,20", "--out", str(out), "--quiet",
                                   "--no-report")
    assert code == 2 and not stdout and err.strip().count("\n") == 0
    assert "run.snapshots = [5, 20]" in err and "[0, 19]" in err
    code, _, err = in_process(capsys, "run", *tiny, "--set", f"run.steps={STEPS}",
                              "--snapshots", "5,x", "--out", str(out), "--quiet",
                              "--no-report")
    assert code == 2 and "--snapshots '5,x'" in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_run_snapshots_key_is_checked_and_normalised():
    sc = panoptisim.load_scenario("baseline", {"run.snapshots": [30, 5, 30]})
    assert sc.run.snapshots == [5, 30]
    assert panoptisim.load_scenario("baseline", {"run.snapshots": 7}).run.snapshots == [7]
    plain = panoptisim.load_scenario("baseline")
    assert plain.run.snapshots is None and "snapshots" not in plain.to_toml()
    assert panoptisim.load_scenario("baseline", {"run.snapshots": []}).digest() == \
        plain.digest()
    with pytest.raises(InputError, match=r"run.snapshots = \[-1\] is out of range"):
        panoptisim.load_scenario("baseline", {"run.snapshots": [-1]})


def test_parse_days():
    assert snapshots.parse_days("30") == [30]
    assert snapshots.parse_days(" 1, 2 ,364") == [1, 2, 364]
    with pytest.raises(InputError, match="not a list of days"):
        snapshots.parse_days("1;2")


def test_a_run_stopped_after_a_snapshot_leaves_nothing(tmp_path):
    def stop(replicate: int, day: int, *_: object) -> None:
        if day == 4:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        panoptisim.run("baseline", out=tmp_path / "run", on_day=stop, overrides={
            "population.size": 300, "run.steps": 10, "run.snapshots": [1, 2]})
    assert not list(tmp_path.iterdir())  # no run folder, no hidden partial one


def test_edges_table_lists_each_live_tie_once_and_drops_cut_ones():
    ctx = make_ctx(n=400)
    g = ctx.state.graph
    cut = np.flatnonzero(g.sources < g.indices)[::7]
    g.cut(cut)
    edges = snapshots.edges_table(ctx, 0, 5).to_pandas()
    u, v = live_edges(g)  # a plain-loop oracle
    assert np.array_equal(edges.source, u) and np.array_equal(edges.target, v)
    assert len(edges) == g.n_edges - len(cut)
    assert set(edges.day) == {5} and set(edges.arm) == {"treated"}


def test_agents_table_reads_the_state_as_it_is():
    ctx = make_ctx(n=300)
    s = ctx.state
    s.ti_expressed[[3, 4]] = 9
    s.ti_expressed[7] = 8  # expressed the day before
    s.sanction_days_left[2, 5] = 40
    s.ever_sanctioned[[0, 2], 5] = True
    agents = snapshots.agents_table(ctx, 1, 9).to_pandas()
    assert agents.expressed.sum() == 2 and agents.expressed[3] and agents.expressed[4]
    assert agents.days_left_visa_denial[5] == 40 and agents.sanctions_running[5] == 1
    assert agents.sanctions_ever[5] == 2 and agents.sanctions_ever.sum() == 2
    assert np.array_equal(agents.score, s.score) and set(agents.replicate) == {1}
    assert set(agents.region) == {r.name for r in ctx.scenario.population.regions}


def test_graphml_escapes_text_and_keeps_numbers_exact():
    import pyarrow as pa

    from panoptisim.network_export import graphml_text

    agents = pa.table({"agent": pa.array([0, 1], pa.int64()),
                       "label": pa.array(['a&b <"c">', "plain"]),
                       "x": pa.array([0.1, 1 / 3]), "y": pa.array([0.1, 2.5], pa.float32())})
    edges = pa.table({"source": pa.array([0], pa.int64()), "target": pa.array([1], pa.int64()),
                      "family": pa.array([True])})
    root = ET.fromstring(graphml_text(agents, edges, {"day": 3, "arm": "treated"}))
    nodes = root.find(f"{G}graph").findall(f"{G}node")
    data = [{d.get("key"): d.text for d in n.findall(f"{G}data")} for n in nodes]
    assert data[0]["node_label"] == 'a&b <"c">' and data[1]["node_label"] == "plain"
    assert float(data[1]["node_x"]) == 1 / 3 and np.float32(data[0]["node_y"]) == np.float32(0.1)
    edge = root.find(f"{G}graph").find(f"{G}edge")
    assert (edge.get("source"), edge.get("target")) == ("0", "1")
    assert edge.find(f"{G}data").text == "true"

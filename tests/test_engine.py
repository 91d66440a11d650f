"""The one day loop (``engine.iter_days``): runs, replays and live rows all step through it."""

from __future__ import annotations

import numpy as np

from panoptisim import engine
from panoptisim.metrics import METRIC_NAMES
from panoptisim.scenario import load_scenario

SMALL = {"population.size": 600, "run.steps": 12}


def test_days_come_in_order_and_simulate_is_their_outcome():
    sc = load_scenario("baseline", {**SMALL, "run.replicates": 2}, seed=5)
    seen, outcome = [], []
    for day in engine.iter_days(sc):
        seen.append((day.replicate, day.t, day.done, day.total))
        assert [ctx.arm.name for ctx in day.contexts] == ["treated", "control"]
        assert set(day.seconds) == set(engine.PHASES)
        assert (day.seconds["build"] > 0) == (day.t == 0)
        assert day.row()["treated"].keys() == set(METRIC_NAMES)
        if day.last:
            outcome += day.arm_runs()
    assert seen == [(r, t, r * 12 + t + 1, 24) for r in range(2) for t in range(12)]
    sim = engine.simulate(sc)
    assert [(r.arm, r.replicate) for r in sim.runs] == [(r.arm, r.replicate) for r in outcome]
    for got, ref in zip(outcome, sim.runs):
        for name in METRIC_NAMES:
            assert got.columns[name].tobytes() == ref.columns[name].tobytes(), name
        assert got.state.score.tobytes() == ref.state.score.tobytes()
        assert got.state.graph.active.tobytes() == ref.state.graph.active.tobytes()


def test_stopping_early_leaves_the_days_run_so_far_unchanged():
    sc = load_scenario("baseline", SMALL, seed=6)
    with_all = engine.simulate(sc)
    days = engine.iter_days(sc, arms=("treated",))
    for day in days:
        if day.t == 4:
            break
    days.close()
    full = with_all.runs[0].columns
    for name in METRIC_NAMES:
        np.testing.assert_array_equal(day.recorders[0].columns[name][:5], full[name][:5])
    assert [ctx.arm.name for ctx in day.contexts] == ["treated"]


def test_on_day_gets_each_days_row_of_every_arm():
    sc = load_scenario("baseline", SMALL, seed=7)
    rows = []
    sim = engine.simulate(sc, on_day=lambda r, t, row, done, total: rows.append((t, row)))
    table = engine.day_columns(sim)
    assert [t for t, _ in rows] == list(range(12))
    treated = table["arm"] == "treated"
    for name in ("expressed_dissent_rate", "flags_false", "ties_cut"):
        assert [row["treated"][name] for _, row in rows] == table[name][treated].tolist()


def test_network_snapshots_use_the_support_memory_of_the_expression_stage():
    from panoptisim.report.network import record_snapshots

    for memory in (2, 7, 11):
        sc = load_scenario("baseline", {"population.size": 1000, "run.steps": 15,
                                        "behavior.dur_support_memory": memory}, seed=3)
        (snap,) = record_snapshots(sc, [14], arms=("treated",)).items
        ti = engine.simulate(sc).runs[0].state.ti_expressed
        # expressions on days 15 - memory .. 14 are support on day 15
        np.testing.assert_array_equal(snap.expressed_recently,
                                      (ti >= 0) & (ti >= 15 - memory))
        assert snap.expressed_recently.sum() > 0


def test_a_swallowed_ctrl_c_stops_the_run_at_the_next_day(monkeypatch):
    """A KeyboardInterrupt raised inside a C library's callback (numba caching a kernel) is
    lost; the latch the command's Ctrl-C handler sets stops the day loop before the next
    day instead of letting the run finish."""
    import pytest

    from panoptisim import errors
    sc = load_scenario("baseline", {"population.size": 300, "run.steps": 6}, seed=1)
    days = engine.iter_days(sc)
    assert next(days).t == 0
    monkeypatch.setattr(errors, "_interrupt_requested", type(errors._interrupt_requested)())
    errors._interrupt_requested.set()
    with pytest.raises(KeyboardInterrupt):
        next(days)


def test_run_command_handles_ctrl_c_while_it_runs_and_restores_the_handler():
    """The command's handler raises KeyboardInterrupt and sets the latch; it is the
    previous handler again afterwards, with the latch clear."""
    import signal

    import click
    import pytest

    from panoptisim import errors
    seen = {}

    @click.command()
    def interrupted():
        seen["handler"] = signal.getsignal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        seen["latched"] = errors._interrupt_requested.is_set()

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as stopped:  # the command ran on, but Ctrl-C was pressed
        errors.run_command(interrupted, [], "interrupted")
    assert stopped.value.code == 130
    assert seen == {"handler": errors._on_interrupt, "latched": True}
    assert signal.getsignal(signal.SIGINT) is before
    assert not errors._interrupt_requested.is_set()


def test_ctrl_c_inside_numba_only_sets_the_latch():
    """An exception raised while numba loads a kernel from its cache left the dispatcher
    half-built and the next call crashed with a segmentation fault (Ctrl-C 2 s into a run of
    4*10^5 agents, 3 times in 22): inside numba's or llvmlite's code Ctrl-C only sets the
    latch, and the engine stops at the next day (raise_if_interrupted)."""
    import signal

    import click
    import pytest

    from panoptisim import errors
    seen = {}

    def in_module(name):
        namespace = {"__name__": name, "signal": signal}
        exec("def load():\n    signal.raise_signal(signal.SIGINT)\n    return 'loaded'",
             namespace)
        return namespace["load"]

    @click.command()
    def interrupted():
        seen["numba"] = in_module("numba.core.caching")()  # returns: no exception raised
        seen["llvmlite"] = in_module("llvmlite.binding.ffi")()
        seen["latched"] = errors._interrupt_requested.is_set()
        with pytest.raises(KeyboardInterrupt):  # elsewhere Ctrl-C raises at once
            in_module("panoptisim.population")()
        with pytest.raises(KeyboardInterrupt):  # the latch stops the engine at its next day
            errors.raise_if_interrupted()

    with pytest.raises(SystemExit) as stopped:
        errors.run_command(interrupted, [], "interrupted")
    assert stopped.value.code == 130
    assert seen == {"numba": "loaded", "llvmlite": "loaded", "latched": True}


def test_a_latched_ctrl_c_no_loop_checked_still_ends_the_command_with_130(capsys):
    """Ctrl-C inside numba after the engine's last day (or in a command with no day loop)
    only set the latch: the command returns, and run_command exits 130 all the same."""
    import click
    import pytest

    from panoptisim import errors

    @click.command()
    def finished_after_a_deferred_ctrl_c():
        errors._interrupt_requested.set()  # what _on_interrupt does inside numba

    with pytest.raises(SystemExit) as stopped:
        errors.run_command(finished_after_a_deferred_ctrl_c, [], "panoptisim")
    assert stopped.value.code == 130
    assert capsys.readouterr().err.strip() == errors.INTERRUPTED

    @click.command()
    def finished():
        pass

    errors.run_command(finished, [], "panoptisim")  # no Ctrl-C: returns, exit 0


def test_validation_stops_at_the_next_case_after_a_latched_ctrl_c(monkeypatch):
    """A Ctrl-C inside numba during one validation case stops the suite before the next."""
    import pytest

    from panoptisim import errors
    from panoptisim.validation import CASES, runner

    ran = []
    monkeypatch.setattr(errors, "_interrupt_requested", type(errors._interrupt_requested)())

    def on_case(case):
        ran.append(case.name)
        errors._interrupt_requested.set()

    with pytest.raises(KeyboardInterrupt):
        runner.run_validation(["granovetter-count", "er-giant"], on_case=on_case)
    assert ran == ["granovetter-count"] and "er-giant" in CASES

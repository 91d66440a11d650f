"""The state is declared once: every agent array lives on ``State``, copied for the other arm."""

from __future__ import annotations

import numpy as np

from panoptisim import engine
from panoptisim.scenario import load_scenario, merge
from panoptisim.scenario.load import validate


def test_the_watchlist_is_state_copied_per_arm_and_only_shrinks():
    sc = load_scenario("baseline", {"population.size": 3000, "run.steps": 40,
                                    "surveillance.cameras.p_watchlisted": 0.01,
                                    "surveillance.cameras.p_ambient_scan": 1.0}, seed=2)
    days = engine.iter_days(sc)
    first = next(days)
    treated, control = (ctx.state for ctx in first.contexts)
    assert treated.watchlisted is not control.watchlisted
    at_start = control.watchlisted.copy()  # the control arm scans nobody: its list stays
    assert at_start.sum() > 10
    for _ in days:
        pass
    assert np.array_equal(control.watchlisted, at_start)
    assert not (treated.watchlisted & ~at_start).any()  # never refilled
    assert treated.watchlisted.sum() < at_start.sum()  # caught agents left it


def _society(n: int = 500):
    from panoptisim.population import build_society
    from panoptisim.streams import Streams

    sc = load_scenario("baseline", {"population.size": n}, seed=1)
    return build_society(sc, Streams(sc.run.seed))


def test_every_field_is_declared_and_built_as_declared():
    from dataclasses import fields

    from panoptisim.state import BUILT, EMPTY, SANCTIONS, CopyOf, State

    s = _society()
    for f in fields(State):
        meta = f.metadata
        assert meta["unit"] and meta["meaning"].endswith("."), f.name
        value = getattr(s, f.name)
        if not isinstance(meta["dtype"], np.dtype):
            assert isinstance(value, meta["dtype"]), f.name
            if meta["init"] is EMPTY:
                assert len(value) == 0, f.name
            continue
        assert value.dtype == meta["dtype"], f.name
        shape = {("agent",): (s.n,), ("sanction", "agent"): (len(SANCTIONS), s.n)}
        assert value.shape == shape[meta["axes"]], f.name
        init = meta["init"]
        if isinstance(init, CopyOf):
            np.testing.assert_array_equal(value, getattr(s, init.name))
            assert not np.shares_memory(value, getattr(s, init.name))
        elif init is not BUILT:
            assert (value == init).all(), f.name


def test_allocate_refuses_what_the_declarations_do_not_say():
    import pytest

    from panoptisim.state import State

    s = _society(100)
    built = {name: getattr(s, name) for name in (
        "region", "urban", "group", "income_base", "income_quintile", "latent_dissent", "dissenter",
        "expression_threshold", "has_loan", "payment_offset", "score_start", "graph",
        "household", "active_degree", "family_degree", "watchlisted")}
    State.allocate(100, **built)
    with pytest.raises(TypeError, match="'watchlisted' is declared built"):
        State.allocate(100, **{k: v for k, v in built.items() if k != "watchlisted"})
    with pytest.raises(TypeError, match="'score' is declared"):
        State.allocate(100, **built, score=s.score)
    with pytest.raises(TypeError, match="State.payment_offset must be int16"):
        State.allocate(100, **{**built, "payment_offset": s.payment_offset.astype(np.int64)})


def test_copy_for_the_other_arm_is_independent_and_keeps_dtypes():
    from dataclasses import fields

    from panoptisim.state import State

    s = _society()
    c = s.copy()
    fixed = State.fixed_fields()
    for f in fields(State):
        a, b = getattr(s, f.name), getattr(c, f.name)
        if f.name in fixed:
            assert a is b and not a.flags.writeable, f.name
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b) and not np.shares_memory(a, b)
            assert a.flags.writeable and b.flags.writeable, f.name
    assert c.graph.indptr is s.graph.indptr and c.derived() is s.derived()
    # the other arm's live-tie mask: all live, a view of no memory until it cuts a tie
    assert c.graph.active.strides == (0,) and not c.graph.active.flags.writeable
    assert c.graph.active.shape == s.graph.active.shape and (c.graph.active == 1).all()
    np.testing.assert_array_equal(c.graph.active_degree(), s.graph.active_degree())
    live = np.flatnonzero(s.graph.active)[:10]
    assert len(c.graph.cut(live)) > 0  # its first cut gives it a mask of its own
    assert c.graph.active.flags.writeable and c.graph.active.strides == (1,)
    assert (s.graph.active[live] == 1).all() and (c.graph.active[live] == 0).all()
    assert (c.graph.active_degree() < s.graph.active_degree()).any()
    np.testing.assert_array_equal(c.graph.active_degree(),  # scipy's form: the same mask
                                  c.graph._matrix @ np.ones(s.n, np.float32))
    assert len(c.graph.restore(live)) > 0
    np.testing.assert_array_equal(c.graph.active, s.graph.active)


def test_the_copy_allocates_arrays_still_at_zero_instead_of_copying_them(monkeypatch):
    """An array still at zero is allocated zeroed in a mapping of its own (its pages become
    resident only where the arm writes); any other array, a negative zero included, is
    copied bit for bit."""
    from dataclasses import fields

    from panoptisim import state
    from panoptisim.allocator import mapping_of
    from panoptisim.state import State

    def mapped(a: np.ndarray) -> bool:
        return mapping_of(a) is not None

    monkeypatch.setattr(state, "MAPPED_MIN_BYTES", 1)  # as if every array were large
    s = _society()
    s.points_false[7] = -0.0  # zero by value, not by bits: must be copied
    c = s.copy()
    zeroed = {f.name for f in fields(State) if isinstance(getattr(c, f.name), np.ndarray)
              and f.name not in State.fixed_fields() and mapped(getattr(c, f.name))}
    assert {"points_true", "points_political", "sanction_days_left", "ties_to_marked",
            "n_flags_counting", "ever_sanctioned"} <= zeroed
    assert "points_false" not in zeroed and np.signbit(c.points_false[7])
    for name in zeroed:
        assert not getattr(s, name).view(np.uint8).any(), name
        assert not getattr(c, name).any() and getattr(c, name).flags.writeable, name
    for name in ("score", "ti_voiced", "latent_dissent", "active_degree"):
        assert name not in zeroed and np.array_equal(getattr(c, name), getattr(s, name))


def test_fixed_fields_are_the_attributes_no_stage_writes_and_refuse_a_write():
    import pytest

    from panoptisim.state import State

    assert set(State.fixed_fields()) == {
        "region", "urban", "group", "income_base", "income_quintile", "dissenter",
        "expression_threshold", "has_loan", "payment_offset", "score_start", "household",
        "dissent_built"}
    s = _society(100)
    for name in State.fixed_fields():
        with pytest.raises(ValueError, match="read-only"):
            getattr(s, name)[0] = 0


def test_the_arms_share_the_fixed_fields_and_the_context_built_from_them_all_run():
    """Both arms step a whole run (every stage, with the timeline's abolition) on one copy of
    the fixed fields and of the context derived from them: a stage writing one would raise."""
    sc = load_scenario("safeguards", {"population.size": 3000, "run.steps": 45,
                                      "scoring.regime": "citizen",
                                      "surveillance.informants.p_malicious": 0.01}, seed=3)
    sc = validate(merge(sc.model_dump(mode="json", exclude_none=True),
                        {"timeline": [{"day": 40, "action": "abolish"}]}))
    *_, last = engine.iter_days(sc)
    treated, control = last.contexts
    for name in treated.state.fixed_fields():
        assert getattr(treated.state, name) is getattr(control.state, name), name
    for name in ("ties_at_build", "subgroups", "group_members"):
        assert getattr(treated, name) is getattr(control, name), name
    assert not treated.ties_at_build.inverse.flags.writeable


def test_each_stage_writes_only_the_day_fields_declared_as_its_own():
    from dataclasses import fields

    from panoptisim.context import Context
    from panoptisim.metrics import Recorder
    from panoptisim.population import build_society
    from panoptisim.state import Today
    from panoptisim.streams import Streams

    declared = {f.name: f.metadata["stage"] for f in fields(Today) if f.name != "t"}
    assert set(declared.values()) <= set(engine.PHASES)
    sc = load_scenario("safeguards", {"population.size": 2000, "scoring.regime": "citizen",
                                      "surveillance.informants.p_malicious": 0.01,
                                      "sanctions.dur_internet_throttled": 3,
                                      "sanctions.threshold_internet_throttled": 640.0}, seed=3)
    sc = validate(merge(sc.model_dump(mode="json", exclude_none=True),
                        {"timeline": [{"day": 38, "action": "abolish"}]}))
    streams = Streams(sc.run.seed)
    ctx = Context.first_day(sc, "treated", streams, build_society(sc, streams))
    rec = Recorder(40)
    writers: dict[str, set[str]] = {}
    for t in range(40):
        today = Today(t)
        steps = list(engine.STAGES) + [("metrics", lambda c, d: rec.record(c, d))]
        for stage, fn in steps:
            before = {name: getattr(today, name) for name in declared}
            fn(ctx, today)
            for name, old in before.items():
                if getattr(today, name) is not old and not (
                        isinstance(old, int) and getattr(today, name) == old):
                    writers.setdefault(name, set()).add(stage)
    assert {name: {stage} for name, stage in declared.items()} == writers

"""Named per-purpose, per-day random streams: reproducible, independent, order-free."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers_mech import make_ctx, quiet_today

from panoptisim import behavior
from panoptisim.streams import Streams, purpose_key


def draws(streams: Streams, name: str, day: int | None = None, k: int = 64) -> np.ndarray:
    return streams.generator(name, day).random(k)


def test_same_name_and_day_give_same_draws():
    a, b = Streams(123), Streams(123)
    np.testing.assert_array_equal(draws(a, "behavior.expression", 4),
                                  draws(b, "behavior.expression", 4))
    # a fresh generator every call: asking twice does not advance the stream
    np.testing.assert_array_equal(draws(a, "sensors.cameras", 0), draws(a, "sensors.cameras", 0))
    np.testing.assert_array_equal(draws(a, "population"), draws(b, "population"))


@pytest.mark.parametrize("other", [("behavior.benign_post", 4), ("behavior.expression", 5),
                                   ("behavior.expression", None), ("behavior.expressio", 4)])
def test_different_name_or_day_gives_different_draws(other):
    s = Streams(123)
    ref = draws(s, "behavior.expression", 4)
    alt = draws(s, *other)
    assert not np.allclose(ref, alt)
    # independent, not merely shifted: correlation of 64 uniforms is small
    assert abs(np.corrcoef(ref, alt)[0, 1]) < 0.5


def test_different_seeds_give_different_draws():
    assert not np.allclose(draws(Streams(1), "x", 0), draws(Streams(2), "x", 0))


def test_new_stream_does_not_change_another_streams_draws():
    """Starsim's test_order: adding or reordering a stage never shifts another's draws."""
    alone = Streams(99)
    ref = [draws(alone, "sensors.online.scan", t) for t in range(3)]

    busy = Streams(99)
    busy.generator("a.brand.new.stage", 0).random(100_000)
    for t in range(3)[::-1]:  # reversed order, with other streams interleaved
        busy.generator("behavior.trip", t).random(10)
        np.testing.assert_array_equal(draws(busy, "sensors.online.scan", t), ref[t])


def test_behaviour_stage_is_unaffected_by_extra_draws_elsewhere():
    """Model level: consuming a new stream before behaviour leaves behaviour unchanged."""
    ctx_a = make_ctx(n=1000, seed=11)
    ctx_b = make_ctx(n=1000, seed=11)
    ctx_b.streams.generator("an.extra.stage", 0).random(500_000)
    ctx_b.streams.generator("behavior.expression", 1).random(123)  # another day of it
    ta, tb = quiet_today(ctx_a, 0), quiet_today(ctx_b, 0)
    behavior.step(ctx_a, ta)
    behavior.step(ctx_b, tb)
    for name in ("political_chance", "expressed", "benign_post", "purchase", "infraction",
                 "outdoors", "trip_wanted"):
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    assert ta.benign_post.sum() > 0


def test_arms_share_common_random_numbers():
    """Treated and control arms draw the same numbers: identical day-0 behaviour."""
    treated = make_ctx(n=1000, seed=5, arm="treated")
    control = make_ctx(n=1000, seed=5, arm="control")
    tt, tc = quiet_today(treated, 0), quiet_today(control, 0)
    behavior.step(treated, tt)
    behavior.step(control, tc)
    for name in ("political_chance", "expressed", "benign_post", "purchase", "outdoors"):
        np.testing.assert_array_equal(getattr(tt, name), getattr(tc, name), err_msg=name)


def test_replicate_zero_is_root_and_others_differ():
    root = Streams(2024)
    np.testing.assert_array_equal(draws(root.replicate(0), "x", 3), draws(root, "x", 3))
    r1, r2 = root.replicate(1), root.replicate(2)
    assert not np.allclose(draws(r1, "x", 3), draws(root, "x", 3))
    assert not np.allclose(draws(r1, "x", 3), draws(r2, "x", 3))
    # reproducible: the same replicate of the same root gives the same draws
    np.testing.assert_array_equal(draws(Streams(2024).replicate(1), "x", 3),
                                  draws(r1, "x", 3))


def test_stream_keys_do_not_depend_on_python_hash_seed():
    # a child with another hash seed derives the same keys, generators and draws
    code = ("from panoptisim.streams import Streams, purpose_key; s = Streams(7);"
            "print(purpose_key('behavior.expression'), *s.key('behavior.expression'),"
            " repr(s.generator('behavior.expression', 2).random()),"
            " repr(float(s.uniform('behavior.expression', 2, 9)[8])))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    s = Streams(7)
    assert int(out[0]) == purpose_key("behavior.expression")
    assert (int(out[1]), int(out[2])) == s.key("behavior.expression")
    assert float(out[3]) == s.generator("behavior.expression", 2).random()
    assert float(out[4]) == float(s.uniform("behavior.expression", 2, 9)[8])

"""The allocator tuning: freed large arrays are reused without new page faults."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from panoptisim import allocator


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_large_temporaries_reuse_their_pages():
    assert allocator.keep_freed_memory()
    pages = 64 * 2**20 // 4096  # a 64 MiB array: over glibc's own 32 MiB mmap limit
    np.ones(pages * 512).sum()  # first use: the heap grows (faults expected)
    before = minor_faults()
    for _ in range(3):
        np.ones(pages * 512).sum()  # freed and allocated again: the same pages
    assert minor_faults() - before < pages // 4  # without the tuning: about 3 x pages


def test_simulate_applies_it(monkeypatch):
    from panoptisim import engine
    from panoptisim.scenario import load_scenario

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    engine.simulate(load_scenario("baseline", {"population.size": 300, "run.steps": 2}))
    assert calls

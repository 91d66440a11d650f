"""The allocator tuning: freed large arrays are reused without new page faults."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from panoptisim import allocator


def minor_faults() -> int:
    """Minor page faults of this thread (other threads of the test process do not count)."""
    return resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)).ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_large_temporaries_reuse_their_pages():
    assert allocator.keep_freed_memory()
    words = 64 * 2**20 // 8  # a 64 MiB array: over glibc's own 32 MiB mmap limit
    np.ones(words).sum()  # first use: the heap grows (faults expected)
    before = minor_faults()
    for _ in range(3):
        np.ones(words).sum()  # freed and allocated again: the same pages
    # Without the tuning every allocation faults its pages in again: 3 x 8,192 with 4 KiB
    # pages, 3 x 32 even if every page were a 2 MiB huge page (measured here: 1,632).
    assert minor_faults() - before < 20


def test_simulate_applies_it(monkeypatch):
    from panoptisim import engine
    from panoptisim.scenario import load_scenario

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    engine.simulate(load_scenario("baseline", {"population.size": 300, "run.steps": 2}))
    assert calls


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_release_gives_the_heaps_free_pages_back():
    from panoptisim.footprint import _proc_bytes

    assert allocator.keep_freed_memory()
    block = np.ones(128 * 2**20 // 8)  # 128 MiB on the heap (under the 1 GiB mmap limit)
    block.sum()
    del block  # freed: the tuned heap keeps it resident
    before = _proc_bytes("/proc/self/status", "VmRSS")
    allocator.release_free_memory()
    assert _proc_bytes("/proc/self/status", "VmRSS") < before - 100 * 2**20


def test_the_build_releases_what_it_freed(monkeypatch):
    from panoptisim.population import build_society
    from panoptisim.scenario import load_scenario
    from panoptisim.streams import Streams

    calls = []
    monkeypatch.setattr(allocator, "release_free_memory", lambda: calls.append(1) or True)
    sc = load_scenario("baseline", {"population.size": 300})
    build_society(sc, Streams(sc.run.seed))
    assert calls == [1]


def resident_bytes() -> int:
    """Resident memory of this process (bytes), from /proc/self/statm."""
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mappings only")
def test_mapped_zeros_take_memory_only_for_the_pages_written():
    words = 64 * 2**20 // 8  # 64 MiB
    before = resident_bytes()
    a = allocator.mapped_zeros(words, np.float64)
    assert a.shape == (words,) and a.dtype == np.float64 and a.flags.writeable
    assert not a.any()  # zeroed; reading maps the shared zero page, nothing resident
    assert resident_bytes() - before < 8 * 2**20
    a[: words // 2] = 1.0  # half written: half resident
    grown = resident_bytes() - before
    assert 24 * 2**20 < grown < 48 * 2**20
    assert a.sum() == words // 2
    b = allocator.mapped_zeros((5, 3), np.int32)  # any shape
    assert b.shape == (5, 3) and not b.any()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_a_second_thread_reuses_the_pages_of_its_large_temporaries_too():
    """The control arm steps in a second thread: its arrays over 64 MiB (a thread arena's
    largest heap) are served by the tuned heap, not by a fresh mapping each time."""
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import resource, threading
        import numpy as np
        from panoptisim import allocator
        assert allocator.keep_freed_memory()
        def faults():
            return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        out = []
        def work():
            words = 96 * 2**20 // 8  # 96 MiB: over a thread arena's 64 MiB heaps
            np.ones(words).sum()
            before = faults()
            for _ in range(3):
                np.ones(words).sum()
            out.append(faults() - before)
        t = threading.Thread(target=work)
        t.start()
        t.join()
        print(out[0])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    # a fresh mapping each time faults 3 x 24,576 pages in (4 KiB pages)
    assert int(done.stdout.split()[-1]) < 100

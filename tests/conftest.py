"""Shared set-up of the test suite.

The helpers shared by the mechanism tests (small contexts, quiet days, binomial bounds, the
live-tie oracle) live in ``helpers_mech.py`` beside this file and are imported by name:
``from helpers_mech import make_ctx``. This file puts the tests folder on ``sys.path`` so
that the import works however the tests are collected (pytest's default ``prepend``
import mode does so already for a folder without ``__init__.py``; ``importlib`` mode and
running a test module directly do not).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


#: Modules whose module-scoped fixtures are costly (a sweep, a calibration, a Dask cluster,
#: runs several tests read): each is one xdist group, so under ``--dist loadgroup`` (make
#: test) its tests run on one worker and the fixture is built once, not once per worker.
SHARED_FIXTURE_MODULES = frozenset({
    "test_cli_formats", "test_compare", "test_experiments_dask", "test_experiments_sweep",
    "test_notebook", "test_posterior_runs", "test_query_safety", "test_report",
    "test_report_calibration", "test_snapshots", "test_timeline",
})


def pytest_collection_modifyitems(config, items):  # noqa: ANN001, ANN201
    """Put the tests of each module in SHARED_FIXTURE_MODULES in one xdist group."""
    import pytest

    for item in items:
        module = item.path.stem
        if module in SHARED_FIXTURE_MODULES:
            item.add_marker(pytest.mark.xdist_group(module))


def pytest_configure(config):  # noqa: ANN001, ANN201
    """Compile the numba kernels (or load them from numba's cache) once, in the process
    that starts the run, before xdist's workers and the tests' subprocesses start: in a
    clean clone each of them compiled the kernels it used (about 40 s for all) side by side
    until one had written the cache. Warm, this takes about a second."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it
        return
    from panoptisim import kernels

    kernels.warm_up()

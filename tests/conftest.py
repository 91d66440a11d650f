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

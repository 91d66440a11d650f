"""Whether a person is watching: progress bars are drawn by default only then."""

from __future__ import annotations

import sys


def person_watching() -> bool:
    """True in a terminal (stderr is a TTY) or a Jupyter/IPython kernel; False when the
    output goes to a file, a pipe or a test's capture."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False

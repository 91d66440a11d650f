"""panoptisim: a laboratory for what algorithmic citizen scoring and mass surveillance do to
synthetic societies. Synthetic agents only; sensors are modelled by their error rates.

The public names are loaded on first use (PEP 562), so that ``python -m panoptisim``, which
imports this package before its ``__main__``, reaches the command line's Ctrl-C handling
before numpy, scipy and pandas load.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "Comparison": "panoptisim.compare",
    "InputError": "panoptisim.errors",
    "Result": "panoptisim.api",
    "Scenario": "panoptisim.scenario",
    "ScenarioError": "panoptisim.errors",
    "load_scenario": "panoptisim.scenario",
    "compare": "panoptisim.compare",
    "run": "panoptisim.api",
}

__all__ = ["Comparison", "InputError", "Result", "Scenario", "ScenarioError", "__version__",
           "compare", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'panoptisim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))

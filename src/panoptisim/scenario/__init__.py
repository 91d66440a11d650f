"""The scenario: every parameter of a run, declared once, and how a scenario is loaded.

- :mod:`~panoptisim.scenario.schema`: the declarations (unit, default, range, source);
- :mod:`~panoptisim.scenario.params`: the schema read as dotted keys with bounds, and one
  "did you mean" for misspelt keys;
- :mod:`~panoptisim.scenario.keys`: dotted keys to and from nested documents;
- :mod:`~panoptisim.scenario.messages`: one-line errors naming key, value and what is allowed;
- :mod:`~panoptisim.scenario.timeline`: each region's rules on each day, resolved and checked;
- :mod:`~panoptisim.scenario.load`: built-ins, files, ``base``, overrides, validation.
"""

from panoptisim.errors import ScenarioError
from panoptisim.scenario.keys import flatten, merge, nest, parse_override
from panoptisim.scenario.load import builtin_names, load_scenario, read_user_file
from panoptisim.scenario.messages import format_error
from panoptisim.scenario.params import (
    Bounds,
    ParamInfo,
    did_you_mean,
    iter_params,
    param_info,
    param_keys,
    suggest,
)
from panoptisim.scenario.schema import FEEDS, REGIMES, Scenario

__all__ = ["FEEDS", "REGIMES", "Bounds", "ParamInfo", "Scenario", "ScenarioError",
           "builtin_names", "did_you_mean", "flatten", "format_error", "iter_params",
           "load_scenario", "merge", "nest", "param_info", "param_keys", "parse_override",
           "read_user_file", "suggest"]

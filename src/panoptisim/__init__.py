"""panoptisim: a laboratory for what algorithmic citizen scoring and mass surveillance do to
synthetic societies. Synthetic agents only; sensors are modelled by their error rates."""

__version__ = "0.1.0"

from panoptisim.api import Result, run  # noqa: E402
from panoptisim.errors import InputError, ScenarioError  # noqa: E402
from panoptisim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["InputError", "Result", "Scenario", "ScenarioError", "__version__", "load_scenario",
           "run"]

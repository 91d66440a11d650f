"""``python -m panoptisim.dashboard [--port 8050] [--host 127.0.0.1]``."""

from panoptisim.dashboard.cli import dashboard
from panoptisim.errors import run_command

if __name__ == "__main__":
    run_command(dashboard, None, "python -m panoptisim.dashboard")

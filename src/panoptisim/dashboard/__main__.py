"""``python -m panoptisim.dashboard [--port 8050] [--host 127.0.0.1]``."""

from panoptisim.dashboard.cli import dashboard

if __name__ == "__main__":
    dashboard(prog_name="python -m panoptisim.dashboard")

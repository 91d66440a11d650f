"""``python -m panoptisim.report RUN_DIR|SWEEP_DIR|CALIB_DIR [--format html|pdf] [--out FILE]``."""

from panoptisim.errors import run_command
from panoptisim.report.cli import report

if __name__ == "__main__":
    run_command(report, None, "python -m panoptisim.report")

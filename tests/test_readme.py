"""The README's demo block is the output of a real run: ``panoptisim run baseline`` (100,000
agents x 365 days, about 10 s of simulation) prints the same table, character for
character, and names its run folder as the README shows."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
#: Wider than the table (78 columns), so rich neither wraps nor squeezes it.
COLUMNS = "100"
#: Environment variables that would make rich colour, size or box its output differently.
RICH_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE",
            "JUPYTER_COLUMNS", "JUPYTER_LINES", "COLUMNS", "LINES")


def demo_block() -> list[str]:
    """The lines inside the code fence between ``<!-- demo:start -->`` and ``<!-- demo:end -->``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- demo:start -->\n```[^\n]*\n(.*?)```\n<!-- demo:end -->", text,
                      re.DOTALL)
    assert match, "README.md has no fenced block between <!-- demo:start --> and <!-- demo:end -->"
    return match.group(1).splitlines()


def split_table(lines: list[str]) -> tuple[list[str], list[str]]:
    """(the table: title to bottom border, the lines after it), trailing blanks removed.

    Trailing spaces are dropped: rich pads the centred title with them and an editor may strip
    them from the README; every other character is compared."""
    lines = [line.rstrip() for line in lines]
    bottom = max(i for i, line in enumerate(lines) if line.startswith("└"))
    return lines[:bottom + 1], [line for line in lines[bottom + 1:] if line]


def run_demo(cwd: Path) -> list[str]:
    """Stdout lines of ``python -m panoptisim run baseline --no-report`` run in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in RICH_ENV}
    env.update(COLUMNS=COLUMNS, LINES="50", NO_COLOR="1", TERM="dumb", PYTHONIOENCODING="utf-8")
    res = subprocess.run([sys.executable, "-m", "panoptisim", "run", "baseline", "--no-report"],
                         capture_output=True, encoding="utf-8", cwd=cwd, env=env, check=False,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


def test_readme_demo_block_is_the_output_of_a_real_run(tmp_path: Path) -> None:
    want_table, want_after = split_table(demo_block())
    got_table, got_after = split_table(run_demo(tmp_path))
    assert got_table == want_table, "README demo table differs from a real run:\n" + "\n".join(
        difflib.unified_diff(want_table, got_table, "README.md", "panoptisim run baseline",
                             lineterm=""))

    # The run folder is runs/<scenario>-seed<seed>-<time>: the README writes <time> for the
    # timestamp, the run prints it (YYYYmmdd-HHMMSS); the report line is the README's only.
    title = re.search(r"^\s*(\S+) \(.*seed (\d+)$", want_table[0])
    assert title, want_table[0]
    folder = f"runs/{title.group(1)}-seed{title.group(2)}-"
    assert want_after == [f"run folder: {folder}<time>",
                          f"report: {folder}<time>/report.html"], want_after
    assert len(got_after) == 1 and re.fullmatch(
        rf"run folder: {re.escape(folder)}\d{{8}}-\d{{6}}", got_after[0]), got_after
    printed = Path(tmp_path, got_after[0].removeprefix("run folder: "))
    assert (printed / "summary.json").exists(), printed

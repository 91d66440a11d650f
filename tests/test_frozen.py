"""Frozen outputs: a few small fixed runs must reproduce, metric by metric and day by day,
the values stored in tests/data/frozen (a known-answer regression, as SALib's
tests/test_regression.py). Floats agree to ``rtol=1e-9`` with no absolute tolerance;
counts, texts and integers exactly.

The stored values are written only by ``python scripts/update_frozen.py``, on purpose,
with the change said in the commit message and CHANGELOG.md (see that script).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "update_frozen.py"


def load_script() -> ModuleType:
    """scripts/update_frozen.py as a module: its cases, runner, JSON writer and comparison."""
    spec = importlib.util.spec_from_file_location("update_frozen", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


frozen = load_script()
UPDATE = "python scripts/update_frozen.py"


def stored(case: str) -> dict[str, Any]:
    """The stored document of ``case``."""
    path = frozen.path_of(case)
    assert path.exists(), f"{case}: {path} is missing; write it with `{UPDATE} {case}`"
    return json.loads(path.read_text())


@pytest.mark.parametrize("case", list(frozen.CASES))
def test_run_reproduces_its_frozen_output(case: str) -> None:
    found = frozen.differences(case, stored(case), frozen.compute(case))
    listed = "\n".join(found[:frozen.MAX_LISTED])
    more = f"\n... and {len(found) - frozen.MAX_LISTED} more" if len(found) > \
        frozen.MAX_LISTED else ""
    assert not found, (f"{len(found)} value(s) differ from tests/data/frozen/{case}.json:\n"
                       f"{listed}{more}\nIf the model's output changed on purpose, run "
                       f"`{UPDATE}` and say so in the commit message and CHANGELOG.md.")


def test_stored_files_are_the_cases_in_the_scripts_deterministic_form() -> None:
    files = sorted(frozen.FROZEN_DIR.glob("*.json"))
    assert sorted(p.stem for p in files) == sorted(frozen.CASES)
    for path in files:
        text = path.read_text()
        assert frozen.dumps(json.loads(text)) == text, f"{path.name} was not written by {UPDATE}"


def test_the_comparison_sees_a_change_beyond_the_tolerance() -> None:
    """The comparison itself: 1e-10 relative passes, 1e-8 does not, counts are exact, a
    stored 0 must stay 0, and every message names the case, the value and the row."""
    base = stored("harsh")
    assert frozen.differences("harsh", base, copy.deepcopy(base)) == []

    def changed(edit: Any) -> list[str]:
        doc = copy.deepcopy(base)
        edit(doc)
        return frozen.differences("harsh", base, doc)

    def scale_rate(factor: float) -> Any:
        def edit(doc: dict[str, Any]) -> None:
            doc["metrics"]["score_mean"][130] *= factor
        return edit

    assert changed(scale_rate(1 + 1e-10)) == []
    row, value = base["rows"], base["metrics"]["score_mean"][130]
    expected = (f"harsh: metric score_mean row 130 (replicate {row['replicate'][130]}, "
                f"arm {row['arm'][130]}, day {row['day'][130]}): stored {value!r}, "
                f"now {value * (1 + 1e-8)!r}")
    assert changed(scale_rate(1 + 1e-8)) == [expected]

    def bump_count(doc: dict[str, Any]) -> None:
        doc["metrics"]["ties_cut"][7] += 1

    assert len(found := changed(bump_count)) == 1 and "metric ties_cut row 7" in found[0]

    zero = base["metrics"]["isolated_dissenters_share"].index(0.0)

    def nudge_zero(doc: dict[str, Any]) -> None:
        doc["metrics"]["isolated_dissenters_share"][zero] = 1e-300

    assert len(changed(nudge_zero)) == 1

    def nudge_summary(doc: dict[str, Any]) -> None:
        doc["summary"]["metrics"]["chilling_index"]["ci95"][1] *= 1 + 1e-8

    high = base["summary"]["metrics"]["chilling_index"]["ci95"][1]
    expected = (f"harsh: summary metrics.chilling_index.ci95[1]: stored {high!r}, "
                f"now {high * (1 + 1e-8)!r}")
    assert changed(nudge_summary) == [expected]

    def new_metric(doc: dict[str, Any]) -> None:
        doc["metrics"]["new_metric"] = [0.0] * len(doc["rows"]["day"])

    assert changed(new_metric) == ["harsh: metric new_metric: new, not stored"]

"""The Python interface in a notebook: a short repr and an HTML headline table, each
replicate's end-of-run values, a metric's daily course as a figure, the report, and a sweep
given as a dict."""

from __future__ import annotations

import ast
import io

import pytest
from test_experiments_support import write_sweep

import panoptisim
from panoptisim.errors import InputError
from panoptisim.experiments import load_sweep
from panoptisim.experiments.main_guard import _guarded
from panoptisim.metrics import HEADLINE

SMALL = {"population.size": 500, "run.steps": 20, "run.replicates": 3}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return panoptisim.run("baseline", seed=4, overrides=SMALL,
                          out=tmp_path_factory.mktemp("nb") / "run")


def test_repr_is_one_short_line_and_html_is_the_headline_table(written):
    text = repr(written)
    assert len(text) < 250 and "\n" not in text
    assert text.startswith("Result(baseline, 500 agents x 20 days, 3 replicate(s), seed 4")
    html = written._repr_html_()
    assert "<table" in html and all(name in html for name in HEADLINE)


def test_replicates_are_the_end_of_run_values_the_summary_averages(written):
    reps = written.replicates
    assert list(reps.replicate) == [0, 1, 2]
    for name in ("flags_true", "chilling_index", "ties_cut"):
        effect = written.summary["metrics"][name]["effect"]
        assert reps[name].mean() == pytest.approx(effect), name


def test_plot_draws_each_arm_and_refuses_an_unknown_metric(written):
    fig = written.plot("flags_true")
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == [
        "treated (scoring regime)", "control (no scoring)"]
    assert len(ax.collections) == 2  # each arm's 95% band over the 3 replicates
    assert ax.get_xlabel() == "day" and ax.get_ylabel() == "flags_true\n(flags per day)"
    with pytest.raises(InputError, match="not a daily metric"):
        written.plot("chilling_idx")


def test_report_writes_the_run_report(written, tmp_path):
    path = written.report(tmp_path / "page.html")
    assert path.is_file() and "Expressed dissent" in path.read_text()
    unwritten = panoptisim.run("baseline", overrides={**SMALL, "run.replicates": 1})
    with pytest.raises(InputError, match="run it with out=FOLDER"):
        unwritten.report()


def test_a_sweep_given_as_a_dict_is_the_sweep_of_the_same_file(tmp_path):
    from_file = load_sweep(write_sweep(tmp_path, '"safeguards.appeals" = [false, true]',
                                       name="same", replicates=2))
    from_dict = load_sweep({"sweep": {"name": "same", "seed": 11, "replicates": 2,
                                      "design": "grid"},
                            "set": {"population.size": 500, "run.steps": 20},
                            "axes": {"safeguards.appeals": [False, True]}})
    assert from_dict.digest() == from_file.digest() and from_dict.n_runs == 4
    with pytest.raises(panoptisim.InputError, match="sweep.replicates"):
        load_sweep({"sweep": {"replicates": 0}})


SWEEP_SCRIPT = '''
from panoptisim.experiments import load_sweep, run_sweep
plan = load_sweep({{"sweep": {{"name": "guard", "seed": 3, "replicates": 1}},
                   "set": {{"population.size": 300, "run.steps": 5}},
                   "axes": {{"safeguards.appeals": [False, True]}}}})
{call}
'''


@pytest.mark.parametrize("guarded", [False, True])
def test_a_sweep_started_at_a_scripts_top_level_fails_at_once_saying_what_to_add(
        tmp_path, guarded):
    """Worker processes re-run the main script (spawn): a sweep called outside
    ``if __name__ == "__main__":`` is refused before any worker starts, with the fix in the
    message; under the guard the same script runs its sweep."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    out = tmp_path / "sweep"
    call = f"run_sweep(plan, {str(out)!r}, jobs=2, quiet=True)"
    if guarded:
        call = "def main():\n    " + call + "\n\nif __name__ == '__main__':\n    main()"
    script = tmp_path / "study.py"
    script.write_text(SWEEP_SCRIPT.format(call=call))
    env = {**os.environ, "PYTHONPATH": str(Path(panoptisim.__file__).parents[1])}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=300)
    if guarded:
        assert done.returncode == 0, done.stderr
        assert len(list((out / "runs").iterdir())) == 2
    else:
        assert done.returncode != 0
        assert ("study.py starts the sweep or calibration at its top level (line 6)"
                in done.stderr)
        assert "if __name__ == \"__main__\":" in done.stderr
        assert not out.exists()


#: Scripts and whether their ``run_sweep(...)`` line is under a main guard.
GUARDS = [
    ("if __name__ == '__main__':\n    run_sweep(plan)", True),
    ("if '__main__' == __name__:\n    run_sweep(plan)", True),
    ("try:\n    if __name__ == '__main__':\n        run_sweep(plan)\nexcept KeyError:\n"
     "    pass", True),
    ("with open('x') as f:\n    if __name__ == '__main__':\n        run_sweep(plan)", True),
    ("if args:\n    pass\nelse:\n    if __name__ == '__main__':\n        run_sweep(plan)",
     True),
    ("if __name__ == '__main__' and args:\n    run_sweep(plan)", True),
    ("run_sweep(plan)", False),
    ("try:\n    run_sweep(plan)\nexcept KeyError:\n    pass", False),
    ("if __name__ == '__main__':\n    pass\nelse:\n    run_sweep(plan)", False),
    ("if __name__ != '__main__':\n    run_sweep(plan)", False),
    ("if __name__ == '__main__' or args:\n    run_sweep(plan)", False),
]


@pytest.mark.parametrize("script,guarded", GUARDS)
def test_a_main_guard_is_found_at_any_depth_and_with_other_conditions(script, guarded):
    line = next(i for i, text in enumerate(script.splitlines(), 1) if "run_sweep" in text)
    assert _guarded(ast.parse(script), line) is guarded


def test_a_sweep_draws_its_progress_bar_by_default_only_where_a_person_watches(
        tmp_path, monkeypatch):
    """quiet=None (the default): the bar is drawn in a terminal or a notebook kernel, not
    when stderr goes to a file or a capture."""
    import sys

    from panoptisim.experiments import load_sweep, run_sweep
    from panoptisim.experiments import sweep as sweep_module
    from panoptisim.terminal import person_watching
    # stderr a capture and no kernel (also under ``pytest -s`` in a terminal)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not person_watching()
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # as inside a Jupyter kernel
    assert person_watching()
    drawn = []
    monkeypatch.setattr(sweep_module._Bar, "__init__",
                        lambda self, total, completed, failed, enabled, label:
                        (drawn.append(enabled), setattr(self, "progress", None))[0])
    plan = load_sweep({"sweep": {"name": "bar", "seed": 1, "replicates": 1},
                       "set": {"population.size": 200, "run.steps": 3},
                       "axes": {"safeguards.appeals": [False]}})
    run_sweep(plan, tmp_path / "watched", jobs=1, register=False)
    monkeypatch.delitem(sys.modules, "ipykernel")
    run_sweep(plan, tmp_path / "unwatched", jobs=1, register=False)
    run_sweep(plan, tmp_path / "quiet", jobs=1, register=False, quiet=True)
    assert drawn == [True, False, False]


def test_run_with_report_writes_the_report_the_command_writes(tmp_path):
    """run(out=..., report=True) leaves report.html and its figures in the run folder, as
    `panoptisim run` does; without it only the data files are written."""
    with_report = panoptisim.run("baseline", overrides={"population.size": 300,
                                                        "run.steps": 10},
                                 out=tmp_path / "r", report=True)
    html = (with_report.path / "report.html").read_text()
    assert "baseline" in html and (with_report.path / "figures").is_dir()
    plain = panoptisim.run("baseline", overrides={"population.size": 300, "run.steps": 10},
                           out=tmp_path / "p")
    assert not (plain.path / "report.html").exists()
    with pytest.raises(InputError, match="give out=FOLDER"):  # it was silently ignored
        panoptisim.run("baseline", overrides={"population.size": 300, "run.steps": 10},
                       report=True)

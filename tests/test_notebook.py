"""The Python interface in a notebook: a short repr and an HTML headline table, each
replicate's end-of-run values, a metric's daily course as a figure, the report, and a sweep
given as a dict."""

from __future__ import annotations

import pytest
from test_experiments_support import write_sweep

import panoptisim
from panoptisim.errors import InputError
from panoptisim.experiments import load_sweep
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
    assert ax.get_xlabel() == "day" and ax.get_ylabel() == "flags_true"
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

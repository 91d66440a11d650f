"""Validation suite: every case passes at its defaults and at other inputs, failures are
reported as FAIL with a non-zero exit, bad parameters are one-line errors with exit 2, and
the contagion kernels behave as the cases assume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from panoptisim import behavior, contagion, sensors
from panoptisim.network import from_edges, make_erdos_renyi
from panoptisim.validation import CASES, ParamError, run_validation, theory
from panoptisim.validation.cli import main, validate
from panoptisim.validation.doc import render

ROOT = Path(__file__).resolve().parents[1]
#: Cases that take more than a few seconds at their full defaults.
HEAVY = ("percolation", "watts", "invariants")


def failed_rows(report) -> list[str]:
    return [f"{r.case.name}: {c.quantity}: expected {c.expected}, observed {c.observed}, "
            f"tolerance {c.tolerance}" for r in report.results for c in r.checks if not c.passed]


# ------------------------------------------------------------- cases at defaults
#: The theory cases (directional predictions; tests/test_theory_cases.py runs them).
THEORY = tuple(n for n in CASES if n.startswith("theory-"))


@pytest.mark.parametrize("name", [n for n in CASES if n not in HEAVY + THEORY])
def test_light_case_passes_at_its_full_defaults(name):
    report = run_validation([name])
    assert report.results[0].checks, name
    assert report.passed, failed_rows(report)


@pytest.mark.parametrize("name", HEAVY)
def test_heavy_case_passes_at_its_quick_defaults(name):
    report = run_validation([name], quick=True)
    assert report.results[0].checks, name
    assert report.passed, failed_rows(report)


@pytest.mark.slow
@pytest.mark.parametrize("name", HEAVY)
def test_heavy_case_passes_at_its_full_defaults(name):
    report = run_validation([name])
    assert report.passed, failed_rows(report)


def test_every_case_is_registered_in_suite_order():
    assert list(CASES) == ["granovetter-count", "granovetter-normal", "er-giant",
                           "percolation", "watts", "base-rate", "deployments",
                           "spiral-of-silence", "invariants", "theory-consequences",
                           "theory-certainty", "theory-fear-fades", "theory-steady-state",
                           "theory-abolition", "theory-pariahs", "theory-no-runaway",
                           "theory-opinions", "theory-tipping"]


# --------------------------------------------- textbook numbers from the inputs
def test_theory_reproduces_the_published_numbers():
    assert theory.granovetter_critical_sd(100, 25.0) == pytest.approx(12.2, abs=0.05)
    assert [round(theory.er_giant_component(c), 3) for c in (1.5, 2, 3)] == [0.583, 0.797, 0.940]
    assert theory.er_giant_component(0.5) == 0.0
    assert theory.percolation_threshold(theory.poisson_pmf(4.0)) == pytest.approx(0.25, abs=1e-9)
    assert theory.percolation_threshold(theory.regular_pmf(4)) == pytest.approx(1 / 3)
    low, high = theory.watts_window(0.18)
    assert low == pytest.approx(1.02, abs=0.005) and high == pytest.approx(5.76, abs=0.02)
    assert theory.watts_cascade_probability(0.8, 0.18) == 0.0
    assert theory.watts_cascade_probability(8.0, 0.18) == 0.0
    assert theory.watts_cascade_probability(3.0, 0.18) > 0.5
    assert theory.positive_predictive_value(1e-4, 0.89, 1 / 6000) == pytest.approx(0.348,
                                                                                  abs=5e-4)
    assert theory.displayed_confidence(1.0) == pytest.approx(0.4621, abs=5e-5)
    # generating functions reduce to S = 1 - exp(-c T S) for Poisson degrees
    s = theory.bond_percolation_giant(theory.poisson_pmf(4.0), 0.5)
    assert s == pytest.approx(theory.er_giant_component(2.0), abs=1e-9)


# --------------------------------------------------------- non-default inputs
def test_er_giant_at_c_2_5_matches_the_solved_share():
    report = run_validation(["er-giant"], ["c=2.5", "graphs=1"])
    (check,) = report.results[0].checks
    assert check.expected == pytest.approx(theory.er_giant_component(2.5))
    assert check.expected == pytest.approx(0.8926, abs=1e-3)
    assert report.passed, failed_rows(report)


def test_watts_window_at_phi_0_25_inside_and_outside():
    low, high = theory.watts_window(0.25)
    assert 1.0 < low < 1.2 and 3.8 < high < 3.95  # K* = 4: z P(Poisson(z) <= 2) > 1
    report = run_validation(["watts"], ["phi=0.25", "z=2,5", "trials=200"])
    inside, outside = report.results[0].checks
    assert "inside" in inside.quantity and inside.expected > 0.5
    assert "outside" in outside.quantity and outside.expected == 0.0
    assert report.passed, failed_rows(report)


def test_granovetter_count_with_another_crowd_and_moved_agent():
    report = run_validation(["granovetter-count"], ["n=250", "moved=37"])
    uniform, moved = report.results[0].checks
    assert (uniform.expected, uniform.observed) == (250, 250)
    assert (moved.expected, moved.observed) == (37, 37)


def test_granovetter_normal_at_another_mean():
    report = run_validation(["granovetter-normal"], ["mean=15", "scale=50"])
    critical = report.results[0].checks[0]
    assert critical.expected == pytest.approx(theory.granovetter_critical_sd(100, 15.0))
    assert report.passed, failed_rows(report)


def test_spiral_of_silence_agent_that_keeps_speaking():
    report = run_validation(["spiral-of-silence"], ["delta=-0.1"])
    checks = {c.quantity.split(" (")[0]: c for c in report.results[0].checks}
    assert checks["silenced after the update"].observed == 0.0
    assert report.passed, failed_rows(report)


def test_stochastic_cases_are_deterministic_for_a_seed():
    a = run_validation(["deployments", "base-rate"], ["ppv_scans=200000"]).rows()
    b = run_validation(["deployments", "base-rate"], ["ppv_scans=200000"]).rows()
    assert a == b
    c = run_validation(["deployments"], ["seed=2"]).rows()
    assert [r["observed"] for r in c] != [r["observed"] for r in a[:2]]


# --------------------------------------------------------------- failing cases
def test_inconsistent_deployment_rate_is_reported_as_fail_with_exit_1():
    # The NPL lab operating point (FPIR 1/6,000) cannot give the Met's 0.48% false alerts.
    result = CliRunner().invoke(validate, ["--case", "deployments", "--param",
                                           "met_fpir=1/6000", "--json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] is False
    met = [r for r in doc["rows"] if "Met" in r["quantity"]][0]
    assert met["passed"] is False and met["observed"] > 0.1


def test_wrong_expectation_fails_the_case_and_the_command(monkeypatch):
    monkeypatch.setattr(theory, "er_giant_component", lambda c: 0.5)  # deliberately wrong
    report = run_validation(["er-giant"], ["c=3", "graphs=1", "n=20000"])
    assert not report.passed
    result = CliRunner().invoke(validate, ["--case", "er-giant", "--param", "c=3",
                                           "--param", "graphs=1", "--param", "n=20000"])
    assert result.exit_code == 1
    assert "FAIL" in result.stdout


def test_a_case_that_raises_is_one_failed_row(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kernel exploded")
    monkeypatch.setattr(contagion, "threshold_cascade", broken)
    report = run_validation(["granovetter-count"])
    (row,) = report.results[0].checks
    assert not report.passed and "kernel exploded" in row.quantity


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("args, words", [
    (["--case", "er-giant", "--param", "c=-1"], ["c=-1", "er-giant", "[0, 50]"]),
    (["--case", "er-giant", "--param", "degree=2"], ["degree", "allowed keys", "c"]),
    (["--case", "watts", "--param", "phi=abc"], ["phi=abc", "(0, 1]"]),
    (["--case", "er-gaint"], ["er-gaint", "er-giant"]),
    (["--case", "granovetter-count", "--param", "moved=99"], ["moved = 99", "n - 2"]),
    (["--case", "percolation", "--param", "families=poisson,cubic"], ["cubic", "regular"]),
    (["--case", "er-giant", "--param", "c"], ["not KEY=VALUE"]),
])
def test_bad_param_is_one_line_with_exit_2(args, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for w in words:
        assert w in lines[0]
    assert out == ""


def test_module_entry_exits_2_on_a_bad_param():
    proc = subprocess.run([sys.executable, "-m", "panoptisim.validation", "--case", "watts",
                           "--param", "phi=2"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == ("error: --param phi=2 is not allowed for case 'watts': phi "
                                   "must be a number in (0, 1]")


def test_bad_param_stops_everything_before_any_case_runs(monkeypatch):
    ran = []
    monkeypatch.setattr(contagion, "threshold_cascade", lambda *a, **k: ran.append(a))
    with pytest.raises(ParamError, match="bogus"):
        run_validation(["granovetter-count", "er-giant"], ["c=2", "bogus=1"])
    assert ran == []


def test_fractions_lists_and_dotted_keys_are_accepted():
    report = run_validation(["base-rate"], ["base-rate.fpir=1/6000", "watchlists=100,1000",
                                            "ppv_scans=100000", "scans=100000"])
    params = report.results[0].params
    assert params["fpir"] == pytest.approx(1 / 6000)
    assert params["watchlists"] == (100.0, 1000.0)


# ------------------------------------------------------------------- outputs
def test_json_output_has_one_row_per_check():
    result = CliRunner().invoke(validate, ["--case", "spiral-of-silence", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] is True and len(doc["rows"]) == 5
    assert set(doc["rows"][0]) == {"case", "quantity", "expected", "observed", "tolerance",
                                   "basis", "side", "passed"}
    assert doc["cases"][0]["params"]["inner"] == 1.5


def test_table_output_lists_expected_observed_tolerance_and_result():
    result = CliRunner().invoke(validate, ["--case", "granovetter-count"])
    assert result.exit_code == 0
    for word in ("case", "expected", "observed", "tolerance", "pass"):
        assert word in result.stdout


def test_list_shows_every_case_and_parameter():
    result = CliRunner().invoke(validate, ["--list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for name, case in CASES.items():
        assert name in result.stdout
        for p in case.params:
            assert p.key in result.stdout


def test_doc_renders_every_case_with_sources_inputs_and_result():
    report = run_validation(["granovetter-count", "spiral-of-silence"])
    text = render(report)
    assert "Granovetter, M. (1978)" in text and "doi:10.1080/0960085X.2018.1560920" in text
    assert "Inputs: published and assumed" in text and "| pass |" in text


def test_committed_doc_covers_every_case():
    text = (ROOT / "docs" / "validation.md").read_text()
    assert "Generated by `python -m panoptisim.validation --write-doc" in text
    for name in CASES:
        assert f"(`{name}`)" in text
    assert "**FAIL**" not in text


@pytest.mark.slow
def test_committed_doc_is_the_suite_output():
    expected = render(run_validation())
    assert (ROOT / "docs" / "validation.md").read_text() == expected, \
        "docs/validation.md is stale: run python -m panoptisim.validation --write-doc " \
        "docs/validation.md"


# ------------------------------------------------------------------- kernels
def test_threshold_cascade_on_a_graph_counts_exact_fractional_ties():
    # a star: centre 0 with 5 leaves; phi = 0.2 means 1 of 5 neighbours suffices exactly
    g = from_edges(6, np.zeros(5, np.int64), np.arange(1, 6))
    seeds = np.zeros(6, bool)
    seeds[1] = True
    c = contagion.threshold_cascade(np.full(6, 0.2), seeds, g, fractional=True)
    assert c.active.all() and c.rounds == 3 and list(c.sizes) == [1, 2, 6, 6]
    c = contagion.threshold_cascade(np.full(6, 0.21), seeds, g, fractional=True)
    assert c.active.sum() == 1


def test_batched_cascades_equal_single_ones():
    rng = np.random.default_rng(0)
    u, v = make_erdos_renyi(500, 3.0, rng)
    g = from_edges(500, u, v)
    thresholds = rng.uniform(0.1, 0.4, 500)
    seeds = np.zeros((500, 8), bool)
    seeds[rng.integers(0, 500, 8), np.arange(8)] = True
    batch = contagion.threshold_cascade(thresholds, seeds, g, fractional=True)
    for j in range(8):
        one = contagion.threshold_cascade(thresholds, seeds[:, j], g, fractional=True)
        np.testing.assert_array_equal(batch.active[:, j], one.active)


def test_fractional_support_is_the_expression_rules_support():
    rng = np.random.default_rng(1)
    u, v = make_erdos_renyi(300, 4.0, rng)
    g = from_edges(300, u, v)
    g.cut(np.flatnonzero(rng.random(len(g.indices)) < 0.1))
    active = (rng.random(300) < 0.3).astype(np.float32)
    live = g.active_degree()
    np.testing.assert_allclose(contagion.support(active, g, fractional=True),
                               behavior.support_share(g, active, live), rtol=1e-6)


def test_deterministic_expression_is_the_expression_utility_at_its_limit():
    support = np.array([0.0, 1.0, 2.0, 0.2 - 1e-13])
    threshold = np.array([0.0, 2.0, 1.0, 0.2])
    np.testing.assert_array_equal(contagion.deterministic_expression(support, threshold),
                                  [True, False, True, False])
    np.testing.assert_array_equal(
        contagion.deterministic_expression(support, threshold, slack=1e-12),
        [True, False, True, True])


def _support_sign_flipped(latent_dissent, support, threshold, certainty, consequence, *,
                          intercept, beta_dissent, beta_support, beta_cost):
    """The expression utility with the support term's sign flipped (a broken rule)."""
    return (intercept + beta_dissent * (latent_dissent - 0.5)
            - beta_support * (support - threshold) - beta_cost * certainty * consequence)


@pytest.mark.parametrize("name", ["granovetter-count", "watts"])
def test_threshold_cases_run_the_engines_expression_rule(name, monkeypatch):
    """The Granovetter and Watts cases decide through behavior.expression_utility: they pass
    with the rule as it is and fail once its support term is reversed."""
    assert run_validation([name], quick=True).passed
    monkeypatch.setattr(behavior, "expression_utility", _support_sign_flipped)
    report = run_validation([name], quick=True)
    assert not report.passed
    assert all(np.isfinite(c.observed) for c in report.results[0].checks)  # ran, not raised


def test_complete_graph_support_counts_the_others():
    active = np.array([1, 0, 1, 1], bool)
    np.testing.assert_array_equal(contagion.support(active), [2, 3, 2, 2])


def test_percolation_extremes_and_outbreak_sizes():
    rng = np.random.default_rng(2)
    u, v = make_erdos_renyi(2000, 3.0, rng)
    g = from_edges(2000, u, v)
    u_tie = rng.random(g.n_edges)
    everyone = contagion.bond_percolation(g, 1.0, u_tie)
    assert contagion.component_sizes(everyone)[0] / 2000 == contagion.giant_component_share(g)
    nobody = contagion.bond_percolation(g, 0.0, u_tie)
    assert len(np.unique(nobody)) == 2000
    sizes = contagion.outbreak_sizes(everyone, np.arange(2000))
    assert sizes.max() == contagion.component_sizes(everyone)[0]


def test_sensor_helpers_match_the_model():
    assert float(sensors.fpir_of_gallery(1e-7, 1000)) == pytest.approx(1e-4, rel=1e-3)
    np.testing.assert_allclose(sensors.fpir_by_group(0.003, 0.01, 10.0, 1.0), [3e-5, 3e-4])
    np.testing.assert_allclose(sensors.fpir_by_group(0.003, 1.0, 10.0, 0.01), [0.003, 0.01])
    scanned = np.array([1, 1, 1, 0], bool)
    listed = np.array([1, 0, 0, 1], bool)
    u = np.array([0.5, 0.001, 0.5, 0.0])
    true_alert, false_alert = sensors.alert_outcomes(scanned, listed, u, 0.9, 0.01)
    assert true_alert.tolist() == [True, False, False, False]
    assert false_alert.tolist() == [False, True, False, False]

"""docs/model.md stays in step with the code: its generated tables match the schema."""

from __future__ import annotations

from pathlib import Path

from panoptisim.metrics import METRIC_NAMES
from panoptisim.paramdoc import render_model_doc
from panoptisim.scenario import iter_params

ROOT = Path(__file__).resolve().parents[1]


def test_model_doc_tables_are_generated_from_the_schema():
    text = (ROOT / "docs" / "model.md").read_text()
    assert render_model_doc(text) == text, "docs/model.md is stale: run `make docs`"


def test_model_doc_names_every_parameter_and_metric():
    text = (ROOT / "docs" / "model.md").read_text()
    for p in iter_params():
        assert f"`{p.key.rsplit('.', 1)[1]}`" in text, p.key
    for name in METRIC_NAMES:
        assert f"`{name}`" in text, name


def test_model_doc_names_every_state_variable_and_day_field():
    from dataclasses import fields

    from panoptisim.state import State, Today

    text = (ROOT / "docs" / "model.md").read_text()
    state = text.split("<!-- state:start -->", 1)[1].split("<!-- state:end -->", 1)[0]
    today = text.split("<!-- today:start -->", 1)[1].split("<!-- today:end -->", 1)[0]
    for f in fields(State):
        assert f"| `{f.name}` |" in state, f.name
    for f in fields(Today):
        assert f.name == "t" or f"| `{f.name}` |" in today, f.name


def test_model_doc_follows_odd():
    text = (ROOT / "docs" / "model.md").read_text().lower()
    for heading in ("purpose", "entities", "process overview", "design concepts",
                    "initiali", "input", "submodels"):
        assert heading in text, heading


def test_readme_shows_the_two_commands_and_the_boundary():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text and "docs/model.md" in text
    assert "synthetic" in text.lower()

"""The bad-input contract as a property: for every generated bad input (a scenario file or a
``--set`` with a value of the wrong type, an unknown key, a huge string, a newline, arrays
nested thousands deep, an integer of thousands of digits, a file that is no TOML or no
UTF-8, a folder, an ``--out`` name too long) ``panoptisim run`` exits with status 2, prints
exactly one line on stderr and no traceback, and writes nothing.

``scripts/fuzz_inputs.py`` runs the same generator for a given number of inputs and prints
how many held (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import traceback
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panoptisim.cli import main
from panoptisim.errors import LINE
from panoptisim.scenario import iter_params, param_keys

#: Scenario keys of a number, a boolean or a choice (or list of choices): a value of
#: another type is always wrong for them.
SCALARS = [p for p in iter_params() if p.annotation in (int, float, bool) or
           p.choices is not None]
#: What makes any run tiny (so that a generator's mistake shows as a quick run, not a hang).
TINY = {"population.size": "100", "run.steps": "2", "run.control": "false"}

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
weird = st.one_of(text, st.just("line\nbreak"), st.just("../../escaped"),
                  st.sampled_from(["\x00", "\r\n", "\u2028", "'\"", "\\"]).map(lambda c: c * 3),
                  st.integers(1_000, 100_000).map(lambda n: "w" * n))


def nested(depth: int) -> str:
    """``depth`` arrays around the integer 1 (TOML text)."""
    return "[" * depth + "1" + "]" * depth


def wrong_forms(p: Any) -> list[tuple[str, st.SearchStrategy[str]]]:
    """The forms of a value that parameter ``p`` does not allow (a wrong type, or a number
    outside its range) the fuzzing pass tried, each as (its name, the TOML text of one)."""
    forms = [("quoted text", weird.filter(lambda t: t not in (p.choices or ())).map(json.dumps)),
             ("nested arrays", st.one_of(st.integers(1, 40), st.integers(4000, 6000))
              .map(nested)),
             ("huge integer", st.integers(4301, 6000).map(lambda n: "9" * n)),
             ("bare word", text.map(lambda t: "z" + t.replace("\n", " "))),
             ("inline table", st.just("{ a = 1 }"))]
    if p.annotation in (int, float):
        b = p.bounds
        forms += [("boolean for a number", st.sampled_from(["true", "false"])),
                  ("out of range", st.sampled_from([repr(x) for x in (
                      None if b.hi is None else b.hi * 10 + 1,
                      None if b.lo is None else b.lo - 1) if x is not None]))]
    if p.annotation is int:
        forms.append(("fraction or exponent for an integer",
                      st.sampled_from(["2.5", "2e3", "1e2", "3.0", "nan", "inf"])))
    if p.annotation is bool:
        forms.append(("number or word for a boolean",
                      st.sampled_from(["1", "0", "0.5", "yes", "off", "2e3"])))
    if p.choices is not None:
        forms.append(("number for a choice", st.sampled_from(["1", "true", "2.5"])))
    return forms


@st.composite
def bad_setting(draw: Any) -> tuple[str, str, str]:
    """A dotted key, the TOML text of its value, the pair certainly wrong, and the form's
    name."""
    if draw(st.booleans()):
        p = draw(st.sampled_from(SCALARS))
        form, values = draw(st.sampled_from(wrong_forms(p)))
        return p.key, draw(values), form
    key = draw(st.one_of(
        weird.filter(lambda k: "=" not in k and k.strip() and k.strip() not in param_keys()
                     and not k.strip().startswith(("regions.", "timeline.",
                                                   "population.regions."))),
        st.tuples(st.sampled_from(["regions.urban.", "a.", "timeline.0.set."]),
                  st.integers(1, 3000)).map(lambda t: t[0] * t[1] + "x")))  # deep keys
    return key, draw(st.sampled_from(["1", "true", '"x"', nested(3)])), "unknown key"


#: Where a bad input is: a --set item, a line of the scenario file, a line that is no TOML,
#: the scenario file (a folder, or UTF-16), or --out.
PLACES = ("--set", "file", "file, not TOML", "file is a folder", "file not UTF-8",
          "--out name too long")


@st.composite
def bad_inputs(draw: Any) -> dict[str, Any]:
    """One bad invocation of ``panoptisim run``: the scenario file's bytes (None: a folder),
    the ``--set`` items, whether ``--out`` has a name too long, and what kind of input it
    is (``kind``: the place and the form)."""
    place = draw(st.sampled_from(PLACES[:2] * 4 + PLACES[2:]))  # mostly a key and a value
    key, raw, form = draw(bad_setting()) if place in ("--set", "file") else ("", "", "")
    small = {k: v for k, v in TINY.items() if k != key}
    lines = [f"{k} = {v}" for k, v in small.items()]
    if draw(st.booleans()):
        lines.insert(0, f"name = {json.dumps(draw(weird))}")
    sets = []
    if place == "--set":
        sets.append(f"{key}={raw}")
    elif place == "file":
        lines.append(f"{key} = {raw}" if key in param_keys() else f"{json.dumps(key)} = {raw}")
    elif place == "file, not TOML":  # a line that cannot be valid: a bare key, then anything
        lines.append("x" + draw(text))
    body = "\n".join(lines) + "\n"
    data = (b"\xff\xfe" + body.encode("utf-16-le") if place == "file not UTF-8" else
            body.encode("utf-8", "surrogatepass"))
    return {"file": None if place == "file is a folder" else data, "sets": sets,
            "long_out": place == "--out name too long",
            "kind": f"{place}: {form}" if form else place}


def outcome(case: dict[str, Any]) -> str | None:
    """Run the case in a fresh folder; None if the contract held, else what broke it."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        root = Path(tmp)
        scenario = root / "scenario.toml"
        if case["file"] is None:
            scenario.mkdir()
        else:
            scenario.write_bytes(case["file"])
        parent = root / "out"
        parent.mkdir()
        out = parent / ("o" * 300 if case["long_out"] else "run")
        argv = ["run", str(scenario), "--out", str(out), "--quiet", "--no-report"]
        for item in case["sets"]:
            argv += ["--set", item]
        err, code = io.StringIO(), None
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException:  # a traceback is what the contract forbids
            return "raised: " + traceback.format_exc(limit=3)[-600:]
        lines = err.getvalue().splitlines()
        if code != 2:
            return f"exit status {code!r}"
        if len(lines) != 1 or not lines[0].startswith("error: "):
            return f"{len(lines)} lines on stderr: {err.getvalue()[:300]!r}"
        if "Traceback" in lines[0] or len(lines[0]) > LINE + len("error: "):
            return f"not a short line: {lines[0][:300]!r}"
        written = sorted(p.name for p in root.iterdir())
        if list(parent.iterdir()) or written != ["out", "scenario.toml"]:
            return f"wrote {written} and {sorted(p.name for p in parent.iterdir())}"
    return None


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bad_inputs())
def test_every_bad_input_is_one_line_exit_2_and_writes_nothing(case):
    assert outcome(case) is None, (outcome(case), case["sets"],
                                   (case["file"] or b"")[:300])


#: ``[sweep]`` keys and values each certainly wrong for its key.
BAD_SWEEP_KEYS = {"replicates": ['"4"', "true", "0", "-1", "1e9", "2.5", "[1]", nested(50)],
                  "seed": ['"4"', "true", "-1", "1.5", "[1]", '"x\\ny"'],
                  "design": ['"nosuch"', "1", "true", '"grid\\n"'],
                  "nosuchkey": ["1", '"x"', nested(5000)]}


@st.composite
def bad_sweep_files(draw: Any) -> tuple[str, str]:
    """A sweep file with one bad entry (in ``[set]``, ``[axes]`` or ``[sweep]``) and the
    entry's kind; everything else makes a tiny, valid sweep."""
    where = draw(st.sampled_from(["set", "axis values", "axis range", "sweep key"]))
    sweep = {"name": '"fuzz"', "replicates": "1"}
    sets = {json.dumps(k): v for k, v in TINY.items()}
    axes = {'"safeguards.appeals"': "[false, true]"}
    if where == "set":
        key, raw, _ = draw(bad_setting())
        sets = {k: v for k, v in sets.items() if k != json.dumps(key)}
        sets[json.dumps(key)] = raw
    elif where == "axis values":
        p = draw(st.sampled_from(SCALARS))
        _, values = draw(st.sampled_from(wrong_forms(p)))
        axes = {json.dumps(p.key): f"[{draw(values)}]"}
    elif where == "axis range":
        end = draw(st.sampled_from(["nan", "inf", "-inf", '"0"', "true", "[1]", "1e400"]))
        step = draw(st.sampled_from(["num = 3", "step = 0", "step = -0.1", "step = 1e-12",
                                     "num = 0", "num = 1.5"]))
        axes = {'"surveillance.cameras.fpir"':
                f"{{start = {end}, stop = 0.1, {step}}}" if draw(st.booleans()) else
                f"{{start = 0.0, stop = 0.1, {step}}}" if step != "num = 3" else
                f"{{start = 0.0, stop = {end}, num = 3}}"}
    else:
        key = draw(st.sampled_from(list(BAD_SWEEP_KEYS)))
        sweep[key] = draw(st.sampled_from(BAD_SWEEP_KEYS[key]))
    tables = {"sweep": sweep, "set": sets, "axes": axes}
    text = "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in rows.items())
                   for name, rows in tables.items())
    return text, where


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bad_sweep_files())
def test_every_bad_sweep_file_is_one_line_exit_2_and_writes_nothing(case):
    """The same contract for ``panoptisim sweep FILE --out DIR``: a bad entry anywhere in
    the file stops the command before any run, with one line and exit status 2."""
    text, where = case
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        root = Path(tmp)
        (root / "sweep.toml").write_text(text)
        err, code = io.StringIO(), None
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                main(["sweep", "sweep.toml", "--out", str(root / "out"), "--jobs", "1",
                      "--quiet"])
        except SystemExit as exc:
            code = exc.code
        lines = err.getvalue().splitlines()
        assert code == 2, (where, code, text)
        assert len(lines) == 1 and lines[0].startswith("error: "), (where, lines, text)
        assert sorted(p.name for p in root.iterdir()) == ["sweep.toml"], (where, text)

"""The dashboard without a browser: its controls, its charts' overlays, and who may reach
its server (the exposure warning, websocket origins, the token, SIGTERM's cleanup)."""

from __future__ import annotations

import http.client
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest

pytest.importorskip("panel")

from bokeh.models import Legend  # noqa: E402

from panoptisim.dashboard import access, app  # noqa: E402
from panoptisim.dashboard.controls import typical_range  # noqa: E402
from panoptisim.scenario import iter_params  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> app.Dashboard:
    return app.Dashboard(tmp_path_factory.mktemp("runs"))


def test_sliders_span_a_typical_range_around_the_value(dash: app.Dashboard) -> None:
    params = {p.key: p for p in iter_params()}
    fpir = dash.controls["surveillance.cameras.fpir"]
    assert fpir.log and (fpir.slider.start, fpir.slider.end) == (-5, -1)  # 1e-5 .. 0.1
    assert typical_range(params["scoring.w_network"], 1.0) == (0.0, 2.0, False)
    assert typical_range(params["surveillance.online.p_scan"], 0.6) == (0.0, 1.0, False)
    lo, hi, log = typical_range(params["safeguards.forgiveness"], 0.0)  # a rate at 0
    assert log and 0 < lo < 1e-3 < hi <= 1
    checked = 0
    for key in app.KEY_PARAMS:  # every key real parameter sits inside its slider, not at an end
        c = dash.controls[key]
        if c.slider is not None and c.value:
            assert c.slider.start < c.slider.value < c.slider.end, key
            checked += 1
    assert checked >= 5
    # the field takes any value the schema allows, beyond the slider's range
    w = dash.controls["scoring.w_network"]
    w.field.value = "900"
    assert w.value == 900.0 and w.slider.end == 900 and dash.validate() is not None
    fpir.slider.value = -2.0
    assert fpir.field.value == "0.01" and fpir.value == 0.01
    dash.load("baseline")
    assert w.value == 1.0 and fpir.value == 0.003


def test_every_parameter_has_a_control(dash: app.Dashboard) -> None:
    keys = [p.key for p in iter_params()]
    assert list(dash.controls) == keys
    def parts(obj: object) -> list[object]:
        return [obj] + [p for o in getattr(obj, "objects", []) for p in parts(o)]

    in_card = {id(o) for o in parts(dash.all_params)}
    assert {k for k, c in dash.controls.items() if id(c.field) in in_card} == \
        set(keys) - set(app.KEY_PARAMS)
    dash.controls["network.p_rewire"].field.value = "0.25"
    dash.controls["surveillance.unseen"].field.value = ["online"]
    sc = dash.validate()
    assert sc is not None and sc.network.p_rewire == 0.25 and sc.surveillance.unseen == ["online"]
    dash.controls["network.p_rewire"].field.value = "lots"
    assert dash.validate() is None and "network.p_rewire" in dash.alert.object
    dash.load("baseline")
    assert dash.validate() is not None


def test_what_changed_names_the_earlier_runs_values() -> None:
    new = {"scenario": "baseline", "safeguards.appeals": True, "run.seed": 7}
    assert app.what_changed(dict(new, **{"safeguards.appeals": False}), new) == "appeals off"
    assert app.what_changed(new, new) == "same parameters"
    old = {"scenario": "harsh", "safeguards.appeals": False, "run.seed": 8}
    assert app.what_changed(old, new, most=2) == "scenario harsh, appeals off +1 more"


def test_charts_keep_earlier_runs_as_overlays(tmp_path: Path, monkeypatch) -> None:
    dash = app.Dashboard(tmp_path)
    def one_day(sc: object, out: Path, on_day, stop) -> tuple[None, Path]:  # noqa: ANN001
        row = {m: 0.5 for m in app.SERIES}
        on_day(0, 0, {"treated": row, "control": row}, 1, 1)
        return None, out

    monkeypatch.setattr(app, "stream_run", one_day)
    assert dash.chart_area.objects == [dash.empty]  # nothing to draw yet
    for fig in dash.figures:  # legends beside the plot, never over the data
        assert not [x for x in fig.center if isinstance(x, Legend)]
        assert [x for x in fig.right if isinstance(x, Legend)]
    isolated = dash.figures[4]
    assert isolated.title.text == "Isolated dissenters"
    assert isolated.y_range.start == 0 and math.isnan(isolated.y_range.end)  # fits the data

    def run(appeals: bool) -> None:
        dash.controls["safeguards.appeals"].field.value = appeals
        dash.controls["population.size"].field.value = "500"
        dash.start()
        dash.thread.join()
        dash.refresh()

    run(False)
    assert dash.chart_area.objects == [dash.charts]
    assert dash.clear_button.disabled
    run(True)
    assert len(dash.overlays[0].data["day"]) == 1 and len(dash.source.data["day"]) == 1
    for fig in dash.figures:
        shown = [getattr(i.label, "value", i.label) for i in fig.legend[0].items if i.visible]
        assert "earlier: appeals off" in shown
        faded = [r for r in fig.renderers if r.name == app.overlay_name(0)]
        assert faded and all(r.visible and r.glyph.line_alpha == app.OVERLAY_ALPHA
                             for r in faded)
    run(True)  # the newest earlier run comes first; the oldest is kept behind it
    labels = [getattr(i.label, "value", i.label) for i in dash.figures[0].legend[0].items
              if i.visible]
    assert labels[-2:] == ["earlier: same parameters", "earlier: appeals off"]
    dash.clear_button.clicks += 1
    assert all(len(s.data["day"]) == 0 for s in dash.overlays)
    assert not [i for i in dash.figures[0].legend[0].items if i.visible and
                i.name and i.name.startswith("ps-previous")]
    assert dash.clear_button.disabled


def test_run_and_clear_change_the_charts_on_the_next_tick(tmp_path: Path, monkeypatch) -> None:
    """Run and Clear change Bokeh models; Panel calls a click's callback with the document
    unlocked, where such a change raised "_pending_writes should be non-None" and the run
    never started. Both go through pn.state.execute(schedule=True): the next tick, locked."""
    import panel as pn

    dash = app.Dashboard(tmp_path)
    scheduled, runs = [], []
    monkeypatch.setattr(app, "stream_run", lambda *args: runs.append(args))
    monkeypatch.setattr(pn.state, "execute",
                        lambda callback, schedule="auto": scheduled.append((callback, schedule)))
    dash.run_button.clicks += 1
    dash.clear_button.clicks += 1
    assert scheduled == [(dash.start, True), (dash.clear_overlays, True)]
    if dash.thread is not None:
        dash.thread.join()
    assert runs == []  # nothing ran in the click


def _days(n: int, gate: threading.Event | None = None):  # noqa: ANN202
    """A stand-in for stream_run: ``n`` days of one replicate (after ``gate`` is set)."""
    def run(sc: object, out: Path, on_day, stop) -> tuple[None, Path]:  # noqa: ANN001
        if gate is not None:
            gate.wait(timeout=60)
        row = {m: 0.5 for m in app.SERIES}
        for day in range(n):
            on_day(0, day, {"treated": row, "control": row}, day + 1, n)
        return None, out
    return run


def test_a_run_finished_between_two_ticks_is_kept_whole(tmp_path: Path, monkeypatch) -> None:
    """The worker marks its run done before a tick has drawn its last rows, and Run is
    enabled again at once: the next start draws them before keeping the run as an overlay."""
    dash = app.Dashboard(tmp_path)
    monkeypatch.setattr(app, "stream_run", _days(7))
    dash.controls["population.size"].field.value = "500"
    dash.start()
    dash.thread.join()  # no refresh() in between
    dash.start()
    dash.thread.join()
    assert dash.overlays[0].data["day"] == list(range(7)) and dash.earlier
    dash.refresh()
    assert dash.source.data["day"] == list(range(7))


def test_a_new_run_drops_the_last_runs_network_drawing(tmp_path: Path, monkeypatch) -> None:
    """A drawing of the previous run that ends during a new run neither shows nor enables
    Draw."""
    dash = app.Dashboard(tmp_path)
    gate = threading.Event()
    monkeypatch.setattr(app, "stream_run", _days(3, gate))
    drawing = dash.net_result = {"state": "running"}  # what draw_network's thread fills
    dash.net_status.object = "Drawing the network …"
    dash.start()
    try:
        drawing.update(state="done", png=b"\x89PNG")
        dash.refresh()
        assert dash.net_image.object is None and dash.net_button.disabled
        assert dash.net_status.object == app.NET_HINT
    finally:
        gate.set()
        dash.thread.join()


def test_the_empty_charts_say_only_finished_runs_are_kept(dash: app.Dashboard) -> None:
    assert "keeps the last finished runs as faded lines" in dash.empty.object


def test_integer_fields_keep_every_digit(dash: app.Dashboard) -> None:
    seed = dash.controls["run.seed"]
    try:
        seed.field.value = str(2**60 + 1)
        assert seed.value == 2**60 + 1 and dash.validate().run.seed == 2**60 + 1
        seed.field.value = "1_000_001"
        assert seed.value == 1_000_001
        dash.controls["population.size"].field.value = "1,000"
        assert dash.controls["population.size"].value == 1000
        dash.controls["population.size"].field.value = "1e3"
        assert dash.controls["population.size"].value == 1000
    finally:
        dash.load("baseline")


def test_exposure_warning_and_origins(capsys: pytest.CaptureFixture[str]) -> None:
    assert access.is_loopback("127.0.0.1") and access.is_loopback("::1")
    assert access.is_loopback("localhost") and not access.is_loopback("0.0.0.0")
    access.warn_exposure("127.0.0.1", 8050, None)
    assert capsys.readouterr().err == ""
    access.warn_exposure("0.0.0.0", 8050, None)
    err = capsys.readouterr().err
    assert "0.0.0.0:8050 (every network interface)" in err and "no --token" in err
    assert access.origins("0.0.0.0", 8050) == ["0.0.0.0:8050"]
    assert access.origins("127.0.0.1", 8050, ("lab.example",)) == [
        "127.0.0.1:8050", "localhost:8050", "lab.example:8050"]


def _request(uri: str, cookie: str = "") -> Any:
    """A Tornado request handler for ``GET uri`` (what TokenAuth's hook receives)."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
    from tornado.web import Application, RequestHandler

    headers = HTTPHeaders({"Host": "127.0.0.1:8050", **({"Cookie": cookie} if cookie else {})})
    request = HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"),
                                headers=headers, connection=mock.Mock())
    return RequestHandler(Application(), request)


def test_token_check_takes_any_text_and_the_cookie_holds_a_digest() -> None:
    from tornado.web import HTTPError

    auth = access.TokenAuth("s3cret", 8050)
    with pytest.raises(HTTPError) as refused:  # non-ASCII: refused, not a TypeError (500)
        auth.get_user(_request("/?token=%C3%A9"))
    assert refused.value.status_code == 403
    handler = _request("/?token=s3cret")
    assert auth.get_user(handler) == "token"
    cookie = handler._new_cookie[auth.cookie].value
    assert re.fullmatch(r"[0-9a-f]{64}", cookie) and "s3cret" not in cookie
    assert auth.get_user(_request("/", f"{auth.cookie}={cookie}")) == "token"
    with pytest.raises(HTTPError):  # the token itself is no cookie
        auth.get_user(_request("/", f"{auth.cookie}=s3cret"))
    with pytest.raises(HTTPError):  # another server's (or an earlier one's) digest
        other = access.TokenAuth("s3cret", 8050).cookie_value
        auth.get_user(_request("/", f"{auth.cookie}={other}"))
    for token in ("é", "a b", "tab\there"):  # any token's cookie is safe to set
        handler = _request("/?token=" + quote(token))
        assert access.TokenAuth(token, 8050).get_user(handler) == "token"


@pytest.mark.parametrize("token", ["a b", "line\nbreak", "bell\x07"])
def test_a_token_with_a_space_or_control_character_is_refused(
        token: str, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    from panoptisim.cli import main

    served = []
    monkeypatch.setattr(app, "serve", lambda **kw: served.append(kw))
    with pytest.raises(SystemExit) as exit_info:
        main(["dashboard", "--token", token])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and served == []
    assert err.count("\n") == 1 and "--token" in err and "printable" in err
    assert token not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Set-Cookie") or ""
    finally:
        conn.close()


def _websocket(port: int, origin: str, cookie: str) -> int:
    """The status of a websocket handshake from a page at ``origin``."""
    return _status(port, "/ws", {"Upgrade": "websocket", "Connection": "Upgrade",
                                 "Sec-WebSocket-Version": "13", "Origin": origin,
                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                 "Sec-WebSocket-Protocol": "bokeh, x", "Cookie": cookie})[0]


def test_server_guards_and_cleans_up(tmp_path: Path) -> None:
    """On 0.0.0.0 with a token: a warning, 403 without the token, websockets only from the
    origins given; SIGTERM removes its temporary runs folder as Ctrl-C does."""
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", BOKEH_LOG_LEVEL="warn",
               TMPDIR=str(tmp_path), PANOPTISIM_DASHBOARD_TOKEN="")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panoptisim.dashboard", "--port", str(port), "--host",
         "0.0.0.0", "--token", "s3cret", "--allow-origin", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        line = proc.stdout.readline()
        runs = Path(re.search(r"run folders in (\S+);", line).group(1))
        assert runs.is_dir() and runs.parent == tmp_path
        assert "?token=<the secret>" in line
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                status, _ = _status(port, "/")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert status == 403
        assert _status(port, "/?token=wrong")[0] == 403
        status, cookie = _status(port, "/?token=s3cret")
        assert status == 200 and "HttpOnly" in cookie
        cookie = cookie.split(";", 1)[0]
        assert _status(port, "/", {"Cookie": cookie})[0] == 200
        assert _websocket(port, f"http://evil.example:{port}", cookie) == 403
        assert _websocket(port, f"http://localhost:{port}", cookie) == 403  # not the host
        assert _websocket(port, f"http://127.0.0.1:{port}", cookie) == 101  # --allow-origin
        assert _websocket(port, f"http://0.0.0.0:{port}", cookie) == 101   # --host
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        assert not runs.exists()
        warning = proc.stderr.read()
        assert f"warning: the dashboard listens on 0.0.0.0:{port} (every network " \
               "interface)" in warning and "the page's address must carry the token" in warning
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

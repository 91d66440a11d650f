"""Browser tests: the dashboard and the HTML report in a real headless Chromium.

Chromium comes from the distribution's packages (``scripts/install_browser.sh``, called
by ``.ci/run``); Playwright for Python drives it as its executable (never
``playwright install``). The tests skip only when /usr/bin/chromium is missing, and say so
loudly. The dashboard runs as a real subprocess on a free loopback port and is stopped in
a ``finally`` block; every wait is bounded. Screenshots are saved in the test's tmp_path
and, when PANOPTISIM_ARTIFACTS is set, copied to test-artifacts/ (or to the folder it
names, if it is a path).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 90_000

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="!!! BROWSER TESTS SKIPPED: /usr/bin/chromium is missing. Run "
           "scripts/install_browser.sh (apt-get install chromium chromium-driver) !!!")

if not CHROMIUM.exists():  # say it in the warnings summary too, not only with -rs
    import warnings

    warnings.warn("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing; run "
                  "scripts/install_browser.sh", UserWarning, stacklevel=1)

#: textContent of the element and of every shadow root below it (Panel renders widgets
#: inside shadow roots, which innerText does not enter).
DEEP_TEXT = """(sel) => {
  const find = (root) => {
    const hit = root.querySelector(sel); if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; } }
    return null; };
  const text = (n) => { let t = '';
    if (n.shadowRoot) t += text(n.shadowRoot);
    for (const c of n.childNodes) t += c.nodeType === 3 ? c.textContent : text(c);
    return t; };
  const el = find(document); return el ? text(el) : null; }"""

#: Rows in the live charts' data source (a Bokeh ColumnDataSource named ps-live).
LIVE_ROWS = """() => { if (!window.Bokeh) return -1;
  for (const d of window.Bokeh.documents) for (const m of d._all_models.values())
    if (m.name === 'ps-live') return (m.data.day || []).length;
  return -1; }"""


def artifact(src: Path) -> None:
    """Copy a test artifact where CI collects them (PANOPTISIM_ARTIFACTS)."""
    target = os.environ.get("PANOPTISIM_ARTIFACTS")
    if not target:
        return
    folder = Path(target) if target not in ("1", "true", "yes") else REPO / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, folder / src.name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dashboard_server(tmp_path: Path) -> Iterator[str]:
    """Start ``python -m panoptisim.dashboard`` on a free loopback port; stop it after."""
    port = free_port()
    log = open(tmp_path / "dashboard.log", "wb")
    env = dict(os.environ, PANOPTISIM_FAULTS="dashboard.day:raise:seed=13/day=1",
               PYTHONUNBUFFERED="1", BOKEH_LOG_LEVEL="warn")
    proc = subprocess.Popen([sys.executable, "-m", "panoptisim.dashboard", "--port", str(port),
                             "--host", "127.0.0.1", "--runs-dir", str(tmp_path / "runs")],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"dashboard exited with {proc.returncode}:\n"
                                     + (tmp_path / "dashboard.log").read_text())
            try:
                # the first page builds a whole session: slow on a busy machine
                with urllib.request.urlopen(url, timeout=60) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("dashboard did not answer within "
                                     f"{START_TIMEOUT_S} s:\n"
                                     + (tmp_path / "dashboard.log").read_text())
            time.sleep(0.3)
        try:
            yield url
        except BaseException:  # the server's side of a failure (pytest shows it on failure)
            log.flush()
            print("dashboard.log (end):\n"
                  + (tmp_path / "dashboard.log").read_text(errors="replace")[-6000:])
            raise
        assert proc.poll() is None, "the dashboard server died during the test"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        log.close()


@contextmanager
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless system Chromium driven by Playwright, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS,
            accept_downloads=True, viewport={"width": 1400, "height": 1000})
        try:
            yield ctx
        finally:
            ctx.close()


def deep_text(page, selector: str) -> str:  # noqa: ANN001
    return page.evaluate(DEEP_TEXT, selector) or ""


def wait_text(page, selector: str, pattern: str, timeout_ms: int = 30_000) -> str:  # noqa: ANN001
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"(a) => {{ const t = ({DEEP_TEXT})(a[0]); "
                               f"return t !== null && new RegExp(a[1]).test(t); }}",
                               arg=[selector, pattern], timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(
            f"{selector} did not show {pattern!r} within {timeout_ms / 1000:.0f} s; it shows "
            f"{deep_text(page, selector)!r}; status {deep_text(page, '.ps-status')!r}; "
            f"error {deep_text(page, '.ps-error')!r}") from None
    return deep_text(page, selector)


def set_number(page, key: str, value: str) -> None:  # noqa: ANN001
    box = page.locator(f".ps-{key} input").first
    box.fill(value)
    box.press("Enter")


def set_switch(page, key: str, on: bool) -> None:  # noqa: ANN001
    page.locator(f".ps-{key} select").select_option(label="on" if on else "off")


#: Form controls (deep) without an accessible name: no aria-label, no <label> tied to them.
UNLABELLED = """() => { const out = []; const walk = (r) => { for (const e of
  r.querySelectorAll('*')) {
    if (e.matches('input:not([type=hidden]),select,textarea,[role=slider]') &&
        !(e.getAttribute('aria-label') || '').trim() && !e.getAttribute('aria-labelledby') &&
        !(e.labels && Array.from(e.labels).some(l => l.textContent.trim())))
      out.push(e.outerHTML.slice(0, 120));
    if (e.shadowRoot) walk(e.shadowRoot); } }; walk(document); return out; }"""

#: Text fields whose value does not fit their box, and labels that run past their field's
#: right edge (either would show clipped).
CLIPPED = """() => { const out = []; const walk = (r) => { for (const e of
  r.querySelectorAll('*')) {
    if (e.matches('input[type=text]') && e.offsetParent !== null &&
        e.scrollWidth > e.clientWidth + 1) out.push(e.value);
    if (e.matches('label') && e.control && e.offsetParent !== null &&
        e.getBoundingClientRect().right > e.control.getBoundingClientRect().right + 1)
      out.push(e.textContent);
    if (e.shadowRoot) walk(e.shadowRoot); } }; walk(document); return out; }"""

#: The data, y range and legend of every chart, by title.
CHARTS = """() => { const out = {}; for (const d of window.Bokeh.documents)
  for (const m of d._all_models.values()) if (m.type === 'Figure' || (m.title &&
      m.y_range && m.renderers)) {
    const legend = m.right.filter(x => x.items).flatMap(l => l.items.filter(i => i.visible)
      .map(i => JSON.stringify(i.label)));
    out[m.title.text] = {start: m.y_range.start, end: m.y_range.end,
      centre_legends: m.center.filter(x => x.items).length, legend: legend}; }
  return out; }"""

#: Rows of a named data source (-1 if absent).
ROWS = """(name) => { for (const d of window.Bokeh.documents) for (const m of
  d._all_models.values()) if (m.name === name && m.data) return (m.data.day || []).length;
  return -1; }"""


@needs_chromium
def test_dashboard_runs_a_scenario_and_draws_it(tmp_path: Path) -> None:
    with dashboard_server(tmp_path) as url, browser(tmp_path) as ctx:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        warnings: list[str] = []
        page.on("console", lambda m: warnings.append(f"{m.type}: {m.text}")
                if m.type in ("warning", "error") else None)
        page.goto(url, wait_until="load", timeout=60_000)
        page.wait_for_selector(".ps-population-size input", timeout=60_000)
        assert page.locator(".ps-population-size input").input_value() == "100000"
        assert page.locator(".ps-safeguards-appeals select").evaluate(
            "s => s.options[s.selectedIndex].text") == "off"

        # before the first run: a placeholder says what to do, no empty charts
        assert "press Run" in wait_text(page, ".ps-empty", "press Run")
        assert not page.locator(".ps-charts canvas").first.is_visible()

        # every control is named for a screen reader, every value fits its box, the full
        # parameter set is one click away
        page.get_by_text("All parameters").first.click()
        page.get_by_text("network", exact=True).first.click()
        page.wait_for_selector(".ps-network-p-rewire input", state="visible", timeout=15_000)
        page.wait_for_function(f"() => ({UNLABELLED})().length === 0", timeout=15_000)
        assert page.evaluate(CLIPPED) == []
        assert page.locator(".ps-surveillance-cameras-fpir-slider").count() == 1

        # pick another built-in scenario: the form takes its values
        page.locator(".ps-scenario select").select_option("safeguards")
        page.wait_for_function("""() => { const f = (r) => { for (const e of
            r.querySelectorAll('*')) { if (e.classList && e.classList.contains(
            'ps-safeguards-appeals')) { const i = (e.shadowRoot || e).querySelector('select');
            if (i) return i.options[i.selectedIndex].text; } if (e.shadowRoot) {
            const x = f(e.shadowRoot); if (x !== null) return x; } } return null; };
            return f(document) === 'on'; }""", timeout=15_000)

        # a value out of range: a clear message, Run blocked, the server still serving
        set_number(page, "population-size", "10")
        msg = wait_text(page, ".ps-error", "population.size")
        assert "population.size = 10 is not allowed" in msg and "[100, 50000000]" in msg
        run_button = page.locator(".ps-run button")
        deadline = time.monotonic() + 10  # the button's update may follow the message's
        while not run_button.is_disabled() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert run_button.is_disabled()
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200

        # fix it, make the run small, change a model parameter, run
        set_number(page, "population-size", "600")
        set_number(page, "run-steps", "30")
        set_number(page, "run-seed", "7")
        set_number(page, "network-p-rewire", "0.2")  # one of "All parameters"
        set_switch(page, "safeguards-appeals", False)
        page.wait_for_function("() => !document.querySelector('.ps-error') || "
                               "getComputedStyle(document.querySelector('.ps-error'))"
                               ".display === 'none'", timeout=15_000)
        page.locator(".ps-run button").click()
        page.wait_for_function(f"() => ({LIVE_ROWS})() >= 30", timeout=RUN_TIMEOUT_MS)
        status = wait_text(page, ".ps-status", "Done", RUN_TIMEOUT_MS)
        assert "30 days drawn" in status
        # the charts are drawn from data: every series of the live source is filled
        filled = page.evaluate("""() => { for (const d of window.Bokeh.documents)
            for (const m of d._all_models.values()) if (m.name === 'ps-live') {
              const out = {}; for (const [k, v] of Object.entries(m.data))
                out[k] = Array.from(v).filter(x => Number.isFinite(x)).length;
              return out; } return null; }""")
        assert filled["expressed_dissent_rate_treated"] == 30
        assert filled["expressed_dissent_rate_control"] == 30
        assert filled["flags_true_cum"] == 30
        assert page.locator(".ps-charts canvas").count() >= 6
        run_folders = list((tmp_path / "runs").iterdir())
        assert len(run_folders) == 1
        toml = (run_folders[0] / "scenario.toml").read_text()
        assert 'name = "safeguards"' in toml and "appeals = false" in toml
        assert "transparent = true" in toml and "size = 600" in toml
        assert "p_rewire = 0.2" in toml
        charts = page.evaluate(CHARTS)
        assert len(charts) == 6 and all(c["centre_legends"] == 0 for c in charts.values())
        isolated = charts["Isolated dissenters"]
        top = page.evaluate("""() => { for (const d of window.Bokeh.documents)
            for (const m of d._all_models.values()) if (m.name === 'ps-live') return Math.max(
              0, ...m.data.isolated_dissenters_share_treated.filter(Number.isFinite),
              ...m.data.isolated_dissenters_share_control.filter(Number.isFinite)); }""")
        assert isolated["start"] == 0 and isolated["end"] <= (2.5 * top if top else 1), \
            (isolated, top)

        # download the run folder
        with page.expect_download(timeout=30_000) as dl:
            page.locator(".ps-download a, .ps-download button").first.click()
        zpath = tmp_path / "run.zip"
        dl.value.save_as(zpath)
        names = zipfile.ZipFile(zpath).namelist()
        assert {n.split("/", 1)[1] for n in names} >= {"scenario.toml", "metrics.parquet",
                                                        "summary.json", "manifest.json"}

        # the network view of this small society
        page.locator(".bk-tab", has_text="Network").first.click()
        page.locator(".ps-net-draw button").click()
        wait_text(page, ".ps-net-status", "Network drawn", 60_000)
        page.wait_for_function("""() => { const f = (r) => { for (const e of
            r.querySelectorAll('*')) { if (e.tagName === 'IMG' && e.naturalWidth > 100 &&
            e.closest && e.src.startsWith('data:image/png')) return true;
            if (e.shadowRoot && f(e.shadowRoot)) return true; } return false; };
            return f(document); }""", timeout=30_000)
        shot = tmp_path / "dashboard-network.png"
        page.screenshot(path=str(shot), full_page=True)
        artifact(shot)
        page.locator(".bk-tab", has_text="Charts").first.click()
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        artifact(shot)
        assert shot.stat().st_size > 20_000

        # a run that fails: a message in the page, and the server goes on serving
        set_number(page, "run-seed", "13")
        page.locator(".ps-run button").click()
        msg = wait_text(page, ".ps-error", "failed", RUN_TIMEOUT_MS)
        assert "The run failed" in msg and "PANOPTISIM_FAULTS" in msg

        # the same run with appeals on: the first run stays on the charts, faded and named
        set_number(page, "run-seed", "7")
        set_switch(page, "safeguards-appeals", True)
        page.locator(".ps-run button").click()
        wait_text(page, ".ps-status", "Done: 30 days drawn", RUN_TIMEOUT_MS)
        # the status and the last rows leave the server in one tick; on a busy machine the
        # rows' patch can reach the page a moment after the status
        page.wait_for_function(f"() => ({ROWS})('ps-live') === 30", timeout=30_000)
        assert page.evaluate(ROWS, "ps-previous-0") == 30
        assert page.evaluate(ROWS, "ps-previous-1") == 0
        for chart in page.evaluate(CHARTS).values():
            assert any("earlier: appeals off" in item for item in chart["legend"]), chart
        shot = tmp_path / "dashboard-overlay.png"
        page.screenshot(path=str(shot), full_page=True)
        artifact(shot)
        page.locator(".ps-clear button").click()
        # the sources and the legends change in one tick, and reach the page one by one
        page.wait_for_function(f"() => ({ROWS})('ps-previous-0') === 0 && !Object.values("
                               f"({CHARTS})()).some(c => c.legend.some(i => "
                               "i.includes('earlier')))", timeout=15_000)
        assert not errors, errors
        assert not warnings, warnings


@needs_chromium
def test_html_report_opens_offline_with_every_figure(tmp_path: Path) -> None:
    import panoptisim
    from panoptisim.report import write_report
    from panoptisim.report.figures import RUN_FIGURES

    result = panoptisim.run("baseline", seed=5, out=tmp_path / "run",
                            overrides={"population.size": 500, "run.steps": 20})
    path = write_report(result.path, result=result)
    with browser(tmp_path) as ctx:
        page = ctx.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=30_000)
        figs = page.evaluate("""() => Array.from(document.querySelectorAll(
            'figure[data-figure]')).map(f => { const i = f.querySelector('img');
            return [f.dataset.figure, i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0,
                    f.querySelector('figcaption').textContent.length]; })""")
        assert [f[0] for f in figs] == [name for name, _ in RUN_FIGURES]
        assert all(width > 300 and caption > 20 for _, width, caption in figs), figs
        assert page.locator("table").count() >= 2
        assert re.search("Headline effects", page.content())
        # nothing but the file itself and its data: URIs was fetched
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        artifact(shot)


def test_install_script_is_loud_and_harmless_without_apt_get(tmp_path: Path) -> None:
    """Where apt-get is absent the script says so loudly and exits 0 (tests then skip)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "cat", "id", "env"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "PANOPTISIM_CHROMIUM": str(tmp_path / "no-chromium")}
    proc = subprocess.run([str(bin_dir / "bash"), str(REPO / "scripts" / "install_browser.sh")],
                          capture_output=True, text=True, env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "apt-get is not available" in proc.stderr
    assert "BROWSER TESTS (tests/test_browser.py) WILL BE SKIPPED" in proc.stderr
    env["PANOPTISIM_CHROMIUM"] = str(CHROMIUM)
    if CHROMIUM.exists():
        proc = subprocess.run([str(bin_dir / "bash"),
                               str(REPO / "scripts" / "install_browser.sh")],
                              capture_output=True, text=True, env=env, timeout=30)
        assert proc.returncode == 0 and "is present" in proc.stdout

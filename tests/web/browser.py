"""What the browser tests share: a real `algoritmewijzer serve` on loopback, Debian's Chromium through
Playwright, small host pages on other origins, screenshots, axe-core, and the front-end's locators.

Imported by tests/web/test_browser.py and tests/web/test_journeys.py (not collected itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, TEST_FINGERPRINT_KEY
from tests.processes import free_port, stop, wait_http

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
WIDGET = "algoritmewijzer-widget"


def require_browser() -> None:
    """Skip the calling test module when Chromium or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped", allow_module_level=True)


# --- servers ---------------------------------------------------------------------------------------
class ApiServer:
    """`algoritmewijzer serve` over an index, on a loopback port; can be stopped and started again."""

    def __init__(self, data_dir: Path, log_path: Path, **env: str):
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "ALGORITMEWIJZER_FINGERPRINT_KEY": TEST_FINGERPRINT_KEY,
            "ALGORITMEWIJZER_RATE_LIMIT": "1000",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.log = None

    def start(self, wait_ready: bool = True) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - open while the server runs; closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=PROJECT_ROOT, start_new_session=True,
        )
        try:
            wait_http(f"{self.url}/{'readyz' if wait_ready else 'healthz'}", 240, self.process)
        except Exception:
            sys.stderr.write(self.log_path.read_text(errors="replace")[-4000:])
            raise

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


class StaticSite:
    """A folder served over HTTP on its own loopback port: a page of another origin."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def host_page(api: str, title: str, lang: str = "nl") -> str:
    return f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body>
<header><p><a href="#main">Naar de inhoud</a></p></header>
<main id="main"><h1>{title}</h1><p>Een website van een andere organisatie, met de Algoritmewijzer als widget.</p></main>
<script src="{api}/widget.js" async data-lang="{lang}" data-title="Vraag het Algoritmeregister" data-color="#154273"></script>
</body>
</html>
"""


def demo_page(api: str) -> str:
    """web/static/demo.html with its widget tag pointing at the API's origin (as a real embed does)."""
    text = (PROJECT_ROOT / "web" / "static" / "demo.html").read_text(encoding="utf-8")
    text = text.replace('src="/widget.js"', f'src="{api}/widget.js"').replace('href="chat.css"', f'href="{api}/chat.css"')
    return text.replace('href="favicon.svg"', f'href="{api}/favicon.svg"')


# --- the browser ---------------------------------------------------------------------------------
def new_page(browser, viewport=DESKTOP, **options):
    context = browser.new_context(viewport=viewport, locale="nl-NL", **options)
    page = context.new_page()
    page.set_default_timeout(90_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def save_screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.wait_for_timeout(250)  # smooth scrolling settles
    page.screenshot(path=str(path), full_page=False)
    return path


def serious_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); run `npm install` in tests/web")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return [v for v in results if v["impact"] in ("serious", "critical")]


def assert_accessible(page) -> None:
    violations = serious_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


# --- the front-end ---------------------------------------------------------------------------------
def question_box(page):
    return page.locator(f"{WIDGET} textarea#aw-q")


def answers(page):
    return page.locator(f"{WIDGET} article.msg.bot")


def send_button(page):
    return page.locator(f"{WIDGET} button.send")


def open_widget(page) -> None:
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} .panel").wait_for(state="visible")


def ask(page, question: str, expect_status: int | None = 200) -> dict | None:
    """Type a question, press Enter and wait for the streamed answer; returns the request body sent."""
    before = answers(page).count()
    question_box(page).fill(question)
    with page.expect_request(lambda r: r.url.endswith("/api/chat") and r.method == "POST") as request_info:
        question_box(page).press("Enter")
    request = request_info.value
    response = request.response()
    if expect_status is not None:
        assert response is not None and response.status == expect_status, (response and response.status, question)
    if expect_status == 200:
        assert response.headers["content-type"].startswith("text/event-stream"), "the front-end asks for a streamed answer"
        page.wait_for_function(
            f"n => document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('article.msg.bot').length > n", arg=before
        )
        assert page.locator(f"{WIDGET} .msg.err").count() == 0, page.locator(f"{WIDGET} .msg.err").first.inner_text()
    return json.loads(request.post_data or "null")


def last_answer(page):
    return answers(page).last


def turns(page) -> list[dict]:
    """The conversation the front-end keeps for this tab: [{q, r}] with r the answer object."""
    return page.evaluate(
        "() => { for (const k of ['page', 'widget']) { const v = sessionStorage.getItem('algoritmewijzer:conversation:' + k);"
        " if (v) return JSON.parse(v).turns; } return []; }"
    )

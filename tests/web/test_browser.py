"""The chat page and the widget in a real browser (Debian's Chromium through Playwright), against
a real `algoritmewijzer serve` on loopback with a small ingested index: the withheld fixture plus
generated records, one of which carries script payloads in its name and goal.

The widget is embedded with its one tag on pages of two OTHER origins (small HTTP servers on other
ports): one allowed in ALGORITMEWIJZER_ALLOWED_ORIGINS, one not."""

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

from tests.conftest import (
    PROJECT_ROOT,
    TEST_FINGERPRINT_KEY,
    WITHHELD_FIXTURE,
    make_settings,
)
from tests.processes import free_port, stop, wait_http

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped", allow_module_level=True)
try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover
    pytest.skip("the playwright Python package is not installed: browser tests skipped", allow_module_level=True)

SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'
ORG = "Gemeente Utrecht"
QUESTION = "Welke algoritmes gebruikt de gemeente Utrecht?"
GENERATED = [
    {
        "lars": "90000001",
        "name": f"Parkeerhulp {SCRIPT_PAYLOAD} {IMG_PAYLOAD}",
        "organization": ORG,
        "status": "In gebruik",
        "publication_category": "Overige algoritmes",
        "description_short": f"Een proefrecord met een scriptlading {IMG_PAYLOAD} in de tekst.",
        "goal": f"Het algoritme wijst vrije parkeerplekken aan. {SCRIPT_PAYLOAD} {IMG_PAYLOAD}",
    },
    {
        "lars": "90000002",
        "name": "Route-optimalisatie afvalinzameling",
        "organization": ORG,
        "status": "In gebruik",
        "publication_category": "Overige algoritmes",
        "description_short": "Het algoritme plant de routes van de vuilniswagens zo dat ze minder kilometers rijden.",
        "goal": "Minder kilometers en uitstoot bij het ophalen van huishoudelijk afval.",
    },
]


# --- servers ---------------------------------------------------------------------------------------
def host_page(api: str, title: str) -> str:
    return f"""<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<header><p><a href="#main">Naar de inhoud</a></p></header>
<main id="main"><h1>{title}</h1><p>Een website van een andere organisatie, met de Algoritmewijzer als widget.</p></main>
<script src="{api}/widget.js" async data-lang="nl" data-title="Vraag het Algoritmeregister" data-color="#154273"></script>
</body>
</html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


def serve_folder(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The API on loopback plus two host pages of other origins (allowed and not)."""
    from ingest.pipeline import resolve_sources, run_ingest

    root = tmp_path_factory.mktemp("browser")
    generated = root / "generated.jsonl"
    generated.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GENERATED), encoding="utf-8")
    data_dir = root / "data"
    settings = make_settings(data_dir)
    report = run_ingest(resolve_sources([str(WITHHELD_FIXTURE), str(generated)], settings), settings)
    assert report.ok, report.summary()

    hosts = {}
    for name in ("allowed", "foreign"):
        folder = root / name
        folder.mkdir()
        hosts[name] = (folder, *serve_folder(folder))
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}"
    for name, (folder, _, _origin) in hosts.items():
        (folder / "index.html").write_text(host_page(api, f"Gemeente Voorbeeld ({name})"), encoding="utf-8")

    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "ALGORITMEWIJZER_FINGERPRINT_KEY": TEST_FINGERPRINT_KEY,
        "ALGORITMEWIJZER_ALLOWED_ORIGINS": hosts["allowed"][2],
        "ALGORITMEWIJZER_RATE_LIMIT": "1000",
    }
    log_path = root / "api.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(api_port), "--data-dir", str(data_dir)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT, start_new_session=True,
    )
    try:
        wait_http(f"{api}/readyz", 180, process)
        yield {"api": api, "allowed": hosts["allowed"][2], "foreign": hosts["foreign"][2]}
    except Exception:
        sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        stop(process)
        log.close()
        for _, server, _ in hosts.values():
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def chromium_browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1100, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture()
def page_without_csp(chromium_browser):
    """CSP off: the payload checks then prove the DOM code itself inserts text, not markup
    (and axe can be injected into our own pages)."""
    context = chromium_browser.new_context(viewport={"width": 1100, "height": 900}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


# --- helpers -------------------------------------------------------------------------------------
def save_screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("() => typeof window.__pwned") == "undefined", "a payload from the register ran"
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    widget_imgs = page.evaluate(
        "() => { const w = document.querySelector('algoritmewijzer-widget'); return w ? w.shadowRoot.querySelectorAll('img').length : 0; }"
    )
    assert widget_imgs == 0


def serious_violations(page: Page, context_js: str = "document") -> list[dict]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); run `npm install` in tests/web")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        f"async () => {{ const r = await axe.run({context_js}, {{resultTypes: ['violations']}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return [v for v in results if v["impact"] in ("serious", "critical")]


def ask_on_page(page: Page, question: str) -> None:
    page.fill("#question", question)
    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as response_info:
        page.press("#question", "Enter")
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream"), "the page asks for a streamed answer"
    page.wait_for_selector("#log article.msg-bot")


def widget_launcher(page: Page):
    return page.locator("algoritmewijzer-widget button.launcher")


# --- the chat page -------------------------------------------------------------------------------
def test_chat_page_streams_an_answer_with_citation_links(site, page):
    page.goto(site["api"] + "/")
    pieces_seen = []
    page.expose_function("__notePiece", lambda text: pieces_seen.append(text))
    page.evaluate(
        """() => new MutationObserver(() => { const p = document.querySelector('.msg-pending .preview');
             if (p && p.textContent) window.__notePiece(p.textContent); })
             .observe(document.getElementById('log'), {subtree: true, childList: true, characterData: true})"""
    )
    ask_on_page(page, QUESTION)
    answer = page.locator("#log article.msg-bot").last
    links = answer.locator(".sources-list a")
    hrefs = sorted(links.evaluate_all("els => els.map(e => e.href)"))
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000001" in hrefs
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000002" in hrefs
    assert all(links.nth(i).get_attribute("rel") == "noopener noreferrer" for i in range(links.count()))
    text = answer.inner_text()
    assert "Route-optimalisatie afvalinzameling" in text
    assert pieces_seen, "the answer was shown while it streamed in"
    # the payload record is shown as text, and nothing ran
    assert SCRIPT_PAYLOAD in text or SCRIPT_PAYLOAD in answer.locator(".sources-list").inner_text()
    assert_nothing_ran(page)
    assert not page.js_errors, page.js_errors
    page.wait_for_timeout(300)
    save_screenshot(page, "chat-page.png")


def test_chat_page_payload_is_text_even_without_csp(site, page_without_csp):
    page = page_without_csp
    page.goto(site["api"] + "/")
    ask_on_page(page, QUESTION)
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert_nothing_ran(page)
    assert IMG_PAYLOAD in page.locator("#log").inner_text() or SCRIPT_PAYLOAD in page.locator("#log").inner_text()


def test_chat_page_accessibility(site, page_without_csp):
    page = page_without_csp
    page.goto(site["api"] + "/")
    ask_on_page(page, "Welke bronnen gebruikt de Douane voor de risicoselectie liquide middelen?")
    violations = serious_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


# --- the widget on another origin --------------------------------------------------------------------
def open_widget_and_ask(page: Page, question: str) -> None:
    widget_launcher(page).click()
    textarea = page.locator("algoritmewijzer-widget textarea")
    textarea.fill(question)
    textarea.press("Enter")


def test_widget_on_an_allowed_origin(site, page):
    page.goto(site["allowed"] + "/")
    open_widget_and_ask(page, QUESTION)
    answer = page.locator("algoritmewijzer-widget article.msg.bot")
    answer.wait_for()
    hrefs = answer.locator(".src a").evaluate_all("els => els.map(e => e.href)")
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000002" in hrefs
    assert page.locator("algoritmewijzer-widget .msg.err").count() == 0
    text = answer.inner_text()
    assert "Route-optimalisatie afvalinzameling" in text
    assert SCRIPT_PAYLOAD in text
    page.wait_for_timeout(500)
    assert_nothing_ran(page)
    assert not page.js_errors, page.js_errors
    save_screenshot(page, "widget-open.png")


def test_widget_on_a_foreign_origin_is_refused(site, page):
    page.goto(site["foreign"] + "/")
    open_widget_and_ask(page, QUESTION)
    error = page.locator("algoritmewijzer-widget .msg.err")
    error.wait_for()
    assert error.inner_text().strip()
    assert page.locator("algoritmewijzer-widget article.msg.bot").count() == 0
    save_screenshot(page, "widget-refused.png")


def test_widget_keyboard_only(site, page):
    page.goto(site["allowed"] + "/")
    page.wait_for_function("() => { const w = document.querySelector('algoritmewijzer-widget'); return w && w.shadowRoot && w.shadowRoot.querySelector('.launcher'); }")
    focused_launcher = (
        "() => { const a = document.activeElement; return !!(a && a.tagName === 'ALGORITMEWIJZER-WIDGET'"
        " && a.shadowRoot.activeElement && a.shadowRoot.activeElement.classList.contains('launcher')); }"
    )
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(focused_launcher):
            break
    else:
        pytest.fail("Tab never reached the widget's launcher")
    page.keyboard.press("Enter")
    panel = page.locator("algoritmewijzer-widget .panel")
    panel.wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.tagName") == "TEXTAREA"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.locator("algoritmewijzer-widget article.msg.bot").wait_for()
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert page.evaluate(focused_launcher), "Escape returns focus to the launcher"
    assert widget_launcher(page).get_attribute("aria-expanded") == "false"


def test_widget_accessibility(site, page):
    page.goto(site["allowed"] + "/")  # the host page has no CSP of its own: axe can be injected
    open_widget_and_ask(page, QUESTION)
    page.locator("algoritmewijzer-widget article.msg.bot").wait_for()
    page.wait_for_timeout(400)  # the panel's opening animation
    violations = serious_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)

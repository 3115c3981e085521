"""The front-end in a real browser (Debian's Chromium through Playwright), against a real
`algoritmewijzer serve` on loopback with a small ingested index: the withheld fixture plus generated
records, one of which carries script payloads in its name and goal.

The page (index.html: the widget's element in page mode) and the widget embedded with its one tag on
pages of two OTHER origins: one allowed in ALGORITMEWIJZER_ALLOWED_ORIGINS, one not. The journeys of a
conversation over the real register snapshot are in test_journeys.py."""

from __future__ import annotations

import pytest

from tests.conftest import WITHHELD_FIXTURE, make_settings
from tests.helpers import ingest_into, write_jsonl
from tests.web.browser import (
    DESKTOP,
    WIDGET,
    ApiServer,
    StaticSite,
    answers,
    ask,
    assert_accessible,
    host_page,
    last_answer,
    new_page,
    open_widget,
    question_box,
    require_browser,
    save_screenshot,
)

require_browser()

pytestmark = pytest.mark.browser

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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The API on loopback plus two host pages of other origins (allowed and not)."""
    root = tmp_path_factory.mktemp("browser")
    generated = root / "generated.jsonl"
    write_jsonl(generated, GENERATED)
    settings = make_settings(root / "data")
    report = ingest_into(settings, WITHHELD_FIXTURE, generated)
    assert report.ok, report.summary()

    hosts = {}
    for name in ("allowed", "foreign"):
        (root / name).mkdir()
        hosts[name] = StaticSite(root / name)
    api = ApiServer(settings.data_dir, root / "api.log", ALGORITMEWIJZER_ALLOWED_ORIGINS=hosts["allowed"].url)
    for name, host in hosts.items():
        (host.folder / "index.html").write_text(host_page(api.url, f"Gemeente Voorbeeld ({name})"), encoding="utf-8")
        (host.folder / "en.html").write_text(host_page(api.url, f"Example municipality ({name})", "en"), encoding="utf-8")
    api.start()
    try:
        yield {"api": api.url, "allowed": hosts["allowed"].url, "foreign": hosts["foreign"].url}
    finally:
        api.stop()
        for host in hosts.values():
            host.close()


@pytest.fixture()
def page(chromium_browser):
    page = new_page(chromium_browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture()
def page_without_csp(chromium_browser):
    """CSP off: the payload checks then prove the DOM code itself inserts text, not markup
    (and axe can be injected into our own pages)."""
    page = new_page(chromium_browser, DESKTOP, bypass_csp=True)
    yield page
    page.context.close()


def assert_nothing_ran(page) -> None:
    assert page.evaluate("() => typeof window.__pwned") == "undefined", "a payload from the register ran"
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    widget_imgs = page.evaluate(f"() => document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('img').length")
    assert widget_imgs == 0


# --- the chat page -------------------------------------------------------------------------------
def test_chat_page_streams_an_answer_with_links_to_the_register(site, page):
    page.goto(site["api"] + "/")
    assert page.locator("script[src$='chat.js']").count() == 0, "the page runs the one front-end script"
    pieces_seen = []
    page.expose_function("__notePiece", lambda text: pieces_seen.append(text))
    page.evaluate(
        f"""() => new MutationObserver(() => {{ const p = document.querySelector('{WIDGET}').shadowRoot.querySelector('.pending .txt');
             if (p && p.textContent) window.__notePiece(p.textContent); }})
             .observe(document.querySelector('{WIDGET}').shadowRoot, {{subtree: true, childList: true, characterData: true}})"""
    )
    ask(page, QUESTION)
    answer = last_answer(page)
    links = answer.locator("a")
    hrefs = links.evaluate_all("els => els.map(e => e.href)")
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000001" in hrefs
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000002" in hrefs
    assert len(hrefs) == len(set(hrefs)), f"each source is linked once: {hrefs}"
    assert all(links.nth(i).get_attribute("rel") == "noopener noreferrer" for i in range(links.count()))
    assert "https://" not in answer.locator(".txt").inner_text(), "register links show their titles, not raw URLs"
    text = answer.inner_text()
    assert "Route-optimalisatie afvalinzameling" in text
    assert pieces_seen, "the answer was shown while it streamed in"
    assert SCRIPT_PAYLOAD in text, "the payload record is shown as text"
    assert_nothing_ran(page)
    assert not page.js_errors, page.js_errors
    save_screenshot(page, "page-answer-small-index.png")


def test_chat_page_payload_is_text_even_without_csp(site, page_without_csp):
    page = page_without_csp
    page.goto(site["api"] + "/")
    ask(page, QUESTION)
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert_nothing_ran(page)
    assert IMG_PAYLOAD in last_answer(page).inner_text() or SCRIPT_PAYLOAD in last_answer(page).inner_text()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_chat_page_accessibility(site, page_without_csp, lang):
    page = page_without_csp
    page.goto(f"{site['api']}/?lang={lang}")
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert_accessible(page)  # the empty page with its example questions
    question = "Welke bronnen gebruikt de Douane voor de risicoselectie liquide middelen?" if lang == "nl" else "Which data does Customs use for its risk selection of liquid assets?"
    ask(page, question)
    assert_accessible(page)
    question_box(page).fill("")
    question_box(page).press("Enter")  # the inline message for an empty question
    page.locator(f"{WIDGET} #aw-msg").wait_for()
    assert_accessible(page)


def test_chat_page_language_switch(site, page):
    page.goto(site["api"] + "/")
    page.click("button[data-set-lang='en']")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.locator(f"{WIDGET} label[for='aw-q']").inner_text() == "Your question"
    assert "Algorithm Register" in page.locator(".intro-note").inner_text()
    page.reload()
    assert page.locator(f"{WIDGET} button.send").inner_text() == "Send", "the choice of language is remembered"


# --- the widget on other origins -------------------------------------------------------------------
def test_widget_on_an_allowed_origin(site, page):
    page.goto(site["allowed"] + "/")
    open_widget(page)
    ask(page, QUESTION)
    answer = last_answer(page)
    hrefs = answer.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert "https://algoritmes.overheid.nl/nl/algoritme/90000002" in hrefs
    text = answer.inner_text()
    assert "Route-optimalisatie afvalinzameling" in text
    assert SCRIPT_PAYLOAD in text
    page.wait_for_timeout(500)
    assert_nothing_ran(page)
    assert not page.js_errors, page.js_errors
    save_screenshot(page, "widget-answer-small-index.png")


def test_widget_on_a_foreign_origin_is_refused(site, page):
    page.goto(site["foreign"] + "/")
    open_widget(page)
    question_box(page).fill(QUESTION)
    question_box(page).press("Enter")
    error = page.locator(f"{WIDGET} .msg.err")
    error.wait_for()
    assert "niet bereikbaar" in error.inner_text(), "the refused request is not blamed on the user's connection"
    assert "internetverbinding" not in error.inner_text()
    assert answers(page).count() == 0
    save_screenshot(page, "widget-refused.png")


def test_widget_keyboard_only(site, page):
    page.goto(site["allowed"] + "/")
    page.wait_for_function(f"() => {{ const w = document.querySelector('{WIDGET}'); return w && w.shadowRoot && w.shadowRoot.querySelector('.launcher'); }}")
    focused = (
        f"() => {{ const a = document.activeElement; return a && a.tagName === '{WIDGET.upper()}' && a.shadowRoot.activeElement"
        " ? a.shadowRoot.activeElement.className || a.shadowRoot.activeElement.tagName : null; }"
    )
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "launcher":
            break
    else:
        pytest.fail("Tab never reached the widget's launcher")
    page.keyboard.press("Enter")
    panel = page.locator(f"{WIDGET} .panel")
    panel.wait_for(state="visible")
    assert page.evaluate(focused) == "TEXTAREA", "opening the widget puts the focus in the question box"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    answers(page).first.wait_for()
    assert page.evaluate(focused) == "TEXTAREA", "the focus stays in the question box after the answer"
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert page.evaluate(focused) == "launcher open" or page.evaluate(focused) == "launcher", "Escape returns focus to the launcher"
    assert page.locator(f"{WIDGET} button.launcher").get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_widget_accessibility(site, page, lang):
    page.goto(site["allowed"] + ("/" if lang == "nl" else "/en.html"))  # no CSP on the host page: axe can be injected
    open_widget(page)
    page.wait_for_timeout(400)  # the panel's opening animation
    assert_accessible(page)
    ask(page, QUESTION if lang == "nl" else "Which algorithms does the municipality of Utrecht use?")
    page.wait_for_timeout(300)
    assert_accessible(page)

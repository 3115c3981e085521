"""Journeys through a conversation, as a user makes them, in Debian's Chromium against a real
`algoritmewijzer serve` over the register snapshot: on the page (index.html) and in the widget
embedded with its one tag on another origin (demo.html served from a second loopback port).

Each journey saves screenshots at 1280x800 and 375x740 under tests/artifacts/journey-*.png."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.web.browser import (
    DESKTOP,
    PHONE,
    WIDGET,
    ApiServer,
    StaticSite,
    answers,
    ask,
    assert_accessible,
    demo_page,
    last_answer,
    new_page,
    open_widget,
    question_box,
    require_browser,
    save_screenshot,
    send_button,
    turns,
)

require_browser()

pytestmark = pytest.mark.browser

LONG_QUESTION = "Hoeveel algoritmes heeft de Belastingdienst in gebruik?"  # an example question; > 2,000 characters
POLICE_QUESTION = "Gebruikt de politie gezichtsherkenning?"
REGISTER_LINK = re.compile(r"https://algoritmes\.overheid\.nl/(?:nl|en)/algoritme/[A-Za-z0-9\-]+")


@pytest.fixture(scope="module")
def site(snapshot_index_settings, tmp_path_factory):
    """The API over the snapshot index, and demo.html on another origin that is allowed."""
    root = tmp_path_factory.mktemp("journeys")
    (root / "demo").mkdir()
    demo = StaticSite(root / "demo")
    api = ApiServer(snapshot_index_settings.data_dir, root / "api.log", ALGORITMEWIJZER_ALLOWED_ORIGINS=demo.url)
    (demo.folder / "demo.html").write_text(demo_page(api.url), encoding="utf-8")
    api.start()
    try:
        yield {"api": api, "page": api.url + "/", "demo": demo.url + "/demo.html"}
    finally:
        api.stop()
        demo.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def viewport(request):
    return request.param


@pytest.fixture()
def page(chromium_browser, viewport):
    page = new_page(chromium_browser, viewport)
    yield page
    assert not page.js_errors, page.js_errors
    page.context.close()


def shots(page, name: str) -> None:
    """A screenshot at the journey's viewport (each journey runs at 1280x800 and at 375x740)."""
    save_screenshot(page, f"journey-{name}-{'phone' if page.viewport_size['width'] < 480 else 'desktop'}.png")


def shots_both(page, name: str) -> None:
    """For a journey run once: this state also at the other size, scrolled to the newest message."""
    size = page.viewport_size
    for other in (DESKTOP, PHONE):
        page.set_viewport_size(other)
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        shots(page, name)
    page.set_viewport_size(size)


def question_box_in_view(page) -> None:
    box = question_box(page).bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, f"the question box is out of view: {box}"


# --- journeys on the page ----------------------------------------------------------------------------
def test_long_answer_then_follow_up(site, page):
    page.goto(site["page"])
    ask(page, LONG_QUESTION)
    first = turns(page)[0]["r"]
    assert len(first["answer"]) > 2000, "the example question gives a long answer"
    question_box_in_view(page)  # sticky: reachable without scrolling past the entries
    shots(page, "long-answer")

    body = ask(page, "Welke zijn buiten gebruik?")
    sent = body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == first["answer"], "the whole earlier answer is sent back"
    assert sent[1]["results"] == first["results"], "with the ids it was based on"
    assert answers(page).count() == 2
    question_box_in_view(page)
    shots(page, "long-answer-follow-up")


def test_long_list_starts_with_the_count_and_offers_all_of_them(site, page):
    page.goto(site["page"])
    ask(page, LONG_QUESTION)
    result = turns(page)[0]["r"]
    first_paragraph = last_answer(page).locator(".txt > p").first.inner_text()
    assert result["count"] and str(result["count"]) in first_paragraph, "a long list starts with the exact count"
    more = last_answer(page).locator("button.more")
    assert more.count() == 1 and more.inner_text() == f"Toon alle {result['count']}", "a 'toon alle N' control for the whole list"
    shots(page, "long-list")


def test_show_all_expands_in_place(site, page):
    page.goto(site["page"])
    ask(page, LONG_QUESTION)
    answer = last_answer(page)
    items = answer.locator(".txt li")
    total = items.count()
    visible_before = answer.locator(".txt li:visible").count()
    assert visible_before < total
    answer.locator("button.more").click()
    assert answer.locator(".txt li:visible").count() == total
    assert answer.locator("button.more").count() == 0
    focused = page.evaluate(f"() => document.querySelector('{WIDGET}').shadowRoot.activeElement.closest('li') !== null")
    assert focused, "the focus moves to the first entry that was shown"
    shots(page, "show-all")


def test_daarvan_after_a_topic_answer(site, page):
    page.goto(site["page"])
    ask(page, POLICE_QUESTION)
    topic = turns(page)[0]["r"]
    assert topic["results"], "the topic answer names entries"
    body = ask(page, "En welke daarvan zijn in gebruik?")
    assert body["messages"][1]["results"] == topic["results"]
    follow = turns(page)[1]["r"]
    assert set(follow["results"]) <= set(topic["results"]), "'daarvan' means the entries of the previous answer"
    shots(page, "daarvan")


def test_reload_keeps_the_conversation_and_new_conversation_can_be_undone(site, page):
    page.goto(site["page"])
    ask(page, POLICE_QUESTION)
    answer_text = last_answer(page).locator(".txt").inner_text()
    page.reload()
    last_answer(page).wait_for()
    assert last_answer(page).locator(".txt").inner_text() == answer_text
    assert POLICE_QUESTION in page.locator(f"{WIDGET} .msg.u").first.inner_text()
    body = ask(page, "Welke daarvan zijn in gebruik?")
    assert len(body["messages"]) == 3, "the restored conversation is sent back as history"
    shots(page, "reload")

    page.locator(f"{WIDGET} button.lk", has_text="Nieuw gesprek").click()
    assert answers(page).count() == 0
    assert turns(page) == []
    undo = page.locator(f"{WIDGET} .undo button")
    shots(page, "new-conversation")
    undo.click()
    assert answers(page).count() == 2, "the conversation is back"
    assert len(turns(page)) == 2


def test_stop_button(site, page):
    page.goto(site["page"])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 4000, "downloadThroughput": -1, "uploadThroughput": -1})
    question_box(page).fill(POLICE_QUESTION)
    question_box(page).press("Enter")
    assert send_button(page).inner_text() == "Stop"
    page.locator(f"{WIDGET} .pending").wait_for()
    shots(page, "stop-while-busy")
    send_button(page).click()
    stopped = page.locator(f"{WIDGET} .msg.stp")
    stopped.wait_for()
    assert "gestopt" in stopped.inner_text()
    assert answers(page).count() == 0
    assert send_button(page).inner_text() == "Verstuur"
    shots(page, "stopped")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    with page.expect_response(lambda r: r.url.endswith("/api/chat")):
        stopped.locator("button").click()
    last_answer(page).wait_for()
    assert len(turns(page)) == 1


def test_copy_for_a_reply(site, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site["api"].url)
    page.goto(site["page"])
    ask(page, POLICE_QUESTION)
    result = turns(page)[0]["r"]
    last_answer(page).locator("button.copy").click()
    page.wait_for_function(f"() => document.querySelector('{WIDGET}').shadowRoot.querySelector('button.copy').dataset.copied")
    text = page.evaluate("() => navigator.clipboard.readText()")
    assert text.startswith(f"Vraag: {POLICE_QUESTION}\n")
    assert "\nBronnen:\n" in text
    for citation in result["citations"]:
        line = f"- {citation['name']} ({citation['organization']}): "
        assert line in text, f"each source as 'title (organisation): link': {line}"
    links = REGISTER_LINK.findall(text)
    assert links and len(links) == len(set(links)), "each link once"
    assert result.get("data_date"), "the answer carries the date of the register data"
    assert re.search(r"\nBron: Algoritmeregister, stand \d{1,2} \w+ \d{4}$", text), text[-200:]
    shots(page, "copy")


def test_copied_reply_is_in_a_neutral_voice(site, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site["api"].url)
    page.goto(site["page"])
    ask(page, POLICE_QUESTION)
    last_answer(page).locator("button.copy").click()
    page.wait_for_function(f"() => document.querySelector('{WIDGET}').shadowRoot.querySelector('button.copy').dataset.copied")
    text = page.evaluate("() => navigator.clipboard.readText()")
    assert not re.search(r"\b[Ii]k\b", text), f"a reply to a citizen does not say 'ik': {text}"


def test_question_box_messages(site, page):
    page.goto(site["page"])
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/api/chat") else None)
    question_box(page).press("Enter")
    message = page.locator(f"{WIDGET} #aw-msg")
    assert message.inner_text() == "Typ eerst uw vraag."
    assert question_box(page).get_attribute("aria-invalid") == "true"
    question_box(page).fill("a" * 1900)
    counter = page.locator(f"{WIDGET} #aw-cnt")
    assert counter.inner_text() == "1.900 van 2.000 tekens"
    question_box(page).fill("a" * 2100)
    question_box(page).press("Enter")
    assert "100 tekens te lang" in message.inner_text()
    assert question_box(page).input_value() == "a" * 2100, "nothing is cut off"
    shots(page, "question-box")
    assert requests == [], "an empty or too long question is not sent"


def test_feedback(site, page):
    page.goto(site["page"])
    ask(page, POLICE_QUESTION)
    answer = last_answer(page)
    answer.locator(".fb button", has_text="Nee").click()
    answer.locator(".fbf textarea").fill("Ik zocht de naam van het systeem.")
    answer.locator(".fbf input[type=checkbox]").check()
    with page.expect_request(lambda r: r.url.endswith("/api/feedback")) as request_info:
        answer.locator(".fbf button").click()
    request = request_info.value
    body = request.post_data_json
    assert body["helpful"] is False and body["include_question"] is True and body["question"] == POLICE_QUESTION
    assert request.response().status == 201
    answer.locator(".fb .ok").wait_for()
    shots(page, "feedback")


def test_suggested_follow_up_questions(site, page):
    page.goto(site["page"])
    ask(page, LONG_QUESTION)
    buttons = last_answer(page).locator(".sg button")
    assert buttons.count() >= 1, "suggested next questions after a list answer"
    suggestion = buttons.first.inner_text()
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request_info:
        buttons.first.click()
    assert request_info.value.post_data_json["messages"][-1]["content"] == suggestion
    page.wait_for_function(f"() => document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('article.msg.bot').length === 2")
    shots(page, "suggestions")


def test_page_accessibility_after_a_long_answer(site, chromium_browser, viewport):
    page = new_page(chromium_browser, viewport, bypass_csp=True)  # axe is injected into our own page
    for lang, question in (("nl", LONG_QUESTION), ("en", "How many algorithms does the Tax Administration have in use?")):
        page.goto(f"{site['page']}?lang={lang}")
        page.evaluate("() => sessionStorage.clear()")
        page.reload()
        ask(page, question)
        last_answer(page).locator("button.more").click()
        assert_accessible(page)
    page.context.close()


# --- the widget on another origin ---------------------------------------------------------------------
def test_widget_on_another_origin(site, page):
    page.goto(site["demo"])
    open_widget(page)
    ask(page, LONG_QUESTION)
    question_box_in_view(page)
    shots(page, "widget-long-answer")
    body = ask(page, "Welke zijn buiten gebruik?")
    assert body["messages"][1]["results"] == turns(page)[0]["r"]["results"]
    question_box_in_view(page)
    if page.viewport_size["width"] < 480:
        panel = page.locator(f"{WIDGET} .panel").bounding_box()
        assert panel["width"] == page.viewport_size["width"] and panel["height"] <= page.viewport_size["height"]

    # examples stay reachable; closing and reloading keep the conversation
    page.locator(f"{WIDGET} button.lk", has_text="Voorbeeldvragen").click()
    page.locator(f"{WIDGET} #aw-tray button").first.wait_for()
    shots(page, "widget-examples")
    page.keyboard.press("Escape")
    open_widget(page)
    assert answers(page).count() == 2
    page.reload()
    open_widget(page)
    assert answers(page).count() == 2, "the conversation survives a reload"
    assert_accessible(page)


# --- limits and failures ------------------------------------------------------------------------------
@pytest.fixture()
def limited_server(snapshot_index_settings, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(snapshot_index_settings.data_dir, data_dir)
    server = ApiServer(data_dir, tmp_path / "api.log", ALGORITMEWIJZER_RATE_LIMIT="2")
    server.start()
    yield server
    server.stop()


def test_rate_limit_countdown(limited_server, page):
    page.goto(limited_server.url + "/")
    ask(page, POLICE_QUESTION)
    ask(page, "Welke daarvan zijn in gebruik?")
    ask(page, LONG_QUESTION, expect_status=429)
    error = page.locator(f"{WIDGET} .msg.err")
    error.wait_for()
    seconds = lambda: int(re.search(r"over (\d+) seconde", error.inner_text()).group(1))
    first = seconds()
    retry = error.locator("button")
    assert retry.is_disabled(), "retrying waits for the countdown"
    page.wait_for_timeout(2500)
    assert seconds() < first, "the seconds count down"
    question_box(page).fill("Nog een vraag")
    question_box(page).press("Enter")
    assert "Wacht nog" in page.locator(f"{WIDGET} #aw-msg").inner_text()
    shots(page, "rate-limited")


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"], indirect=True)
def test_connection_lost_then_server_stopped_and_restarted(site, page):
    """Runs last: it restarts the module's server."""
    api = site["api"]
    page.goto(site["page"])
    # the user's own connection: said so, and the question is sent again once back online
    page.context.set_offline(True)
    question_box(page).fill(POLICE_QUESTION)
    question_box(page).press("Enter")
    error = page.locator(f"{WIDGET} .msg.err")
    error.wait_for()
    assert "niet verbonden met internet" in error.inner_text()
    shots_both(page, "offline")
    with page.expect_response(lambda r: r.url.endswith("/api/chat")):
        page.context.set_offline(False)
    last_answer(page).wait_for()

    # the server is gone: not blamed on the user's connection
    api.stop()
    question_box(page).fill("Welke daarvan zijn in gebruik?")
    question_box(page).press("Enter")
    error = page.locator(f"{WIDGET} .msg.err")
    error.wait_for()
    assert "niet bereikbaar" in error.inner_text() and "ligt niet aan uw verbinding" in error.inner_text()
    shots_both(page, "server-down")

    # back, but still starting: retried automatically with a visible status, then answered
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/api/chat") else None)
    api.start(wait_ready=False)
    error.locator("button").click()
    page.locator(f"{WIDGET} .pending .live").wait_for()
    assert "wordt opgestart" in page.locator(f"{WIDGET} .pending .live").inner_text()
    shots_both(page, "server-starting")
    page.wait_for_function(f"() => document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('article.msg.bot').length === 2", timeout=240_000)
    assert 503 in statuses and statuses[-1] == 200

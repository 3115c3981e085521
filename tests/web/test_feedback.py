"""Feedback on answers (web/feedback.py, POST /api/feedback, GET /api/admin/feedback): stored in
the data directory, the question only when the person asks for it, nothing that is not public."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import WITHHELD_FIXTURE, make_settings
from tests.web.test_api import ADMIN, ADMIN_KEY, app_client, assert_problem, ingest, wait_ready

CODE_NAME = "ZILVERREIGER"  # a withheld value of the fixture (../shared/fixtures/withheld-records.jsonl)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("feedback") / "data"
    settings = make_settings(data_dir, admin_api_key=ADMIN_KEY, rate_limit=0)
    ingest(settings, [WITHHELD_FIXTURE])
    return settings


@pytest.fixture(scope="module")
def client(settings):
    with app_client(settings) as test_client:
        wait_ready(test_client)
        yield test_client


def feedback_items(client) -> list[dict]:
    response = client.get("/api/admin/feedback", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_feedback_is_stored_without_the_question_by_default(client, settings):
    question = "Welke algoritmes gebruikt de Douane?"
    response = client.post("/api/feedback", json={"helpful": True, "comment": "Duidelijk antwoord over de Douane",
                                                   "question": question, "results": ["W0001"], "lang": "nl"})
    assert response.status_code == 201, response.text
    assert response.json() == {"received": True}
    item = feedback_items(client)[0]
    assert item["helpful"] is True and item["question"] is None
    assert item["comment"] == "Duidelijk antwoord over de Douane"
    assert item["results"] == ["W0001"] and item["lang"] == "nl" and item["time"]
    assert (settings.data_dir / "feedback.sqlite3").exists()
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as conn:
        assert question not in repr(conn.execute("SELECT * FROM feedback").fetchall())


def test_the_question_is_kept_only_when_asked(client):
    question = "Welke algoritmes gebruikt de politie?"
    assert client.post("/api/feedback", json={"helpful": False, "question": question, "include_question": True}).status_code == 201
    item = feedback_items(client)[0]
    assert item["question"] == question and item["helpful"] is False and item["comment"] is None


def test_feedback_keeps_no_withheld_value_and_answers_alike(client):
    with_value = client.post("/api/feedback", json={"helpful": False, "comment": f"Wat is {CODE_NAME} met drempel 0,62?",
                                                     "question": f"Is {CODE_NAME} het model?", "include_question": True,
                                                     "results": ["W0003", "W9999", "W0001"]})
    without = client.post("/api/feedback", json={"helpful": False, "comment": "Wat is het model van de Douane?"})
    assert with_value.status_code == without.status_code == 201
    assert with_value.json() == without.json() and with_value.headers.get("content-length") == without.headers.get("content-length")
    stored = client.get("/api/admin/feedback", headers=ADMIN).text
    assert CODE_NAME not in stored and CODE_NAME.lower() not in stored.lower() and "0,62" not in stored
    item = feedback_items(client)[1]
    assert item["results"] == ["W0001"], "unknown and unpublished entry ids are not kept"
    assert "Douane" in feedback_items(client)[0]["comment"]


@pytest.mark.parametrize("payload", [
    {"comment": "geen oordeel"},
    {"helpful": "misschien"},
    {"helpful": True, "comment": "x" * 1001},
    {"helpful": True, "results": "W0001"},
    {"helpful": True, "lang": "de"},
])
def test_bad_feedback_is_422(client, payload):
    assert_problem(client.post("/api/feedback", json=payload), 422)


def test_feedback_with_invalid_text_is_422(client):
    before = len(feedback_items(client))
    raw = b'{"helpful": true, "comment": "\\ud800"}'
    assert_problem(client.post("/api/feedback", content=raw, headers={"Content-Type": "application/json"}), 422)
    assert len(feedback_items(client)) == before


def test_feedback_needs_the_admin_key_to_read(client):
    assert_problem(client.get("/api/admin/feedback"), 401)
    assert_problem(client.get("/api/admin/feedback", headers={"Authorization": "Bearer wrong"}), 403)

"""The audit log (guardrails/audit.py): what it keeps, and what it never keeps."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import datetime, timedelta, timezone

import pytest

from guardrails.audit import FILE_NAME, AuditLog
from guardrails.keys import KeyFileError, read_key_file
from guardrails.verdicts import RailDecision
from tests.conftest import TEST_FINGERPRINT_KEY, WITHHELD_FIXTURE, make_settings
from tests.guardrails.leak_search import hits_in_bytes, load_records, needles

KEY = TEST_FINGERPRINT_KEY.encode()
QUESTION = "Welke indicatoren gebruikt model ZILVERREIGER boven risicoscore 0,62?"


@pytest.fixture()
def log(tmp_path):
    audit = AuditLog(tmp_path / "data", KEY)
    yield audit
    audit.close()


def _files(data_dir):
    return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}


def test_it_stores_time_rail_reason_lars_and_a_keyed_hash(log):
    stored = log.record([RailDecision("input", "selection_rules", "W0001"), RailDecision("output", "withheld_value")], QUESTION)
    assert stored == 2
    rows = log.read()
    assert [r["rail"] for r in rows] == ["output", "input"]  # newest first (same time: by id)
    input_row = rows[1]
    assert input_row["reason"] == "selection_rules" and input_row["lars"] == "W0001"
    assert rows[0]["lars"] is None
    when = datetime.fromisoformat(input_row["time"])
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - when) < timedelta(minutes=1)
    assert len(input_row["question_hash"]) == 32
    assert set(input_row) == {"id", "time", "rail", "reason", "lars", "question_hash"}


def test_the_question_and_withheld_text_never_reach_the_disk(tmp_path):
    data_dir = tmp_path / "data"
    audit = AuditLog(data_dir, KEY)
    audit.record([RailDecision("input", "code_name", "W0001")], QUESTION)
    audit.close()
    assert (data_dir / FILE_NAME).exists()
    needle_list = needles(load_records(WITHHELD_FIXTURE))
    for name, blob in _files(data_dir).items():
        assert b"ZILVERREIGER" not in blob.upper(), name
        assert b"indicatoren" not in blob, name
        assert QUESTION.encode() not in blob
        assert [n for n in hits_in_bytes(blob, needle_list) if n.kind != "record_id"] == [], name


def test_the_hash_is_keyed_stable_and_not_a_fingerprint(tmp_path, log):
    first = log.question_hash(QUESTION)
    assert first == log.question_hash("  welke indicatoren gebruikt MODEL zilverreiger boven risicoscore 0,62? ")
    assert first != log.question_hash(QUESTION + "!")
    other = AuditLog(tmp_path / "other", b"another-key")
    assert other.question_hash(QUESTION) != first
    other.close()
    assert first != hashlib.sha256(QUESTION.encode()).hexdigest()[:32]
    assert first != hmac.new(KEY, QUESTION.encode(), hashlib.sha256).hexdigest()[:32]


def test_the_key_comes_from_an_owner_only_file_outside_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALGORITMEWIJZER_FINGERPRINT_KEY", "from-the-environment")
    settings = make_settings(tmp_path / "data")
    a = AuditLog.from_settings(settings)
    assert (settings.audit_key_file.stat().st_mode & 0o777) == 0o600, "made owner-only"
    b = AuditLog.from_settings(settings)
    assert a.question_hash("x") == b.question_hash("x")
    assert a.question_hash("x") == AuditLog(tmp_path / "data2", read_key_file(settings.audit_key_file)).question_hash("x")
    assert a.question_hash("x") != AuditLog(tmp_path / "data3", b"from-the-environment").question_hash("x"), "the environment is not read"
    settings.audit_key_file.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        AuditLog.from_settings(settings)
    with pytest.raises(KeyFileError, match="outside"):
        read_key_file(settings.data_dir / "audit.key", settings.data_dir)


def test_personal_data_is_hashed_as_a_placeholder_only(log):
    """A BSN in a question cannot be found back by hashing candidate BSNs: only the placeholder is hashed."""
    assert log.question_hash("Mijn BSN is 123456782, klopt mijn aanslag?") == log.question_hash("Mijn BSN is 111222333, klopt mijn aanslag?")
    assert log.question_hash("mail jan@example.nl") == log.question_hash("mail piet@voorbeeld.org")


def test_without_a_key_hashes_still_hide_the_question(tmp_path):
    audit = AuditLog(tmp_path / "data")
    audit.record([RailDecision("input", "roleplay")], QUESTION)
    assert audit.read()[0]["question_hash"] != hmac.new(KEY, QUESTION.encode(), hashlib.sha256).hexdigest()[:32]
    audit.close()


def test_it_drops_what_is_not_a_code_or_a_lars(log):
    log.record(
        [
            RailDecision("input", "selection rules: ZILVERREIGER"),
            RailDecision("input", "roleplay", "W0001 ZILVERREIGER boven 0,62"),
            RailDecision("Input", "roleplay"),
        ],
        QUESTION,
    )
    rows = log.read()
    assert len(rows) == 1 and rows[0]["lars"] is None and rows[0]["reason"] == "roleplay"


def test_a_field_scope_check_keeps_other_ids_out(tmp_path):
    audit = AuditLog(tmp_path / "data", KEY, field_scope=lambda lars: lars == "W0001")
    audit.record([RailDecision("input", "roleplay", "W0003"), RailDecision("input", "roleplay", "W0001")], "q")
    assert sorted(r["lars"] or "-" for r in audit.read()) == ["-", "W0001"]
    audit.close()


def test_read_filters_by_rail_and_time_and_limits(log):
    for number in range(5):
        log.record([RailDecision("input", "roleplay"), RailDecision("output", "invented_url")], f"q{number}")
    assert len(log.read(limit=3)) == 3
    assert {r["rail"] for r in log.read(rail="output")} == {"output"}
    assert len(log.read(rail="output")) == 5
    assert log.read(since=datetime.now(timezone.utc) + timedelta(minutes=1)) == []
    assert len(log.read(since=(datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat())) == 10
    assert len(log.read(since=datetime.utcnow() - timedelta(minutes=1))) == 10  # naive = UTC
    times = [r["time"] for r in log.read()]
    assert times == sorted(times, reverse=True)


def test_it_is_thread_safe(log):
    errors = []

    def work(number):
        try:
            for _ in range(25):
                log.record([RailDecision("input", "prompt_injection")], f"question {number}")
                log.read(limit=5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(log.read(limit=1000)) == 200


def test_an_existing_log_is_reopened(tmp_path):
    first = AuditLog(tmp_path / "data", KEY)
    first.record([RailDecision("input", "roleplay")], "q")
    first.close()
    second = AuditLog(tmp_path / "data", KEY)
    assert len(second.read()) == 1
    second.close()

"""Personal data in questions (guardrails/personal_data.py, and the input rail step): recognised,
answered with a short notice, never kept."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from guardrails.personal_data import kinds, redact
from ingest.index import RegisterIndex


@pytest.mark.parametrize(
    "text, found",
    [
        ("Mijn BSN is 123456782, klopt mijn aanslag?", ["bsn"]),
        ("burgerservicenummer 123.456.782", ["bsn"]),
        ("Mijn rekening is NL91 ABNA 0417 1643 00", ["iban"]),
        ("IBAN NL91ABNA0417164300 graag", ["iban"]),
        ("Mail me op j.jansen@example.nl", ["email"]),
        ("Bel me op 06-12345678 of +31 20 123 4567", ["phone"]),
    ],
)
def test_personal_data_is_recognised(text, found):
    assert kinds(text) == found
    assert all(part not in redact(text) for part in ("123456782", "0417", "jansen@", "12345678", "123 4567"))


@pytest.mark.parametrize(
    "text",
    [
        "Wat doet algoritme 21421626?",  # a register id
        "Vanaf 10.000 euro moet u contant geld aangeven.",
        "Is 123456789 een geldig nummer?",  # fails the 11-check
        "NL91 ABNA 0417 1643 01 is geen rekening",  # wrong IBAN checksum
        "In 2024 had de politie 35 algoritmes.",
        "W0001 en W0011",
    ],
)
def test_ordinary_numbers_are_no_personal_data(text):
    assert kinds(text) == []


@pytest.fixture(scope="module")
def assistant(fixture_index_settings, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pii") / "data"
    import shutil

    shutil.copytree(fixture_index_settings.data_dir, data_dir)
    settings = fixture_index_settings.model_copy(update={"data_dir": data_dir})
    return Assistant(settings, index=RegisterIndex(settings))


def test_a_question_with_a_bsn_gets_a_notice_and_nothing_is_kept(assistant, caplog):
    caplog.set_level("DEBUG")
    for lang, question in (("nl", "Mijn BSN is 123456782. Welke algoritmes gebruikt de Belastingdienst voor mij?"), ("en", "My IBAN is NL91ABNA0417164300, which algorithms does the police use?")):
        answer = assistant.answer([{"role": "user", "content": question}], lang=lang)
        assert answer.intent == "personal_data" and answer.results == [] and answer.citations == []
        assert ("persoonsgegevens" if lang == "nl" else "personal data") in answer.answer
        assert "123456782" not in answer.answer and "NL91" not in answer.answer
        events = list(assistant.stream([{"role": "user", "content": question}], lang=lang))
        assert events[-1][1].intent == "personal_data"
    assert "123456782" not in caplog.text and "0417164300" not in caplog.text
    for path in assistant.settings.data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert b"123456782" not in blob and b"0417164300" not in blob
    assert [r["reason"] for r in assistant.audit.read(limit=10)].count("personal_data") == 4


def test_personal_data_in_an_earlier_message_is_replaced(assistant):
    messages = [
        {"role": "user", "content": "Mijn telefoonnummer is 06-12345678."},
        {"role": "assistant", "content": "Uw vraag bevat persoonsgegevens."},
        {"role": "user", "content": "Welke algoritmes gebruikt de Douane?"},
    ]
    answer = assistant.answer(messages)
    assert answer.intent != "personal_data"
    assert "12345678" not in answer.answer

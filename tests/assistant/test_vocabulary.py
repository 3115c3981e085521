"""The question vocabularies of assistant/data (assistant/vocabulary.py), validated on load."""

from __future__ import annotations

import pytest

from assistant import vocabulary
from tests.helpers import assert_broken_copy_rejected


def _text_without_english(data):
    del data["count"]["en"]


def _field_phrases_not_a_list(data):
    next(iter(data["fields"].values()))["nl"] = "doel"


def _misspelt_intent_key(data):
    data["intents"]["count"]["dutch"] = ["hoeveel"]


def _term_not_text(data):
    data["terms"]["chatbot"] = ["chatbot"]


def _prompt_missing(data):
    del data["system"]["nl"]


def _pattern_not_a_regular_expression(data):
    data["kinds"]["duration"]["sentence"] = ["\\d+ (uur|dagen"]


@pytest.mark.parametrize(
    "name,breaking",
    [
        ("answer_texts.json", _text_without_english),
        ("field_vocabulary.json", _field_phrases_not_a_list),
        ("intents.json", _misspelt_intent_key),
        ("query_terms_en_nl.json", _term_not_text),
        ("llm_prompt.json", _prompt_missing),
        ("answer_kinds.json", _pattern_not_a_regular_expression),
    ],
)
def test_a_broken_copy_of_a_vocabulary_is_rejected(monkeypatch, name, breaking):
    assert_broken_copy_rejected(monkeypatch, "assistant", name, breaking, lambda: vocabulary.load(name), vocabulary.load)


def test_every_data_file_of_the_question_steps_is_valid():
    for name in vocabulary.SCHEMAS:
        assert vocabulary.load(name)


def test_one_glossary_holds_the_rails_terms_too():
    terms = vocabulary.query_terms_en_nl()
    assert "witwassen" in terms["money laundering"] and "schiphol" in terms["airport"]
    assert "reiziger" in terms["traveller"]

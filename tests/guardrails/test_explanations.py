"""The texts people read when something is not disclosed (guardrails/explanations.py and
guardrails/data/explanations.json): both languages, never a bare refusal."""

from __future__ import annotations

import re
import string

import pytest

from guardrails import explanations
from guardrails.withholding import grounds

LANGS = ("nl", "en")
# What a person can do, per language.
CAN_DO = {"nl": ("contact", "woo-verzoek"), "en": ("contact", "woo request")}
STILL_PUBLIC = {"nl": "kunt u wel vragen naar", "en": "you can ask about"}
WHY = {"nl": "wet open overheid", "en": "open government act"}


@pytest.fixture(scope="module")
def field_scope_records(index):
    records = [r for r in index.records.values() if r.notice and r.notice.scope == "fields" and r.notice.fields]
    assert len(records) == 7
    return records


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_both_languages_with_the_same_placeholders():
    for key, value in explanations.texts().items():
        if key.startswith("_"):
            continue
        assert set(value) == {"nl", "en"}, key
        assert _placeholders(value["nl"]) == _placeholders(value["en"]), key
        assert value["nl"].strip() and value["en"].strip()


def test_every_refusal_reason_has_a_text():
    for reason in explanations.REFUSAL_REASONS:
        for lang in LANGS:
            assert explanations.text(f"refusal_{reason}", lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", explanations.REFUSAL_REASONS)
def test_a_general_refusal_says_why_on_which_legal_basis_and_what_is_possible(reason, lang):
    text = explanations.refusal(reason, lang)
    folded = text.casefold()
    assert explanations.text(f"refusal_{reason}", lang) in text
    assert WHY[lang] in folded and "5.1" in text, "names the legal basis"
    assert all(word in folded for word in CAN_DO[lang]), "says what the person can do"
    assert len(text.split()) > 60, "never a bare refusal"


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_about_a_record_names_ground_basis_explanation_public_part_and_what_to_do(field_scope_records, lang):
    for record in field_scope_records:
        notice = record.notice
        text = explanations.refusal("selection_rules", lang, [record])
        folded = text.casefold()
        assert record.name in text
        assert explanations.ground_words(notice.ground, lang) in text, "names the ground"
        assert notice.legal_basis in text, "names the legal basis"
        if notice.explanation:
            assert notice.explanation in text, "quotes the organisation's explanation"
        else:
            assert explanations.text("why_short", lang) in text, "says why in general words"
        for field in notice.fields:
            from ingest.vocabulary import field_label

            assert field_label(field, lang).lower() in folded, "names the withheld part"
        public = explanations.public_fields_to_point_to(record)
        assert public and not set(public) & set(notice.fields)
        assert STILL_PUBLIC[lang] in folded, "says what is still public"
        assert all(word in folded for word in CAN_DO[lang])
        assert record.organization in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_about_several_records_mentions_each(field_scope_records, lang):
    text = explanations.refusal("evasion_help", lang, field_scope_records[:3])
    for record in field_scope_records[:3]:
        assert record.name in text
    assert explanations.text("what_is_possible", lang) in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_blocked_answer_text_explains(field_scope_records, lang):
    general = explanations.blocked_answer(lang)
    assert explanations.text("output_blocked", lang) in general and "5.1" in general
    specific = explanations.blocked_answer(lang, field_scope_records[:1])
    assert field_scope_records[0].notice.legal_basis in specific


@pytest.mark.parametrize("lang", LANGS)
def test_the_composer_functions_keep_working(field_scope_records, lang):
    record = field_scope_records[0]
    notice = explanations.withheld_notice(record, lang)
    assert notice is not None and notice.lars == record.lars and notice.legal_basis == record.notice.legal_basis
    assert notice.ground == grounds()[record.notice.ground][lang]
    full = explanations.explain_withheld(record, lang, ["goal", "lawful_basis"])
    assert record.name in full and record.notice.legal_basis in full
    assert explanations.entry_scope_general(lang) == explanations.texts()["entry_scope_general"][lang]
    assert explanations.text("what_you_can_do", lang, organization="X")


def test_no_notice_for_a_record_that_withholds_nothing(index):
    w0011 = index.get("W0011")
    assert w0011 is not None and w0011.notice is not None and not w0011.notice.fields
    assert explanations.withheld_notice(w0011, "nl") is None
    # a refusal never quotes a record that withholds nothing
    assert w0011.name not in explanations.refusal("hidden_fields", "nl", [w0011])


def test_the_entry_scope_text_does_not_distinguish_existence():
    for lang in LANGS:
        text = explanations.entry_scope_general(lang)
        assert "5.1" in text
        assert not re.search(r"\d{4}", text.replace("5.1", "")), "no number that could be a count or an id"


def test_all_texts_lists_every_fixed_text():
    found = explanations.all_texts()
    assert explanations.text("refusal_roleplay", "nl") in found
    assert grounds()["opsporing"]["en"] in found

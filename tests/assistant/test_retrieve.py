"""Topic candidates and their word evidence (assistant/retrieve.py)."""

from __future__ import annotations

import pytest

from assistant.relevance import FEATURES
from assistant.retrieve import Retrieve
from assistant.understand import Understand
from ingest.index import RegisterIndex

SOLAR_PANELS = "55697499"  # "Tellen zonnepanelen op daken"


@pytest.fixture(scope="module")
def steps(snapshot_index_settings):
    index = RegisterIndex(snapshot_index_settings)
    return index, Understand(index), Retrieve(index)


def _evidence(steps, question: str, lang: str) -> tuple[float, float]:
    """(share of the question's words the register lacks, word coverage of the solar-panel entry)."""
    index, understand, retrieve = steps
    u = understand.analyse(question, lang)
    candidates = retrieve.candidates(u, retrieve.filters_for(u))
    positions = list(candidates.positions)
    row = positions.index(index.entry_position(SOLAR_PANELS))
    return float(candidates.features[0, FEATURES.index("unknown")]), float(candidates.features[row, FEATURES.index("coverage")])


@pytest.mark.shared_data
def test_english_words_the_dutch_register_lacks_are_not_counted_against_the_question(steps):
    unknown, coverage = _evidence(steps, "Does the council count the solar panels on rooftops with satellite pictures?", "en")
    assert unknown == 0.0 and coverage == 0.0  # no word to judge by: the meaning decides


@pytest.mark.shared_data
def test_dutch_words_the_register_lacks_still_count(steps):
    unknown, coverage = _evidence(steps, "Telt de gemeente zonnepanelen op daken met satellietfotoos?", "nl")
    assert 0.0 < unknown < 1.0  # 'satellietfotoos' is in no entry
    assert coverage > 0.0  # 'zonnepanelen' and 'daken' are in the entry


@pytest.mark.shared_data
def test_a_number_in_the_question_takes_no_part_in_which_entries_are_found(steps):
    """A guessed threshold must not change the candidates or their evidence (a guess that did would
    tell the asker something about a value that may be withheld)."""
    _, understand, retrieve = steps
    found = []
    for guess in ("0,62", "1250"):
        u = understand.analyse(f"Selecteert de Belastingdienst aangiften boven een score van {guess}?", "nl")
        found.append(retrieve.candidates(u, retrieve.filters_for(u)))
    assert list(found[0].positions) == list(found[1].positions)
    assert (found[0].features == found[1].features).all() and found[0].dense_z == found[1].dense_z


@pytest.mark.shared_data
def test_a_word_the_register_has_only_as_the_end_of_a_compound_is_found_there(steps):
    """'kappen' is in no entry, 'Boomkap' is: the tree-felling permit entry covers the question's
    'kappen', and 'kappen' is not counted as a word the register lacks (only 'tuin' is)."""
    index, understand, retrieve = steps
    u = understand.analyse("Ik wil een boom kappen in mijn tuin, gebruikt de gemeente daar een algoritme voor?", "nl")
    candidates = retrieve.candidates(u, retrieve.filters_for(u))
    row = list(candidates.positions).index(index.entry_position("36246537"))  # "Boomkap of houtopstand vellen"
    assert float(candidates.features[row, FEATURES.index("coverage")]) > 0.25
    assert float(candidates.features[0, FEATURES.index("unknown")]) < 0.5

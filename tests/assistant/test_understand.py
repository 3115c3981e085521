"""Reading a question: language, organisations, filters, fields, named algorithms."""

from __future__ import annotations

import pytest

from assistant.understand import Understand, detect_language
from ingest.index import RegisterIndex


@pytest.fixture(scope="module")
def understand(fixture_index_settings):
    return Understand(RegisterIndex(fixture_index_settings))


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Welke algoritmes gebruikt de gemeente Utrecht?", "nl"),
        ("Which algorithms does the city of Utrecht use?", "en"),
        ("Hoeveel algoritmes heeft UWV?", "nl"),
        ("How many algorithms are there?", "en"),
    ],
)
def test_language_of_the_question(question, lang):
    assert detect_language(question) == lang


@pytest.mark.parametrize(
    ("question", "organization"),
    [
        ("Welke algoritmes gebruikt UWV?", "Uitvoeringsinstituut Werknemersverzekeringen"),
        ("algoritmes gemeente A'dam", "Gemeente Amsterdam"),
        ("Welke algoritmes heeft de Provincie Groningen?", "Provincie Groningen"),
        ("Welke algoritmes heeft de gemeente Groningen?", "Gemeente Groningen"),
        ("List DUO's algorithms", "Dienst Uitvoering Onderwijs"),
        ("algoritmes van de belastingdients", "Belastingdienst"),
        ("How many algorithms does the city of Rotterdm have?", "Gemeente Rotterdam"),
    ],
)
def test_organisations_by_name_short_form_place_and_typo(understand, question, organization):
    found = understand.analyse(question, "nl")
    assert [o.name for o in found.organizations] == [organization]


def test_bare_ordinary_words_are_not_organisations(understand):
    found = understand.analyse("Is het om te lachen dat er best veel algoritmes zijn?", "nl")
    assert found.organizations == []


def test_filters_and_counting(understand):
    found = understand.analyse("Hoeveel algoritmes van Rotterdam zijn buiten gebruik?", "nl")
    assert found.counting and found.status == "Buiten gebruik"
    found = understand.analyse("How many of the Tax Administration's algorithms have an impact assessment?", "en")
    assert found.impact_assessment == "Ja"
    assert [o.name for o in found.organizations] == ["Belastingdienst"]
    found = understand.analyse("Welke algoritmes van de Douane hebben geen impact assessment?", "nl")
    assert found.impact_assessment == "Nee"


def test_field_and_named_algorithm(understand):
    found = understand.analyse("Wat is de wettelijke grondslag van Risicoselectie liquide middelen bij grensoverschrijding?", "nl")
    assert found.fields == ["lawful_basis"]
    assert found.named == ["W0001"]
    found = understand.analyse("Is Kentekenherkenning bij verkeershandhaving nog in gebruik?", "nl")
    assert "status" in found.fields and found.status is None

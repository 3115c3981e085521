"""Reading a question: language, organisations, filters, fields, named algorithms."""

from __future__ import annotations

import pytest

from assistant.understand import Understand, asks_for_algorithms, detect_language
from assistant.vocabulary import normalise_question
from ingest.index import RegisterIndex


@pytest.fixture(scope="module")
def understand(fixture_index_settings):
    return Understand(RegisterIndex(fixture_index_settings))


@pytest.fixture(scope="module")
def register_understand(snapshot_index_settings):
    """Organisations are understood from the public entries of the index: the register's own."""
    return Understand(RegisterIndex(snapshot_index_settings))


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
@pytest.mark.shared_data
def test_organisations_by_name_short_form_place_and_typo(register_understand, question, organization):
    found = register_understand.analyse(question, "nl")
    assert [o.name for o in found.organizations] == [organization]


@pytest.mark.shared_data
def test_a_near_miss_is_understood_and_marked_unsure(register_understand):
    found = register_understand.analyse("Welke algoritmes heeft Rijkswaterstat?", "nl")
    assert [o.name for o in found.organizations] == ["Rijkswaterstaat"]
    assert found.unsure_organizations == ["Rijkswaterstaat"]
    exact = register_understand.analyse("Welke algoritmes heeft Rijkswaterstaat?", "nl")
    assert exact.unsure_organizations == []


@pytest.mark.shared_data
def test_register_words_are_never_a_near_miss_of_an_organisation(register_understand):
    found = register_understand.analyse("Hoeveel organisaties hebben de Virtuele gemeente assistent?", "nl")
    assert found.organizations == []


@pytest.mark.shared_data
@pytest.mark.parametrize(("question", "kind"), [("Wat hebben de waterschappen in het register staan?", "waterschap"), ("Which algorithms do the provinces use?", "provincie"), ("Welke algoritmes hebben de veiligheidsregio's?", "veiligheidsregio")])
def test_plural_kinds_list_every_member(register_understand, question, kind):
    found = register_understand.analyse(question, "nl")
    assert found.kind == kind and found.kind_members
    assert register_understand._intent(found) == "org_list"


@pytest.mark.shared_data
def test_how_much_inside_a_topic_question_is_no_count(register_understand):
    found = register_understand.analyse("Hoe rekent de overheid uit hoeveel stikstof een bouwproject mag uitstoten?", "nl")
    assert not found.counting
    assert register_understand._intent(found) == "topic"
    assert register_understand.analyse("Hoeveel algoritmes heeft de gemeente Utrecht?", "nl").counting


def test_a_body_known_only_from_unpublished_records_is_not_an_organisation(understand):
    # The fixture's only NCTV record is withheld as a whole: it is not in the index.
    assert understand.analyse("Welke algoritmes heeft de Nationaal Coördinator Terrorismebestrijding en Veiligheid?", "nl").organizations == []
    assert [o.name for o in understand.analyse("Welke algoritmes heeft de Douane?", "nl").organizations] == ["Douane"]


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


@pytest.mark.parametrize(
    ("question", "status", "counting"),
    [
        ("Welke pilots heeft Rotterdam?", "In ontwikkeling", False),
        ("Hoeveel pilots heeft de gemeente Utrecht?", "In ontwikkeling", True),
        ("Which pilots does the Douane run?", "In ontwikkeling", False),
        ("Which EU project was the Rotterdam avatar pilot part of?", None, False),  # names one pilot
        ("Met wie werkt Rotterdam samen in de pilot met camera's?", None, False),
    ],
)
def test_a_pilot_asked_for_is_a_status_and_a_pilot_named_is_a_subject(understand, question, status, counting):
    found = understand.analyse(question, "nl")
    assert found.status == status and found.counting == counting


def test_field_and_named_algorithm(understand):
    found = understand.analyse("Wat is de wettelijke grondslag van Risicoselectie liquide middelen bij grensoverschrijding?", "nl")
    assert found.fields == ["lawful_basis"]
    assert found.named == ["W0001"]
    found = understand.analyse("Is Kentekenherkenning bij verkeershandhaving nog in gebruik?", "nl")
    assert "status" in found.fields and found.status is None


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "organization"),
    [
        ("Which algorithms has the Dutch Data Protection Authority (AP) registered?", "Autoriteit Persoonsgegevens"),
        ("What does the Labour Inspectorate, de Nederlandse Arbeidsinspectie, offer in the register?", "Nederlandse Arbeidsinspectie"),
        ("Welke algoritmes heeft de fiscus (Belastingdients) zelf gepubliceerd?", "Belastingdienst"),
    ],
)
def test_an_organisation_named_twice_or_with_register_verbs_is_a_list_of_it(register_understand, question, organization):
    found = register_understand.analyse(question, "en")
    assert [o.name for o in found.organizations] == [organization]
    assert register_understand._intent(found) == "org_list"  # no leftover words taken for a topic it has nothing on


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "group", "member"),
    [
        ("Welke algoritmes gebruiken de drie reclasseringsorganisaties?", "reclassering", "Stichting Verslavingsreclassering GGZ"),
        ("Which algorithms do the probation services use?", "reclassering", "Reclassering Nederland"),
        ("Wat hebben de toezichthouders in het register staan?", "toezichthouders", "Autoriteit Persoonsgegevens"),
    ],
)
def test_groups_of_organisations_list_every_member(register_understand, question, group, member):
    u = register_understand.analyse(question, "en" if question.startswith("Which") else "nl")
    assert u.kind == group and not u.organizations  # the group, not one near-miss organisation
    assert member in u.kind_members
    assert register_understand._intent(u) == "org_list"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # written for this test: an organisation's entries on a subject, or all of them
        ("Welke algoritmes van de ACM hebben met energie te maken?", "topic"),
        ("Wat heeft Rijkswaterstaat allemaal aan algoritmes?", "org_list"),
        ("Wat heeft de provincie Drenthe allemaal in het register gezet?", "org_list"),
    ],
)
def test_an_organisations_algorithms_on_a_subject_are_searched_and_all_of_them_listed(register_understand, question, intent):
    assert register_understand._intent(register_understand.analyse(question, "nl")) == intent


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "fields"),
    [
        # written for this test: a word of the field vocabulary as part of a topic question
        ("Welke gemeenten hebben een chatbot op hun website?", []),
        ("Is er een model dat het risico op overstromingen voorspelt?", []),
        ("Which councils translate their website automatically?", []),
        # and as what is asked of a named algorithm, or in a phrase of its own
        ("Wat is de status van MONOcam?", ["status"]),
        ("Op grond van welke wet gebruikt de gemeente een model voor de WOZ-waarde?", ["lawful_basis"]),
    ],
)
def test_one_word_of_the_field_vocabulary_in_a_topic_question_is_its_subject_not_a_field(register_understand, question, fields):
    found = register_understand.analyse(question, "nl")
    assert set(fields) <= set(found.fields) and bool(found.fields) == bool(fields)
    if not fields:
        assert register_understand._intent(found) == "topic" and not found.asks_property


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "asks_link"),
    [
        ("Which software reads the Woensdrecht website aloud?", False),  # the website is where the tool runs
        ("In hoeveel talen leest de software op de website van Woensdrecht voor?", False),
        ("Wat is de website van Zivver bij de gemeente Lochem?", True),
        ("Is there a link to more information about MONOcam?", True),
    ],
)
def test_a_website_is_asked_for_only_by_asking_which_or_for_a_link(register_understand, question, asks_link):
    assert ("website" in register_understand.analyse(question, "nl").fields) == asks_link


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "organization"),
    [
        ("Wat doet ChangeMapp bij de provincie Zuid-Holland?", "Provincie Zuid-Holland"),
        ("Wat doet ChangeMapp van de gemeente Den Haag?", "Gemeente Den Haag"),
    ],
)
def test_a_name_several_organisations_use_means_the_entry_of_the_organisation_named(register_understand, question, organization):
    found = register_understand.analyse(question, "nl")
    index = register_understand.index
    assert found.named and all(index.get(lars).organization == organization for lars in found.named)


@pytest.mark.parametrize(
    "question",
    [
        "Welke regels gelden voor Risicoselectie liquide middelen bij grensoverschrijding?",
        "Onder welke regeling valt Risicoselectie liquide middelen bij grensoverschrijding?",
        "What gives the Douane the legal right to use Risicoselectie liquide middelen bij grensoverschrijding?",
        "Which regulation is Risicoselectie liquide middelen bij grensoverschrijding based on?",
    ],
)
def test_the_legal_basis_asked_in_other_words(understand, question):
    found = understand.analyse(question, "nl")
    assert found.fields == ["lawful_basis"] and found.named == ["W0001"]


@pytest.mark.parametrize(
    ("question", "status", "fields"),
    [
        # written for this test: a misspelt word of a filter or field phrase
        ("Welke algoritmes van de Douane zijn niet meer in gebruk?", "Buiten gebruik", []),
        ("Welke algoritmes van de Douane zijn in ontwikelling?", "In ontwikkeling", []),
        ("Is er een impcat assessment gedaan voor Risicoselectie liquide middelen bij grensoverschrijding?", None, ["impacttoetsen"]),
    ],
)
def test_a_misspelt_word_of_a_filter_or_field_phrase_is_read_as_meant(understand, question, status, fields):
    found = understand.analyse(question, "nl")
    assert found.status == status and found.fields == fields


@pytest.mark.parametrize(
    "question",
    [
        "Which of the police's algorithms are about traffic?",  # 'police' is not 'policy' (no 'policy area')
        "Welke algoritmes gebruikt de gemeente voor parkeren?",
    ],
)
def test_words_outside_a_cue_phrase_are_not_corrected(understand, question):
    norm = normalise_question(question)
    assert understand.spelled(norm) == norm


@pytest.mark.shared_data
def test_a_tool_many_organisations_register_is_named_with_all_its_entries_and_a_common_title_word_is_not(register_understand):
    zivver = register_understand.analyse("Hoeveel gemeenten gebruiken zivver?", "nl")
    records = [register_understand.index.get(lars) for lars in zivver.named]
    assert len(records) > 50 and all("zivver" in " ".join(map(str, r.fields.values())).lower() for r in records)
    assert register_understand.analyse("Welke gemeenten gebruiken een chatbot?", "nl").named == []  # chatbots go by many names
    lochem = register_understand.analyse("Gebruikt de gemeente Lochem Zivver?", "nl")
    assert [register_understand.index.get(lars).organization for lars in lochem.named] == ["Gemeente Lochem"]


@pytest.mark.parametrize(
    ("question", "asks_for_a_list"),
    [
        ("What algorithms does UWV use?", True),
        ("Welke soort algoritmes gebruikt de gemeente?", True),
        ("Which of the algorithms are in use?", True),
        ("What does Rotterdam's algorithm for travel documents predict?", False),
        ("What is the algorithm of the RDW for?", False),
    ],
)
def test_which_algorithms_asks_for_a_list_and_what_the_algorithm_does_not(understand, question, asks_for_a_list):
    assert asks_for_algorithms(understand.analyse(question, "en")) is asks_for_a_list

"""Organisations in a question, resolved against public organisation names only."""

from ingest.organizations import OrganizationMatcher

PUBLIC = ["Rijkswaterstaat", "Gemeente Utrecht", "Provincie Utrecht", "Belastingdienst", "Gemeente Assen"]


def names(matches):
    return [m.organization.name for m in matches]


def test_exact_names_short_forms_and_places():
    matcher = OrganizationMatcher(PUBLIC)
    assert names(matcher.find("Welke algoritmes heeft Rijkswaterstaat?")[0]) == ["Rijkswaterstaat"]
    assert names(matcher.find("Wat doet de gemeente Utrecht met AI?")[0]) == ["Gemeente Utrecht"]
    assert names(matcher.find("Welke algoritmes gebruikt de provincie Utrecht?", kind="provincie")[0]) == ["Provincie Utrecht"]
    matches, rest = matcher.find("Welke algoritmes heeft Rijkswaterstaat?")
    assert matches[0].exact and "rijkswaterstaat" not in rest


def test_a_typo_is_matched_with_its_confidence():
    matches, _ = OrganizationMatcher(PUBLIC).find("Welke algoritmes heeft Rijkswaterstat?")
    assert names(matches) == ["Rijkswaterstaat"]
    assert not matches[0].exact and 0.86 <= matches[0].confidence < 1.0


def test_only_public_organisations_are_known():
    matcher = OrganizationMatcher(["Gemeente Utrecht"])
    assert matcher.find("Welke algoritmes heeft de Nationaal Coördinator Terrorismebestrijding en Veiligheid?")[0] == []
    assert matcher.find("Heeft de NCTV algoritmes?")[0] == []


def test_register_words_are_not_near_misses():
    matcher = OrganizationMatcher(PUBLIC, known_words={"gemeente", "assistent", "virtuele"})
    assert matcher.find("Hoeveel organisaties hebben de virtuele gemeente assistent?")[0] == []
    assert names(OrganizationMatcher(PUBLIC).find("algoritmes van de belastingdients")[0]) == ["Belastingdienst"]


def test_kind_members():
    matcher = OrganizationMatcher(PUBLIC)
    assert matcher.of_kind("gemeente") == {"Gemeente Utrecht", "Gemeente Assen"}


def test_exact_forms_only_when_asked():
    matcher = OrganizationMatcher(PUBLIC)
    assert matcher.find("Welke algoritmes heeft Rijkswaterstat?", fuzzy=False)[0] == []


def test_aliases_and_case_sensitive_short_forms():
    matcher = OrganizationMatcher(["Politie", "Douane", "Openbaar Ministerie", "Koninklijke Marechaussee"])
    assert names(matcher.find("Which algorithms do the police use?")[0]) == ["Politie"]
    assert names(matcher.find("Gebruiken douaniers een model?")[0]) == ["Douane"]
    assert names(matcher.find("Wat doet de marechausee?")[0]) == ["Koninklijke Marechaussee"]
    assert names(matcher.find("Welke algoritmes heeft het OM?")[0]) == ["Openbaar Ministerie"]
    assert matcher.find("Wat moet ik doen om bezwaar te maken?")[0] == []  # 'om' is no OM


def test_a_misspelled_second_mention_of_a_named_organisation_is_taken_out_too():
    matches, rest = OrganizationMatcher(PUBLIC).find("What algorithms does the Dutch tax authority (Belastindienst) use?")
    assert names(matches) == ["Belastingdienst"]
    assert "belastindienst" not in rest and "tax authority" not in rest  # no topic words left over
    matches, rest = OrganizationMatcher(PUBLIC).find("Welke algoritmes deelt Rijkswaterstaat met de gemeente Utrech?")
    assert names(matches) == ["Rijkswaterstaat"] and "utrech" in rest  # a near miss of another organisation is not taken out


def test_a_place_that_is_also_a_word_counts_when_written_with_its_capital_inside_a_sentence():
    matcher = OrganizationMatcher(["Gemeente Delft", "Gemeente Leiden", "Gemeente Best"])
    assert names(matcher.find("Welke algoritmes heeft Delft?")[0]) == ["Gemeente Delft"]
    assert names(matcher.find("What algorithms does Leiden use?")[0]) == ["Gemeente Leiden"]
    matches, rest = matcher.find("Wie controleert bij de binnenstad van Delft de kentekens?")
    assert names(matches) == ["Gemeente Delft"] and matches[0].by_place and "delft" not in rest
    assert matcher.find("Welke algoritmes leiden tot een besluit?")[0] == []  # the verb
    assert matcher.find("Welk algoritme werkt het best?")[0] == []
    assert matcher.find("Leiden gebruikt welke algoritmes?")[0] == []  # a capital that opens the sentence says nothing
    assert names(matcher.find("Welke algoritmes heeft de gemeente Leiden?")[0]) == ["Gemeente Leiden"]

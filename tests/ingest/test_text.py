"""Register text fields as a reader sees them: HTML becomes clean, readable plain text."""

from __future__ import annotations

import pytest

from ingest.text import clean_text


def test_paragraphs_become_blank_line_separated():
    assert clean_text("<p>Eerste alinea.</p><p>Tweede alinea.</p>") == "Eerste alinea.\n\nTweede alinea."


def test_divs_and_line_breaks():
    assert clean_text("<div>Regel een<br>regel twee<br/>regel drie</div>") == "Regel een\nregel twee\nregel drie"


def test_bullet_list_is_readable():
    text = clean_text("<p>Wij gebruiken:</p><ul><li>BRP-gegevens</li><li>Kentekens</li></ul><p>Verder niets.</p>")
    assert text == "Wij gebruiken:\n\n- BRP-gegevens\n- Kentekens\n\nVerder niets."


def test_numbered_list_keeps_its_numbers():
    assert clean_text("<ol><li>Aanvraag</li><li>Toets</li><li>Besluit</li></ol>") == "1. Aanvraag\n2. Toets\n3. Besluit"


def test_nested_list_is_indented_under_its_item():
    markup = (
        "<ul><li>Persoonsgegevens<ul><li>naam</li><li>adres<ol><li>straat</li><li>postcode</li></ol></li></ul></li>"
        "<li>Voertuiggegevens</li></ul>"
    )
    assert clean_text(markup) == (
        "- Persoonsgegevens\n"
        "  - naam\n"
        "  - adres\n"
        "    1. straat\n"
        "    2. postcode\n"
        "- Voertuiggegevens"
    )


def test_pretty_printed_list_with_paragraphs_in_items():
    markup = "<div>\n<ul>\n  <li><p>BSN verhuizende personen</p></li>\n  <li></li>\n  <li>\n    Tijd van de\n    e-aangifte\n  </li>\n</ul>\n</div>"
    assert clean_text(markup) == "- BSN verhuizende personen\n- Tijd van de e-aangifte"


def test_link_keeps_its_address_when_the_text_does_not_show_it():
    markup = '<p>Zie <a href="https://wetten.overheid.nl/BWBR0005537">de Algemene wet bestuursrecht</a>.</p>'
    assert clean_text(markup) == "Zie de Algemene wet bestuursrecht (https://wetten.overheid.nl/BWBR0005537)."


def test_link_whose_text_is_the_address_is_not_doubled():
    markup = '<p>Meer op <a href="https://algoritmes.overheid.nl">https://algoritmes.overheid.nl</a></p>'
    assert clean_text(markup) == "Meer op https://algoritmes.overheid.nl"


def test_entities_are_decoded():
    assert clean_text("<p>Caf&eacute; &amp; terras &lt;Noord&gt;&nbsp;2</p>") == "Café & terras <Noord> 2"
    assert clean_text("Wet werk &amp; bijstand") == "Wet werk & bijstand"


def test_inline_markup_is_dropped_without_gluing_words():
    assert clean_text("<p>Het <strong>risicomodel</strong> <em>selecteert</em> aanvragen.</p>") == "Het risicomodel selecteert aanvragen."


def test_plain_text_with_angle_bracket_links_stays_intact():
    text = "Zie <https://wetten.overheid.nl/BWBR0015703> voor de Participatiewet.\n- punt een\n- punt twee"
    assert clean_text(text) == text


def test_plain_text_whitespace_is_tidied():
    assert clean_text("  Regel  een\t met\r\n\r\n\r\n\r\nregel twee  ") == "Regel een met\n\nregel twee"


@pytest.mark.parametrize("empty", [None, "", "   ", "-", "--", "null", "None", "NaN", "n/a", "N/A", "<p></p>", "<p>&nbsp;</p>", "<div> <br> </div>"])
def test_empty_markers_become_none(empty):
    assert clean_text(empty) is None


def test_numbers_and_other_values_become_text():
    assert clean_text(2024) == "2024"

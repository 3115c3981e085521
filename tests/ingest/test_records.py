"""Reading register sources (snapshot, JSON/JSONL records, CSV) and normalising their records."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from ingest.chunks import NO_ORGANIZATION, chunk_record
from ingest.records import PublicRecord, SourceError, file_source, live_source, newest_date, normalise_public
from tests.helpers import write_jsonl

SNAPSHOT_ENTRY = {  # an entry in the snapshot's shape (made up for this test)
    "id": "10000042",
    "title": "Matching van vacatures en kandidaten",
    "organisatie": "IND",
    "doel": "Het platform analyseert kandidatenprofielen en functiebeschrijvingen.",
    "juridische_basis": "",
    "impactassessment": "Onbekend",
    "status": "in_gebruik",
    "geregistreerd": "2026-04-07",
    "toegevoegd": "2026-05-13",
    "url": "https://algoritmes.overheid.nl/nl/algoritme/10000042",
}

TEMPLATE_RECORD = {  # a vendor template in publication standard v1.0: HTML, grouping fields, no organisation
    "lars": "Vkey2-waarderen",
    "id": "key2-waarderen",
    "name": "Key2Waarderen",
    "description_short": "<p>Bepaalt de <strong>WOZ-waarde</strong> van woningen.</p>",
    "goal": "<div><p>Het doel is:</p><ul><li>uniforme taxaties;</li><li>minder bezwaren.</li></ul></div>",
    "lawful_basis_grouping": [
        {"title": "Wet waardering onroerende zaken", "link": "https://wetten.overheid.nl/BWBR0007119"},
        {"title": "Uitvoeringsregeling"},
    ],
    "impacttoetsen_grouping": [{"title": "Data Protection Impact Assessment (DPIA)"}],
    "status": "In gebruik",
    "publication_category": "Impactvolle algoritmes",
    "provider": "Centric",
    "tags": ["WOZ", "taxatie"],
    "standard_version": "1.0",
    "source": "template-1.0",
}


def read(path: Path) -> list[PublicRecord]:
    source = file_source(str(path))
    return [normalise_public(raw.record_id, source.source_id, raw.data, None) for raw in source.read()]


def write_csv(path: Path, rows: list[dict], delimiter: str = ";", quoting: int = csv.QUOTE_MINIMAL) -> Path:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # with a BOM, as spreadsheet exports have
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter, quoting=quoting)
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- source formats ------------------------------------------------------------------------------


def test_snapshot_entries_get_publication_standard_names(tmp_path):
    snapshot = tmp_path / "register-snapshot.json"
    second = dict(SNAPSHOT_ENTRY, id="22222222", title="Tweede", organisatie="Gemeente Utrecht", status="buiten_gebruik",
                  impactassessment="Ja", doel="")
    snapshot.write_text(json.dumps({"algoritmes": [SNAPSHOT_ENTRY, second], "count": 2, "fetched_at": "2026-08-08T06:20:11Z"}))

    first, other = read(snapshot)

    assert first.lars == "10000042"
    assert first.name == "Matching van vacatures en kandidaten"
    assert first.organization == "Immigratie- en Naturalisatiedienst"
    assert first.fields["goal"] == SNAPSHOT_ENTRY["doel"]
    assert first.status == "In gebruik"
    assert first.impact_assessment == "Onbekend"
    assert first.url == SNAPSHOT_ENTRY["url"]
    assert first.fields["registered_date"] == "2026-04-07"
    assert "lawful_basis" not in first.fields, "an empty legal basis is no value"
    assert not {"id", "title", "organisatie", "doel", "juridische_basis", "status_raw"} & set(first.fields)
    assert other.status == "Buiten gebruik" and other.impact_assessment == "Ja"
    assert "goal" not in other.fields


# --- the date of the data ------------------------------------------------------------------------


def test_a_snapshot_states_the_date_it_was_fetched(tmp_path):
    snapshot = tmp_path / "register-snapshot.json"
    snapshot.write_text(json.dumps({"algoritmes": [SNAPSHOT_ENTRY], "count": 1, "fetched_at": "2026-08-08T06:20:11Z"}))
    assert file_source(str(snapshot)).stated_date() == date(2026, 8, 8)


def test_a_record_file_states_no_date_but_its_records_have_dates(tmp_path):
    path = write_jsonl(tmp_path / "records.jsonl", [
        {"lars": "D1", "name": "Een", "revision_date": "44495", "begin_date": "2025-05"},
        {"lars": "D2", "name": "Twee", "registered_date": "2024-11-30"},
        {"lars": "D3", "name": "Drie", "begin_date": "2999-01-01"},
    ])
    source = file_source(str(path))
    assert source.stated_date() is None
    assert source.modified_date() == datetime.now(timezone.utc).date()
    one, two, three = read(path)
    assert newest_date(one) == date(2025, 5, 1), "a spreadsheet day number is no date; a year-month is"
    assert newest_date(two) == date(2024, 11, 30)
    assert newest_date(three) is None, "a date in the future is a typo, not the date of the data"


def test_the_live_register_is_dated_today():
    assert live_source("https://register.example/api", "NLD").stated_date() == datetime.now(timezone.utc).date()


def test_json_list_and_api_listing_shapes(tmp_path):
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps([{"lars": "A1", "name": "Een"}, {"lars": "A2", "name": "Twee"}]))
    listing = tmp_path / "listing.json"
    listing.write_text(json.dumps({"results": [{"lars": "12345678", "name": "Drie", "language": "NLD", "org_id": "x"}], "total_count": 1}))

    assert [r.lars for r in read(as_list)] == ["A1", "A2"]
    (entry,) = read(listing)
    assert entry.name == "Drie"
    assert "language" not in entry.fields and "org_id" not in entry.fields
    assert entry.url == "https://algoritmes.overheid.nl/nl/algoritme/12345678"


def test_jsonl_v1_record_with_html_and_grouping_fields(tmp_path):
    (record,) = read(write_jsonl(tmp_path / "records.jsonl", [TEMPLATE_RECORD]))

    assert record.lars == "Vkey2-waarderen"
    assert record.fields["description_short"] == "Bepaalt de WOZ-waarde van woningen."
    assert record.fields["goal"] == "Het doel is:\n\n- uniforme taxaties;\n- minder bezwaren."
    assert record.fields["lawful_basis_grouping"] == (
        "- Wet waardering onroerende zaken (https://wetten.overheid.nl/BWBR0007119)\n- Uitvoeringsregeling"
    )
    assert record.fields["tags"] == ["WOZ", "taxatie"]
    assert record.publication_category == "Impactvolle algoritmes"
    assert record.impact_assessment == "Ja", "a listed DPIA means an impact assessment was done"


def test_vendor_template_without_organisation_is_kept_and_says_so(tmp_path):
    (record,) = read(write_jsonl(tmp_path / "templates.jsonl", [TEMPLATE_RECORD]))

    assert record.organization is None
    assert record.name == "Key2Waarderen"
    assert record.fields["goal"], "the template's public text is kept"

    summary = next(c for c in chunk_record(record, "test-model") if c.field == "summary")
    assert f"Organisatie: {NO_ORGANIZATION}" in summary.text


def test_jsonl_older_standard_record_keeps_its_fields(tmp_path):
    old = {
        "lars": "T0005",
        "name": "Wmo-voorspelmodel",
        "organization": "Gemeente Den Haag",
        "description_short": "Voorspelt de vraag naar Wmo-voorzieningen.\n- per wijk\n- per jaar <https://www.denhaag.nl/wmo>",
        "status": "In gebruik",
        "category": ["Zorg en welzijn"],
        "dpia": "True",
        "standard_version": "Algoritmeregister 0.2",
        "uuid": "c0ffee00-0000-0000-0000-000000000000",
    }
    (record,) = read(write_jsonl(tmp_path / "old.jsonl", [old]))

    assert record.fields["description_short"] == old["description_short"]
    assert record.fields["category"] == ["Zorg en welzijn"]
    assert record.fields["standard_version"] == "Algoritmeregister 0.2"
    assert "uuid" not in record.fields
    assert record.url is None, "only register ids (digits) get a register address"


def test_csv_in_register_download_style(tmp_path):
    long_html = "<p>" + "Een lange uitleg, met komma's; en puntkomma's. " * 120 + "</p><ul><li>punt een</li><li>punt twee</li></ul>"
    rows = [
        {
            "lars": "C0001",
            "name": "Parkeerscan, slim",
            "organization": "UWV",
            "description_short": long_html,
            "status": "in_gebruik",
            "lawful_basis_grouping": json.dumps([{"title": "Wegenverkeerswet 1994", "link": "https://wetten.overheid.nl/BWBR0006622"}]),
            "tags": json.dumps(["parkeren", "handhaving"]),
            "publication_category": "Impactvolle algoritmes",
        },
        {
            "lars": "C0002",
            "name": "Tweede",
            "organization": "Rijksinspectie Digitale Infrastructuur (RDI)",
            "description_short": "Regel een\nregel twee, met een komma",
            "status": "buiten gebruik",
            "lawful_basis_grouping": "",
            "tags": "",
            "publication_category": "",
        },
    ]
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL):
        first, second = read(write_csv(tmp_path / "register.csv", rows, delimiter=";", quoting=quoting))

        assert first.lars == "C0001" and first.name == "Parkeerscan, slim"
        assert first.organization == "Uitvoeringsinstituut Werknemersverzekeringen"
        assert first.fields["description_short"].startswith("Een lange uitleg, met komma's; en puntkomma's.")
        assert first.fields["description_short"].endswith("\n\n- punt een\n- punt twee")
        assert first.fields["lawful_basis_grouping"] == "- Wegenverkeerswet 1994 (https://wetten.overheid.nl/BWBR0006622)"
        assert first.fields["tags"] == ["parkeren", "handhaving"]
        assert first.status == "In gebruik"
        assert second.organization == "Rijksinspectie Digitale Infrastructuur"
        assert second.fields["description_short"] == "Regel een\nregel twee, met een komma"
        assert second.status == "Buiten gebruik"
        assert not {"lawful_basis_grouping", "tags", "publication_category"} & set(second.fields), "empty cells are no values"


def test_csv_with_comma_delimiter(tmp_path):
    path = write_csv(tmp_path / "comma.csv", [{"lars": "C1", "name": "Een; twee", "organization": "DUO"}], delimiter=",")
    (record,) = read(path)
    assert record.name == "Een; twee" and record.organization == "Dienst Uitvoering Onderwijs"


# --- sources that cannot be read ------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file") as error:
        file_source(str(tmp_path / "nergens.jsonl"))
    assert "nergens.jsonl" in str(error.value)


def test_bad_jsonl_names_the_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"lars": "A1", "name": "Goed"}\n\n{"lars": "A2", "name": "Kapot"\n', encoding="utf-8")
    source = file_source(str(path))
    with pytest.raises(SourceError, match=r"broken\.jsonl line 3: not valid JSON"):
        list(source.read())


def test_bad_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"lars": "A1"},\n  {"lars": "A2",}\n]\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken\.json: not valid JSON .* line 3"):
        list(file_source(str(path)).read())


def test_unknown_extension(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(SourceError, match=r"unknown source format '\.xlsx'.*\.json, \.jsonl or \.csv"):
        file_source(str(path))


def test_csv_without_lars_column(tmp_path):
    path = write_csv(tmp_path / "names.csv", [{"naam": "Parkeerscan", "organisatie": "UWV"}])
    with pytest.raises(SourceError, match="needs a 'lars'"):
        list(file_source(str(path)).read())


def test_a_directory_is_not_a_source(tmp_path):
    with pytest.raises(SourceError, match="not a file"):
        file_source(str(tmp_path))


# --- normalisation ---------------------------------------------------------------------------


def normalised(**fields) -> PublicRecord:
    return normalise_public("12345678", "test", {"name": "Algoritme", **fields}, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("in_gebruik", "In gebruik"),
        ("In gebruik", "In gebruik"),
        ("IN-GEBRUIK", "In gebruik"),
        ("ontwikkeling", "In ontwikkeling"),
        ("in_ontwikkeling", "In ontwikkeling"),
        ("buiten_gebruik", "Buiten gebruik"),
        ("Buiten gebruik", "Buiten gebruik"),
    ],
)
def test_status_vocabulary(raw, expected):
    assert normalised(status=raw).status == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("UWV", "Uitvoeringsinstituut Werknemersverzekeringen"),
        ("uwv", "Uitvoeringsinstituut Werknemersverzekeringen"),
        ("DUO", "Dienst Uitvoering Onderwijs"),
        ("Dienst Uitvoering Onderwijs (DUO)", "Dienst Uitvoering Onderwijs"),
        ("SVB", "Sociale Verzekeringsbank"),
        ("IND", "Immigratie- en Naturalisatiedienst"),
        ("RDW", "Rijksdienst voor het Wegverkeer"),
        ("A'dam", "Gemeente Amsterdam"),
        ("Rijksinspectie Digitale Infrastructuur (RDI)", "Rijksinspectie Digitale Infrastructuur"),
        ("Ministerie BZK", "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties"),
        ("  Belastingdienst ", "Belastingdienst"),
    ],
)
def test_organisation_short_forms_become_the_canonical_name(raw, expected):
    record = normalised(organization=raw)
    assert record.organization == expected


def test_unknown_organisation_is_kept_as_written():
    assert normalised(organization="Stichting Voorbeeld Nergenshuizen").organization == "Stichting Voorbeeld Nergenshuizen"


def test_publication_category_vocabulary():
    assert normalised(publication_category="impactvolle algoritmes").publication_category == "Impactvolle algoritmes"
    assert normalised(publication_category="Hoog-risico AI-systeem").publication_category == "Hoog-risico AI-systeem"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"impact_assessment": "Ja"}, "Ja"),
        ({"impactassessment": "nee"}, "Nee"),
        ({"impactassessment": "Onbekend"}, "Onbekend"),
        ({"impacttoetsen": "<p>DPIA is toegepast.</p>"}, "Ja"),
        ({"impacttoetsen": "Geen impacttoets uitgevoerd."}, "Nee"),
        ({"impacttoetsen_grouping": [{"title": "IAMA", "link": "https://example.org/iama.pdf"}]}, "Ja"),
        ({}, "Onbekend"),
    ],
)
def test_impact_assessment_derivation(fields, expected):
    assert normalised(**fields).impact_assessment == expected


def test_empty_values_are_dropped():
    record = normalised(goal="-", risks="<p>&nbsp;</p>", tags=[], category=["", "Verkeer"], provider=None, lawful_basis="null")
    assert not {"goal", "risks", "tags", "provider", "lawful_basis"} & set(record.fields)
    assert record.fields["category"] == ["Verkeer"]


def test_record_without_name_falls_back_to_its_id():
    record = normalise_public("12345678", "test", {"goal": "Iets doen."}, None)
    assert record.name == "12345678"


def test_content_hash_follows_the_public_content():
    one = normalised(goal="<p>Doel</p>")
    same = normalised(goal="Doel")
    other = normalised(goal="Ander doel")
    assert one.content_hash() == same.content_hash(), "markup differences that vanish in the text change nothing"
    assert one.content_hash() != other.content_hash()

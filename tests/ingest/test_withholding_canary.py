"""The canary: after ingesting the withheld fixture, no withheld value, distinctive word, stem,
code name or number is anywhere in the data directory, the command's output or the logs. The files
are scanned with the public register's numbers counted as public (see
leak_search.register_public_text: hnswlib writes stale process memory into its index files, where a
year such as 2025 turns up); its words, the output and the logs with the fixture's public parts only."""

from __future__ import annotations

import json
import pickle

import pytest

from ingest.reader import split_sources_isolated
from ingest.records import file_source
from tests.conftest import WITHHELD_FIXTURE
from tests.helpers import run_cli_fresh
from tests.guardrails.leak_search import hits_in_bytes, hits_in_text, load_records, needles, register_public_text, scan_directory

INVALID_RECORDS = [
    {
        "lars": "X0001",
        "name": "Controle met onbekend veld",
        "organization": "Douane",
        "goal": "Een openbaar doel.",
        "methods_and_models": "Geheime regel KWARTELKONING met drempel 777,5 punten.",
        "withholding": {"scope": "fields", "fields": ["methods_and_models", "geheime_kolom"], "ground": "opsporing"},
    },
    {
        "lars": "X0002",
        "name": "Controle met onbekende grond",
        "organization": "Douane",
        "goal": "Nog een openbaar doel.",
        "source_data": "Bestand ROERDOMP-ARCHIEF met 31337 signaleringen.",
        "withholding": {"scope": "fields", "fields": ["source_data"], "ground": "bedrijfsgeheim"},
    },
    {
        "lars": "X0003",
        "name": "Controle overig zonder grondslag",
        "organization": "Douane",
        "goal": "Een derde openbaar doel.",
        "risks": "Selectie op postcode 9999XZ en leeftijd onder 23 jaar.",
        "withholding": {"scope": "fields", "fields": ["risks"], "ground": "overig"},
    },
]


@pytest.fixture()
def isolated_env(tmp_path):
    return tmp_path / "data"


def test_fixture_ingest_leaves_no_withheld_trace(isolated_env, shared_dir):
    data_dir = isolated_env
    code, output, logs = run_cli_fresh(["ingest", str(WITHHELD_FIXTURE), "--json"], data_dir)
    assert code == 0, output + logs
    report = json.loads(output)
    assert report["withheld"] == {"fields": 7, "entries": 3}
    assert report["records_total"] == 8 and report["rejected"] == 0

    records = load_records(WITHHELD_FIXTURE)
    needle_list = needles(records)
    kinds = {n.kind for n in needle_list}
    assert {"value", "word", "stem", "code_name", "number", "record_id"} <= kinds
    assert len(needle_list) > 100

    file_leaks = scan_directory(data_dir, needles(records, register_public_text(shared_dir, with_words=False)))
    assert file_leaks == [], f"withheld traces on disk: {file_leaks[:10]}"
    assert hits_in_text(output, needle_list) == []
    assert hits_in_text(logs, needle_list) == []
    assert any(data_dir.rglob("*.sqlite3")), "the index was not written at all"


def test_reingest_and_search_output_leave_no_trace(isolated_env, shared_dir):
    data_dir = isolated_env
    outputs = []
    for argv in (
        ["ingest", str(WITHHELD_FIXTURE)],
        ["ingest", str(WITHHELD_FIXTURE)],
        ["search", "indicatoren risicoscore codenaam selectie", "--json"],
        ["search", "GANZENBORD schoenmaat NOORDWIND telecom", "--json"],
    ):
        code, output, logs = run_cli_fresh(argv, data_dir)
        assert code == 0, output + logs
        outputs.append(output + "\n" + logs)
    needle_list = needles(load_records(WITHHELD_FIXTURE))
    assert scan_directory(data_dir, needles(load_records(WITHHELD_FIXTURE), register_public_text(shared_dir, with_words=False))) == []
    for text in outputs:
        assert hits_in_text(text, needle_list) == []
    entry_ids = {"W0003", "W0008", "W0010"}
    for found in (json.loads(o[: o.rindex("]") + 1]) for o in outputs[2:]):
        assert not entry_ids & {row["lars"] for row in found}


def test_invalid_withholding_rejects_only_that_record(isolated_env, tmp_path):
    data_dir = isolated_env
    source = tmp_path / "mixed.jsonl"
    valid = {"lars": "X0100", "name": "Openbaar parkeeralgoritme", "organization": "Gemeente Delft", "goal": "Parkeren controleren."}
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*INVALID_RECORDS, valid]) + "\n", encoding="utf-8")

    code, output, logs = run_cli_fresh(["ingest", str(source)], data_dir)

    assert code != 0
    assert "3 record(s) rejected" in logs
    assert "X0001" in output and "geheime_kolom" in output
    assert "X0002" in output and "bedrijfsgeheim" in output
    assert "X0003" in output and "legal_basis" in output
    needle_list = needles(INVALID_RECORDS)
    assert scan_directory(data_dir, needle_list) == []
    assert hits_in_text(output + logs, needle_list) == []

    code, output, _ = run_cli_fresh(["search", "controle openbaar doel parkeren", "--json"], data_dir)
    found = {row["lars"] for row in json.loads(output)}
    assert found == {"X0100"}, "a rejected record must never be indexed as public"


def test_record_that_becomes_withheld_disappears(isolated_env, tmp_path):
    data_dir = isolated_env
    source = tmp_path / "agency.jsonl"
    public = {"lars": "X0200", "name": "Signalering zorgfraude", "organization": "Politie", "goal": "Signaleert fraude met zorggeld.",
              "methods_and_models": "Regels op declaraties."}
    source.write_text(json.dumps(public) + "\n", encoding="utf-8")
    assert run_cli_fresh(["ingest", str(source)], data_dir)[0] == 0

    hidden = dict(public, methods_and_models="Declaraties boven 4321 euro via zorgbureau KRAANVOGEL-ZORG.",
                  withholding={"scope": "entry", "ground": "opsporing"})
    source.write_text(json.dumps(hidden) + "\n", encoding="utf-8")
    code, output, logs = run_cli_fresh(["ingest", str(source), "--json"], data_dir)
    assert code == 0
    assert '"removed": 1' in output
    # What was public before may linger as history; what was never public must not appear.
    needle_list = [n for n in needles([hidden], extra_public_text=json.dumps(public, ensure_ascii=False)) if n.kind != "record_id"]
    assert {"kraanvogel", "4321"} <= {n.text.lower() for n in needle_list}
    assert scan_directory(data_dir, needle_list) == []
    code, output, _ = run_cli_fresh(["search", "zorgfraude declaraties", "--json"], data_dir)
    assert "X0200" not in output


def test_only_public_parts_leave_the_reader_process():
    """The reader process hands the indexing process public parts and notices only (no fingerprints):
    the whole hand-over, byte for byte, holds no withheld trace."""
    handed_over = split_sources_isolated([file_source(str(WITHHELD_FIXTURE))])
    assert len(handed_over.incoming) == 8 and handed_over.report.withheld_entries == 3
    needle_list = needles(load_records(WITHHELD_FIXTURE))
    assert hits_in_bytes(pickle.dumps(handed_over), needle_list) == []

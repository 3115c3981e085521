"""The record store: the source of truth for what is in the index. A record and its chunks are
written and replaced together, removal takes its chunks along, and a transaction that fails
leaves the previous state in use."""

from __future__ import annotations

import sqlite3

import pytest

from guardrails.withholding import parse_withholding
from ingest.chunks import chunk_record, is_embedded
from ingest.records import normalise_public
from ingest import store as store_module
from ingest.store import RecordStore

MODEL = "test-model"


def public(lars: str, **fields):
    data = {"name": f"Algoritme {lars}", "organization": "UWV", "goal": f"<p>Het doel van {lars}.</p>", "status": "in_gebruik", **fields}
    return normalise_public(lars, "file:/tmp/test.jsonl", data, None)


def put(store: RecordStore, *records) -> None:
    with store.transaction() as conn:
        for record in records:
            store.put_record(conn, record, chunk_record(record, MODEL))


@pytest.fixture()
def store(tmp_path):
    return RecordStore(tmp_path / "data")


def test_a_record_reads_back_as_written(store, tmp_path):
    notice = parse_withholding("S1", {"scope": "fields", "fields": ["source_data"], "ground": "opsporing"})
    record = normalise_public("S1", "file:/tmp/test.jsonl", {"name": "Controle", "organization": "Douane", "goal": "Openbaar doel."}, notice)
    put(store, record, public("S2"))

    again = RecordStore(tmp_path / "data").get("S1")  # a new connection: it is on disk
    assert again.name == "Controle" and again.organization == record.organization
    assert again.fields == record.fields
    assert again.notice == notice, "the withholding notice (which fields, on what ground) is kept"
    assert store.count() == 2 and [r.lars for r in store.records()] == ["S1", "S2"]
    put(store, normalise_public("V1", "file:/tmp/test.jsonl", {"name": "Voorbeeldpakket", "goal": "Een pakket."}, None))
    assert store.count_without_organization() == 1, "a vendor's example names no organisation"
    assert store.hashes()["S2"] == ("file:/tmp/test.jsonl", public("S2").content_hash())
    assert store.get("nope") is None


def test_rewriting_a_record_replaces_its_chunks(store):
    put(store, public("S1"), public("S2"))
    before = store.chunk_ids_of(["S1"])
    untouched = store.chunk_ids_of(["S2"])

    put(store, public("S1", goal="<p>Een heel ander doel: de drukte bij de pont voorspellen.</p>"))

    after = store.chunk_ids_of(["S1"])
    assert after and after != before
    assert store.chunk_ids_of(["S2"]) == untouched
    assert store.chunk_ids() == after | untouched
    assert store.embedded_chunk_ids() == {c.chunk_id for c in store.chunks() if is_embedded(c.field)}


def test_removing_a_record_removes_its_chunks(store):
    put(store, public("S1"), public("S2"))
    with store.transaction() as conn:
        store.remove_record(conn, "S1")
        store.set_source(conn, "S2", "file:/tmp/other.jsonl")
    assert store.get("S1") is None and store.chunk_ids_of(["S1"]) == set()
    assert {c.lars for c in store.chunks()} == {"S2"}
    assert store.get("S2").source == "file:/tmp/other.jsonl"


def test_a_failed_transaction_leaves_the_previous_state(store):
    put(store, public("S1"))
    with store.transaction() as conn:
        store.set_meta(conn, "generation", "first")
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            store.remove_record(conn, "S1")
            store.put_record(conn, public("S3"), chunk_record(public("S3"), MODEL))
            store.set_meta(conn, "generation", "second")
            raise RuntimeError("killed midway")
    assert store.get("S1") is not None and store.get("S3") is None
    assert store.get_meta("generation") == "first"
    assert store.get_meta("never-set") is None


def test_a_commit_of_this_process_shows_at_once_and_another_processes_within_the_ttl(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(store_module.time, "monotonic", lambda: clock[0])
    writer, reader = RecordStore(tmp_path), RecordStore(tmp_path)  # e.g. an admin ingest and the server's index
    with writer.transaction() as conn:
        RecordStore.set_meta(conn, "generation", "first")
    assert reader.generation() == "first"
    with writer.transaction() as conn:
        RecordStore.set_meta(conn, "generation", "second")
    assert reader.generation() == "second"  # this process's commit: no waiting for the TTL

    # another process writes the file: seen once GENERATION_TTL has passed, not before
    other = sqlite3.connect(tmp_path / RecordStore.FILE_NAME)
    with other:
        other.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', 'third')")
    other.close()
    assert reader.generation() == "second"
    clock[0] += store_module.GENERATION_TTL + 0.01
    assert reader.generation() == "third"

"""Chunks of a public record: one short passage per entry is embedded, everything is searched."""

from ingest.chunks import PASSAGE_FIELD, PASSAGE_INTRO_CHARS, chunk_record, is_embedded
from ingest.records import PublicRecord


def _record(goal: str) -> PublicRecord:
    fields = {"name": "Tellen zonnepanelen op daken", "organization": "Gemeente Voorbeeld", "goal": goal, "status": "In gebruik"}
    return PublicRecord(lars="12345678", source="test", fields=fields)


def test_one_embedded_passage_per_entry_with_title_organisation_and_goal():
    chunks = chunk_record(_record("Het aantal zonnepanelen wordt geteld op luchtfoto's. " * 40), "model-a")
    embedded = [c for c in chunks if is_embedded(c.field)]
    assert [c.field for c in embedded] == [PASSAGE_FIELD]
    passage = embedded[0].text
    assert passage.startswith("Tellen zonnepanelen op daken. Gemeente Voorbeeld. Het aantal zonnepanelen")
    assert len(passage) <= len("Tellen zonnepanelen op daken. Gemeente Voorbeeld. ") + PASSAGE_INTRO_CHARS
    assert len(chunks) > 2  # the long goal is searchable in pieces of its own


def test_chunk_ids_change_with_the_model():
    a = {c.chunk_id for c in chunk_record(_record("Doel."), "model-a")}
    b = {c.chunk_id for c in chunk_record(_record("Doel."), "model-b")}
    assert a.isdisjoint(b)

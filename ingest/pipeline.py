"""One ingest run: read sources, apply the withholding contract, embed what changed, and commit.

Order matters for safety and crash-consistency:
1. withheld values are split off and dropped, before anything else sees the record;
2. new chunks are embedded and written to the vector store under content-addressed ids;
3. one SQLite transaction switches the record store (the source of truth) to the new state;
4. chunks no longer referenced are deleted from the vector store.
A run killed at any point leaves the previous state in use; the next run completes the work."""

from __future__ import annotations

import logging
import uuid

from ingest import vector_store
from ingest.chunks import CHUNKER_VERSION, Chunk, chunk_record, is_embedded
from ingest.config import IngestConfig
from ingest.embedding import get_embedder
from ingest.reader import Progress, ReaderError, split_sources, split_sources_isolated
from ingest.records import LIVE_SOURCE_NAMES, PublicRecord, Source, file_source, live_source
from ingest.report import IngestReport
from ingest.store import RecordStore

__all__ = ["IngestError", "IngestReport", "resolve_sources", "run_ingest"]

log = logging.getLogger("algoritmewijzer.ingest")


def resolve_sources(specs: list[str], settings: IngestConfig) -> list[Source]:
    """Sources from command-line words: a file path, a register URL, or 'live' (also with no words)."""
    if not specs:
        specs = ["live"]
    sources = []
    for spec in specs:
        if spec.lower() in LIVE_SOURCE_NAMES or spec.startswith(("http://", "https://")):
            url = settings.register_api_url if spec.lower() in LIVE_SOURCE_NAMES else spec
            sources.append(live_source(url, settings.register_language, settings.register_max_retries, settings.register_backoff_base))
        else:
            sources.append(file_source(spec))
    return sources


class IngestError(RuntimeError):
    """The ingest run could not complete; the message is meant for the user."""


def run_ingest(sources: list[Source], settings: IngestConfig, progress: Progress | None = None, isolate: bool = True) -> IngestReport:
    try:
        split = split_sources_isolated(sources, progress) if isolate else split_sources(sources, progress)
    except ReaderError as exc:
        raise IngestError(str(exc)) from None
    report = split.report
    for message in report.failed_sources:
        log.error("source failed: %s", message)
    incoming, must_remove = split.incoming, split.must_remove
    seen_by_source, complete_sources = split.seen_by_source, split.complete_sources
    store = RecordStore(settings.data_dir)
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_max_tokens)
    model_id = embedder.model_id

    existing = store.hashes()
    index_key = f"{model_id}|chunker {CHUNKER_VERSION}"
    reembed_all = store.get_meta("index_key") not in (None, index_key)

    to_write: list[tuple[PublicRecord, list[Chunk]]] = []
    to_move: list[tuple[str, str]] = []
    for lars, item in incoming.items():
        old = existing.get(lars)
        if old and old[1] == item.record.content_hash() and not reembed_all:
            report.unchanged += 1
            if old[0] != item.record.source:
                to_move.append((lars, item.record.source))
            continue
        if old:
            report.updated += 1
        else:
            report.added += 1
        to_write.append((item.record, chunk_record(item.record, model_id)))

    removals = {lars for lars in must_remove if lars in existing}
    for lars, (source_id, _) in existing.items():
        if source_id in complete_sources and lars not in seen_by_source.get(source_id, set()) and lars not in incoming:
            removals.add(lars)
    report.removed = len(removals)

    collection = vector_store.open_collection(settings)
    live_ids = store.embedded_chunk_ids()
    new_chunks = [c for _, chunks in to_write for c in chunks if is_embedded(c.field)]
    missing = [c for c in new_chunks if c.chunk_id not in live_ids]
    records_by_lars = {r.lars: r for r, _ in to_write}
    if missing:
        texts = [c.text for c in missing]
        vectors: list[list[float]] = []
        step = max(settings.embedding_batch_size * 4, 64)
        for start in range(0, len(texts), step):
            vectors += embedder.embed_documents(texts[start : start + step])
            if progress:
                progress("embed", min(start + step, len(texts)), len(texts))
        metadatas = [_chunk_metadata(records_by_lars[c.lars], c) for c in missing]
        vector_store.upsert(collection, [c.chunk_id for c in missing], vectors, texts, metadatas)
        report.chunks_embedded = len(missing)
    kept = [c for c in new_chunks if c.chunk_id in live_ids]
    if kept:  # same text, but the record's metadata (status, source...) may have changed
        vector_store.update_metadata(collection, [c.chunk_id for c in kept], [_chunk_metadata(records_by_lars[c.lars], c) for c in kept])

    with store.transaction() as conn:
        for record, chunks in to_write:
            store.put_record(conn, record, chunks)
        for lars, source_id in to_move:
            store.set_source(conn, lars, source_id)
        for lars in removals:
            store.remove_record(conn, lars)
        store.set_meta(conn, "index_key", index_key)
        store.set_meta(conn, "generation", uuid.uuid4().hex)

    # Chunks the store no longer references (replaced, removed, or left by an interrupted run).
    stale = vector_store.all_ids(collection) - store.embedded_chunk_ids()
    vector_store.delete(collection, stale)

    report.records_total = store.count()
    report.without_organization = sum(1 for r in store.records() if not r.organization)
    log.info(
        "ingest done: added=%d updated=%d removed=%d unchanged=%d withheld_fields=%d withheld_entries=%d rejected=%d",
        report.added, report.updated, report.removed, report.unchanged,
        report.withheld_fields, report.withheld_entries, report.rejected,
    )
    return report


def _chunk_metadata(record: PublicRecord, chunk: Chunk) -> dict:
    meta = {
        "lars": record.lars,
        "name": record.name,
        "organization": record.organization or "",
        "field": chunk.field,
        "status": record.status or "",
        "publication_category": record.publication_category or "",
        "impact_assessment": record.impact_assessment,
        "url": record.url or "",
        "source": record.source,
    }
    return meta

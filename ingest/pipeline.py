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
from ingest.embedding import Embedder, get_embedder
from ingest.reader import Progress, ReaderError, split_sources, split_sources_isolated
from ingest.records import LIVE_SOURCE_NAMES, PublicRecord, Source, file_source, live_source
from ingest.report import IngestReport
from ingest.store import RecordStore

__all__ = ["IngestError", "IngestReport", "chunk_metadata", "embed_texts", "resolve_sources", "run_ingest"]

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
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_max_tokens, settings.model_cache_dir)
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
    referenced_before = store.embedded_chunk_ids()
    embedded = _embed_new_chunks(to_write, collection, embedder, settings.embedding_batch_size, progress)
    report.chunks_embedded = len(embedded)

    with store.transaction() as conn:
        for record, chunks in to_write:
            store.put_record(conn, record, chunks)
        for lars, source_id in to_move:
            store.set_source(conn, lars, source_id)
        for lars in removals:
            store.remove_record(conn, lars)
        store.set_meta(conn, "index_key", index_key)
        data_date = max([store.get_meta("data_date") or "", *split.data_dates.values()])
        if data_date:  # the "stand" of the register data in answers; the newest of what was ingested
            store.set_meta(conn, "data_date", data_date)
        store.set_meta(conn, "generation", uuid.uuid4().hex)

    # Chunks the store no longer references (replaced, removed, or left by an interrupted run). A
    # Chroma server may be shared by replicas with data of their own: there only the chunks this
    # store let go of are deleted, never what another replica may still use.
    referenced = store.embedded_chunk_ids()
    if settings.chroma_mode == "http":
        stale = (referenced_before | embedded) - referenced
    else:
        stale = vector_store.all_ids(collection) - referenced
    vector_store.delete(collection, stale)

    report.records_total = store.count()
    report.without_organization = store.count_without_organization()
    log.info(
        "ingest done: added=%d updated=%d removed=%d unchanged=%d withheld_fields=%d withheld_entries=%d rejected=%d",
        report.added, report.updated, report.removed, report.unchanged,
        report.withheld_fields, report.withheld_entries, report.rejected,
    )
    return report


def _embed_new_chunks(to_write: list[tuple[PublicRecord, list[Chunk]]], collection, embedder: Embedder, batch_size: int,
                      progress: Progress | None) -> set[str]:
    """Embed and store the dense chunks of the written records that the vector store does not hold
    yet; their ids are content-addressed (model, chunker, text), so a chunk already there, from an
    earlier run or another replica on the same Chroma server, is not embedded again. Returns the
    ids embedded now."""
    records_by_lars = {record.lars: record for record, _ in to_write}
    dense = [c for _, chunks in to_write for c in chunks if is_embedded(c.field)]
    present = vector_store.existing_ids(collection, [c.chunk_id for c in dense])
    missing = [c for c in dense if c.chunk_id not in present]
    if missing:
        texts = [c.text for c in missing]
        vectors = embed_texts(embedder, texts, batch_size, progress)
        metadatas = [chunk_metadata(records_by_lars[c.lars], c) for c in missing]
        vector_store.upsert(collection, [c.chunk_id for c in missing], vectors, texts, metadatas)
    kept = [c for c in dense if c.chunk_id in present]
    if kept:  # same text, but the record's metadata (status, source...) may have changed
        vector_store.update_metadata(collection, [c.chunk_id for c in kept], [chunk_metadata(records_by_lars[c.lars], c) for c in kept])
    return {c.chunk_id for c in missing}


def embed_texts(embedder: Embedder, texts: list[str], batch_size: int = 16, progress: Progress | None = None) -> list[list[float]]:
    """Vectors for `texts`, in their order: each distinct text embedded once, in batches of texts
    of similar length (a batching model pads each batch to its longest text)."""
    distinct = list(dict.fromkeys(texts))
    order = sorted(range(len(distinct)), key=lambda i: len(distinct[i]))
    step = max(batch_size * 4, 64)
    vectors: list[list[float]] = [[] for _ in distinct]
    for start in range(0, len(order), step):
        part = order[start : start + step]
        for i, vector in zip(part, embedder.embed_documents([distinct[i] for i in part])):
            vectors[i] = vector
        if progress:
            progress("embed", min(start + step, len(order)), len(order))
    by_text = dict(zip(distinct, vectors))
    return [by_text[text] for text in texts]


def chunk_metadata(record: PublicRecord, chunk: Chunk) -> dict:
    """The metadata stored with a chunk's vector."""
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

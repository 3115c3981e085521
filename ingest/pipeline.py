"""One ingest run: read sources, apply the withholding contract, embed what changed, and commit.

Order matters for safety and crash-consistency:
1. withheld values are split off and only fingerprinted, before anything else sees the record;
2. new chunks are embedded and written to the vector store under content-addressed ids;
3. one SQLite transaction switches the record store (the source of truth) to the new state;
4. chunks no longer referenced are deleted from the vector store.
A run killed at any point leaves the previous state in use; the next run completes the work."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.settings import Settings
from guardrails.fingerprints import Fingerprinter
from guardrails.withholding import InvalidWithholding, parse_withholding, split_withheld
from ingest import vector_store
from ingest.chunks import CHUNKER_VERSION, Chunk, chunk_record, is_embedded
from ingest.embedding import get_embedder
from ingest.records import LIVE_SOURCE_NAMES, PublicRecord, Source, SourceError, file_source, live_source, normalise_public
from ingest.store import RecordStore

log = logging.getLogger("algoritmewijzer.ingest")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    withheld_fields: int = 0
    withheld_entries: int = 0
    rejected: int = 0
    without_organization: int = 0
    chunks_embedded: int = 0
    records_total: int = 0
    rejections: list[str] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_sources

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "withheld": {"fields": self.withheld_fields, "entries": self.withheld_entries},
            "rejected": self.rejected,
            "without_organization": self.without_organization,
            "chunks_embedded": self.chunks_embedded,
            "records_total": self.records_total,
            "rejections": list(self.rejections),
            "failed_sources": list(self.failed_sources),
        }

    def summary(self) -> str:
        lines = [
            f"added {self.added}, updated {self.updated}, removed {self.removed}, unchanged {self.unchanged}",
            f"withheld: {self.withheld_fields} with withheld fields, {self.withheld_entries} whole entries (not indexed)",
            f"rejected: {self.rejected}",
            f"records in the index: {self.records_total}"
            + (f" ({self.without_organization} without an organisation: vendor examples)" if self.without_organization else ""),
        ]
        lines += [f"  rejected {message}" for message in self.rejections]
        lines += [f"  source failed: {message}" for message in self.failed_sources]
        return "\n".join(lines)


def resolve_sources(specs: list[str], settings: Settings, progress: Progress | None = None) -> list[Source]:
    """Sources from command-line words: a file path, or 'live' (also with no words at all)."""
    if not specs:
        specs = ["live"]
    sources = []
    for spec in specs:
        if spec.lower() in LIVE_SOURCE_NAMES:
            page_progress = (lambda done, total: progress("register", done, total)) if progress else None
            sources.append(live_source(settings.register_api_url, settings.register_language, page_progress))
        elif spec.startswith(("http://", "https://")):
            page_progress = (lambda done, total: progress("register", done, total)) if progress else None
            sources.append(live_source(spec, settings.register_language, page_progress))
        else:
            sources.append(file_source(spec))
    return sources


@dataclass
class _Incoming:
    record: PublicRecord
    fingerprints: set[str]


def run_ingest(sources: list[Source], settings: Settings, progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    fingerprinter = Fingerprinter(settings.resolve_fingerprint_key())
    store = RecordStore(settings.data_dir)
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_max_tokens)
    model_id = embedder.model_id

    incoming: dict[str, _Incoming] = {}
    must_remove: set[str] = set()  # entry-withheld or rejected ids: never kept as public
    seen_by_source: dict[str, set[str]] = {}
    complete_sources: set[str] = set()

    for source in sources:
        seen: set[str] = set()
        try:
            for raw in source.read():
                record_id = raw.record_id
                if record_id is None:
                    report.rejected += 1
                    report.rejections.append(f"{raw.origin}: the record has no 'lars' (or 'id')")
                    continue
                seen.add(record_id)
                notice = None
                if "withholding" in raw.data and raw.data["withholding"] is not None:
                    try:
                        notice = parse_withholding(record_id, raw.data["withholding"])
                    except InvalidWithholding as exc:
                        report.rejected += 1
                        report.rejections.append(f"{raw.origin}: {exc}")
                        must_remove.add(record_id)
                        incoming.pop(record_id, None)
                        continue
                public, withheld = split_withheld(raw.data, notice)
                if notice is not None and notice.scope == "entry":
                    report.withheld_entries += 1
                    must_remove.add(record_id)
                    incoming.pop(record_id, None)
                    continue
                if notice is not None and notice.fields:
                    report.withheld_fields += 1
                record = normalise_public(record_id, source.source_id, public, notice)
                incoming[record_id] = _Incoming(record, fingerprinter.of_values(withheld) if withheld else set())
                must_remove.discard(record_id)
                del withheld, public
        except SourceError as exc:
            report.failed_sources.append(str(exc))
            log.error("source failed: %s", exc)
            continue
        seen_by_source[source.source_id] = seen
        if source.complete:
            complete_sources.add(source.source_id)

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
        for lars, item in incoming.items():
            store.replace_fingerprints(conn, lars, item.fingerprints)
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

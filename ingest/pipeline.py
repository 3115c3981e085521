"""One ingest run: read sources, apply the withholding contract, embed what changed, and commit.

Order matters for safety and crash-consistency:
1. withheld values are split off and only fingerprinted, before anything else sees the record;
2. new chunks are embedded and written to the vector store under content-addressed ids;
3. one SQLite transaction switches the record store (the source of truth) to the new state;
4. chunks no longer referenced are deleted from the vector store.
A run killed at any point leaves the previous state in use; the next run completes the work."""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import uuid
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass, field

from guardrails.fingerprints import Fingerprinter
from guardrails.withholding import InvalidWithholding, parse_withholding, split_withheld
from ingest import reader, vector_store
from ingest.config import IngestConfig
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


@dataclass
class _Incoming:
    record: PublicRecord
    fingerprints: set[str]


@dataclass
class _Split:
    """What reading the sources yields: only public parts, notices and fingerprints."""

    incoming: dict[str, _Incoming] = field(default_factory=dict)
    must_remove: set[str] = field(default_factory=set)  # entry-withheld or rejected ids: never kept as public
    seen_by_source: dict[str, set[str]] = field(default_factory=dict)
    complete_sources: set[str] = field(default_factory=set)
    report: IngestReport = field(default_factory=IngestReport)


def split_sources(sources: list[Source], key: bytes, progress: Progress | None = None) -> _Split:
    """Read every source and apply the withholding contract: withheld values are fingerprinted and
    dropped here, and nothing else of them leaves this function."""
    fingerprinter = Fingerprinter(key)
    out = _Split()
    report = out.report
    for source in sources:
        seen: set[str] = set()
        page_progress = (lambda done, total: progress("register", done, total)) if progress else None
        try:
            for raw in source.read(page_progress):
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
                        out.must_remove.add(record_id)
                        out.incoming.pop(record_id, None)
                        continue
                public, withheld = split_withheld(raw.data, notice)
                if notice is not None and notice.scope == "entry":
                    report.withheld_entries += 1
                    out.must_remove.add(record_id)
                    out.incoming.pop(record_id, None)
                    continue
                if notice is not None and notice.fields:
                    report.withheld_fields += 1
                record = normalise_public(record_id, source.source_id, public, notice)
                out.incoming[record_id] = _Incoming(record, fingerprinter.of_values(withheld) if withheld else set())
                out.must_remove.discard(record_id)
        except SourceError as exc:
            report.failed_sources.append(str(exc))
            continue
        out.seen_by_source[source.source_id] = seen
        if source.complete:
            out.complete_sources.add(source.source_id)
    return out


def split_sources_isolated(sources: list[Source], key: bytes, progress: Progress | None = None) -> _Split:
    """Run split_sources in a separate process (ingest/reader.py), so raw records and withheld
    values never enter the memory of the process that embeds and writes the index: what a library
    writes to disk from stale memory (an HNSW file's unused space, say) can then hold no withheld value."""
    project_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")])))
    child = subprocess.Popen(
        [sys.executable, "-m", "ingest.reader"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        pickle.dump((sources, key), child.stdin)
        child.stdin.close()
        while True:
            try:
                message = reader.receive(child.stdout)
            except EOFError:
                raise IngestError("reading the sources stopped unexpectedly (the reader process ended)") from None
            if message[0] == "progress":
                if progress:
                    progress(*message[1:])
            elif message[0] == "result":
                return message[1]
            else:
                raise IngestError(f"reading the sources failed ({message[1]})")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


class IngestError(RuntimeError):
    pass


def run_ingest(sources: list[Source], settings: IngestConfig, progress: Progress | None = None, isolate: bool = True) -> IngestReport:
    key = settings.resolve_fingerprint_key()
    split = split_sources_isolated(sources, key, progress) if isolate else split_sources(sources, key, progress)
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

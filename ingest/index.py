"""The searchable index: the public records (exact look-ups, counts, lists), lexical BM25 search with
a Dutch stemmer over the chunks, dense search in Chroma, and their fusion.

The record store is the source of truth. The in-memory parts (records, BM25) are rebuilt when the
store's generation changes, so a long-running process sees a new ingest without restarting."""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

import bm25s
import numpy as np

from ingest import vector_store
from ingest.chunks import PASSAGE_FIELD, Chunk, is_embedded
from ingest.config import IngestConfig
from ingest.embedding import get_embedder
from ingest.records import PublicRecord
from ingest.store import RecordStore
from ingest.tokens import stems

log = logging.getLogger("algoritmewijzer.ingest.index")
RRF_K = 60
T = TypeVar("T")


class PerGeneration(Generic[T]):
    """A value derived from the record store, rebuilt (once, thread-safe) when an ingest has
    changed the store's generation: long-running processes see new ingests without a restart."""

    def __init__(self, store: RecordStore, build: Callable[[str | None], T]):
        self._store = store
        self._build = build
        self._lock = threading.Lock()
        self._cached: tuple[str | None, T] | None = None

    def get(self) -> T:
        generation = self._store.generation()
        cached = self._cached
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:
            if self._cached is None or self._cached[0] != generation:
                self._cached = (generation, self._build(generation))
            return self._cached[1]


class IndexNotReady(RuntimeError):
    """No ingested index in the data directory yet."""


@dataclass
class Filters:
    organizations: set[str] | None = None
    status: str | None = None
    publication_category: str | None = None
    impact_assessment: str | None = None
    lars: set[str] | None = None  # only these entries (a follow-up on an earlier answer)

    def is_empty(self) -> bool:
        return not (self.organizations or self.status or self.publication_category or self.impact_assessment or self.lars is not None)

    def accepts(self, record: PublicRecord) -> bool:
        if self.lars is not None and record.lars not in self.lars:
            return False
        if self.organizations and record.organization not in self.organizations:
            return False
        if self.status and record.status != self.status:
            return False
        if self.publication_category and record.publication_category != self.publication_category:
            return False
        if self.impact_assessment and record.impact_assessment != self.impact_assessment:
            return False
        return True


@dataclass
class EntryHit:
    lars: str
    score: float
    chunks: list[Chunk] = field(default_factory=list)  # best first


class StemVocabulary:
    """The stems the lexical index knows, with look-ups by prefix and by ending (spelling
    correction, compounds)."""

    def __init__(self, words: set[str]):
        self._words = frozenset(words)
        self._sorted = sorted(self._words)
        self._reversed = sorted(word[::-1] for word in self._words)

    def __contains__(self, word: str) -> bool:
        return word in self._words

    def starting_with(self, head: str) -> list[str]:
        """The stems that begin with `head` (itself included when known), in alphabetical order."""
        start = bisect.bisect_left(self._sorted, head)
        end = bisect.bisect_left(self._sorted, head + "\U0010ffff", start)
        return self._sorted[start:end]

    def ending_with(self, tail: str) -> list[str]:
        """The stems that end with `tail` (itself included when known), in the order of their
        reversed spelling."""
        backwards = tail[::-1]
        start = bisect.bisect_left(self._reversed, backwards)
        end = bisect.bisect_left(self._reversed, backwards + "\U0010ffff", start)
        return [word[::-1] for word in self._reversed[start:end]]


@dataclass
class _Snapshot:
    generation: str | None
    records: dict[str, PublicRecord]
    chunks: list[Chunk]
    chunk_position: dict[str, int]
    chunk_lars: np.ndarray
    bm25: bm25s.BM25 | None
    public_tokens: frozenset[str]
    vocabulary: StemVocabulary
    record_frequency: dict[str, int]  # stem -> number of entries whose text has it
    entry_ids: list[str]  # entries in a fixed order, for the arrays below
    entry_position: dict[str, int]
    chunk_entry: np.ndarray  # chunk position -> entry position
    passages: dict[str, Chunk] = field(default_factory=dict)  # lars -> its embedded passage chunk
    record_order: dict[str, int] = field(default_factory=dict)  # lars -> position in `records`
    by_organization: dict[str | None, list[str]] = field(default_factory=dict)  # organisation -> its entries, in `records` order
    dense_matrix: np.ndarray | None = None  # (entries, dim) passage vectors; rows of zeros when missing


def _by_organization(records: Iterable[PublicRecord]) -> dict[str | None, list[str]]:
    grouped: dict[str | None, list[str]] = {}
    for record in records:
        grouped.setdefault(record.organization, []).append(record.lars)
    return grouped


class RegisterIndex:
    def __init__(self, settings: IngestConfig):
        self.settings = settings
        if not (settings.data_dir / RecordStore.FILE_NAME).exists() and settings.chroma_mode == "embedded":
            raise IndexNotReady(
                f"No index in {settings.data_dir}: run `algoritmewijzer ingest SOURCE --data-dir {settings.data_dir}` first"
            )
        self.store = RecordStore(settings.data_dir)
        self._snapshot = PerGeneration(self.store, self._build)

    # --- loading -------------------------------------------------------------------------
    def _current(self) -> _Snapshot:
        return self._snapshot.get()

    def _build(self, generation: str | None) -> _Snapshot:
        records = {r.lars: r for r in self.store.records()}
        chunks = self.store.chunks()
        corpus_tokens = [stems(c.text) for c in chunks]
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25(k1=1.2, b=0.75)
            bm25.index(_to_ids(corpus_tokens), show_progress=False)
        public: set[str] = set()
        for tokens in corpus_tokens:
            public.update(tokens)
        for record in records.values():
            for value in record.fields.values():
                public.update(stems(" ".join(value) if isinstance(value, list) else str(value)))
            if record.notice:
                public.update(stems(" ".join(filter(None, [record.notice.legal_basis, record.notice.explanation, *record.notice.fields]))))
        log.info("index loaded: %d records, %d chunks", len(records), len(chunks))
        entry_ids = sorted(records)
        entry_position = {lars: i for i, lars in enumerate(entry_ids)}
        return _Snapshot(
            generation=generation,
            records=records,
            chunks=chunks,
            chunk_position={c.chunk_id: i for i, c in enumerate(chunks)},
            chunk_lars=np.array([c.lars for c in chunks], dtype=object),
            bm25=bm25,
            public_tokens=frozenset(public),
            vocabulary=StemVocabulary({t for tokens in corpus_tokens for t in tokens}),
            record_frequency=_record_frequency(chunks, corpus_tokens),
            entry_ids=entry_ids,
            entry_position=entry_position,
            chunk_entry=np.array([entry_position.get(c.lars, -1) for c in chunks], dtype=np.int64),
            passages={c.lars: c for c in chunks if c.field == PASSAGE_FIELD},
            record_order={lars: i for i, lars in enumerate(records)},
            by_organization=_by_organization(records.values()),
        )

    def _dense_matrix(self, snap: _Snapshot) -> np.ndarray:
        """The passage vectors of the entries, read from the vector store once per generation."""
        if snap.dense_matrix is not None:
            return snap.dense_matrix
        wanted = {c.chunk_id: c.lars for c in snap.chunks if is_embedded(c.field)}
        matrix = None
        if wanted:
            ids = list(wanted)
            for start in range(0, len(ids), 1000):
                got = self._collection.get(ids=ids[start : start + 1000], include=["embeddings"])
                for chunk_id, vector in zip(got["ids"], got["embeddings"]):
                    if matrix is None:
                        matrix = np.zeros((len(snap.entry_ids), len(vector)), dtype=np.float32)
                    matrix[snap.entry_position[wanted[chunk_id]]] = np.asarray(vector, dtype=np.float32)
        snap.dense_matrix = matrix if matrix is not None else np.zeros((len(snap.entry_ids), 1), dtype=np.float32)
        return snap.dense_matrix

    def ensure_loaded(self) -> None:
        self._current()

    # --- records ---------------------------------------------------------------------------
    @property
    def records(self) -> dict[str, PublicRecord]:
        return self._current().records

    def get(self, lars: str) -> PublicRecord | None:
        return self._current().records.get(lars)

    def public_tokens(self) -> frozenset[str]:
        return self._current().public_tokens

    def idf(self, stem: str) -> float:
        """Inverse entry frequency of a stem; a stem no entry has gets the highest value."""
        snap = self._current()
        total = max(len(snap.records), 1)
        return math.log((total + 1) / (snap.record_frequency.get(stem, 0) + 0.5))

    def vocabulary(self) -> StemVocabulary:
        return self._current().vocabulary

    def select(self, filters: Filters) -> list[PublicRecord]:
        """The records the filters accept, in the store's order. Filters on entries or organisations
        read only those entries, not the whole register."""
        snap = self._current()
        if filters.lars is not None:
            narrowed = [lars for lars in filters.lars if lars in snap.records]
        elif filters.organizations:
            narrowed = [lars for name in filters.organizations for lars in snap.by_organization.get(name, ())]
        else:
            return [r for r in snap.records.values() if filters.accepts(r)]
        ordered = sorted(set(narrowed), key=snap.record_order.__getitem__)
        return [snap.records[lars] for lars in ordered if filters.accepts(snap.records[lars])]

    # --- search ----------------------------------------------------------------------------
    @cached_property
    def _collection(self):
        return vector_store.open_collection(self.settings)

    @cached_property
    def embedder(self):
        return get_embedder(self.settings.embedding_model, self.settings.embedding_batch_size, self.settings.embedding_max_tokens, self.settings.model_cache_dir)

    def lexical(self, query: str, k: int = 50, allowed: set[str] | None = None) -> list[tuple[Chunk, float]]:
        snap = self._current()
        if snap.bm25 is None:
            return []
        query_ids = _query_ids(snap.bm25, stems(query))
        if not query_ids:
            return []
        scores = snap.bm25.get_scores(query_ids)
        if allowed is not None:
            mask = np.fromiter((lars in allowed for lars in snap.chunk_lars), dtype=bool, count=len(snap.chunks))
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(snap.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def entry_ids(self) -> list[str]:
        """The entries in the order of `similarities` and `lexical_scores`."""
        return self._current().entry_ids

    def entry_position(self, lars: str) -> int | None:
        return self._current().entry_position.get(lars)

    def similarities(self, query: str | None = None, vector: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of the query to every entry's passage (0 where an entry has none)."""
        snap = self._current()
        matrix = self._dense_matrix(snap)
        if matrix.shape[1] == 1 or not snap.entry_ids:
            return np.zeros(len(snap.entry_ids), dtype=np.float32)
        if vector is None:
            vector = np.asarray(self.embedder.embed_query(query or ""), dtype=np.float32)
        return matrix @ vector

    def lexical_scores(self, query: str) -> np.ndarray:
        """Per entry, the BM25 score of its best chunk for the query (0 when no chunk matches)."""
        snap = self._current()
        out = np.zeros(len(snap.entry_ids), dtype=np.float32)
        if snap.bm25 is None:
            return out
        query_ids = _query_ids(snap.bm25, stems(query))
        if not query_ids:
            return out
        scores = np.asarray(snap.bm25.get_scores(query_ids), dtype=np.float32)
        valid = snap.chunk_entry >= 0
        np.maximum.at(out, snap.chunk_entry[valid], scores[valid])
        return out

    def dense(self, query: str, k: int = 50, allowed: set[str] | None = None) -> list[tuple[Chunk, float]]:
        snap = self._current()
        if not snap.chunks or (allowed is not None and not allowed):
            return []
        sims = self.similarities(query)
        order = np.argsort(-sims)
        passages = snap.passages
        hits = []
        for position in order:
            lars = snap.entry_ids[position]
            if sims[position] <= 0 or lars not in passages or (allowed is not None and lars not in allowed):
                continue
            hits.append((passages[lars], float(sims[position])))
            if len(hits) >= k:
                break
        return hits

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        mode: str = "hybrid",
        lexical_weight: float = 1.0,
        dense_weight: float = 0.6,
        depth: int = 60,
    ) -> list[EntryHit]:
        """Entries for a query, best first: reciprocal-rank fusion of BM25 and dense chunk ranks,
        aggregated per entry."""
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = {r.lars for r in self.select(filters)}
        ranked: dict[str, float] = defaultdict(float)
        best_chunks: dict[str, list[tuple[float, Chunk]]] = defaultdict(list)
        runs = []
        if mode in ("hybrid", "lexical"):
            runs.append((self.lexical(query, depth, allowed), lexical_weight))
        if mode in ("hybrid", "dense"):
            runs.append((self.dense(query, depth, allowed), dense_weight))
        for hits, weight in runs:
            seen_entries: set[str] = set()
            entry_rank = 0
            for chunk, _score in hits:
                contribution = 0.0
                if chunk.lars not in seen_entries:
                    seen_entries.add(chunk.lars)
                    contribution = weight / (RRF_K + entry_rank)
                    entry_rank += 1
                ranked[chunk.lars] += contribution
                best_chunks[chunk.lars].append((weight / (RRF_K + len(best_chunks[chunk.lars])), chunk))
        ordered = sorted(ranked.items(), key=lambda item: -item[1])[:k]
        results = []
        for lars, score in ordered:
            unique: dict[str, Chunk] = {}
            for _, chunk in best_chunks[lars]:
                unique.setdefault(chunk.chunk_id, chunk)
            results.append(EntryHit(lars, score, list(unique.values())))
        return results


def _record_frequency(chunks: list[Chunk], corpus_tokens: list[list[str]]) -> dict[str, int]:
    per_record: dict[str, set[str]] = defaultdict(set)
    for chunk, tokens in zip(chunks, corpus_tokens):
        per_record[chunk.lars].update(tokens)
    frequency: dict[str, int] = defaultdict(int)
    for tokens in per_record.values():
        for token in tokens:
            frequency[token] += 1
    return dict(frequency)


def _to_ids(corpus_tokens: list[list[str]]) -> bm25s.tokenization.Tokenized:
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in tokens] for tokens in corpus_tokens]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def _query_ids(bm25: bm25s.BM25, tokens: list[str]) -> list[int]:
    vocab = bm25.vocab_dict
    return [vocab[t] for t in dict.fromkeys(tokens) if t in vocab]

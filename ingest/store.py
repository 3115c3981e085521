"""The record store (SQLite in the data directory): public records, their chunks and withholding
notices; nothing derived from a withheld value. It is the source of truth: the vector store only holds chunks the
store references, so an interrupted ingest never leaves a half-updated index in use."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from guardrails.withholding import WithholdingNotice
from ingest.chunks import Chunk, is_embedded
from ingest.records import PublicRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    lars TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    organization TEXT,
    status TEXT,
    publication_category TEXT,
    impact_assessment TEXT,
    url TEXT,
    fields_json TEXT NOT NULL,
    notice_json TEXT
);
CREATE INDEX IF NOT EXISTS records_source ON records(source);
CREATE INDEX IF NOT EXISTS records_organization ON records(organization);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    lars TEXT NOT NULL REFERENCES records(lars) ON DELETE CASCADE,
    field TEXT NOT NULL,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_lars ON chunks(lars);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def record_from_row(row: sqlite3.Row) -> PublicRecord:
    notice = WithholdingNotice.from_dict(json.loads(row["notice_json"])) if row["notice_json"] else None
    return PublicRecord(lars=row["lars"], source=row["source"], fields=json.loads(row["fields_json"]), notice=notice)


GENERATION_TTL = 1.0  # seconds a read of the store's generation is used for
_generations: dict[Path, tuple[float, str | None]] = {}  # per store file: (when read, generation)
_commits: dict[Path, int] = {}  # per store file: transactions this process has ended
_generations_lock = threading.Lock()


class RecordStore:
    FILE_NAME = "records.sqlite3"

    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / self.FILE_NAME
        self._generation_key = self.path.resolve()  # one entry per file, however the path is spelled
        self._local = threading.local()
        with self._connect() as conn:
            conn.executescript(SCHEMA)
        self._drop_fingerprints()

    def _drop_fingerprints(self) -> None:
        """A store written by an earlier version held keyed fingerprints of withheld words: drop
        them and rewrite the file, so no freed page or WAL frame keeps one."""
        conn = self._connect()
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fingerprints'").fetchone():
            with conn:
                conn.execute("DROP TABLE fingerprints")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            with conn:
                yield conn
        finally:  # this process sees its own ingest at once
            with _generations_lock:
                _generations.pop(self._generation_key, None)
                _commits[self._generation_key] = _commits.get(self._generation_key, 0) + 1

    def generation(self) -> str | None:
        """The id of the last committed ingest. Everything derived from the store is rebuilt when it
        changes, and an answer asks for it many times: it is read from the file at most once per
        GENERATION_TTL seconds (each read makes a busy server's thread wait for the interpreter
        again), so another process's ingest shows within that time; this process's shows at once."""
        now = time.monotonic()
        cached = _generations.get(self._generation_key)
        if cached is not None and now - cached[0] < GENERATION_TTL:
            return cached[1]
        commits = _commits.get(self._generation_key, 0)
        value = self.get_meta("generation")
        with _generations_lock:
            if _commits.get(self._generation_key, 0) == commits:  # no commit of this process since the read
                _generations[self._generation_key] = (now, value)
        return value

    # --- reading -------------------------------------------------------------------------
    def hashes(self) -> dict[str, tuple[str, str]]:
        """lars -> (source, content hash)."""
        rows = self._connect().execute("SELECT lars, source, content_hash FROM records")
        return {r["lars"]: (r["source"], r["content_hash"]) for r in rows}

    def records(self) -> list[PublicRecord]:
        rows = self._connect().execute("SELECT * FROM records ORDER BY lars")
        return [record_from_row(r) for r in rows]

    def get(self, lars: str) -> PublicRecord | None:
        row = self._connect().execute("SELECT * FROM records WHERE lars = ?", (lars,)).fetchone()
        return record_from_row(row) if row else None

    def chunks(self) -> list[Chunk]:
        rows = self._connect().execute("SELECT chunk_id, lars, field, seq, text FROM chunks ORDER BY lars, field, seq")
        return [Chunk(r["chunk_id"], r["lars"], r["field"], r["seq"], r["text"]) for r in rows]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._connect().execute("SELECT chunk_id FROM chunks")}

    def embedded_chunk_ids(self) -> set[str]:
        """The chunk ids the vector store should hold."""
        rows = self._connect().execute("SELECT chunk_id, field FROM chunks")
        return {r[0] for r in rows if is_embedded(r[1])}

    def chunk_ids_of(self, lars_ids: Iterable[str]) -> set[str]:
        ids = list(lars_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            found |= {r[0] for r in self._connect().execute(f"SELECT chunk_id FROM chunks WHERE lars IN ({marks})", part)}
        return found

    def count(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def count_without_organization(self) -> int:
        """Records that name no organisation (vendors' examples)."""
        return self._connect().execute("SELECT COUNT(*) FROM records WHERE organization IS NULL OR organization = ''").fetchone()[0]

    def get_meta(self, key: str) -> str | None:
        row = self._connect().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- writing (inside a transaction) ----------------------------------------------------
    @staticmethod
    def put_record(conn: sqlite3.Connection, record: PublicRecord, chunks: list[Chunk]) -> None:
        conn.execute("DELETE FROM chunks WHERE lars = ?", (record.lars,))
        conn.execute(
            """INSERT OR REPLACE INTO records
               (lars, source, content_hash, name, organization, status, publication_category,
                impact_assessment, url, fields_json, notice_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                record.lars,
                record.source,
                record.content_hash(),
                record.name,
                record.organization,
                record.status,
                record.publication_category,
                record.impact_assessment,
                record.url,
                json.dumps(record.fields, ensure_ascii=False, sort_keys=True),
                json.dumps(record.notice.to_dict(), ensure_ascii=False) if record.notice else None,
            ),
        )
        conn.executemany(
            "INSERT INTO chunks (chunk_id, lars, field, seq, text) VALUES (?, ?, ?, ?, ?)",
            [(c.chunk_id, c.lars, c.field, c.seq, c.text) for c in chunks],
        )

    @staticmethod
    def set_source(conn: sqlite3.Connection, lars: str, source: str) -> None:
        conn.execute("UPDATE records SET source = ? WHERE lars = ?", (source, lars))

    @staticmethod
    def remove_record(conn: sqlite3.Connection, lars: str) -> None:
        conn.execute("DELETE FROM chunks WHERE lars = ?", (lars,))
        conn.execute("DELETE FROM records WHERE lars = ?", (lars,))

    @staticmethod
    def set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

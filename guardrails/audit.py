"""The audit log of guardrail decisions: an embedded SQLite database `audit.sqlite3` in the data
directory. Per decision it keeps the UTC time, the rail, the reason code, the lars of a
field-scope record (never of anything else) and a keyed hash of the question. It never holds the
question itself, a withheld value, personal data or anything from which any of them can be read back.

The hash is an HMAC-SHA256 of the question with its personal data replaced by placeholders
(guardrails.personal_data.redact), under a key derived from the service key, which lives in a file
only its owner may read (guardrails.keys; settings.audit_key_file). Repeated questions get the same
hash, so patterns show up."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from guardrails.keys import read_key_file
from guardrails.personal_data import redact
from guardrails.verdicts import RailDecision
from guardrails.text import fold

log = logging.getLogger("algoritmewijzer.guardrails.audit")

FILE_NAME = "audit.sqlite3"
HASH_CHARS = 32
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,63}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    rail TEXT NOT NULL,
    reason TEXT NOT NULL,
    lars TEXT,
    question_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions(time);
CREATE INDEX IF NOT EXISTS decisions_rail ON decisions(rail);
"""


def _audit_key(key: bytes) -> bytes:
    return hmac.new(key, b"algoritmewijzer audit question hash v1", hashlib.sha256).digest()


class AuditLog:
    """Thread-safe: one connection, used under a lock (the API answers requests in threads).

    `AuditLog(data_dir, key)`, or `AuditLog.from_settings(settings)`. Without a key, a random key
    for this process is used: hashes then only match within one run, and a warning is logged.
    `field_scope` (optional): a callable telling whether a lars is a public record with withheld
    fields; a lars for which it says no is not stored."""

    def __init__(self, data_dir: Any, key: bytes | None = None, field_scope=None):
        if not key:
            log.warning("audit log without a key: question hashes only match within this process")
            key = secrets.token_bytes(32)
        self._key = _audit_key(key)
        self._field_scope = field_scope
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        with self._lock, self._conn:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit does not wait for fsync
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.executescript(SCHEMA)

    @classmethod
    def from_settings(cls, settings: Any, field_scope=None) -> "AuditLog":
        """From any object with `data_dir` and `audit_key_file` (assistant.settings.Settings)."""
        key = read_key_file(settings.audit_key_file, settings.data_dir)
        return cls(settings.data_dir, key, field_scope=field_scope)

    def question_hash(self, question: str) -> str:
        """Keyed hash of a question (personal data replaced, folded, whitespace collapsed)."""
        normal = fold(redact(question or ""))
        return hmac.new(self._key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]

    def record(self, decisions: Iterable[RailDecision], question: str) -> int:
        """Store the decisions of one question; returns how many were stored."""
        rows = []
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        digest = self.question_hash(question)
        for decision in decisions:
            rail = str(decision.rail)
            reason = str(decision.reason)
            if not _CODE.match(rail) or not _CODE.match(reason):
                log.warning("audit: a decision with an invalid rail or reason code was not stored")
                continue
            lars = decision.lars if isinstance(decision.lars, str) and _LARS.match(decision.lars) else None
            if lars is not None and self._field_scope is not None and not self._field_scope(lars):
                lars = None
            rows.append((now, rail, reason, lars, digest))
        if not rows:
            return 0
        with self._lock, self._conn:
            self._conn.executemany("INSERT INTO decisions (time, rail, reason, lars, question_hash) VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def read(self, limit: int = 100, since: datetime | str | None = None, rail: str | None = None) -> list[dict[str, Any]]:
        """Decisions, newest first. `since`: a datetime (naive = UTC) or an ISO 8601 string."""
        where, args = [], []
        if since is not None:
            if isinstance(since, str):
                since = datetime.fromisoformat(since.replace("Z", "+00:00"))
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            where.append("time >= ?")
            args.append(since.astimezone(timezone.utc).isoformat(timespec="milliseconds"))
        if rail is not None:
            where.append("rail = ?")
            args.append(rail)
        sql = "SELECT id, time, rail, reason, lars, question_hash FROM decisions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time DESC, id DESC LIMIT ?"
        args.append(max(0, int(limit)))
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [dict(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

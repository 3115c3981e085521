"""Feedback on answers (helpful or not, an optional comment): in SQLite in the data directory, or
in Redis when ALGORITMEWIJZER_REDIS_URL is set (then every replica's feedback is read in one place).

What is stored: the time, helpful yes/no, the comment, the answer's entry ids, the language, and the
question only when the person ticked to include it. Entry ids that are not public are dropped.
Texts are normalised, and every word that no public register text or common word gives is replaced
by "[…]" (the output rail's grounding check), so a stored text cannot hold a withheld value, a code
name or a personal number; the client's answer is the same either way, so the feedback form tells
nothing about withheld values."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import redis

FEEDBACK_DB = "feedback.sqlite3"
FEEDBACK_KEY = "algoritmewijzer:feedback"
FEEDBACK_COUNTER = "algoritmewijzer:feedback-id"
MAX_RESULT_IDS = 200


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore(Protocol):
    def add(self, item: dict[str, Any]) -> None: ...

    def read(self, limit: int = 100) -> list[dict[str, Any]]: ...


class SQLiteFeedback:
    def __init__(self, data_dir: Path):
        self.path = data_dir / FEEDBACK_DB
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, "
                         "helpful INTEGER NOT NULL, comment TEXT, question TEXT, results TEXT NOT NULL, lang TEXT)")
            self._conn = conn
        return self._conn

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            conn = self._connection()
            with conn:
                conn.execute("INSERT INTO feedback (time, helpful, comment, question, results, lang) VALUES (?, ?, ?, ?, ?, ?)",
                             (item["time"], int(item["helpful"]), item["comment"], item["question"],
                              json.dumps(item["results"]), item["lang"]))

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._lock:
            rows = self._connection().execute(
                "SELECT id, time, helpful, comment, question, results, lang FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [{"id": r[0], "time": r[1], "helpful": bool(r[2]), "comment": r[3], "question": r[4],
                 "results": json.loads(r[5]), "lang": r[6]} for r in rows]


class RedisFeedback:
    def __init__(self, client: redis.Redis):
        self.client = client

    def add(self, item: dict[str, Any]) -> None:
        stored = {**item, "id": int(self.client.incr(FEEDBACK_COUNTER))}
        self.client.lpush(FEEDBACK_KEY, json.dumps(stored, ensure_ascii=False))

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.client.lrange(FEEDBACK_KEY, 0, limit - 1)]


class Feedback:
    """Cleans feedback and stores it. `normalise` raises for text that is not valid text; `clean`
    removes what may not be kept."""

    def __init__(self, store: FeedbackStore, normalise: Callable[[str], str]):
        self.store = store
        self.normalise = normalise

    def _text(self, text: str | None, clean: Callable[[str], str]) -> str | None:
        if text is None:
            return None
        text = " ".join(self.normalise(text).split())
        return clean(text) if text else None

    def add(self, *, helpful: bool, comment: str | None, question: str | None, include_question: bool,
            results: list[str], lang: str | None, clean: Callable[[str], str], is_public: Callable[[str], bool]) -> None:
        comment_text = self._text(comment, clean)
        question_text = self._text(question, clean) if include_question else None
        ids = [r for r in dict.fromkeys(results) if is_public(r)][:MAX_RESULT_IDS]  # unknown and unpublished ids alike dropped
        self.store.add({"time": _now(), "helpful": bool(helpful), "comment": comment_text, "question": question_text,
                        "results": ids, "lang": lang})

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.store.read(limit)

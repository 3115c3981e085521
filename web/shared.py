"""The state every API process must agree on: the chat-offline switch. In Redis when
ALGORITMEWIJZER_REDIS_URL is set (several replicas, each with its own data directory), else in a
file of the data directory (several processes on one machine)."""

from __future__ import annotations

import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import redis

OFFLINE_FILE = "chat-offline.json"
OFFLINE_KEY = "algoritmewijzer:chat-offline"
ONLINE = {"offline": False, "message_nl": None, "message_en": None, "since": None}


@lru_cache(maxsize=8)
def redis_client(url: str) -> redis.Redis:
    """One connection pool per Redis URL and process."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5,
                                health_check_interval=30)


def _state(data: dict[str, Any]) -> dict[str, Any]:
    return {"offline": bool(data.get("offline")), "message_nl": data.get("message_nl"),
            "message_en": data.get("message_en"), "since": data.get("since")}


def _offline_record(message_nl: str | None, message_en: str | None) -> dict[str, Any]:
    return {"offline": True, "message_nl": message_nl, "message_en": message_en,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


class OfflineSwitch(Protocol):
    def state(self) -> dict[str, Any]: ...

    def set(self, offline: bool, message_nl: str | None, message_en: str | None) -> dict[str, Any]: ...


class FileOfflineSwitch:
    """The switch as a file in the data directory (read again only when it changed)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / OFFLINE_FILE
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None

    def state(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return dict(ONLINE)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {"offline": True}  # a damaged switch file errs on the safe side
        state = _state(data)
        self._cache = (key, state)
        return state

    def set(self, offline: bool, message_nl: str | None, message_en: str | None) -> dict[str, Any]:
        if not offline:
            self.path.unlink(missing_ok=True)
            return self.state()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_offline_record(message_nl, message_en), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        return self.state()


class RedisOfflineSwitch:
    """The switch as one Redis key, read on every chat request, so every replica sees it at once."""

    def __init__(self, client: redis.Redis):
        self.client = client

    def state(self) -> dict[str, Any]:
        raw = self.client.get(OFFLINE_KEY)
        if raw is None:
            return dict(ONLINE)
        try:
            return _state(json.loads(raw))
        except (TypeError, json.JSONDecodeError):
            return _state({"offline": True})

    def set(self, offline: bool, message_nl: str | None, message_en: str | None) -> dict[str, Any]:
        if offline:
            self.client.set(OFFLINE_KEY, json.dumps(_offline_record(message_nl, message_en), ensure_ascii=False))
        else:
            self.client.delete(OFFLINE_KEY)
        return self.state()


def offline_switch(data_dir: Path, redis_url: str | None) -> OfflineSwitch:
    return RedisOfflineSwitch(redis_client(redis_url)) if redis_url else FileOfflineSwitch(data_dir)

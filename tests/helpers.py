"""Helpers the tests share (fixtures live in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.config import IngestConfig
from ingest.pipeline import resolve_sources, run_ingest
from ingest.report import IngestReport


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write `records` as a JSON Lines source file and return its path."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def ingest_into(settings: IngestConfig, *paths: Path | str) -> IngestReport:
    """Ingest the given source files into the data directory of `settings`, as the CLI would."""
    return run_ingest(resolve_sources([str(p) for p in paths], settings), settings)

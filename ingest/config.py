"""What ingest and the index read from their configuration.

Ingest is configured by its caller: `IngestConfig` lists the attributes it reads, and any object
that has them will do (the application's `assistant.settings.Settings` does). Ingest therefore
imports nothing from the layers above it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class IngestConfig(Protocol):
    data_dir: Path
    embedding_model: str
    embedding_batch_size: int
    embedding_max_tokens: int
    model_cache_dir: Path
    chroma_mode: str
    chroma_host: str
    chroma_port: int
    chroma_collection: str
    register_api_url: str
    register_language: str
    register_max_retries: int
    register_backoff_base: float

"""The one typed settings object, read once from the environment (prefix ALGORITMEWIJZER_)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


def _default_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "algoritmewijzer"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALGORITMEWIJZER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the index and record store live.")

    # Withholding: the key for keyed fingerprints of withheld values. Never stored in data_dir.
    fingerprint_key: SecretStr | None = None
    fingerprint_key_file: Path = Field(default_factory=lambda: _default_config_dir() / "fingerprint.key")

    # Embeddings: the bundled all-MiniLM-L6-v2, or any sentence-transformers model by name or path.
    embedding_model: str = BUNDLED_MODEL
    embedding_batch_size: int = 16
    embedding_max_tokens: int = Field(default=128, description="Token window of the embedder; chunks are sized for 128.")

    # Vector store: embedded PersistentClient, or a `chroma run` server.
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    chroma_collection: str = "algorithm_chunks"

    # Live register.
    register_api_url: str = "https://algoritmes.overheid.nl/api"
    register_language: Literal["NLD", "ENG", "FRY"] = "NLD"
    register_max_retries: int = 6
    register_backoff_base: float = Field(default=0.5, description="Seconds before the first retry; doubles each time.")

    # Optional LLM phrasing of answers (any OpenAI-compatible server).
    composer: Literal["grounded", "llm"] = "grounded"
    llm_base_url: str | None = None
    llm_model: str = "local-model"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_temperature: float = 0.0
    llm_timeout: float = 30.0

    # HTTP API.
    admin_api_key: SecretStr | None = None
    rate_limit: int = Field(default=30, description="Chat requests per client per minute.")
    allowed_origins: str = ""
    max_request_bytes: int = 64_000
    max_message_chars: int = 2_000
    max_messages: int = 40

    @field_validator("data_dir", "fingerprint_key_file", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    def resolve_fingerprint_key(self) -> bytes:
        """The fingerprint key: from the setting, else from a key file outside the data directory,
        generated once when missing."""
        if self.fingerprint_key is not None and self.fingerprint_key.get_secret_value():
            return self.fingerprint_key.get_secret_value().encode("utf-8")
        key_file = self.fingerprint_key_file
        data_dir = self.data_dir.resolve()
        if key_file.resolve().is_relative_to(data_dir):
            raise ValueError(
                f"The fingerprint key file {key_file} lies inside the data directory {data_dir}; "
                "it must be kept outside it."
            )
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return key_file.read_text().strip().encode("utf-8")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

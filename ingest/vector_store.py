"""The Chroma collection of chunk embeddings: embedded PersistentClient by default, a
`chroma run` server (HttpClient) when settings say so. Telemetry off; embeddings are ours."""

from __future__ import annotations

from collections.abc import Iterable

import chromadb
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from ingest.config import IngestConfig

CHROMA_DIR = "chroma"
BATCH = 1000


class VectorStoreError(RuntimeError):
    pass


def chroma_client(settings: IngestConfig):
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_mode == "http":
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:
            raise VectorStoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({type(exc).__name__}); start it with `chroma run` or use ALGORITMEWIJZER_CHROMA_MODE=embedded"
            ) from None
    path = settings.data_dir / CHROMA_DIR
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_collection(settings: IngestConfig) -> Collection:
    client = chroma_client(settings)
    return client.get_or_create_collection(
        settings.chroma_collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def upsert(collection: Collection, ids: list[str], embeddings: list[list[float]], documents: list[str], metadatas: list[dict]) -> None:
    for start in range(0, len(ids), BATCH):
        end = start + BATCH
        collection.upsert(ids=ids[start:end], embeddings=embeddings[start:end], documents=documents[start:end], metadatas=metadatas[start:end])


def update_metadata(collection: Collection, ids: list[str], metadatas: list[dict]) -> None:
    for start in range(0, len(ids), BATCH):
        collection.update(ids=ids[start : start + BATCH], metadatas=metadatas[start : start + BATCH])


def delete(collection: Collection, ids: Iterable[str]) -> None:
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        collection.delete(ids=ids[start : start + BATCH])


def existing_ids(collection: Collection, ids: Iterable[str]) -> set[str]:
    """Which of `ids` the collection already holds. Chunk ids are content-addressed (model,
    chunker and text), so a chunk found here needs no embedding: a replica sharing a Chroma
    server with one that ingested the same sources embeds nothing."""
    ids = list(ids)
    found: set[str] = set()
    for start in range(0, len(ids), BATCH):
        found.update(collection.get(ids=ids[start : start + BATCH], include=[])["ids"])
    return found


def all_ids(collection: Collection) -> set[str]:
    found: set[str] = set()
    offset = 0
    while True:
        page = collection.get(include=[], limit=5000, offset=offset)["ids"]
        found.update(page)
        if len(page) < 5000:
            return found
        offset += len(page)

"""The vector store: chunk vectors under their content-addressed ids, looked up, updated and
deleted in batches, in the data directory or on a `chroma run` server."""

from __future__ import annotations

import pytest

from ingest import vector_store
from ingest.vector_store import VectorStoreError
from tests.conftest import make_settings
from tests.processes import free_port


def unit(i: int, size: int = 8) -> list[float]:
    vector = [0.0] * size
    vector[i % size] = 1.0
    return vector


@pytest.fixture()
def collection(tmp_path):
    return vector_store.open_collection(make_settings(tmp_path / "data"))


def put(collection, ids: list[str]) -> None:
    vector_store.upsert(
        collection, ids, [unit(i) for i in range(len(ids))], [f"tekst {i}" for i in ids], [{"lars": i.split(":")[0]} for i in ids]
    )


def test_vectors_live_in_the_data_directory(tmp_path):
    settings = make_settings(tmp_path / "data")
    put(vector_store.open_collection(settings), ["A:passage:0:aaa"])
    assert (settings.data_dir / vector_store.CHROMA_DIR).is_dir()
    assert vector_store.all_ids(vector_store.open_collection(settings)) == {"A:passage:0:aaa"}, "a second open sees the same vectors"


def test_existing_ids_tells_which_chunks_need_no_embedding(collection):
    put(collection, ["A:passage:0:aaa", "B:passage:0:bbb"])
    asked = ["A:passage:0:aaa", "B:passage:0:ccc", "C:passage:0:ddd"]
    assert vector_store.existing_ids(collection, asked) == {"A:passage:0:aaa"}
    assert vector_store.existing_ids(collection, []) == set()


def test_batches_beyond_one_call(collection, monkeypatch):
    monkeypatch.setattr(vector_store, "BATCH", 3)
    ids = [f"R{i}:passage:0:{i:03d}" for i in range(8)]
    put(collection, ids)
    assert vector_store.all_ids(collection) == set(ids)
    assert vector_store.existing_ids(collection, ids[2:7]) == set(ids[2:7])

    vector_store.update_metadata(collection, ids, [{"lars": "nieuw"}] * len(ids))
    assert {m["lars"] for m in collection.get(ids=ids, include=["metadatas"])["metadatas"]} == {"nieuw"}

    vector_store.delete(collection, ids[:5])
    assert vector_store.all_ids(collection) == set(ids[5:])


def test_an_unreachable_chroma_server_is_a_clear_error(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path / "data", chroma_mode="http", chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(VectorStoreError) as caught:
        vector_store.open_collection(settings)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "chroma run" in message
    assert "ALGORITMEWIJZER_CHROMA_MODE=embedded" in message

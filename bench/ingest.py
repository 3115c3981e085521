"""Ingest benchmark: our pipeline against a naive LangChain + Chroma pipeline on the same documents.

    .venv/bin/python bench/ingest.py [--shared-dir ../shared] [--workdir DIR]

1. cold ingest of the register snapshot and the full records (1,646 entries) with our pipeline;
2. the same chunk texts and metadata (ingest.chunks.chunk_record on our normalised records) through
   `langchain_chroma.Chroma.from_documents` with `HuggingFaceEmbeddings` on the bundled model;
3. an unchanged re-ingest with our pipeline.
It prints figures and whether the targets were met; it asserts nothing."""

from __future__ import annotations

import argparse
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

COLD_TARGET_S = 90.0  # cold ingest of the 1,646 register records
UNCHANGED_TARGET_S = 5.0  # unchanged re-ingest


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f}/s" if seconds > 0 else "     n/a"


def main() -> int:
    default_shared = os.environ.get("ALGORITMEWIJZER_SHARED_DIR", str(PROJECT_ROOT.parent / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-dir", default=default_shared, help="folder holding data/ (default: $ALGORITMEWIJZER_SHARED_DIR or ../shared)")
    parser.add_argument("--workdir", help="where the indexes are built (default: a temporary folder, removed afterwards)")
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
        run(sources, workdir)
    return 0


def run(sources: list[str], workdir: Path) -> None:
    import chromadb.config
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings

    from assistant.settings import Settings
    from ingest.chunks import chunk_record
    from ingest.embedding import bundled_model_path, get_embedder
    from ingest.pipeline import _chunk_metadata, resolve_sources, run_ingest
    from ingest.store import RecordStore

    settings = Settings(data_dir=workdir / "ours", fingerprint_key="bench-key-not-secret", fingerprint_key_file=workdir / "bench.key")
    print(f"sources: {', '.join(Path(s).name for s in sources)}")
    print(f"workdir: {workdir}\n")

    # 1. Our pipeline, cold (includes loading the model).
    start = time.perf_counter()
    report = run_ingest(resolve_sources(sources, settings), settings)
    ours_s = time.perf_counter() - start
    entries, chunks = report.added, report.chunks_embedded
    print(f"ours, cold        {ours_s:7.1f} s  {entries} entries {rate(entries, ours_s)}  {chunks} chunks {rate(chunks, ours_s)}")

    # 2. The naive LangChain pipeline on the same documents (our normalised records and chunks).
    model_id = get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_max_tokens).model_id
    docs = [
        Document(page_content=chunk.text, metadata=_chunk_metadata(record, chunk))
        for record in RecordStore(settings.data_dir).records()
        for chunk in chunk_record(record, model_id)
    ]
    start = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
    Chroma.from_documents(
        docs,
        embeddings,
        persist_directory=str(workdir / "naive"),
        client_settings=chromadb.config.Settings(anonymized_telemetry=False),
    )
    naive_s = time.perf_counter() - start
    print(f"naive LangChain   {naive_s:7.1f} s  {entries} entries {rate(entries, naive_s)}  {len(docs)} chunks {rate(len(docs), naive_s)}")
    print(f"ours / naive      {naive_s / ours_s:7.2f} x throughput (entries/s)")

    # 3. Our pipeline again, nothing changed.
    start = time.perf_counter()
    again = run_ingest(resolve_sources(sources, settings), settings)
    unchanged_s = time.perf_counter() - start
    print(f"ours, unchanged   {unchanged_s:7.1f} s  unchanged {again.unchanged}, chunks embedded {again.chunks_embedded}\n")

    for label, seconds, target in (
        (f"cold ingest of {entries} records", ours_s, COLD_TARGET_S),
        ("unchanged re-ingest", unchanged_s, UNCHANGED_TARGET_S),
    ):
        verdict = "met" if seconds <= target else "NOT met"
        print(f"target: {label} within {target:.0f} s: {verdict} ({seconds:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())

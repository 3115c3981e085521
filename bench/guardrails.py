"""Added latency of the guardrails per answer, in one process, over the adversarial probes and the
benign questions (tests/guardrails/probes.jsonl, benign.jsonl): the same pipeline with rails
(`Assistant(settings)`) and without (`Assistant(settings, rails=False)`).

The added cost of an answer is the time spent in the rails themselves: the input rail, the
output rail (on the whole answer, and on every streamed piece), and the audit log. Each is timed
where it runs, for answer() and for stream(); the end-to-end answer time with and without rails is
shown next to it (a refused question skips retrieval, so "with rails" can be faster end to end).

    .venv/bin/python bench/guardrails.py [--data-dir DIR] [--shared] [--rounds 3]

Without --data-dir an index of the withheld fixture is built in a temporary folder (with
--shared: of the real snapshot, the full records and the fixture; that takes minutes)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.index import RegisterIndex  # noqa: E402
from ingest.pipeline import resolve_sources, run_ingest  # noqa: E402

TARGET_ADDED_P95_MS = 5.0
GUARDRAIL_TESTS = ROOT / "tests" / "guardrails"


def conversations() -> list[tuple[str, list[dict[str, str]]]]:
    found = []
    for line in (GUARDRAIL_TESTS / "probes.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            probe = json.loads(line)
            found.append((probe["id"], probe["messages"]))
    for line in (GUARDRAIL_TESTS / "benign.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            found.append((item["id"], [{"role": "user", "content": item["q"]}]))
    return found


class Timer:
    """Wraps methods of the rails and adds up the time spent in them, per component."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner, method: str, label: str) -> None:
        original = getattr(owner, method)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start

        setattr(owner, method, timed)

    def take(self) -> dict[str, float]:
        found = {k: v * 1000 for k, v in self.spent.items()}
        self.spent.clear()
        return found


def build_index(shared: bool, shared_dir: Path) -> tuple[tempfile.TemporaryDirectory, Path]:
    workdir = tempfile.TemporaryDirectory(prefix="aw-guardrails-")
    data_dir = Path(workdir.name) / "data"
    fixture = shared_dir / "fixtures" / "withheld-records.jsonl"
    if not fixture.exists():
        raise SystemExit(f"the withheld fixture {fixture} is missing (--shared-dir)")
    sources = [fixture]
    if shared:
        snapshot = sorted((shared_dir / "data").glob("register-snapshot-*.json"))
        records = shared_dir / "data" / "register-records-v1.jsonl"
        if not snapshot or not records.exists():
            raise SystemExit(f"--shared: no register data under {shared_dir / 'data'}")
        sources = [snapshot[-1], records, fixture]
    settings = Settings(data_dir=data_dir, audit_key_file=Path(workdir.name) / "audit.key")
    print(f"building an index of {', '.join(p.name for p in sources)} in {data_dir} ...", flush=True)
    run_ingest(resolve_sources([str(p) for p in sources], settings), settings)
    return workdir, data_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--shared", action="store_true", help="index the real register data too (slow)")
    parser.add_argument("--shared-dir", type=Path, default=Path(os.environ.get("ALGORITMEWIJZER_SHARED_DIR", ROOT.parent / "shared")))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    workdir = None
    if args.data_dir is None:
        workdir, args.data_dir = build_index(args.shared, args.shared_dir)
    scratch = tempfile.TemporaryDirectory(prefix="aw-guardrails-audit-")
    settings = Settings(data_dir=args.data_dir, audit_key_file=Path(scratch.name) / "audit.key")
    # The audit log of the guarded pipeline goes to a scratch folder, not into the index's.
    audit_settings = settings.model_copy(update={"data_dir": Path(scratch.name) / "data"})

    index = RegisterIndex(settings)
    plain = Assistant(settings, index=index, rails=False, audit=False)
    guarded = Assistant(audit_settings, index=index, rails=True, audit=True)
    timer = Timer()
    timer.wrap(guarded.input_rail, "run", "input rail")
    timer.wrap(guarded.output_rail, "run", "output rail")
    timer.wrap(guarded.output_rail, "check_text", "stream checks")
    timer.wrap(guarded.audit, "record", "audit log")

    items = conversations()
    for _, messages in items:  # warm up: models, snapshots, caches
        plain.answer(messages)
        guarded.answer(messages)

    added_answer: list[float] = []
    added_stream: list[float] = []
    output_only: list[float] = []
    parts: dict[str, list[float]] = defaultdict(list)
    end_plain: list[float] = []
    end_guarded: list[float] = []
    statuses: dict[str, int] = defaultdict(int)
    for _ in range(max(1, args.rounds)):
        for _, messages in items:
            start = time.perf_counter()
            plain.answer(messages)
            end_plain.append((time.perf_counter() - start) * 1000)

            timer.take()
            start = time.perf_counter()
            answer = guarded.answer(messages)
            end_guarded.append((time.perf_counter() - start) * 1000)
            spent = timer.take()
            statuses[answer.status] += 1
            added_answer.append(sum(spent.values()))
            output_only.append(spent.get("output rail", 0.0))
            for label, value in spent.items():
                parts[label].append(value)

            for _event in guarded.stream(messages):
                pass
            spent = timer.take()
            added_stream.append(sum(spent.values()))
            parts["stream checks (per streamed answer)"].append(spent.get("stream checks", 0.0))

    print(f"{len(items)} conversations ({len(items) - 71} probes, 71 benign) x {args.rounds} rounds, index: {len(index.records)} records")
    print(f"answers with rails: {dict(sorted(statuses.items()))}")
    print()
    print(f"{'added by the guardrails, per answer':44} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'  answer()  (input + output rail + audit)':44} {percentile(added_answer, .5):8.3f} {percentile(added_answer, .95):8.3f}")
    print(f"{'  stream()  (... + a check per piece)':44} {percentile(added_stream, .5):8.3f} {percentile(added_stream, .95):8.3f}")
    for label in ("input rail", "output rail", "audit log", "stream checks (per streamed answer)"):
        values = parts.get(label) or [0.0]
        values = values + [0.0] * (len(added_answer) - len(values)) if label != "stream checks (per streamed answer)" else values
        print(f"{'    ' + label:44} {percentile(values, .5):8.3f} {percentile(values, .95):8.3f}")
    print()
    print(f"{'end to end, answer()':44} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'  without rails (rails=False)':44} {percentile(end_plain, .5):8.3f} {percentile(end_plain, .95):8.3f}")
    print(f"{'  with rails':44} {percentile(end_guarded, .5):8.3f} {percentile(end_guarded, .95):8.3f}")
    print()
    worst = max(percentile(added_answer, .95), percentile(added_stream, .95))
    verdict = "met" if worst < TARGET_ADDED_P95_MS else "NOT met"
    print(f"target: added latency < {TARGET_ADDED_P95_MS:.0f} ms p95 per answer -> {verdict} ({worst:.3f} ms); output rail alone p95 {percentile(output_only, .95):.3f} ms")
    scratch.cleanup()
    if workdir is not None:
        workdir.cleanup()
    return 0 if worst < TARGET_ADDED_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())

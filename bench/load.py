"""A bounded load test of the chat API on loopback.

Starts `algoritmewijzer serve` on 127.0.0.1 (a free port) over an ingested index, then runs N
concurrent clients (httpx, asyncio) for a fixed time, each asking questions drawn from
tests/eval/questions-{tune,holdout}.jsonl and tests/eval/dev.jsonl (with their conversation history), each in
several phrasings ("Vraag: ...", "..., graag.") so that hardly any text repeats, and prints
throughput, latency percentiles and errors against the targets, with the repeat rate beside them:
the share of requests whose exact conversation was asked before in the run, an upper bound on the
server's query-embedding cache hits. The rate limit is switched off for the run.

    python bench/load.py                       # 16 clients, 60 s, index built when missing
    python bench/load.py --seconds 20 --clients 8 --data-dir data
    python bench/load.py --stream              # ask for Server-Sent Events instead of JSON

Without --data-dir, the index is built once (fixture + register snapshot from ../shared/data) in
a folder under the system's temp directory and reused afterwards. Only 127.0.0.1 is ever
contacted; the loop stops by itself after --seconds (and every request has a timeout)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import percentile
from web.processes import stop

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = [ROOT / "tests" / "eval" / f"{name}.jsonl" for name in ("questions-tune", "questions-holdout", "dev")]
# Phrasings around a question: the same meaning, another text (and another cache key).
PHRASINGS = {
    "nl": ["{q}", "Vraag: {q}", "{q} Graag een kort antwoord.", "Ik wil graag weten: {q}", "{q} Dank u wel.",
           "Kunt u mij helpen? {q}", "Goedemiddag, {q}", "{q} Alvast bedankt."],
    "en": ["{q}", "Question: {q}", "{q} A short answer please.", "I would like to know: {q}", "{q} Thank you.",
           "Could you help me? {q}", "Good afternoon, {q}", "{q} Thanks in advance."],
}
SHARED_DIR = Path(os.environ.get("ALGORITMEWIJZER_SHARED_DIR", ROOT.parent / "shared")).expanduser()
FIXTURE = SHARED_DIR / "fixtures" / "withheld-records.jsonl"
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "algoritmewijzer-bench" / "data"
BENCH_FINGERPRINT_KEY = "bench-fingerprint-key-not-secret"
HOST = "127.0.0.1"  # loopback only

TARGET_THROUGHPUT = 40.0  # answers per second
TARGET_P99_MS = 300.0
TARGET_ERRORS = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def load_conversations(paths: list[Path], phrasings: int) -> list[dict]:
    """Every question of these files, in `phrasings` phrasings each, in a fixed shuffled order."""
    conversations = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            # an assistant turn without text (the evaluation fills in the real answer) becomes a placeholder
            history = [{"role": m["role"], "content": m.get("content") or "..."} for m in item.get("history") or [] if isinstance(m, dict)]
            lang = item.get("lang") if item.get("lang") in PHRASINGS else "nl"
            for template in PHRASINGS[lang][: max(1, phrasings)]:
                messages = [*history, {"role": "user", "content": template.format(q=item["q"])}]
                conversations.append({"messages": messages, "lang": item.get("lang")})
    if not conversations:
        raise SystemExit(f"no questions in {', '.join(map(str, paths))}")
    random.Random(20261201).shuffle(conversations)
    return conversations


def shared_snapshot() -> Path | None:
    shared = SHARED_DIR / "data"
    matches = sorted(shared.glob("register-snapshot-*.json"))
    return matches[-1] if matches else None


def ensure_index(data_dir: Path, env: dict[str, str]) -> None:
    if (data_dir / "records.sqlite3").exists():
        return
    if not FIXTURE.exists():
        raise SystemExit(f"the withheld fixture {FIXTURE} is missing: set ALGORITMEWIJZER_SHARED_DIR to the folder holding fixtures/ and data/")
    sources = [str(FIXTURE)]
    snapshot = shared_snapshot()
    if snapshot is not None:
        sources.insert(0, str(snapshot))
    else:
        print("note: no register snapshot found under ../shared/data; benchmarking on the fixture only", file=sys.stderr)
    print(f"building the index in {data_dir} from {', '.join(sources)} ...", file=sys.stderr)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", *sources, "--data-dir", str(data_dir), "--quiet"],
        cwd=ROOT, env=env, check=True,
    )


def start_server(data_dir: Path, port: int, env: dict[str, str], log_path: Path, workers: int) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--host", HOST, "--port", str(port), "--data-dir", str(data_dir),
         "--log-level", "warning", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_ready(base: str, process: subprocess.Popen, timeout: float, workers: int) -> None:
    """Ready when readyz answers 200 on enough fresh connections in a row (with several workers,
    each connection may land on another one)."""
    deadline = time.monotonic() + timeout
    needed = 1 if workers == 1 else 10 * workers
    in_a_row = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            ok = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        in_a_row = in_a_row + 1 if ok else 0
        if in_a_row >= needed:
            return
        time.sleep(0.05 if ok else 0.25)
    raise SystemExit(f"the server was not ready after {timeout:.0f}s")


async def one_request(client: httpx.AsyncClient, payload: dict, stream: bool) -> tuple[bool, str]:
    if not stream:
        response = await client.post("/api/chat", json=payload)
        if response.status_code != 200:
            kind = response.json().get("type", "").rsplit(":", 1)[-1] if response.headers.get("content-type", "").startswith("application/problem") else ""
            return False, f"HTTP {response.status_code} {kind}".strip()
        body = response.json()
        return (True, "") if isinstance(body.get("answer"), str) else (False, "no answer in the body")
    async with client.stream("POST", "/api/chat", json=payload, headers={"Accept": "text/event-stream"}) as response:
        if response.status_code != 200:
            return False, f"HTTP {response.status_code}"
        text = (await response.aread()).decode("utf-8")
    if "event: error" in text:
        return False, "SSE error event"
    if "event: result" not in text or "event: done" not in text:
        return False, "SSE stream incomplete"
    return True, ""


async def run_load(base: str, conversations: list[dict], clients: int, seconds: float, stream: bool, timeout: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = 0
    seen: set[str] = set()
    repeats = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        # warm-up (not measured): one round of a few questions
        for payload in conversations[: min(8, len(conversations))]:
            await one_request(client, payload, stream)
        started = time.perf_counter()
        stop_at = started + seconds

        async def worker() -> None:
            nonlocal counter, repeats
            while time.perf_counter() < stop_at:
                payload = conversations[counter % len(conversations)]
                counter += 1
                key = json.dumps(payload, sort_keys=True)
                repeats += key in seen
                seen.add(key)
                t0 = time.perf_counter()
                try:
                    ok, reason = await one_request(client, payload, stream)
                except httpx.HTTPError as exc:
                    ok, reason = False, type(exc).__name__
                elapsed = time.perf_counter() - t0
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[reason] = errors.get(reason, 0) + 1

        await asyncio.gather(*(worker() for _ in range(clients)))
        duration = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(duration, 2),
        "mode": "sse" if stream else "json",
        "answers": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "throughput": len(latencies) / duration if duration else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": (statistics.fmean(latencies) * 1000) if latencies else float("nan"),
        "max_ms": (max(latencies) * 1000) if latencies else float("nan"),
        "distinct_questions": len(conversations),
        "repeat_rate": repeats / counter if counter else 0.0,
    }


def report(result: dict) -> bool:
    checks = [
        ("throughput", f"{result['throughput']:.1f} answers/s", f">= {TARGET_THROUGHPUT:.0f} answers/s", result["throughput"] >= TARGET_THROUGHPUT),
        ("p99 latency", f"{result['p99_ms']:.0f} ms", f"<= {TARGET_P99_MS:.0f} ms", result["p99_ms"] <= TARGET_P99_MS),
        ("errors", str(result["errors"]), f"= {TARGET_ERRORS}", result["errors"] == TARGET_ERRORS),
    ]
    print(f"\n{result['clients']} clients, {result['workers']} server worker(s), {result['seconds']} s, {result['mode']}: {result['answers']} answers, {result['errors']} errors")
    print(f"questions: {result['distinct_questions']} distinct; repeat rate {result['repeat_rate']:.1%} "
          "(requests whose conversation was asked before in the run: at most that many query-embedding cache hits)")
    print(f"latency: p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, mean {result['mean_ms']:.0f} ms, max {result['max_ms']:.0f} ms")
    if result["error_kinds"]:
        print("errors: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(result["error_kinds"].items())))
    print(f"\n{'measure':<13}{'result':>16}  {'target':<20}")
    for name, value, target, met in checks:
        print(f"{name:<13}{value:>16}  {target:<20}{'met' if met else 'MISSED'}")
    return all(met for *_, met in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help=f"an ingested index (default: {DEFAULT_DATA_DIR}, built when missing)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured duration (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--stream", action="store_true", help="ask for Server-Sent Events")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--questions", type=Path, nargs="+", default=QUESTION_SETS, help="question files (JSON lines with q, history, lang)")
    parser.add_argument("--phrasings", type=int, default=len(PHRASINGS["nl"]), help="phrasings per question (1: the questions as written)")
    parser.add_argument("--json", action="store_true", help="also print the result as one JSON line")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 3600) or not (0 < args.clients <= 256) or not (0 < args.workers <= 16):
        parser.error("--seconds must be in (0, 3600], --clients in (0, 256] and --workers in (0, 16]")

    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "ALGORITMEWIJZER_RATE_LIMIT": "100000000",  # the limiter is off for the run
    }
    env.setdefault("ALGORITMEWIJZER_FINGERPRINT_KEY", BENCH_FINGERPRINT_KEY)
    data_dir = (args.data_dir or DEFAULT_DATA_DIR).expanduser().resolve()
    if args.data_dir is None:
        ensure_index(data_dir, env)
    elif not (data_dir / "records.sqlite3").exists():
        raise SystemExit(f"no index in {data_dir}: run `algoritmewijzer ingest ... --data-dir {data_dir}` first")
    conversations = load_conversations(args.questions, args.phrasings)

    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = Path(tempfile.gettempdir()) / f"algoritmewijzer-bench-{port}.log"
    process = start_server(data_dir, port, env, log_path, args.workers)
    try:
        wait_ready(base, process, timeout=300, workers=args.workers)
        print(f"server ready at {base} ({data_dir}); {len(conversations)} questions; running {args.clients} clients for {args.seconds:.0f} s ...", file=sys.stderr)
        result = asyncio.run(run_load(base, conversations, args.clients, args.seconds, args.stream, args.timeout))
        result["workers"] = args.workers
    finally:
        stop(process, grace=20)
    met = report(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    if result["errors"]:
        print(f"(server log: {log_path})")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())

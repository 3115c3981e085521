"""The `algoritmewijzer` command: ingest, search, ask, eval, serve, settings."""

from __future__ import annotations

import os

# A server answers many requests at once: parallelism comes from them, not from threads inside
# one embedding. Multi-threaded OpenMP with busy-waiting made one query embedding take ~1 s
# instead of ~12 ms on a loaded 2-core machine. This must precede torch's loading.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# numpy's OpenBLAS threads wait for work by spinning. A server's matrix products are small (one
# question against the register's entries), and the spinning took about a third of the CPU of each
# answer: bench/load.py on 2 cores gave 32 answers/s with OpenBLAS's default threads, 45 with one.
# This must precede numpy's loading; worker processes inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from assistant.conversation import InvalidConversation  # noqa: E402
from assistant.evaluate import EvalFileError, evaluate, format_reports, load_questions  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings, get_settings, settings_table  # noqa: E402
from ingest.embedding import ModelError  # noqa: E402
from ingest.index import IndexNotReady, RegisterIndex  # noqa: E402
from ingest.pipeline import IngestError, resolve_sources, run_ingest  # noqa: E402
from ingest.records import SourceError  # noqa: E402
from ingest.vector_store import VectorStoreError  # noqa: E402
from web.app import create_app  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "data_dir", None):
        settings = settings.model_copy(update={"data_dir": Path(args.data_dir).expanduser()})
    return settings


class _ProgressBars:
    """tqdm bars on stderr, one per stage, shown on long work."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict = {}
        self.labels = {"embed": "embedding chunks", "register": "reading the register"}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=self.labels.get(stage, stage), unit="", file=sys.stderr, leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def cmd_ingest(args: argparse.Namespace) -> int:

    settings = _settings(args)
    progress = _ProgressBars(enabled=not args.quiet)
    try:
        sources = resolve_sources(args.sources, settings)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Ingesting {', '.join(s.label for s in sources)} into {settings.data_dir}", file=sys.stderr)
    try:
        report = run_ingest(sources, settings, progress)
    except (VectorStoreError, ModelError, IngestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.summary())
    if report.failed_sources:
        print(f"error: {len(report.failed_sources)} source(s) could not be read", file=sys.stderr)
    if report.rejected:
        print(f"error: {report.rejected} record(s) rejected; the rest was ingested", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_search(args: argparse.Namespace) -> int:

    settings = _settings(args)
    try:
        index = RegisterIndex(settings)
        hits = index.search(args.query, k=args.limit, mode=args.mode)
    except (IndexNotReady, VectorStoreError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = []
    for hit in hits:
        record = index.get(hit.lars)
        rows.append({"lars": hit.lars, "name": record.name, "organization": record.organization, "url": record.url, "score": round(hit.score, 4)})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        if not rows:
            print("Nothing found.")
        for number, row in enumerate(rows, 1):
            print(f"{number:2}. {row['name']} — {row['organization'] or '(geen organisatie)'} [{row['lars']}] {row['url'] or ''}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ["OMP_NUM_THREADS"] = str(max(1, args.torch_threads))  # inherited by worker processes
    import torch
    import uvicorn

    torch.set_num_threads(max(1, args.torch_threads))
    settings = _settings(args)
    if args.workers > 1:
        # Worker processes build the app from the environment; the API is stateless, so they answer
        # alike (the rate limit then holds per worker).
        os.environ["ALGORITMEWIJZER_DATA_DIR"] = str(settings.data_dir)
        app = "web.app:create_app"
    else:
        app = create_app(settings)
    shown_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(args.host, args.host)
    if ":" in shown_host and not shown_host.startswith("["):
        shown_host = f"[{shown_host}]"
    print(f"Algoritmewijzer: open http://{shown_host}:{args.port}/ (data: {settings.data_dir})", flush=True)
    # proxy_headers off: X-Forwarded-For is believed only from ALGORITMEWIJZER_TRUSTED_PROXIES (the app's middleware).
    uvicorn.run(app, factory=args.workers > 1, workers=args.workers if args.workers > 1 else None, host=args.host, port=args.port,
                log_level=args.log_level, access_log=args.access_log, server_header=False, proxy_headers=False)
    return EXIT_OK


def _print_answer(answer: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer, ensure_ascii=False))
        return
    print(answer["answer"])
    for notice in answer["withheld"]:
        print(f"\n[{notice['lars']}] not public: {', '.join(notice['fields'])} ({notice['ground']}; {notice['legal_basis'] or '-'})")
    if answer["citations"] and not any(c["url"] and c["url"] in answer["answer"] for c in answer["citations"]):
        print("\n" + ("Bronnen:" if answer["lang"] == "nl" else "Sources:"))
        for citation in answer["citations"]:
            print(f"- {citation['name']} ({citation['organization'] or '-'}): {citation['url'] or citation['lars']}")


def cmd_ask(args: argparse.Namespace) -> int:

    settings = _settings(args)
    try:
        assistant = Assistant(settings)
    except IndexNotReady as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.batch:
        return _ask_batch(assistant, args.batch)
    if not args.question:
        print("error: give a QUESTION or --batch FILE", file=sys.stderr)
        return EXIT_USAGE
    try:
        history = json.loads(args.history) if args.history else []
        if not isinstance(history, list):
            raise ValueError("--history must be a JSON list of {role, content} messages")
        answer = assistant.answer([*history, {"role": "user", "content": args.question}], args.lang)
    except (ValueError, InvalidConversation) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _print_answer(answer.to_dict(), args.json)
    return EXIT_OK


def _batch_answer(assistant: Assistant, line: str) -> dict[str, Any]:
    """The answer to one batch line, or raises ValueError / InvalidConversation with the reason."""
    item = json.loads(line)
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise ValueError("each line needs a JSON object with a string 'q'")
    history = item.get("history") or []
    if not isinstance(history, list):
        raise ValueError("'history' must be a list of {role, content} messages")
    lang = item.get("lang")
    if lang not in (None, "nl", "en"):
        raise ValueError("'lang' must be 'nl' or 'en'")
    return assistant.answer([*history, {"role": "user", "content": item["q"]}], lang).to_dict()


def _ask_batch(assistant: Assistant, source: str) -> int:
    """One JSON object a line in ({"q", "history", "lang"}), one JSON line out for each: the answer,
    or {"error": ...} for a line that cannot be answered; the others are answered all the same.
    Exit status: the number of lines that failed (at most 100)."""
    if source == "-":
        sys.stdin.reconfigure(encoding="utf-8", errors="surrogateescape")  # a line of bad bytes is one bad line
    handle = sys.stdin if source == "-" else open(source, encoding="utf-8", errors="surrogateescape")
    failures = 0
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                result = _batch_answer(assistant, line)
            except (ValueError, InvalidConversation) as exc:  # json errors are ValueErrors too
                failures += 1
                result = {"error": f"line {number}: {exc}"}
            except Exception as exc:  # one line never stops the batch
                logging.getLogger("algoritmewijzer").exception("line %d failed", number)
                failures += 1
                result = {"error": f"line {number}: could not be answered ({type(exc).__name__})"}
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return min(failures, 100)


def cmd_eval(args: argparse.Namespace) -> int:

    settings = _settings(args)
    try:
        questions = [q for name in args.file for q in load_questions(Path(name))]
    except (OSError, EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    modes = ("hybrid",) if args.no_baselines else ("hybrid", "lexical", "dense")
    progress = _ProgressBars(enabled=not args.quiet)
    try:
        reports = evaluate(questions, settings, modes, progress=lambda mode, done, total: progress(f"eval {mode}", done, total))
    except IndexNotReady as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        progress.close()
    if args.json:
        print(json.dumps({mode: {"summary": r.summary(), "targets": r.targets()} for mode, r in reports.items()}, indent=2))
    else:
        print(format_reports(reports))
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    """The settings: as the README's Markdown table, or the current values (secrets hidden)."""
    if args.markdown:
        print(settings_table(), end="")
        return EXIT_OK
    current = get_settings().model_dump(mode="json")
    for name, value in current.items():
        print(f"ALGORITMEWIJZER_{name.upper()}={'' if value is None else value}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="algoritmewijzer", description="Questions and answers about the Dutch Algorithm Register.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="data directory (default: $ALGORITMEWIJZER_DATA_DIR or ./data)")

    p = sub.add_parser("ingest", help="ingest register sources into the local index")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="a .json/.jsonl/.csv file, or 'live' for the live register (the default)")
    data_dir_option(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="search the index (no answer composition)")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "lexical", "dense"], default="hybrid")
    p.add_argument("--json", action="store_true")
    data_dir_option(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("serve", help="run the HTTP API, the chat page and the widget")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument("--torch-threads", type=int, default=1, help="threads per embedding computation (default: 1)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1); each loads the index and the model")
    data_dir_option(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question", nargs="?")
    p.add_argument("--history", help="the conversation so far, as a JSON list of {role, content}")
    p.add_argument("--lang", choices=["nl", "en"], help="answer language (default: the question's)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (the API contract)")
    p.add_argument("--batch", metavar="FILE", help="answer each JSON line of FILE ('-' for stdin) in one process")
    data_dir_option(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="score a question set, next to BM25-only and dense-only baselines")
    p.add_argument("file", metavar="FILE.jsonl", nargs="+", help="question sets; each split (tune, holdout, a file without splits) is reported on its own")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-baselines", action="store_true", help="score the assistant only")
    p.add_argument("--quiet", action="store_true")
    data_dir_option(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("settings", help="show the settings (ALGORITMEWIJZER_* environment variables)")
    p.add_argument("--markdown", action="store_true", help="print the README's table of every setting, its default and meaning")
    p.set_defaults(func=cmd_settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("bm25s", "chromadb", "httpx", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; the previous index stays in use", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

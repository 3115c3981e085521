"""Reading the sources and applying the withholding contract, in a process of its own.

`split_sources` reads every source and splits off withheld values: they are dropped, and nothing
derived from them (no hash, no fingerprint, no count of their words) leaves the reader.
`split_sources_isolated` runs it in a separate process (a spawn-context
`ProcessPoolExecutor`), so raw records and withheld values never enter the memory of the process
that embeds and writes the index: what a library writes to disk from stale memory (an HNSW file's
unused space, say) can then hold no withheld value. The reader process writes nothing to stderr or
logs, and an error is reported by its kind only, since a message might quote a record."""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from guardrails.withholding import InvalidWithholding, parse_withholding, split_withheld
from ingest.records import PublicRecord, Source, SourceError, newest_date, normalise_public
from ingest.report import IngestReport

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class ReaderError(RuntimeError):
    """Reading the sources failed in the reader process (the message names the kind only)."""


@dataclass
class Incoming:
    record: PublicRecord


@dataclass
class Split:
    """What reading the sources yields: only public parts and notices."""

    incoming: dict[str, Incoming] = field(default_factory=dict)
    must_remove: set[str] = field(default_factory=set)  # entry-withheld or rejected ids: never kept as public
    seen_by_source: dict[str, set[str]] = field(default_factory=dict)
    complete_sources: set[str] = field(default_factory=set)
    report: IngestReport = field(default_factory=IngestReport)
    data_dates: dict[str, str] = field(default_factory=dict)  # source id -> ISO date of its data


def split_sources(sources: list[Source], progress: Progress | None = None) -> Split:
    """Read every source and apply the withholding contract: withheld values are dropped here, and
    nothing of them leaves this function."""
    out = Split()
    report = out.report
    for source in sources:
        seen: set[str] = set()
        newest = None  # the newest date among the source's public records
        page_progress = (lambda done, total: progress("register", done, total)) if progress else None
        try:
            for raw in source.read(page_progress):
                record_id = raw.record_id
                if record_id is None:
                    report.rejected += 1
                    report.rejections.append(f"{raw.origin}: the record has no 'lars' (or 'id')")
                    continue
                seen.add(record_id)
                notice = None
                if "withholding" in raw.data and raw.data["withholding"] is not None:
                    try:
                        notice = parse_withholding(record_id, raw.data["withholding"])
                    except InvalidWithholding as exc:
                        report.rejected += 1
                        report.rejections.append(f"{raw.origin}: {exc}")
                        out.must_remove.add(record_id)
                        out.incoming.pop(record_id, None)
                        continue
                public, _withheld = split_withheld(raw.data, notice)
                if notice is not None and notice.scope == "entry":
                    report.withheld_entries += 1
                    out.must_remove.add(record_id)
                    out.incoming.pop(record_id, None)
                    continue
                if notice is not None and notice.fields:
                    report.withheld_fields += 1
                record = normalise_public(record_id, source.source_id, public, notice)
                newest = max(filter(None, (newest, newest_date(record))), default=None)
                out.incoming[record_id] = Incoming(record)
                out.must_remove.discard(record_id)
        except SourceError as exc:
            report.failed_sources.append(str(exc))
            continue
        out.seen_by_source[source.source_id] = seen
        dated = source.stated_date() or newest or source.modified_date()
        if dated:
            out.data_dates[source.source_id] = dated.isoformat()
        if source.complete:
            out.complete_sources.add(source.source_id)
    return out


# --- the reader process ----------------------------------------------------------------------

_progress_queue = None  # set in the reader process by _start_reader


def _start_reader(progress_queue) -> None:
    """Runs first in the reader process: stderr goes nowhere, progress goes to the queue."""
    global _progress_queue
    _progress_queue = progress_queue
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _split_in_reader(sources: list[Source]) -> tuple[str, object]:
    try:
        return "result", split_sources(sources, lambda *message: _progress_queue.put(message))
    except BaseException as exc:  # noqa: BLE001 - the kind only: a message might quote a record
        return "failed", type(exc).__name__


def split_sources_isolated(sources: list[Source], progress: Progress | None = None) -> Split:
    """`split_sources` in a fresh reader process; progress is relayed to `progress` here."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_reader, initargs=(messages,)) as pool:
            future = pool.submit(_split_in_reader, sources)
            while True:
                try:
                    message = messages.get(timeout=0.05)
                except queue.Empty:
                    if future.done():
                        break
                    continue
                if progress:
                    progress(*message)
            kind, value = future.result()
        while progress:  # what the reader sent just before it finished
            try:
                progress(*messages.get_nowait())
            except queue.Empty:
                break
    except BrokenProcessPool:
        raise ReaderError("reading the sources stopped unexpectedly (the reader process ended)") from None
    finally:
        messages.close()
        messages.join_thread()
    if kind != "result":
        raise ReaderError(f"reading the sources failed ({value})")
    return value

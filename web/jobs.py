"""Background ingest jobs for the admin API.

One ingest at a time per data directory, across processes: a running job holds an exclusive
`flock` on data_dir/jobs/ingest.lock (the OS releases it when the process dies). A job's state
lives in data_dir/jobs/<id>.json (written atomically), so any API process serving the same data
directory can report it. A job file that says "running" while nobody holds the lock belongs to a
process that died: it is reported as failed ("interrupted")."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.settings import Settings

log = logging.getLogger("algoritmewijzer.web.jobs")

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
PROGRESS_WRITE_INTERVAL = 0.5  # seconds between progress writes within one stage


class JobBusy(Exception):
    """An ingest is already running (in this or another process)."""

    def __init__(self, running_id: str | None):
        super().__init__("an ingest is already running")
        self.running_id = running_id


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


class _Lock:
    """The cross-process ingest lock (non-blocking)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def write_owner(self, job_id: str) -> None:
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, job_id.encode("ascii"), 0)

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None


class IngestJobs:
    """Starts and reports ingest jobs for one data directory."""

    def __init__(self, settings: Settings, on_success: Callable[[], None] | None = None):
        self.settings = settings
        self.on_success = on_success
        self.dir = settings.data_dir / "jobs"
        self._threads: dict[str, threading.Thread] = {}
        self._start_lock = threading.Lock()

    # --- paths ------------------------------------------------------------------------------
    def _ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def _job_path(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.json"

    @property
    def _lock_path(self) -> Path:
        return self.dir / "ingest.lock"

    # --- starting -----------------------------------------------------------------------------
    def start(self, specs: list[str]) -> dict[str, Any]:
        """Start an ingest of these sources; returns the job's state.
        Raises JobBusy when one runs, ingest.records.SourceError for an unreadable source."""
        from ingest.pipeline import resolve_sources

        self._ensure_dir()
        with self._start_lock:
            lock = _Lock(self._lock_path)
            if not lock.acquire():
                raise JobBusy(self.running_id())
            try:
                job_id = uuid.uuid4().hex
                job: dict[str, Any] = {
                    "id": job_id,
                    "kind": "ingest",
                    "state": "running",
                    "sources": [],
                    "created": _now(),
                    "finished": None,
                    "progress": {"stage": "starting", "done": 0, "total": 0},
                    "report": None,
                    "error": None,
                }
                progress = _ProgressWriter(self._job_path(job_id), job)
                sources = resolve_sources(list(specs), self.settings)  # may raise SourceError
                job["sources"] = [s.label for s in sources]
                lock.write_owner(job_id)
                _write_atomic(self._job_path(job_id), job)
            except BaseException:
                lock.release()
                raise
            thread = threading.Thread(target=self._run, args=(job, sources, lock, progress), name=f"ingest-{job_id[:8]}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
            return dict(job)

    def _run(self, job: dict[str, Any], sources: list, lock: _Lock, progress: "_ProgressWriter") -> None:
        from ingest.pipeline import run_ingest

        try:
            progress("reading", 0, 0)
            report = run_ingest(sources, self.settings, progress)
            with progress.lock:
                job["report"] = report.to_dict()
                job["state"] = "succeeded" if report.ok else "failed"
                problems = []
                if report.failed_sources:
                    problems.append(f"{len(report.failed_sources)} source(s) could not be read")
                if report.rejected:
                    problems.append(f"{report.rejected} record(s) rejected; the rest was ingested")
                job["error"] = "; ".join(problems) or None
                job["progress"] = {**job["progress"], "stage": "finished"}
                job["finished"] = _now()
                _write_atomic(self._job_path(job["id"]), job)
        except Exception as exc:  # the job reports it; the server keeps running
            log.exception("ingest job %s failed", job["id"])
            with progress.lock:
                job["state"] = "failed"
                job["error"] = f"{type(exc).__name__}: {exc}"
                job["finished"] = _now()
                _write_atomic(self._job_path(job["id"]), job)
        finally:
            lock.release()
            self._threads.pop(job["id"], None)
        if job["state"] == "succeeded" or job.get("report"):
            if self.on_success is not None:
                try:
                    self.on_success()
                except Exception:
                    log.exception("after-ingest hook failed")

    # --- reading ------------------------------------------------------------------------------
    def running_id(self) -> str | None:
        try:
            text = self._lock_path.read_text(encoding="ascii").strip()
        except OSError:
            return None
        return text if JOB_ID.match(text) else None

    def _lock_is_free(self) -> bool:
        probe = _Lock(self._lock_path)
        if probe.acquire():
            # release without truncating: the owner id is only ever written by a holder
            fcntl.flock(probe.fd, fcntl.LOCK_UN)
            os.close(probe.fd)
            probe.fd = None
            return True
        return False

    def get(self, job_id: str) -> dict[str, Any] | None:
        if not JOB_ID.match(job_id):
            return None
        path = self._job_path(job_id)
        try:
            job = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if job.get("state") == "running" and job_id not in self._threads and self._lock_is_free():
            # the process that ran it is gone: unless it finished between our two reads, it died
            time.sleep(0.05)
            try:
                job = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                return None
            if job.get("state") == "running":
                job["state"] = "failed"
                job["error"] = "interrupted: the process running this ingest stopped before it finished"
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait for a job started by this process (tests, CLI)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)


class _ProgressWriter:
    """The progress callback of run_ingest: (stage, done, total) into the job file, throttled."""

    def __init__(self, path: Path, job: dict[str, Any]):
        self.path = path
        self.job = job
        self.lock = threading.Lock()
        self._last_write = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self.lock:
            previous = self.job["progress"].get("stage")
            self.job["progress"] = {"stage": stage, "done": int(done), "total": int(total)}
            now = time.monotonic()
            if stage != previous or done >= total or now - self._last_write >= PROGRESS_WRITE_INTERVAL:
                self._last_write = now
                if self.path.exists():  # not before the job is announced
                    _write_atomic(self.path, self.job)

"""Background ingest jobs for the admin API.

One ingest at a time, across processes. Without Redis: a running job holds an exclusive lock (`filelock`, an flock) on
data_dir/jobs/ingest.lock (the OS releases it when the process dies) and its state lives in
data_dir/jobs/<id>.json (written atomically), so any API process serving the same data directory
can report it. With ALGORITMEWIJZER_REDIS_URL: the lock is a Redis key with a short expiry that the
running process keeps extending, and the state is a Redis key, so every replica reports it. A job
that says "running" while nobody holds the lock belongs to a process that died: it is reported as
failed ("interrupted")."""

from __future__ import annotations

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
from typing import Any, Protocol

import filelock
import redis

from assistant.settings import Settings
from ingest.pipeline import resolve_sources, run_ingest
from web.shared import redis_client

log = logging.getLogger("algoritmewijzer.web.jobs")

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
PROGRESS_WRITE_INTERVAL = 0.5  # seconds between progress writes within one stage
LOCK_KEY = "algoritmewijzer:ingest-lock"
JOB_KEY = "algoritmewijzer:ingest-job:"
LOCK_TTL_SECONDS = 15  # a Redis lock whose holder died frees itself after this
JOB_TTL_SECONDS = 30 * 24 * 3600


BUSY_SETTLE_SECONDS = 1.0  # how long a held lock without a job id is asked again (see IngestJobs._acquire)


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


class HeldLock(Protocol):
    def release(self) -> None: ...


class JobStore(Protocol):
    """Where the one-at-a-time lock and the jobs' states live."""

    def acquire(self, job_id: str) -> HeldLock | None: ...

    def running_id(self) -> str | None: ...

    def lock_is_free(self) -> bool: ...

    def save(self, job: dict[str, Any]) -> None: ...

    def load(self, job_id: str) -> dict[str, Any] | None: ...


class _FileLock:
    """The cross-process ingest lock (non-blocking), holding the running job's id. `filelock` takes
    an flock on the file, which the OS releases when the holding process dies."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = filelock.FileLock(path, mode=0o600, is_singleton=False, thread_local=False)

    def acquire(self, owner: str | None = None) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        if owner is not None:
            self.path.write_text(owner, encoding="ascii")
        return True

    def release(self, clear: bool = True) -> None:
        if self._lock.is_locked:
            try:
                if clear:
                    self.path.write_text("", encoding="ascii")
            finally:
                self._lock.release()


class FileJobStore:
    """Jobs in data_dir/jobs: one JSON file per job and an flock'ed lock file."""

    def __init__(self, data_dir: Path):
        self.dir = data_dir / "jobs"
        self.lock_path = self.dir / "ingest.lock"

    def acquire(self, job_id: str) -> HeldLock | None:
        self.dir.mkdir(parents=True, exist_ok=True)
        lock = _FileLock(self.lock_path)
        return lock if lock.acquire(job_id) else None

    def running_id(self) -> str | None:
        try:
            text = self.lock_path.read_text(encoding="ascii").strip()
        except OSError:
            return None
        return text if JOB_ID.match(text) else None

    def lock_is_free(self) -> bool:
        if not self.lock_path.exists():
            return True
        probe = _FileLock(self.lock_path)
        if probe.acquire():
            probe.release(clear=False)  # the owner id is only ever written by a holder
            return True
        return False

    def save(self, job: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.dir / f"{job['id']}.json", job)

    def load(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.dir / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None


class _RedisLock:
    """A Redis key holding the running job's id, kept alive by a thread while the job runs."""

    def __init__(self, client: redis.Redis, job_id: str):
        self.client = client
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep_alive, name=f"ingest-lock-{job_id[:8]}", daemon=True)
        self._thread.start()

    def _keep_alive(self) -> None:
        while not self._stop.wait(LOCK_TTL_SECONDS / 3):
            try:
                if self.client.get(LOCK_KEY) == self.job_id:
                    self.client.expire(LOCK_KEY, LOCK_TTL_SECONDS)
            except redis.RedisError:
                log.warning("could not extend the ingest lock in Redis", exc_info=True)

    def release(self) -> None:
        self._stop.set()
        with self.client.pipeline() as pipe:  # delete only our own lock
            try:
                pipe.watch(LOCK_KEY)
                if pipe.get(LOCK_KEY) == self.job_id:
                    pipe.multi()
                    pipe.delete(LOCK_KEY)
                    pipe.execute()
            except redis.WatchError:
                pass


class RedisJobStore:
    """Jobs in Redis, shared by every replica."""

    def __init__(self, client: redis.Redis):
        self.client = client

    def acquire(self, job_id: str) -> HeldLock | None:
        if not self.client.set(LOCK_KEY, job_id, nx=True, ex=LOCK_TTL_SECONDS):
            return None
        return _RedisLock(self.client, job_id)

    def running_id(self) -> str | None:
        value = self.client.get(LOCK_KEY)
        return value if value and JOB_ID.match(value) else None

    def lock_is_free(self) -> bool:
        return not self.client.exists(LOCK_KEY)

    def save(self, job: dict[str, Any]) -> None:
        self.client.set(JOB_KEY + job["id"], json.dumps(job, ensure_ascii=False), ex=JOB_TTL_SECONDS)

    def load(self, job_id: str) -> dict[str, Any] | None:
        raw = self.client.get(JOB_KEY + job_id)
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return None


def job_store(settings: Settings) -> JobStore:
    return RedisJobStore(redis_client(settings.redis_url)) if settings.redis_url else FileJobStore(settings.data_dir)


class IngestJobs:
    """Starts and reports ingest jobs."""

    def __init__(self, settings: Settings, on_success: Callable[[], None] | None = None, store: JobStore | None = None):
        self.settings = settings
        self.on_success = on_success
        self.store = store or job_store(settings)
        self._threads: dict[str, threading.Thread] = {}
        self._start_lock = threading.Lock()

    def start(self, specs: list[str]) -> dict[str, Any]:
        """Start an ingest of these sources; returns the job's state.
        Raises JobBusy when one runs, ingest.records.SourceError for an unreadable source."""
        with self._start_lock:
            job_id = uuid.uuid4().hex
            lock = self._acquire(job_id)
            try:
                job: dict[str, Any] = {
                    "id": job_id, "kind": "ingest", "state": "running", "sources": [], "created": _now(),
                    "finished": None, "progress": {"stage": "starting", "done": 0, "total": 0}, "report": None, "error": None,
                }
                sources = resolve_sources(list(specs), self.settings)  # may raise SourceError
                job["sources"] = [s.label for s in sources]
                self.store.save(job)
                progress = _ProgressWriter(self.store, job)
            except BaseException:
                lock.release()
                raise
            thread = threading.Thread(target=self._run, args=(job, sources, lock, progress), name=f"ingest-{job_id[:8]}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
            return dict(job)

    def _acquire(self, job_id: str) -> HeldLock:
        """The ingest lock for this job, or JobBusy naming the running job. A lock held without a
        job id is a holder between taking it and writing its id, or between clearing it and letting
        go: asked again for up to BUSY_SETTLE_SECONDS, so the answer is a job id or the lock."""
        deadline = time.monotonic() + BUSY_SETTLE_SECONDS
        while True:
            lock = self.store.acquire(job_id)
            if lock is not None:
                return lock
            running = self.store.running_id()
            if running is not None or time.monotonic() >= deadline:
                raise JobBusy(running)
            time.sleep(0.02)

    def _run(self, job: dict[str, Any], sources: list, lock: HeldLock, progress: "_ProgressWriter") -> None:
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
                self.store.save(job)
        except Exception as exc:  # the job reports it; the server keeps running
            log.exception("ingest job %s failed", job["id"])
            with progress.lock:
                job["state"] = "failed"
                job["error"] = f"{type(exc).__name__}: {exc}"
                job["finished"] = _now()
                self.store.save(job)
        finally:
            lock.release()
            self._threads.pop(job["id"], None)
        if (job["state"] == "succeeded" or job.get("report")) and self.on_success is not None:
            try:
                self.on_success()
            except Exception:
                log.exception("after-ingest hook failed")

    def get(self, job_id: str) -> dict[str, Any] | None:
        if not JOB_ID.match(job_id):
            return None
        job = self.store.load(job_id)
        if job is not None and job.get("state") == "running" and job_id not in self._threads and self.store.lock_is_free():
            # the process that ran it is gone: unless it finished between our two reads, it died
            time.sleep(0.05)
            job = self.store.load(job_id)
            if job is not None and job.get("state") == "running":
                job["state"] = "failed"
                job["error"] = "interrupted: the process running this ingest stopped before it finished"
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait for a job started by this process (tests, CLI)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)


class _ProgressWriter:
    """The progress callback of run_ingest: (stage, done, total) into the job's state, throttled."""

    def __init__(self, store: JobStore, job: dict[str, Any]):
        self.store = store
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
                self.store.save(self.job)

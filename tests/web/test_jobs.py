"""The ingest job's lock (web/jobs.py): a running job is reported by its id, and a lock that is
being let go is waited for, not reported as a running job without an id."""

from __future__ import annotations

import fcntl
import threading
import time

import pytest

from ingest.records import SourceError
from tests.conftest import WITHHELD_FIXTURE, make_settings
from web.jobs import BUSY_SETTLE_SECONDS, IngestJobs, JobBusy


@pytest.fixture
def jobs(tmp_path):
    return IngestJobs(make_settings(tmp_path / "data", import_dir=WITHHELD_FIXTURE.parent))


def _hold(jobs: IngestJobs, owner: str):
    jobs.store.dir.mkdir(parents=True, exist_ok=True)
    held = open(jobs.store.lock_path, "a+", encoding="ascii")
    fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.truncate(0)
    held.write(owner)
    held.flush()
    return held


def _let_go(held) -> None:
    fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    held.close()


def test_a_running_job_is_named_at_once(jobs):
    held = _hold(jobs, "b" * 32)
    try:
        started = time.monotonic()
        with pytest.raises(JobBusy) as busy:
            jobs.start([WITHHELD_FIXTURE.name])
        assert busy.value.running_id == "b" * 32
        assert time.monotonic() - started < BUSY_SETTLE_SECONDS
    finally:
        _let_go(held)


def test_a_lock_being_let_go_is_waited_for(jobs):
    """Held without a job id (its holder has just cleared it and is letting go): the next start
    takes the lock instead of answering 'busy' with no job to name."""
    held = _hold(jobs, "")
    threading.Timer(0.2, _let_go, args=(held,)).start()
    with pytest.raises(SourceError):  # the lock was taken: the missing source is what fails
        jobs.start(["missing.jsonl"])
    assert jobs.store.lock_is_free()


def test_a_lock_held_without_an_id_for_long_is_busy(jobs):
    held = _hold(jobs, "")
    try:
        with pytest.raises(JobBusy) as busy:
            jobs.start([WITHHELD_FIXTURE.name])
        assert busy.value.running_id is None
    finally:
        _let_go(held)

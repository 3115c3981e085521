"""Several replicas on real shared parts: Debian's `redis-server` and a `chroma run` server on
loopback, two `algoritmewijzer serve` processes with data directories of their own, sharing the
Chroma server (ALGORITMEWIJZER_CHROMA_MODE=http) and Redis (ALGORITMEWIJZER_REDIS_URL).

Shown: the same answers from both; one client's rate limit holds across both; the chat taken
offline on one is offline on the other within seconds; an ingest job started on one is reported
by the other; feedback given on one is read on the other; a replica killed during a request, and the client's retry on the other answers the
same. Everything started here is stopped at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from tests.conftest import PROJECT_ROOT, TEST_FINGERPRINT_KEY, WITHHELD_FIXTURE, make_settings
from tests.processes import free_port, stop, wait_http
from tests.web.test_api import ADMIN, ADMIN_KEY, QUESTION, ingest

RATE_LIMIT = 6
QUESTIONS = [
    {"messages": [{"role": "user", "content": QUESTION}]},
    {"messages": [{"role": "user", "content": "Which algorithms does the police use?"}], "lang": "en"},
    {"messages": [{"role": "user", "content": "Welke bronnen gebruikt de Douane?"}]},
    {"messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "...", "results": ["W0001"]},
                  {"role": "user", "content": "En de politie?"}]},
]


def _programs() -> tuple[str, str]:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; `make test` installs it as root)")
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (chromadb) is not installed")
    return redis_server, chroma


class Cluster:
    """The processes of one test, with their logs; `close` stops them all."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        self.logs.append(log)
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT, start_new_session=True)
        self.processes[name] = process
        return process

    def dump_logs(self) -> None:
        for path in sorted(self.folder.glob("*.log")):
            sys.stderr.write(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}\n")

    def close(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop(process)
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    redis_server, chroma = _programs()
    folder = tmp_path_factory.mktemp("replicas")
    redis_port, chroma_port = free_port(), free_port()
    ports = {"a": free_port(), "b": free_port()}
    base_env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"}
    nodes = Cluster(folder)
    try:
        redis_proc = nodes.start("redis", [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                           "--appendonly", "no", "--protected-mode", "yes"], base_env)
        chroma_proc = nodes.start("chroma", [chroma, "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1",
                                             "--port", str(chroma_port)], base_env)
        wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", 60, chroma_proc)
        assert redis_proc.poll() is None, "redis-server did not start"
        shared = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": chroma_port}
        for name in ports:  # each replica its own data directory; the vectors in the one Chroma server
            ingest(make_settings(folder / f"data-{name}", **shared), [WITHHELD_FIXTURE])
        env = {
            **base_env,
            "ALGORITMEWIJZER_CHROMA_MODE": "http",
            "ALGORITMEWIJZER_CHROMA_HOST": "127.0.0.1",
            "ALGORITMEWIJZER_CHROMA_PORT": str(chroma_port),
            "ALGORITMEWIJZER_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "ALGORITMEWIJZER_FINGERPRINT_KEY": TEST_FINGERPRINT_KEY,
            "ALGORITMEWIJZER_ADMIN_API_KEY": ADMIN_KEY,
            "ALGORITMEWIJZER_RATE_LIMIT": str(RATE_LIMIT),
            "ALGORITMEWIJZER_TRUSTED_PROXIES": "127.0.0.1",  # the test plays a load balancer: X-Forwarded-For names the client
            "ALGORITMEWIJZER_IMPORT_DIR": str(WITHHELD_FIXTURE.parent),
        }
        for name, port in ports.items():
            replica_env = {**env, "ALGORITMEWIJZER_AUDIT_KEY_FILE": str(folder / f"audit-{name}.key")}
            nodes.start(name, [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--data-dir", str(folder / f"data-{name}")], replica_env)
        for name, port in ports.items():
            wait_http(f"http://127.0.0.1:{port}/readyz", 240, nodes.processes[name])
        nodes.urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        yield nodes
    except Exception:
        nodes.dump_logs()
        raise
    finally:
        nodes.close()


def chat(url: str, payload: dict, client_ip: str, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/api/chat", json=payload, headers={"X-Forwarded-For": client_ip, **kwargs.pop("headers", {})},
                      timeout=60, **kwargs)


def test_replicas_give_the_same_answers(cluster):
    for number, payload in enumerate(QUESTIONS):
        answers = [chat(url, payload, f"192.0.2.{number}") for url in cluster.urls.values()]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()
    lists = [httpx.get(f"{url}/api/algorithms", params={"q": "contant geld"}).json() for url in cluster.urls.values()]
    assert lists[0] == lists[1] and lists[0]["items"][0]["lars"] == "W0001"


def test_one_clients_limit_holds_across_replicas(cluster):
    urls = list(cluster.urls.values())
    codes = [chat(urls[n % 2], QUESTIONS[0], "198.51.100.20").status_code for n in range(RATE_LIMIT + 2)]
    assert codes == [200] * RATE_LIMIT + [429, 429], codes
    refused = chat(urls[0], QUESTIONS[0], "198.51.100.20")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert chat(urls[1], QUESTIONS[0], "198.51.100.21").status_code == 200, "another client has its own budget"


def test_offline_on_one_replica_is_offline_on_the_other(cluster):
    a, b = cluster.urls["a"], cluster.urls["b"]
    try:
        httpx.post(f"{a}/api/admin/chat-offline", json={"offline": True, "message_nl": "Onderhoud."}, headers=ADMIN).raise_for_status()
        deadline = time.monotonic() + 5
        response = chat(b, QUESTIONS[0], "198.51.100.30")
        while response.status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            response = chat(b, QUESTIONS[0], "198.51.100.30")
        assert response.status_code == 503 and response.json()["detail"] == "Onderhoud."
        assert httpx.get(f"{b}/api/admin/chat-offline", headers=ADMIN).json()["offline"] is True
    finally:
        httpx.post(f"{b}/api/admin/chat-offline", json={"offline": False}, headers=ADMIN).raise_for_status()
    assert chat(a, QUESTIONS[0], "198.51.100.31").status_code == 200


def test_an_ingest_job_started_on_one_replica_is_reported_by_the_other(cluster):
    a, b = cluster.urls["a"], cluster.urls["b"]
    started = httpx.post(f"{a}/api/admin/ingest", json={"sources": [WITHHELD_FIXTURE.name]}, headers=ADMIN, timeout=30)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    busy = httpx.post(f"{b}/api/admin/ingest", json={"sources": [WITHHELD_FIXTURE.name]}, headers=ADMIN, timeout=30)
    assert busy.status_code in (202, 409)  # 409 while a's job runs: one ingest at a time across replicas
    deadline = time.monotonic() + 300
    job = httpx.get(f"{b}/api/admin/ingest/{job_id}", headers=ADMIN).json()
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        job = httpx.get(f"{b}/api/admin/ingest/{job_id}", headers=ADMIN).json()
    assert job["id"] == job_id and job["state"] == "succeeded", job
    if busy.status_code == 202:  # wait for b's own job too, so the next test finds both idle
        other = busy.json()["id"]
        while httpx.get(f"{a}/api/admin/ingest/{other}", headers=ADMIN).json()["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)


def test_feedback_given_on_one_replica_is_read_on_the_other(cluster):
    a, b = cluster.urls["a"], cluster.urls["b"]
    given = httpx.post(f"{a}/api/feedback", json={"helpful": True, "comment": "Duidelijk antwoord over de Douane", "results": ["W0001"]},
                       headers={"X-Forwarded-For": "198.51.100.50"})
    assert given.status_code == 201, given.text
    items = httpx.get(f"{b}/api/admin/feedback", headers=ADMIN).json()["items"]
    assert items[0]["comment"] == "Duidelijk antwoord over de Douane" and items[0]["results"] == ["W0001"]
    assert not any((cluster.folder / f"data-{name}" / "feedback.sqlite3").exists() for name in cluster.urls), "with Redis, feedback is in Redis"


def test_a_replica_killed_during_a_request_and_the_retry_on_the_other_answer_the_same(cluster):
    """Replica a is frozen (SIGSTOP) so the request reaches it and waits, then killed (SIGKILL):
    the connection breaks mid-request, and the client retries on b (the load balancer's or the
    client's retry), which answers what a answered before."""
    a, b = cluster.urls["a"], cluster.urls["b"]
    expected = chat(a, QUESTIONS[3], "198.51.100.40").json()
    replicas = iter([a, b, b])
    tried: list[str] = []

    @retry(retry=retry_if_exception_type(httpx.TransportError), stop=stop_after_attempt(3), wait=wait_fixed(0.2), reraise=True)
    def ask_with_retry() -> dict:
        url = next(replicas)
        tried.append(url)
        response = chat(url, QUESTIONS[3], "198.51.100.41")
        response.raise_for_status()
        return response.json()

    holder: dict = {}
    replica_a = cluster.processes["a"]
    replica_a.send_signal(signal.SIGSTOP)
    worker = threading.Thread(target=lambda: holder.update(answer=ask_with_retry()), daemon=True)
    worker.start()
    time.sleep(1.0)  # the request is sent and waits in a
    assert "answer" not in holder and tried == [a]
    replica_a.send_signal(signal.SIGKILL)
    replica_a.wait(10)
    worker.join(120)
    assert tried == [a, b], tried
    assert holder.get("answer") == expected

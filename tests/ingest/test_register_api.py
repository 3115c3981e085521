"""Tests for the live-register client against a local stand-in of the register API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpserver import HTTPServer

from ingest.register_api import (
    MAX_RETRY_AFTER,
    RegisterApiClient,
    RegisterApiError,
    RegisterUnreachable,
)
from tests.ingest.register_standin import RegisterStandIn, make_record, make_records
from tests.processes import free_port


class SleepRecorder:
    """Stands in for time.sleep: records the requested delays, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    """One loopback server for the module (starting and stopping one per test costs half a second)."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def register(http_server: HTTPServer) -> Iterator[RegisterStandIn]:
    with RegisterStandIn(make_records(250), server=http_server) as standin:
        yield standin


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def make_client(register: RegisterStandIn, sleeps: SleepRecorder, **kwargs: object) -> RegisterApiClient:
    return RegisterApiClient(base_url=register.url, sleep=sleeps, timeout=5.0, **kwargs)  # type: ignore[arg-type]




# -- paging --------------------------------------------------------------------------------


def test_fetches_all_records_over_three_pages(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    progress: list[tuple[int, int]] = []
    with make_client(register, sleeps) as client:
        records = list(client.iter_records(progress=lambda seen, total: progress.append((seen, total))))

    assert [r["lars"] for r in records] == [r["lars"] for r in make_records(250)]
    listing = register.listing_requests()
    assert [r.path for r in listing] == ["/api/algoritme/NLD"] * 3
    assert [r.body for r in listing] == [{"page": n, "limit": 100, "searchtext": ""} for n in (1, 2, 3)]
    assert progress == [(100, 250), (200, 250), (250, 250)]
    assert sleeps.delays == []


def test_uses_requested_language_and_page_size(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    with make_client(register, sleeps, language="ENG", page_size=60) as client:
        records = list(client.iter_records())

    assert len(records) == 250
    listing = register.listing_requests()
    assert {r.path for r in listing} == {"/api/algoritme/ENG"}
    assert [(r.body["page"], r.body["limit"]) for r in listing] == [(n, 60) for n in range(1, 6)]


def test_deduplicates_records_that_shift_between_pages(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    newcomer = make_record(999, name="Nieuw algoritme")
    register.after_page(1, lambda standin: standin.insert_record(newcomer, index=0))

    with make_client(register, sleeps) as client:
        records = list(client.iter_records())

    lars_ids = [r["lars"] for r in records]
    assert len(lars_ids) == len(set(lars_ids)) == 250
    # Page 2 started with the last record of page 1 again; it is yielded only once.
    assert lars_ids.count(make_records(250)[99]["lars"]) == 1
    assert set(lars_ids) == {r["lars"] for r in make_records(250)}


def test_recomputes_page_count_when_the_register_grows(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    extra = [make_record(1000 + i) for i in range(60)]
    register.after_page(1, lambda standin: [standin.insert_record(r, index=len(standin.records)) for r in extra])

    with make_client(register, sleeps) as client:
        records = list(client.iter_records())

    assert len(records) == 310
    assert [r.body["page"] for r in register.listing_requests()] == [1, 2, 3, 4]


def test_empty_register_yields_nothing(http_server: HTTPServer, sleeps: SleepRecorder) -> None:
    progress: list[tuple[int, int]] = []
    with RegisterStandIn([], server=http_server) as empty, make_client(empty, sleeps) as client:
        assert list(client.iter_records(progress=lambda *p: progress.append(p))) == []
        assert len(empty.listing_requests()) == 1
    assert progress == [(0, 0)]


# -- retries -------------------------------------------------------------------------------


def test_retries_on_429_and_honours_retry_after(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    register.fail_next(429, retry_after="7")

    with make_client(register, sleeps, backoff_base=0.01) as client:
        records = list(client.iter_records())

    assert len(records) == 250
    assert len(sleeps.delays) == 1
    assert sleeps.delays[0] >= 7


def test_honours_retry_after_given_as_http_date(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    later = datetime.now(timezone.utc) + timedelta(seconds=40)
    register.fail_next(429, retry_after=format_datetime(later, usegmt=True))

    with make_client(register, sleeps, backoff_base=0.01) as client:
        assert len(list(client.iter_records())) == 250

    assert len(sleeps.delays) == 1
    assert 30 <= sleeps.delays[0] <= MAX_RETRY_AFTER


def test_caps_a_huge_retry_after(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    register.fail_next(429, retry_after="86400")

    with make_client(register, sleeps) as client:
        assert client.fetch_one(make_records(1)[0]["lars"]) is not None

    assert sleeps.delays == [MAX_RETRY_AFTER]


def test_retries_on_503_with_growing_capped_backoff(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    register.fail_next(503, times=4)

    with make_client(register, sleeps, backoff_base=1.0, max_backoff=3.0) as client:
        records = list(client.iter_records())

    assert len(records) == 250
    assert len(sleeps.delays) == 4
    assert all(0 < d <= 3.0 for d in sleeps.delays)
    assert sleeps.delays[0] <= 1.0 < sleeps.delays[1]


def test_retries_when_the_connection_drops(sleeps: SleepRecorder) -> None:
    calls: list[httpx.Request] = []

    def drop_the_first(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"results": make_records(3), "total_count": 3})

    http = httpx.Client(transport=httpx.MockTransport(drop_the_first))
    with RegisterApiClient(base_url="https://register.example/api", sleep=sleeps, client=http) as client:
        assert [r["lars"] for r in client.iter_records()] == [r["lars"] for r in make_records(3)]
    http.close()

    assert len(calls) == 2 and len(sleeps.delays) == 1


def test_logs_each_retry(register: RegisterStandIn, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture) -> None:
    register.fail_next(503, times=2)

    with caplog.at_level(logging.INFO, logger="algoritmewijzer.ingest.register_api"):
        with make_client(register, sleeps) as client:
            list(client.iter_records())

    retries = [r for r in caplog.records if r.name == "algoritmewijzer.ingest.register_api"]
    assert len(retries) == 2
    assert all(r.levelno == logging.INFO for r in retries)
    assert "503" in retries[0].getMessage()
    assert f"{sleeps.delays[0]:.1f} s" in retries[0].getMessage()


def test_gives_up_after_max_retries_with_a_clear_error(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    register.fail_next(503, times=10, body={"detail": "internal stack trace with secrets"})

    with make_client(register, sleeps, max_retries=3) as client:
        with pytest.raises(RegisterApiError) as caught:
            list(client.iter_records())

    message = str(caught.value)
    assert not isinstance(caught.value, RegisterUnreachable)
    assert caught.value.status_code == 503
    assert "503 Service Unavailable" in message
    assert f"{register.url}/algoritme/NLD" in message
    assert "4 attempts" in message
    assert "secrets" not in message
    assert len(register.requests) == 4
    assert len(sleeps.delays) == 3


def test_client_error_fails_at_once(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    register.fail_next(403, body={"detail": "verboden: geheime details"})

    with make_client(register, sleeps) as client:
        with pytest.raises(RegisterApiError) as caught:
            list(client.iter_records())

    message = str(caught.value)
    assert caught.value.status_code == 403
    assert "403" in message and f"{register.url}/algoritme/NLD" in message
    assert "geheime" not in message
    assert len(register.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    "body",
    [b"<html>Onderhoud</html>", {"items": []}, {"results": [{"name": "zonder lars"}], "total_count": 1}],
    ids=["not-json", "wrong-keys", "result-without-lars"],
)
def test_unexpected_response_shape_is_reported(
    register: RegisterStandIn, sleeps: SleepRecorder, body: object
) -> None:
    register.fail_next(200, body=body)

    with make_client(register, sleeps) as client:
        with pytest.raises(RegisterApiError, match="not JSON|unexpected response"):
            list(client.iter_records())


# -- unreachable register ------------------------------------------------------------------


def test_unreachable_register_names_the_url(sleeps: SleepRecorder) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/api"

    with RegisterApiClient(base_url=base_url, max_retries=2, sleep=sleeps, timeout=2.0) as client:
        with pytest.raises(RegisterUnreachable) as caught:
            list(client.iter_records())

    message = str(caught.value)
    assert base_url in message
    assert "could not be reached" in message
    assert "SOURCE=" in message
    assert len(sleeps.delays) == 2


def test_timeouts_count_as_unreachable(sleeps: SleepRecorder) -> None:
    def always_time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    http = httpx.Client(transport=httpx.MockTransport(always_time_out))
    with RegisterApiClient(base_url="https://register.example/api", max_retries=1, sleep=sleeps, client=http) as client:
        with pytest.raises(RegisterUnreachable, match="timed out") as caught:
            client.fetch_one("12345678")
    assert "https://register.example/api/algoritme/NLD/12345678" in str(caught.value)
    # An injected HTTP client belongs to the caller and stays open.
    assert not http.is_closed
    http.close()


# -- single entries ------------------------------------------------------------------------


def test_fetch_one_returns_the_record(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    wanted = make_records(250)[42]

    with make_client(register, sleeps) as client:
        record = client.fetch_one(wanted["lars"])

    assert record == wanted
    assert register.requests[-1].method == "GET"
    assert register.requests[-1].path == f"/api/algoritme/NLD/{wanted['lars']}"


def test_fetch_one_returns_none_when_unknown(register: RegisterStandIn, sleeps: SleepRecorder) -> None:
    with make_client(register, sleeps) as client:
        assert client.fetch_one("00000000") is None
    assert sleeps.delays == []


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "NL", "en", "fy", "DEU", ""])
def test_bad_language_is_rejected(language: str) -> None:
    with pytest.raises(ValueError, match="NLD"):
        RegisterApiClient(language=language)


@pytest.mark.parametrize("page_size", [0, -1, 101, 1000])
def test_bad_page_size_is_rejected(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        RegisterApiClient(page_size=page_size)


# -- the stand-in itself -------------------------------------------------------------------


def test_standin_rejects_limits_above_100_like_the_register(register: RegisterStandIn) -> None:
    response = httpx.post(f"{register.url}/algoritme/NLD", json={"page": 1, "limit": 101, "searchtext": ""})
    assert response.status_code == 422
    assert httpx.get(f"{register.url}/algoritme/total-count").json() == 250

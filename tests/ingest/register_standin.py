"""A local stand-in for the public Algorithm Register API, for tests, on pytest-httpserver.

A real HTTP server on 127.0.0.1 (ephemeral port; an ingest reads sources in a separate process,
so an in-process mock transport would not reach it) that speaks the register's shapes:

- ``POST /api/algoritme/{language}``: ``{"results", "total_count", "filter_data", "selected_filters"}``,
  honouring ``page``/``limit`` (``limit`` above 100 gets a FastAPI-style 422) and ``searchtext``;
- ``GET /api/algoritme/{language}/{lars}``: one entry, 404 when unknown;
- ``GET /api/algoritme/total-count``: a bare integer.

Records are served in list order, the same for every language. Faults are scripted with
:meth:`RegisterStandIn.fail_next` (one-shot handlers, served first, in order, to any request) and
page shifts with :meth:`RegisterStandIn.after_page`.

    with RegisterStandIn(make_records(250)) as register:
        register.fail_next(429, retry_after="2")
        client = RegisterApiClient(base_url=register.url)
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

LANGUAGES = ("NLD", "ENG", "FRY")
MAX_LIMIT = 100


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received (``body`` is the decoded JSON, or None)."""

    method: str
    path: str
    body: Any


def make_record(index: int, **fields: Any) -> dict[str, Any]:
    """A register-like entry with a predictable ``lars`` and name."""
    record: dict[str, Any] = {
        "lars": f"{10000000 + index}",
        "name": f"Algoritme {index:04d}",
        "organization": f"Gemeente {index % 7}",
        "description_short": f"<p>Korte beschrijving van algoritme {index}.</p>",
        "goal": f"Doel van algoritme {index}.",
        "status": "In gebruik",
        "publication_category": "Overige algoritmes",
        "language": "NLD",
    }
    record.update(fields)
    return record


def make_records(count: int) -> list[dict[str, Any]]:
    return [make_record(i) for i in range(count)]


class RegisterStandIn:
    """A stand-in register API server; use ``start()``/``stop()`` or ``with``."""

    def __init__(self, records: Iterable[dict[str, Any]], server: HTTPServer | None = None) -> None:
        """`server`: a running pytest-httpserver server to reuse (it is cleared, and left running
        on exit); by default the stand-in starts and stops a server of its own."""
        self.records: list[dict[str, Any]] = [dict(r) for r in records]
        self._page_actions: dict[int, list[Callable[[RegisterStandIn], None]]] = {}
        self._lock = threading.RLock()
        self._owns_server = server is None
        self.server = server or HTTPServer(host="127.0.0.1", threaded=True)
        self.server.clear()
        self.server.no_handler_status_code = 404
        self.server.expect_request("/api/algoritme/total-count", method="GET").respond_with_handler(self._total_count)
        self.server.expect_request(re.compile(r"^/api/algoritme/[^/]+$"), method="POST").respond_with_handler(self._listing)
        self.server.expect_request(re.compile(r"^/api/algoritme/[^/]+/[^/]+$"), method="GET").respond_with_handler(self._one)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if not self.server.is_running():
            self.server.start()
        return self

    def stop(self) -> None:
        if not self._owns_server:
            self.server.clear()
        elif self.server.is_running():
            self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL ending in ``/api``, like ``https://algoritmes.overheid.nl/api``."""
        return self.server.url_for("/api")

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(self, status: int = 503, *, retry_after: str | int | None = None, body: Any = None, times: int = 1) -> None:
        """Queue ``times`` scripted responses, served before any normal answer."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        for _ in range(times):
            handler = self.server.expect_oneshot_request(re.compile(r"^/"))
            if isinstance(body, bytes):
                handler.respond_with_data(body, status=status, headers=headers, content_type="text/plain; charset=utf-8")
            else:
                handler.respond_with_json(body if body is not None else {"detail": HTTPStatus(status).phrase}, status=status, headers=headers)

    def after_page(self, page: int, action: Callable[[RegisterStandIn], None]) -> None:
        """Run ``action(self)`` once, right after listing page ``page`` has been served."""
        with self._lock:
            self._page_actions.setdefault(page, []).append(action)

    def insert_record(self, record: dict[str, Any], index: int = 0) -> None:
        with self._lock:
            self.records.insert(index, dict(record))

    def remove_record(self, lars: str) -> None:
        with self._lock:
            self.records = [r for r in self.records if r.get("lars") != lars]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        return [RecordedRequest(r.method, r.path, r.get_json(silent=True)) for r, _ in list(self.server.log)]

    def listing_requests(self) -> list[RecordedRequest]:
        """The ``POST /api/algoritme/{language}`` requests received so far."""
        return [r for r in self.requests if r.method == "POST"]

    # -- the register's answers (called from server threads) ---------------------------------

    def _listing(self, request: Request) -> Response:
        language = request.path.rsplit("/", 1)[1]
        if language not in LANGUAGES:
            return _validation_error(("path", "language"), f"Input should be {', '.join(LANGUAGES)}")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _validation_error(("body",), "Input should be a valid dictionary")
        page, limit, searchtext = body.get("page", 1), body.get("limit", 10), body.get("searchtext", "")
        if not _is_int(page) or page < 1:
            return _validation_error(("body", "page"), "Input should be greater than or equal to 1")
        if not _is_int(limit) or not 1 <= limit <= MAX_LIMIT:
            return _validation_error(("body", "limit"), f"Input should be between 1 and {MAX_LIMIT}")
        if not isinstance(searchtext, str):
            return _validation_error(("body", "searchtext"), "Input should be a valid string")
        with self._lock:
            matching = [r for r in self.records if _matches(r, searchtext)]
            start = (page - 1) * limit
            answer = {
                "results": [dict(r) for r in matching[start : start + limit]],
                "total_count": len(matching),
                "filter_data": {},
                "selected_filters": [],
            }
            actions = self._page_actions.pop(page, [])
        for action in actions:
            action(self)
        return _json(answer)

    def _one(self, request: Request) -> Response:
        language, lars = request.path.split("/")[-2:]
        if language not in LANGUAGES:
            return _validation_error(("path", "language"), f"Input should be {', '.join(LANGUAGES)}")
        with self._lock:
            for record in self.records:
                if record.get("lars") == lars:
                    return _json(dict(record))
        return _json({"detail": "Kan algoritme niet vinden."}, 404)

    def _total_count(self, request: Request) -> Response:
        with self._lock:
            return _json(len(self.records))


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(record: dict[str, Any], searchtext: str) -> bool:
    needle = searchtext.strip().lower()
    if not needle:
        return True
    haystack = " ".join(str(record.get(k, "")) for k in ("name", "organization", "description_short", "goal"))
    return needle in haystack.lower()


def _validation_error(loc: tuple[str, ...], message: str) -> Response:
    return _json({"detail": [{"type": "value_error", "loc": list(loc), "msg": message}]}, 422)

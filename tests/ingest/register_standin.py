"""A local stand-in for the public Algorithm Register API, for tests.

Runs a real HTTP server on 127.0.0.1 (ephemeral port) in a background thread and
speaks the register's shapes:

- ``POST /api/algoritme/{language}``: ``{"results", "total_count", "filter_data", "selected_filters"}``,
  honouring ``page``/``limit`` (``limit`` above 100 gets a FastAPI-style 422) and ``searchtext``;
- ``GET /api/algoritme/{language}/{lars}``: one entry, 404 when unknown;
- ``GET /api/algoritme/total-count``: a bare integer.

Records are served in list order, the same for every language. Faults are scripted
with :meth:`RegisterStandIn.fail_next` (served first, in order, to any request) and
page shifts with :meth:`RegisterStandIn.after_page`.

    with RegisterStandIn(make_records(250)) as register:
        register.fail_next(429, retry_after="2")
        client = RegisterApiClient(base_url=register.url)
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

LANGUAGES = ("NLD", "ENG", "FRY")
MAX_LIMIT = 100


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received (``body`` is the decoded JSON, or None)."""

    method: str
    path: str
    body: Any


@dataclass(frozen=True)
class ScriptedResponse:
    """A response served instead of the normal one.

    ``body`` is sent as JSON, or as-is when it is ``bytes``; ``disconnect`` closes the
    connection without answering.
    """

    status: int = 503
    retry_after: str | None = None
    body: Any = None
    disconnect: bool = False


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

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records]
        self.requests: list[RecordedRequest] = []
        self._faults: deque[ScriptedResponse] = deque()
        self._page_actions: dict[int, list[Callable[[RegisterStandIn], None]]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="register-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL ending in ``/api``, like ``https://algoritmes.overheid.nl/api``."""
        if self._server is None:
            raise RuntimeError("The register stand-in is not running; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api"

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        retry_after: str | int | None = None,
        body: Any = None,
        times: int = 1,
        disconnect: bool = False,
    ) -> None:
        """Queue ``times`` scripted responses, served before any normal answer."""
        scripted = ScriptedResponse(
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            body=body,
            disconnect=disconnect,
        )
        with self._lock:
            self._faults.extend([scripted] * times)

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

    def listing_requests(self) -> list[RecordedRequest]:
        """The ``POST /api/algoritme/{language}`` requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    # -- request handling (called from server threads) --------------------------------------

    def _next_fault(self) -> ScriptedResponse | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _listing(self, language: str, body: Any) -> tuple[int, Any]:
        if language not in LANGUAGES:
            return 422, _validation_error(("path", "language"), f"Input should be {', '.join(LANGUAGES)}")
        if not isinstance(body, dict):
            return 422, _validation_error(("body",), "Input should be a valid dictionary")
        page, limit = body.get("page", 1), body.get("limit", 10)
        searchtext = body.get("searchtext", "")
        if not _is_int(page) or page < 1:
            return 422, _validation_error(("body", "page"), "Input should be greater than or equal to 1")
        if not _is_int(limit) or not 1 <= limit <= MAX_LIMIT:
            return 422, _validation_error(("body", "limit"), f"Input should be between 1 and {MAX_LIMIT}")
        if not isinstance(searchtext, str):
            return 422, _validation_error(("body", "searchtext"), "Input should be a valid string")
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
        return 200, answer

    def _one(self, language: str, lars: str) -> tuple[int, Any]:
        if language not in LANGUAGES:
            return 422, _validation_error(("path", "language"), f"Input should be {', '.join(LANGUAGES)}")
        with self._lock:
            for record in self.records:
                if record.get("lars") == lars:
                    return 200, dict(record)
        return 404, {"detail": "Kan algoritme niet vinden."}

    def _total_count(self) -> tuple[int, Any]:
        with self._lock:
            return 200, len(self.records)


class _Handler(BaseHTTPRequestHandler):
    server_version = "RegisterStandIn/1.0"

    @property
    def standin(self) -> RegisterStandIn:
        return self.server.standin  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.standin._record(RecordedRequest(method=method, path=path, body=body))

        fault = self.standin._next_fault()
        if fault is not None:
            if fault.disconnect:
                self.close_connection = True
                return
            body_out = fault.body if fault.body is not None else {"detail": HTTPStatus(fault.status).phrase}
            self._send(fault.status, body_out, retry_after=fault.retry_after)
            return

        status, answer = self._route(method, [unquote(p) for p in path.strip("/").split("/")], body)
        self._send(status, answer)

    def _route(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        if len(parts) < 2 or parts[:2] != ["api", "algoritme"]:
            return 404, {"detail": "Not Found"}
        rest = parts[2:]
        if method == "GET" and rest == ["total-count"]:
            return self.standin._total_count()
        if method == "POST" and len(rest) == 1:
            return self.standin._listing(rest[0], body)
        if method == "GET" and len(rest) == 2:
            return self.standin._one(rest[0], rest[1])
        if len(rest) in (1, 2):
            return 405, {"detail": "Method Not Allowed"}
        return 404, {"detail": "Not Found"}

    def _send(self, status: int, body: Any, *, retry_after: str | None = None) -> None:
        if isinstance(body, bytes):
            payload, content_type = body, "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(body).encode("utf-8"), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(payload)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(record: dict[str, Any], searchtext: str) -> bool:
    needle = searchtext.strip().lower()
    if not needle:
        return True
    haystack = " ".join(str(record.get(k, "")) for k in ("name", "organization", "description_short", "goal"))
    return needle in haystack.lower()


def _validation_error(loc: tuple[str, ...], message: str) -> dict[str, Any]:
    return {"detail": [{"type": "value_error", "loc": list(loc), "msg": message}]}

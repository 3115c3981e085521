"""The HTTP API, the chat page and the embeddable widget: `create_app(settings) -> FastAPI`.

Stateless by design: a conversation travels whole with every request, answers come from the
index in the data directory (and Chroma, embedded or a server), and the only shared switches
(chat offline, ingest jobs) live in files in the data directory, so any number of API processes
on the same data answer alike. The one thing kept in a process's memory is the per-address rate
limiter (see web/ratelimit.py)."""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings, get_settings

log = logging.getLogger("algoritmewijzer.web")

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
MESSAGES_FILE = WEB_DIR / "data" / "messages.json"
OFFLINE_FILE = "chat-offline.json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:algoritmewijzer:problem:"
SEARCH_DEPTH = 200  # entries a search considers; paging slices this list
LOAD_RETRY_SECONDS = 1.0
ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.\-]+(?::\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")

# The static files of the front-end: URL path -> (file, content type).
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/demo.html": ("demo.html", "text/html; charset=utf-8"),
    "/chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "/chat.css": ("chat.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}


# --- user-facing texts -------------------------------------------------------------------------
@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    return json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def message(key: str, lang: str, **values: Any) -> str:
    texts = messages()[key]
    return texts.get(lang, texts["nl"]).format(**values)


def request_lang(request: Request, explicit: str | None = None) -> str:
    """The language for a message: an explicit choice, else the first of Accept-Language we speak."""
    if explicit in ("nl", "en"):
        return explicit
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("nl"):
            return "nl"
        if tag.startswith("en"):
            return "en"
    return "nl"


# --- problems (RFC 9457) -----------------------------------------------------------------------
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}  # RFC 9110 names


def status_title(status: int) -> str:
    try:
        return TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Problem(Exception):
    """An error answered as application/problem+json."""

    def __init__(self, status: int, detail: str, *, title: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.title = title or status_title(status)
        self.detail = detail
        self.type = PROBLEM_TYPE + code if code else "about:blank"
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "title": title, "status": status, "detail": detail, **extra}


def problem_response(status: int, title: str, detail: str, type_: str = "about:blank",
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, title, detail, type_, **extra), status_code=status, headers=headers, media_type=PROBLEM_JSON)


GENERIC_DETAIL = {
    400: "The request could not be understood.",
    401: "This needs an administrator's API key.",
    403: "Not allowed.",
    404: "There is nothing at this address.",
    405: "This address does not accept this method.",
    406: "No acceptable representation.",
    413: "The request is too large.",
    415: "Unsupported content type.",
    500: "Something went wrong on our side. Please try again later.",
}


class _BodyTooLarge(HTTPException):
    """Raised while reading a body past the cap; FastAPI re-raises HTTPExceptions from body reading."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"The request body is larger than {limit} bytes.")


# --- pure ASGI middleware ----------------------------------------------------------------------
class BodySizeLimit:
    """413 for a request body over the cap: by Content-Length up front, or while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await problem_response(400, "Bad Request", "The Content-Length header is not a number.")(scope, receive, send)
                return
            if declared > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        lang = "en" if "en" in Headers(scope=scope).get("accept-language", "")[:2].lower() else "nl"
        detail = message("too_large", lang, limit=self.max_bytes)
        await problem_response(413, "Content Too Large", detail, PROBLEM_TYPE + "too-large", limit=self.max_bytes)(scope, receive, send)


class SecurityHeaders:
    """Security headers on every response; the page CSP everywhere but the OpenAPI docs pages
    (Swagger UI needs its own scripts)."""

    DOCS_PATHS = ("/docs", "/redoc")

    def __init__(self, app: ASGIApp, frame_ancestors: str):
        self.app = app
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; frame-ancestors {frame_ancestors}; base-uri 'self'; form-action 'self'; object-src 'none'"
        )
        self.deny_framing = frame_ancestors == "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_docs = path.startswith(self.DOCS_PATHS)

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = MutableHeaders(scope=msg)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
                if not is_docs:
                    headers.setdefault("Content-Security-Policy", self.csp)
                    if self.deny_framing:
                        headers.setdefault("X-Frame-Options", "DENY")
            await send(msg)

        await self.app(scope, receive, send_with_headers)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, with refused preflights answered as problem+json."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return problem_response(response.status_code, "Bad Request", f"{reason}.", PROBLEM_TYPE + "cors-refused", headers=headers)


# --- the loaded index and assistant ------------------------------------------------------------
class Runtime:
    """Loads the index (and the assistant over it) in the background; `ready` once loaded."""

    def __init__(self, settings: Settings, index: Any = None):
        self.settings = settings
        self.index = index
        self.assistant: Any = None
        self.error: str | None = "starting"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.assistant is not None

    def try_load(self) -> bool:
        from ingest.index import IndexNotReady, RegisterIndex

        with self._lock:
            if self.assistant is not None:
                return True
            try:
                index = self.index if self.index is not None else RegisterIndex(self.settings)
                index.ensure_loaded()
                if not index.records:
                    raise IndexNotReady(f"The index in {self.settings.data_dir} holds no records yet: ingest a source first")
                self.index = index
                index.search("algoritme", k=1)  # warm up: embedder, vector store, BM25
                from assistant.pipeline import Assistant

                self.assistant = Assistant(self.settings, index=index)
                self.error = None
                log.info("ready: %d records", len(index.records))
                return True
            except IndexNotReady as exc:
                self._note(str(exc), logging.INFO)
            except Exception as exc:  # e.g. a Chroma server not up yet: keep trying
                self._note(f"{type(exc).__name__}: {exc}", logging.WARNING)
            return False

    def _note(self, error: str, level: int) -> None:
        if error != self.error:  # log each new reason once, not every retry
            log.log(level, "not ready: %s", error)
        self.error = error

    def start(self) -> None:
        if self.ready or (self._thread and self._thread.is_alive()):
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set() and not self.try_load():
                self._stop.wait(LOAD_RETRY_SECONDS)

        self._thread = threading.Thread(target=loop, name="index-loader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready:
                return True
            time.sleep(0.05)
        return self.ready


# --- the chat-offline switch (a file, so every API process sees it) -----------------------------
class OfflineSwitch:
    def __init__(self, data_dir: Path):
        self.path = data_dir / OFFLINE_FILE
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None

    def state(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {"offline": False, "message_nl": None, "message_en": None, "since": None}
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {"offline": True}  # a damaged switch file errs on the safe side
        state = {"offline": bool(data.get("offline")), "message_nl": data.get("message_nl"),
                 "message_en": data.get("message_en"), "since": data.get("since")}
        self._cache = (key, state)
        return state

    def set(self, offline: bool, message_nl: str | None, message_en: str | None) -> dict[str, Any]:
        if not offline:
            self.path.unlink(missing_ok=True)
            return self.state()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"offline": True, "message_nl": message_nl, "message_en": message_en,
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        return self.state()

    def message(self, lang: str) -> str:
        state = self.state()
        return state.get(f"message_{lang}") or message("chat_offline", lang)


# --- API models --------------------------------------------------------------------------------
class ChatMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    messages: list[ChatMessage] = Field(min_length=1, description="The whole conversation, oldest first; the last one is the user's question.")
    lang: Literal["nl", "en"] | None = Field(default=None, description="Answer language; detected from the question when absent.")


class CitationOut(BaseModel):
    lars: str
    name: str
    organization: str | None
    url: str | None


class WithheldOut(BaseModel):
    lars: str
    fields: list[str]
    ground: str
    legal_basis: str | None
    explanation: str | None


class AnswerOut(BaseModel):
    status: Literal["answered", "no_match", "partly_withheld", "withheld", "refused", "out_of_scope"]
    lang: Literal["nl", "en"]
    intent: str
    answer: str
    results: list[str]
    count: int | None
    citations: list[CitationOut]
    withheld: list[WithheldOut]


class ProblemOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


class AlgorithmSummary(BaseModel):
    lars: str
    name: str
    organization: str | None
    status: str | None
    publication_category: str | None
    impact_assessment: str
    url: str | None
    description_short: str | None = None
    has_withheld_fields: bool


class AlgorithmList(BaseModel):
    total: int
    page: int
    limit: int
    query: str | None
    items: list[AlgorithmSummary]


class AlgorithmDetail(AlgorithmSummary):
    fields: dict[str, str | list[str]]
    withheld: WithheldOut | None


class OrganizationCount(BaseModel):
    name: str
    count: int


class OrganizationList(BaseModel):
    total: int
    items: list[OrganizationCount]


class IngestRequest(BaseModel):
    sources: list[str] = Field(min_length=1, max_length=20, description="File paths on the server (.json/.jsonl/.csv) or 'live'.")


class OfflineRequest(BaseModel):
    offline: bool
    message_nl: str | None = Field(default=None, max_length=1000)
    message_en: str | None = Field(default=None, max_length=1000)


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ProblemOut, "content": {PROBLEM_JSON: {}}} for s in statuses}


def _summary(record: Any) -> dict[str, Any]:
    short = record.fields.get("description_short")
    return {
        "lars": record.lars,
        "name": record.name,
        "organization": record.organization,
        "status": record.status,
        "publication_category": record.publication_category,
        "impact_assessment": record.impact_assessment,
        "url": record.url,
        "description_short": short if isinstance(short, str) else None,
        "has_withheld_fields": bool(record.notice and record.notice.fields),
    }


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8")


_END = object()


def _next(iterator: Iterator[Any]) -> Any:
    return next(iterator, _END)


# --- the application ---------------------------------------------------------------------------
def create_app(settings: Settings | None = None, *, index: Any = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, index=index)
    offline = OfflineSwitch(settings.data_dir)
    from web.ratelimit import SlidingWindowLimiter

    limiter = SlidingWindowLimiter(settings.rate_limit)
    origins = []
    for origin in settings.allowed_origin_list:
        if ORIGIN_RE.match(origin):
            origins.append(origin)
        else:
            log.warning("ignoring allowed origin %r: not scheme://host[:port]", origin)
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else ""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="Algoritmewijzer API",
        version="1.0",
        description="Questions and answers about the Dutch national Algorithm Register (algoritmes.overheid.nl). "
        "Errors are application/problem+json (RFC 9457).",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )

    def openapi_schema() -> dict[str, Any]:
        """FastAPI's schema, with every error documented as what it is: application/problem+json
        (also the validation errors FastAPI documents as its own JSON shape)."""
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        problem_ref = {"$ref": "#/components/schemas/ProblemOut"}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault("422", {"description": "Invalid request"})
                if operation.get("requestBody"):
                    responses.setdefault("400", {"description": "The body could not be read"})
                    responses.setdefault("413", {"description": "The body is too large"})
                for code, response in responses.items():
                    if code[:1] in "45":
                        response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
                        if response.get("description") in (None, "", "Validation Error"):
                            response["description"] = "Invalid request" if code == "422" else status_title(int(code))
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        components["ProblemOut"] = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi_schema  # type: ignore[method-assign]
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.limiter = limiter
    app.state.offline = offline

    # Middleware: the last added runs first. CORS outermost, so refusals carry CORS headers too.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, frame_ancestors=" ".join(origins) if origins else "'none'")
    if origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Accept", "Authorization"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    # --- exception handlers: everything as problem+json ---
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.type, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        title = status_title(status)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail and exc.detail != title else GENERIC_DETAIL.get(status, title)
        if status == 413:
            detail = message("too_large", request_lang(request), limit=settings.max_request_bytes)
        return problem_response(status, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors()[:10]:
            loc = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
            errors.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
        parts = [f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors[:3]]
        detail = "The request is not valid: " + "; ".join(parts) if parts else "The request is not valid."
        return problem_response(422, "Unprocessable Content", detail, PROBLEM_TYPE + "invalid-request", errors=errors)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal Server Error", GENERIC_DETAIL[500])

    # --- helpers ---
    def require_index() -> Any:
        if runtime.index is None or not runtime.ready:
            raise Problem(503, "The register index is not loaded yet.", code="not-ready", headers={"Retry-After": "5"})
        return runtime.index

    def chat_gate(request: Request) -> None:
        """Before the body is validated: origin, then the per-client rate limit."""
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") not in origins:
            host = request.headers.get("host", "")
            same_origin = re.sub(r"^https?://", "", origin).rstrip("/") == host
            if not same_origin:
                raise Problem(403, message("origin_refused", request_lang(request)), title="Origin not allowed", code="origin-not-allowed")
        client = request.client.host if request.client else "unknown"
        allowed, retry = limiter.hit(client)
        if not allowed:
            raise Problem(
                429, message("rate_limited", request_lang(request), seconds=retry), title="Too Many Requests",
                code="rate-limited", headers={"Retry-After": str(retry)}, retry_after=retry,
            )

    def check_limits(body: ChatRequest, lang: str) -> None:
        if len(body.messages) > settings.max_messages:
            raise Problem(422, message("too_many_messages", lang, limit=settings.max_messages, count=len(body.messages)),
                          title="Too many messages", code="too-many-messages", limit=settings.max_messages)
        for number, item in enumerate(body.messages, 1):
            if len(item.content) > settings.max_message_chars:
                raise Problem(422, message("message_too_long", lang, number=number, limit=settings.max_message_chars, length=len(item.content)),
                              title="Message too long", code="message-too-long", limit=settings.max_message_chars)

    # --- health ---
    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: the index is loaded", responses=_problems(503))
    def readyz(request: Request) -> dict[str, Any]:
        if not runtime.ready:
            raise Problem(503, message("not_ready", request_lang(request)), title="Not ready", code="not-ready",
                          headers={"Retry-After": "5"})  # the reason is logged, not shown
        return {"status": "ready", "records": len(runtime.index.records)}

    # --- chat ---
    @app.post(
        "/api/chat",
        tags=["chat"],
        summary="Ask a question (JSON, or Server-Sent Events with Accept: text/event-stream)",
        response_model=None,
        responses={
            200: {
                "model": AnswerOut,
                "description": "The answer. With `Accept: text/event-stream`: events `piece` {text}, then `result` "
                "(the answer object), then `done`; on failure `error` {title, detail, status}.",
                "content": {"application/json": {}, "text/event-stream": {"schema": {"type": "string"}}},
            },
            **_problems(403, 413, 422, 429, 500, 503),
        },
    )
    async def chat(request: Request, body: ChatRequest, _gate: None = Depends(chat_gate)) -> Response:
        lang = request_lang(request, body.lang)
        if offline.state()["offline"]:
            raise Problem(503, offline.message(lang), title="Chat offline", code="chat-offline")
        check_limits(body, lang)
        if not runtime.ready:
            raise Problem(503, message("not_ready", lang), title="Not ready", code="not-ready", headers={"Retry-After": "5"})
        from assistant.pipeline import InvalidConversation

        assistant = runtime.assistant
        conversation = [{"role": m.role, "content": m.content} for m in body.messages]
        if "text/event-stream" not in request.headers.get("accept", "").lower():
            try:
                answer = await run_in_threadpool(assistant.answer, conversation, body.lang)
            except InvalidConversation as exc:
                raise Problem(422, str(exc), title="Invalid conversation", code="invalid-conversation") from None
            except Exception:
                log.exception("the pipeline failed")
                raise Problem(500, message("answer_failed", lang), code="answer-failed") from None
            return JSONResponse(answer.to_dict(), headers={"Cache-Control": "no-store"})

        events = iter(assistant.stream(conversation, body.lang))
        try:  # the first event before the headers: a bad conversation is still a plain 422
            first = await run_in_threadpool(_next, events)
        except InvalidConversation as exc:
            raise Problem(422, str(exc), title="Invalid conversation", code="invalid-conversation") from None
        except Exception:
            log.exception("the pipeline failed")
            raise Problem(500, message("answer_failed", lang), code="answer-failed") from None

        async def stream() -> AsyncIterator[bytes]:
            item = first
            got_result = False
            try:
                while item is not _END:
                    kind, value = item
                    if kind == "piece":
                        yield _sse("piece", {"text": str(value)})
                    elif kind == "result":
                        got_result = True
                        yield _sse("result", value.to_dict() if hasattr(value, "to_dict") else value)
                    item = await run_in_threadpool(_next, events)
                if got_result:
                    yield _sse("done", {})
                else:
                    log.error("the pipeline's stream ended without a result")
                    yield _sse("error", {"title": "Internal Server Error", "detail": message("answer_failed", lang), "status": 500})
            except Exception:
                log.exception("the pipeline failed while streaming")
                yield _sse("error", {"title": "Internal Server Error", "detail": message("answer_failed", lang), "status": 500})
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()

        return StreamingResponse(
            stream(), media_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    # --- the register ---
    @app.get("/api/algorithms", tags=["register"], summary="Search or list algorithms", response_model=AlgorithmList,
             responses=_problems(422, 503))
    def list_algorithms(
        q: str | None = Query(None, max_length=500, description="Search text; without it, a filtered list by name"),
        organization: str | None = Query(None, max_length=300),
        status: str | None = Query(None, max_length=100),
        publication_category: str | None = Query(None, max_length=200),
        page: int = Query(1, ge=1, le=10_000),
        limit: int = Query(20, ge=1, le=100),
    ) -> dict[str, Any]:
        from ingest.index import Filters
        from ingest.vocabulary import organizations, publication_categories, statuses

        index = require_index()
        filters = Filters(
            organizations={organizations().canonical(organization.strip())} if organization and organization.strip() else None,
            status=statuses().normalise(status) if status and status.strip() else None,
            publication_category=publication_categories().normalise(publication_category) if publication_category and publication_category.strip() else None,
        )
        query = q.strip() if q and q.strip() else None
        if query:
            hits = index.search(query, k=SEARCH_DEPTH, filters=filters)
            records = [r for r in (index.get(hit.lars) for hit in hits) if r is not None]
        else:
            records = sorted(index.select(filters), key=lambda r: (r.name.casefold(), r.lars))
        start = (page - 1) * limit
        return {"total": len(records), "page": page, "limit": limit, "query": query,
                "items": [_summary(r) for r in records[start : start + limit]]}

    @app.get("/api/algorithms/{lars}", tags=["register"], summary="One algorithm's public fields and withholding notice",
             response_model=AlgorithmDetail, responses=_problems(404, 503))
    def get_algorithm(request: Request, lars: str, lang: Literal["nl", "en"] | None = None) -> dict[str, Any]:
        from guardrails.explanations import withheld_notice

        index = require_index()
        record = index.get(lars)
        if record is None:
            # Unknown ids and entry-withheld ids (never in the index) end here alike.
            raise Problem(404, "There is no algorithm with this id in the register.", title="Not Found", code="algorithm-not-found")
        notice = withheld_notice(record, request_lang(request, lang))
        fields = {k: v for k, v in record.fields.items() if isinstance(v, (str, list))}
        return {**_summary(record), "fields": fields, "withheld": notice.to_dict() if notice else None}

    @app.get("/api/organizations", tags=["register"], summary="Organisations with their number of algorithms",
             response_model=OrganizationList, responses=_problems(503))
    def list_organizations() -> dict[str, Any]:
        index = require_index()
        counts = Counter(r.organization for r in index.records.values() if r.organization)
        items = [{"name": name, "count": n} for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))]
        return {"total": len(items), "items": items}

    # --- admin (absent without a configured key) ---
    if admin_key:
        from web.jobs import IngestJobs, JobBusy

        jobs = IngestJobs(settings, on_success=lambda: runtime.ready or runtime.try_load())
        app.state.jobs = jobs
        bearer = HTTPBearer(auto_error=False, description="ALGORITMEWIJZER_ADMIN_API_KEY")

        def require_admin(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
            if credentials is None or not credentials.credentials:
                raise Problem(401, "This needs an administrator's API key (Authorization: Bearer ...).", code="unauthorized",
                              headers={"WWW-Authenticate": 'Bearer realm="algoritmewijzer-admin"'})
            if not hmac.compare_digest(credentials.credentials.encode("utf-8"), admin_key.encode("utf-8")):
                raise Problem(403, "This API key is not valid.", code="forbidden")

        admin = {"tags": ["admin"], "dependencies": [Depends(require_admin)]}
        audit_state: dict[str, Any] = {}
        audit_lock = threading.Lock()

        def audit_log() -> Any:
            """One reader of the audit database per process (the assistant writes it)."""
            with audit_lock:
                if "log" not in audit_state:
                    from guardrails.audit import AuditLog

                    audit_state["log"] = AuditLog.from_settings(settings)
                return audit_state["log"]

        @app.post("/api/admin/ingest", status_code=202, summary="Start an ingest job (one at a time)",
                  responses=_problems(401, 403, 409, 422), **admin)
        def start_ingest(body: IngestRequest) -> dict[str, Any]:
            from ingest.records import SourceError

            try:
                job = jobs.start(body.sources)
            except JobBusy as exc:
                raise Problem(409, "An ingest is already running; wait for it to finish.", title="Conflict",
                              code="ingest-running", running=exc.running_id) from None
            except SourceError as exc:
                raise Problem(422, str(exc), title="Unreadable source", code="bad-source") from None
            return job

        @app.get("/api/admin/ingest/{job_id}", summary="An ingest job's state, progress and report",
                 responses=_problems(401, 403, 404), **admin)
        def ingest_job(job_id: str) -> dict[str, Any]:
            job = jobs.get(job_id)
            if job is None:
                raise Problem(404, "There is no ingest job with this id.", code="job-not-found")
            return job

        @app.get("/api/admin/audit", summary="The guardrail audit log (newest first)", responses=_problems(401, 403), **admin)
        def audit(
            limit: int = Query(100, ge=1, le=1000),
            since: str | None = Query(None, max_length=64, description="Only entries at or after this ISO 8601 time"),
            rail: str | None = Query(None, max_length=32, description="input | output | entry_scope"),
        ) -> dict[str, Any]:
            try:
                entries = audit_log().read(limit=limit, since=since, rail=rail)
            except ValueError as exc:  # e.g. `since` not an ISO 8601 time
                raise Problem(422, f"The audit query is not valid: {exc}", code="bad-audit-query") from None
            return {"count": len(entries), "items": entries}

        @app.get("/api/admin/chat-offline", summary="Whether the chat is offline", responses=_problems(401, 403), **admin)
        def chat_offline_state() -> dict[str, Any]:
            return offline.state()

        @app.post("/api/admin/chat-offline", summary="Take the chat offline (or back online); search stays up",
                  responses=_problems(401, 403), **admin)
        def chat_offline(body: OfflineRequest) -> dict[str, Any]:
            message_nl = body.message_nl.strip() if body.message_nl and body.message_nl.strip() else None
            message_en = body.message_en.strip() if body.message_en and body.message_en.strip() else None
            return offline.set(body.offline, message_nl, message_en)

    # --- the front-end ---
    def static_route(path: str, file_name: str, media_type: str) -> None:
        file_path = STATIC_DIR / file_name

        async def serve() -> FileResponse:
            headers = {"Cache-Control": "no-cache"}
            if file_name == "widget.js":
                headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            return FileResponse(file_path, media_type=media_type, headers=headers)

        app.add_api_route(path, serve, methods=["GET", "HEAD"], include_in_schema=False, name=f"static:{file_name}:{path}")

    for path, (file_name, media_type) in STATIC_FILES.items():
        static_route(path, file_name, media_type)

    return app

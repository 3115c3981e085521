"""The app's ASGI middleware: the Host check, the client address behind trusted proxies, the body
size cap, security headers and CORS with refusals as problem+json. `install_middleware` adds them
in the order they must run."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import HTTPException
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from web.problems import Problem, lang_of

ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.\-]+(?::\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")
HOST_RE = re.compile(r"^(?P<name>\[[0-9A-Fa-f:.]+\]|[^:\[\]]*)(?::\d{1,5})?$")


class _BodyTooLarge(HTTPException):
    """Raised while reading a body past the cap; FastAPI re-raises HTTPExceptions from body reading."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"The request body is larger than {limit} bytes.")


def host_name(host_header: str) -> str | None:
    """The name in a Host header, without the port (and without brackets for IPv6)."""
    match = HOST_RE.match(host_header.strip())
    if match is None:
        return None
    return match.group("name").strip("[]").rstrip(".").lower()


class AllowedHosts:
    """400 for a request whose Host header is not one of ALLOWED_HOSTS (DNS rebinding). "*" allows any."""

    def __init__(self, app: ASGIApp, allowed: list[str]):
        self.app = app
        self.allowed = {h.strip().strip("[]").lower() for h in allowed if h.strip()}
        self.any = "*" in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        name = host_name(headers.get("host", ""))
        if name is None or name not in self.allowed:
            await Problem("host-not-allowed", lang_of(headers)).response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """413 for a request body over the cap: by Content-Length up front, or while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await Problem("bad-content-length", lang_of(headers)).response()(scope, receive, send)
                return
            if int(length) > self.max_bytes:
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
        problem = Problem("too-large", lang_of(Headers(scope=scope)), limit=self.max_bytes, extra={"limit": self.max_bytes})
        await problem.response()(scope, receive, send)


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
        is_docs = scope.get("path", "").startswith(self.DOCS_PATHS)

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
        problem = Problem("cors-refused", lang_of(request_headers), reason=reason)
        problem.headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return problem.response()


def valid_origins(origins: list[str], warn: Any) -> list[str]:
    good = []
    for origin in origins:
        if ORIGIN_RE.match(origin):
            good.append(origin)
        else:
            warn("ignoring allowed origin %r: not scheme://host[:port]", origin)
    return good


def install_middleware(app: FastAPI, *, origins: list[str], allowed_hosts: list[str], trusted_proxies: list[str],
                       max_request_bytes: int) -> None:
    """The last added runs first: Host check outermost, then the client address, then CORS (so
    refusals carry CORS headers too), security headers and the body cap."""
    app.add_middleware(BodySizeLimit, max_bytes=max_request_bytes)
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
    # X-Forwarded-For / -Proto only from these addresses; with none, the headers are ignored.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies or [])
    app.add_middleware(AllowedHosts, allowed=allowed_hosts)

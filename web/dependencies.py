"""What the routes share: the app's services (built once in create_app) and the FastAPI
dependencies over them (language, readiness, the chat gate, the admin key)."""

from __future__ import annotations

import hmac
import re
import threading
from dataclasses import dataclass, field
from collections.abc import Callable

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.pipeline import Assistant
from assistant.settings import Settings
from guardrails.audit import AuditLog
from ingest.index import RegisterIndex
from web.feedback import Feedback
from web.jobs import IngestJobs
from web.problems import Lang, Problem, lang_of
from web.ratelimit import RateLimiter
from web.runtime import Runtime
from web.shared import OfflineSwitch

RETRY_NOT_READY = {"Retry-After": "5"}
bearer = HTTPBearer(auto_error=False, description="ALGORITMEWIJZER_ADMIN_API_KEY")


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    offline: OfflineSwitch
    limiter: RateLimiter
    feedback: Feedback
    origins: list[str]
    admin_key: str
    answering: anyio.CapacityLimiter | None = None  # threads working on questions at once
    jobs: IngestJobs | None = None
    _audit: AuditLog | None = None
    _audit_lock: threading.Lock = field(default_factory=threading.Lock)

    def audit_log(self) -> AuditLog:
        """One reader of the audit database per process (the assistant writes it)."""
        with self._audit_lock:
            if self._audit is None:
                self._audit = AuditLog.from_settings(self.settings)
            return self._audit


def services(request: Request) -> Services:
    return request.app.state.services


def request_lang(request: Request) -> Lang:
    return lang_of(request.headers, request.query_params.get("lang"))


def require_index(request: Request) -> RegisterIndex:
    runtime = services(request).runtime
    if runtime.index is None or not runtime.ready:
        raise Problem("not-ready", request_lang(request), headers=RETRY_NOT_READY)
    return runtime.index


def require_assistant(request: Request, lang: Lang) -> Assistant:
    runtime = services(request).runtime
    if not runtime.ready:
        raise Problem("not-ready", lang, headers=RETRY_NOT_READY)
    return runtime.assistant


def client_address(request: Request) -> str:
    """The client's address: the peer, or X-Forwarded-For's when the peer is a trusted proxy
    (the proxy-headers middleware has then put it in the scope)."""
    return request.client.host if request.client else "unknown"


def _gate(request: Request, scope: str) -> None:
    """Before the body is validated: the origin, then the per-client rate limit of `scope`."""
    state = services(request)
    lang = request_lang(request)
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in state.origins:
        same_origin = re.sub(r"^https?://", "", origin).rstrip("/") == request.headers.get("host", "")
        if not same_origin:
            raise Problem("origin-not-allowed", lang)
    allowed, retry = state.limiter.hit(scope + client_address(request))
    if not allowed:
        raise Problem("rate-limited", lang, seconds=retry, headers={"Retry-After": str(retry)}, extra={"retry_after": retry})


def chat_gate(request: Request) -> None:
    _gate(request, "chat:")


def feedback_gate(request: Request) -> None:
    _gate(request, "feedback:")


def require_admin(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    key = services(request).admin_key
    lang = request_lang(request)
    if credentials is None or not credentials.credentials:
        raise Problem("unauthorized", lang, headers={"WWW-Authenticate": 'Bearer realm="algoritmewijzer-admin"'})
    if not hmac.compare_digest(credentials.credentials.encode("utf-8"), key.encode("utf-8")):
        raise Problem("forbidden", lang)


def jobs(request: Request) -> IngestJobs:
    found = services(request).jobs
    assert found is not None  # the admin router exists only with jobs
    return found


WORD = re.compile(r"\S+")
REDACTED = "[…]"


def public_words_only(assistant: Assistant) -> Callable[[str], str]:
    """A cleaner for free text kept by the server (feedback): every word or number that no public
    register text and no common word gives is replaced by "[…]", so what is kept can hold no
    withheld value (and no personal number or name), whatever the person typed."""
    rail = assistant.output_rail.rail
    nothing = rail.grounding([])

    def clean(text: str) -> str:
        return WORD.sub(lambda m: REDACTED if rail.ungrounded(m.group(0), nothing) else m.group(0), text)

    return clean

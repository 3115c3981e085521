"""Client for the live Algorithm Register API (algoritmes.overheid.nl).

Pages through ``POST /api/algoritme/{language}`` and fetches single entries with
``GET /api/algoritme/{language}/{lars}``, retrying with backoff on rate limits,
server errors and network trouble.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
import tenacity

__all__ = [
    "DEFAULT_BASE_URL",
    "LANGUAGES",
    "RegisterApiClient",
    "RegisterApiError",
    "RegisterUnreachable",
]

logger = logging.getLogger("algoritmewijzer.ingest.register_api")

DEFAULT_BASE_URL = "https://algoritmes.overheid.nl/api"
LANGUAGES = frozenset({"NLD", "ENG", "FRY"})
MAX_PAGE_SIZE = 100
MAX_RETRY_AFTER = 300.0
"""Upper bound (seconds) on a server-requested ``Retry-After`` wait."""

FILE_HINT = "SOURCE=path/to/register-snapshot.json"

# Transport errors worth retrying; others (bad scheme, local protocol misuse) are config errors.
_RETRYABLE_TRANSPORT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


class RegisterApiError(Exception):
    """The register API could not be used; the message is meant for the user."""

    def __init__(self, message: str, *, url: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


class RegisterUnreachable(RegisterApiError):
    """The register could not be reached at all (DNS, refused connection, timeouts)."""


class RegisterApiClient:
    """Synchronous client for the public register API."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        language: str = "NLD",
        page_size: int = 100,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        max_backoff: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        client: httpx.Client | None = None,
    ) -> None:
        if language not in LANGUAGES:
            raise ValueError(
                f"Unknown register language {language!r}: use one of {', '.join(sorted(LANGUAGES))}."
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}.")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries!r}.")
        if backoff_base < 0 or max_backoff < 0:
            raise ValueError("backoff_base and max_backoff must not be negative.")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}.")
        try:
            scheme = httpx.URL(base_url).scheme
        except httpx.InvalidURL as exc:
            raise ValueError(f"Invalid register URL {base_url!r}: {exc}") from exc
        if scheme not in ("http", "https"):
            raise ValueError(f"Register URL must start with http:// or https://, got {base_url!r}.")

        self.base_url = base_url.rstrip("/")
        self.language = language
        self.page_size = page_size
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._random = random.Random()
        self._exponential = tenacity.wait_exponential(multiplier=backoff_base, max=max_backoff)
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"Accept": "application/json", "User-Agent": "algoritmewijzer-ingest/0.1"},
        )

    # -- public API -------------------------------------------------------------------------

    def iter_records(self, progress: Callable[[int, int], None] | None = None) -> Iterator[dict[str, Any]]:
        """Yield every register entry once (de-duplicated on ``lars``), page by page.

        ``progress(records_seen_so_far, total_count)`` is called after each page.
        """
        url = f"{self.base_url}/algoritme/{self.language}"
        seen: set[str] = set()
        page = 1
        while True:
            payload = {"page": page, "limit": self.page_size, "searchtext": ""}
            data = self._request_json("POST", url, json=payload)
            results, total_count = _parse_listing(data, url)

            fresh: list[dict[str, Any]] = []
            for record in results:
                lars = record["lars"]
                if lars not in seen:
                    seen.add(lars)
                    fresh.append(record)
            if progress is not None:
                progress(len(seen), total_count)
            yield from fresh

            page_count = math.ceil(total_count / self.page_size)
            if not results or page >= page_count:
                return
            page += 1

    def fetch_one(self, lars: str) -> dict[str, Any] | None:
        """Return one entry by its ``lars`` id, or None when the register does not have it."""
        if not isinstance(lars, str) or not lars.strip():
            raise ValueError("lars must be a non-empty register id.")
        url = f"{self.base_url}/algoritme/{self.language}/{quote(lars.strip(), safe='')}"
        data = self._request_json("GET", url, not_found_ok=True)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise RegisterApiError(
                f"The Algorithm Register at {url} returned an unexpected response: expected a JSON object "
                "describing one algorithm.",
                url=url,
            )
        return data

    def close(self) -> None:
        """Close the HTTP connection pool (only when this client created it)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _request_json(self, method: str, url: str, *, json: Any = None, not_found_ok: bool = False) -> Any:
        """Send a request with retries; return the decoded JSON body (None for an allowed 404)."""
        attempts = self.max_retries + 1
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type((_RetryableStatus, *_RETRYABLE_TRANSPORT_ERRORS)),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(state, method, url, attempts),
            reraise=True,
        )
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        try:
            response = retrying(self._send, method, url, json)
        except _RETRYABLE_TRANSPORT_ERRORS as exc:
            raise RegisterUnreachable(
                f"The Algorithm Register could not be reached at {url} ({_describe_transport_error(exc)}; gave up after "
                f"{tries}). Check the network connection, or ingest a saved register file instead (e.g. {FILE_HINT}).",
                url=url,
            ) from exc
        except httpx.TransportError as exc:
            raise RegisterApiError(f"Could not send a request to the Algorithm Register at {url}: {exc}", url=url) from exc
        except _RetryableStatus as exc:
            raise RegisterApiError(
                f"The Algorithm Register at {url} kept answering HTTP {_status_line(exc.response)}; gave up "
                f"after {tries}. Try again later, or ingest a saved register file instead (e.g. {FILE_HINT}).",
                url=url,
                status_code=exc.response.status_code,
            ) from None

        status = response.status_code
        if response.is_success:
            try:
                return response.json()
            except ValueError as exc:
                raise RegisterApiError(
                    f"The Algorithm Register at {url} returned a response that is not JSON "
                    f"(HTTP {_status_line(response)}).",
                    url=url,
                    status_code=status,
                ) from exc
        if status == 404 and not_found_ok:
            return None
        raise RegisterApiError(
            f"The Algorithm Register refused the request {method} {url}: HTTP {_status_line(response)}.",
            url=url,
            status_code=status,
        )

    def _send(self, method: str, url: str, json: Any) -> httpx.Response:
        """One attempt: rate limits and server errors raise _RetryableStatus (so tenacity retries)."""
        response = self._client.request(method, url, json=json)
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(response)
        return response

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff with jitter (between half and all of base * 2**(attempt-1), capped),
        or longer when the server asks for it with Retry-After (capped at MAX_RETRY_AFTER)."""
        delay = self._exponential(state) * self._random.uniform(0.5, 1.0)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableStatus):
            retry_after = _retry_after_seconds(error.response.headers.get("Retry-After"))
            if retry_after is not None:
                delay = min(max(delay, retry_after), MAX_RETRY_AFTER)
        return delay

    @staticmethod
    def _log_retry(state: tenacity.RetryCallState, method: str, url: str, attempts: int) -> None:
        error = state.outcome.exception()
        delay = state.next_action.sleep
        if isinstance(error, _RetryableStatus):
            logger.info(
                "Register answered HTTP %d for %s %s; retrying in %.1f s (attempt %d of %d)",
                error.response.status_code, method, url, delay, state.attempt_number + 1, attempts,
            )
        else:
            logger.info(
                "Register not reachable at %s (%s); retrying in %.1f s (attempt %d of %d)",
                url, _describe_transport_error(error), delay, state.attempt_number + 1, attempts,
            )


class _RetryableStatus(Exception):
    """A rate limit (429) or server error (5xx): worth another attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _parse_listing(data: Any, url: str) -> tuple[list[dict[str, Any]], int]:
    """Check the listing shape and return ``(results, total_count)``."""
    problem = None
    if not isinstance(data, dict) or "results" not in data or "total_count" not in data:
        problem = "expected a JSON object with 'results' and 'total_count'"
    elif not isinstance(data["results"], list):
        problem = "'results' is not a list"
    elif isinstance(data["total_count"], bool) or not isinstance(data["total_count"], int) or data["total_count"] < 0:
        problem = "'total_count' is not a non-negative whole number"
    elif not all(isinstance(r, dict) and isinstance(r.get("lars"), str) and r["lars"] for r in data["results"]):
        problem = "a result is not an object with a 'lars' id"
    if problem:
        raise RegisterApiError(
            f"The Algorithm Register at {url} returned an unexpected response: {problem}.", url=url
        )
    return data["results"], data["total_count"]


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse ``Retry-After`` (delay in seconds or an HTTP date) into seconds from now."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _status_line(response: httpx.Response) -> str:
    """The status and its standard phrase (servers differ in the phrase they send, HTTP/2 sends none)."""
    return f"{response.status_code} {httpx.codes.get_reason_phrase(response.status_code)}".strip()


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    detail = str(exc).strip()
    if len(detail) > 120:
        detail = detail[:117] + "..."
    return detail or type(exc).__name__

"""Errors as RFC 9457 problem details (application/problem+json), with title and detail in Dutch or
English from web/data/problems.json (validated when loaded), and the exception handlers that turn
every error of the app into one."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, RootModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("algoritmewijzer.web")

PROBLEMS_FILE = Path(__file__).resolve().parent / "data" / "problems.json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:algoritmewijzer:problem:"
Lang = Literal["nl", "en"]


class LocalText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class ProblemText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int
    title: LocalText
    detail: LocalText


class ProblemTexts(RootModel[dict[str, ProblemText]]):
    pass


@lru_cache(maxsize=1)
def problem_texts() -> dict[str, ProblemText]:
    return ProblemTexts.model_validate(json.loads(PROBLEMS_FILE.read_text(encoding="utf-8"))).root


def lang_of(headers: Headers, explicit: str | None = None) -> Lang:
    """The language for a message: an explicit choice, else the first of Accept-Language we speak."""
    if explicit in ("nl", "en"):
        return explicit  # type: ignore[return-value]
    for part in headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("nl"):
            return "nl"
        if tag.startswith("en"):
            return "en"
    return "nl"


class ProblemOut(BaseModel):
    """An error (RFC 9457). Some problems carry more members (e.g. `limit`, `retry_after`)."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


class Problem(Exception):
    """An error answered as application/problem+json; `code` names its texts in problems.json."""

    def __init__(self, code: str, lang: str, *, detail: str | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None, **values: Any):
        text = problem_texts()[code]
        self.code = code
        self.status = text.status
        self.title = text.title(lang)
        self.detail = detail if detail is not None else text.detail(lang).format(**values)
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"type": PROBLEM_TYPE + self.code, "title": self.title, "status": self.status, "detail": self.detail, **self.extra}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON)


STATUS_CODES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
                406: "not-acceptable", 409: "ingest-running", 413: "too-large", 415: "unsupported-media-type", 503: "not-ready"}


def problem_for_status(status: int, lang: str, headers: dict[str, str] | None = None, **values: Any) -> Problem:
    code = STATUS_CODES.get(status)
    if code is None:
        code = "internal-error" if status >= 500 else "bad-request"
    return Problem(code, lang, headers=headers, **values)


def problems_doc(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses."""
    return {s: {"model": ProblemOut, "content": {PROBLEM_JSON: {}}} for s in statuses}


def install_problem_handlers(app: FastAPI, max_request_bytes: int) -> None:
    """Every error of the app, including FastAPI's own, as problem+json."""

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = lang_of(request.headers)
        return problem_for_status(exc.status_code, lang, headers=getattr(exc, "headers", None),
                                  limit=max_request_bytes).response()

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors()[:10]:
            loc = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
            errors.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
        parts = "; ".join(f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors[:3]) or "-"
        return Problem("invalid-request", lang_of(request.headers), errors=parts, extra={"errors": errors}).response()

    @app.exception_handler(redis.RedisError)
    async def on_redis_error(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.error("Redis is not reachable: %s", type(exc).__name__)  # the shared state of replicas
        return Problem("shared-state-unavailable", lang_of(request.headers), headers={"Retry-After": "5"}).response()

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return Problem("internal-error", lang_of(request.headers)).response()


def problem_openapi(app: FastAPI) -> None:
    """FastAPI's schema, with every error documented as what it is: application/problem+json
    (also the validation errors FastAPI documents as its own JSON shape)."""
    from_fastapi = app.openapi

    def openapi_schema() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = from_fastapi()
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
                            response["description"] = "Invalid request" if code == "422" else problem_for_status(int(code), "en").title
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        components["ProblemOut"] = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi_schema  # type: ignore[method-assign]

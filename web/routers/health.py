"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from web.dependencies import RETRY_NOT_READY, request_lang, services
from web.problems import Problem, problems_doc

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the index is loaded", responses=problems_doc(503))
def readyz(request: Request) -> dict[str, Any]:
    runtime = services(request).runtime
    if not runtime.ready:  # the reason is logged, not shown
        raise Problem("not-ready", request_lang(request), headers=RETRY_NOT_READY)
    return {"status": "ready", "records": len(runtime.index.records)}

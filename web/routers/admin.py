"""The admin API (only when ALGORITMEWIJZER_ADMIN_API_KEY is set): ingest jobs, the audit log,
the chat-offline switch and the feedback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from assistant.settings import Settings
from ingest.records import SourceError, file_source
from web.dependencies import jobs, request_lang, require_admin, services
from web.jobs import IngestJobs, JobBusy
from web.models import FeedbackList, IngestRequest, OfflineRequest, OfflineState
from web.problems import Lang, Problem, problems_doc

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])
LIVE = "live"


def _import_file(name: str, import_dir: Path | None) -> str | None:
    """The path of `name` when it is a readable source file directly inside the import folder."""
    if import_dir is None or not name or name != Path(name).name or name.startswith("."):
        return None
    base = import_dir.resolve()
    path = (base / name).resolve()
    if path.parent != base:
        return None  # a link out of the folder
    try:
        return file_source(str(path)).location
    except SourceError:
        return None


def allowed_sources(specs: list[str], settings: Settings, lang: Lang) -> list[str]:
    """'live' or file names in ALGORITMEWIJZER_IMPORT_DIR, nothing else. Missing, forbidden and
    unreadable sources get one text, so the API tells nothing about the server's files."""
    resolved = []
    for number, spec in enumerate(specs, 1):
        if spec.strip().lower() == LIVE:
            resolved.append(LIVE)
            continue
        path = _import_file(spec.strip(), settings.import_dir)
        if path is None:
            raise Problem("bad-source", lang, number=number)
        resolved.append(path)
    return resolved


@router.post("/ingest", status_code=202, summary="Start an ingest job (one at a time)", responses=problems_doc(401, 403, 409, 422))
def start_ingest(request: Request, body: IngestRequest, ingest_jobs: IngestJobs = Depends(jobs)) -> dict[str, Any]:
    lang = request_lang(request)
    sources = allowed_sources(body.sources, services(request).settings, lang)
    try:
        return ingest_jobs.start(sources)
    except JobBusy as exc:
        raise Problem("ingest-running", lang, extra={"running": exc.running_id}) from None
    except SourceError:
        raise Problem("bad-source", lang, number=1) from None


@router.get("/ingest/{job_id}", summary="An ingest job's state, progress and report", responses=problems_doc(401, 403, 404))
def ingest_job(request: Request, job_id: str, ingest_jobs: IngestJobs = Depends(jobs)) -> dict[str, Any]:
    job = ingest_jobs.get(job_id)
    if job is None:
        raise Problem("job-not-found", request_lang(request))
    return job


@router.get("/audit", summary="The guardrail audit log (newest first)", responses=problems_doc(401, 403))
def audit(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    since: str | None = Query(None, max_length=64, description="Only entries at or after this ISO 8601 time"),
    rail: str | None = Query(None, max_length=32, description="input | output | entry_scope"),
) -> dict[str, Any]:
    try:
        entries = services(request).audit_log().read(limit=limit, since=since, rail=rail)
    except ValueError as exc:  # e.g. `since` not an ISO 8601 time
        raise Problem("bad-audit-query", request_lang(request), reason=str(exc)) from None
    return {"count": len(entries), "items": entries}


@router.get("/chat-offline", summary="Whether the chat is offline", response_model=OfflineState, responses=problems_doc(401, 403))
def chat_offline_state(request: Request) -> dict[str, Any]:
    return services(request).offline.state()


@router.post("/chat-offline", summary="Take the chat offline (or back online); search stays up",
             response_model=OfflineState, responses=problems_doc(401, 403))
def chat_offline(request: Request, body: OfflineRequest) -> dict[str, Any]:
    message_nl = body.message_nl.strip() if body.message_nl and body.message_nl.strip() else None
    message_en = body.message_en.strip() if body.message_en and body.message_en.strip() else None
    return services(request).offline.set(body.offline, message_nl, message_en)


@router.get("/feedback", summary="Feedback on answers (newest first)", response_model=FeedbackList, responses=problems_doc(401, 403))
def feedback(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    items = services(request).feedback.read(limit)
    return {"count": len(items), "items": items}

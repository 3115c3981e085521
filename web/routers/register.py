"""The register: search and list algorithms, one algorithm's public fields, the organisations."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from guardrails.explanations import withheld_notice
from ingest.index import Filters, RegisterIndex
from ingest.vocabulary import organizations, publication_categories, statuses
from web.dependencies import request_lang, require_index
from web.models import AlgorithmDetail, AlgorithmList, OrganizationList
from web.problems import Problem, problems_doc

router = APIRouter(tags=["register"])
SEARCH_DEPTH = 200  # entries a search considers; paging slices this list


def summary(record: Any) -> dict[str, Any]:
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


def _filters(organization: str | None, status: str | None, publication_category: str | None) -> Filters:
    def given(value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    organization, status, publication_category = given(organization), given(status), given(publication_category)
    return Filters(
        organizations={organizations().canonical(organization)} if organization else None,
        status=statuses().normalise(status) if status else None,
        publication_category=publication_categories().normalise(publication_category) if publication_category else None,
    )


@router.get("/api/algorithms", summary="Search or list algorithms", response_model=AlgorithmList, responses=problems_doc(422, 503))
def list_algorithms(
    q: str | None = Query(None, max_length=500, description="Search text; without it, a filtered list by name"),
    organization: str | None = Query(None, max_length=300),
    status: str | None = Query(None, max_length=100),
    publication_category: str | None = Query(None, max_length=200),
    page: int = Query(1, ge=1, le=10_000),
    limit: int = Query(20, ge=1, le=100),
    index: RegisterIndex = Depends(require_index),
) -> dict[str, Any]:
    filters = _filters(organization, status, publication_category)
    query = q.strip() if q and q.strip() else None
    if query:
        hits = index.search(query, k=SEARCH_DEPTH, filters=filters)
        records = [r for r in (index.get(hit.lars) for hit in hits) if r is not None]
    else:
        records = sorted(index.select(filters), key=lambda r: (r.name.casefold(), r.lars))
    start = (page - 1) * limit
    return {"total": len(records), "page": page, "limit": limit, "query": query,
            "items": [summary(r) for r in records[start : start + limit]]}


@router.get("/api/algorithms/{lars}", summary="One algorithm's public fields and withholding notice",
            response_model=AlgorithmDetail, responses=problems_doc(404, 503))
def get_algorithm(request: Request, lars: str, lang: Literal["nl", "en"] | None = None,
                  index: RegisterIndex = Depends(require_index)) -> dict[str, Any]:
    record = index.get(lars)
    if record is None:  # unknown ids and entry-withheld ids (never in the index) end here alike
        raise Problem("algorithm-not-found", request_lang(request))
    notice = withheld_notice(record, request_lang(request))
    fields = {k: v for k, v in record.fields.items() if isinstance(v, (str, list))}
    return {**summary(record), "fields": fields, "withheld": notice.to_dict() if notice else None}


@router.get("/api/organizations", summary="Organisations with their number of algorithms",
            response_model=OrganizationList, responses=problems_doc(503))
def list_organizations(index: RegisterIndex = Depends(require_index)) -> dict[str, Any]:
    counts = Counter(r.organization for r in index.records.values() if r.organization)
    items = [{"name": name, "count": n} for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))]
    return {"total": len(items), "items": items}

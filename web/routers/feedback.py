"""POST /api/feedback: helpful or not, with an optional comment, on an answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from guardrails.text import InvalidText
from web.dependencies import feedback_gate, public_words_only, require_assistant, services
from web.models import FeedbackReceived, FeedbackRequest
from web.problems import Problem, lang_of, problems_doc

router = APIRouter(tags=["feedback"])


@router.post("/api/feedback", status_code=201, summary="Feedback on an answer; the question is kept only with include_question",
             response_model=FeedbackReceived, responses=problems_doc(403, 413, 422, 429, 503))
async def give_feedback(request: Request, body: FeedbackRequest, _gate: None = Depends(feedback_gate)) -> FeedbackReceived:
    state = services(request)
    lang = lang_of(request.headers, body.lang)
    assistant = require_assistant(request, lang)
    index = state.runtime.index
    try:
        await run_in_threadpool(
            state.feedback.add, helpful=body.helpful, comment=body.comment, question=body.question,
            include_question=body.include_question, results=body.results, lang=body.lang,
            clean=public_words_only(assistant), is_public=lambda lars: index.get(lars) is not None,
        )
    except (InvalidText, UnicodeEncodeError):
        raise Problem("invalid-text", lang, number=1) from None
    return FeedbackReceived()

"""POST /api/chat: a question in a conversation, answered as JSON or as Server-Sent Events."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette.sse import EventSourceResponse
from anyio import CapacityLimiter, to_thread

from assistant.conversation import InvalidConversation
from assistant.settings import Settings
from assistant.steps import Answer
from web.dependencies import chat_gate, require_assistant, services
from web.models import AnswerOut, ChatRequest
from web.problems import Lang, Problem, lang_of, problems_doc

log = logging.getLogger("algoritmewijzer.web")
router = APIRouter(tags=["chat"])
NO_STORE = {"Cache-Control": "no-store"}
_END = object()

STREAM_DOC = ("The answer. With `Accept: text/event-stream`: events `piece` {text}, then `result` (the answer object), "
              "then `done`; on failure `error` {title, detail, status}.")


def answer_out(answer: Answer) -> dict[str, Any]:
    """The answer as the API documents it (the JSON body and the SSE `result` alike)."""
    return AnswerOut.model_validate(answer.to_dict()).model_dump(mode="json")


def _next(iterator: Iterator[Any]) -> Any:
    return next(iterator, _END)


def check_conversation(body: ChatRequest, settings: Settings, lang: Lang) -> list[dict[str, Any]]:
    """The limits and the shape of a conversation, with a problem in the user's language; the
    messages as the pipeline takes them."""
    count = len(body.messages)
    if count > settings.max_messages:
        raise Problem("too-many-messages", lang, limit=settings.max_messages, count=count, extra={"limit": settings.max_messages})
    for number, item in enumerate(body.messages, 1):
        try:
            item.content.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            raise Problem("invalid-text", lang, number=number) from None
        if item.role == "user" and len(item.content) > settings.max_message_chars:
            raise Problem("message-too-long", lang, number=number, limit=settings.max_message_chars, length=len(item.content),
                          extra={"limit": settings.max_message_chars})
    if body.messages[-1].role != "user":
        raise Problem("not-a-question", lang)
    if not body.messages[-1].content.strip():
        raise Problem("empty-question", lang)
    return [m.model_dump(exclude_none=True) for m in body.messages]


def _pipeline_problem(exc: Exception, lang: Lang) -> Problem:
    if isinstance(exc, InvalidConversation):
        return Problem("invalid-conversation", lang, reason=str(exc))
    log.error("the pipeline failed", exc_info=exc)
    return Problem("answer-failed", lang)


def _event(name: str, data: Any) -> dict[str, str]:
    return {"event": name, "data": json.dumps(data, ensure_ascii=False)}


async def in_thread(limiter: CapacityLimiter | None, function: Any, *args: Any) -> Any:
    """Run pipeline work in a worker thread, at most `limiter`'s number at once; the event loop stays free."""
    return await to_thread.run_sync(function, *args, limiter=limiter)


async def _events(first: Any, events: Iterator[Any], lang: Lang, limiter: CapacityLimiter | None) -> AsyncIterator[dict[str, str]]:
    failed = Problem("answer-failed", lang)
    error = {"title": failed.title, "detail": failed.detail, "status": failed.status}
    item = first
    got_result = False
    try:
        while item is not _END:
            kind, value = item
            if kind == "piece":
                yield _event("piece", {"text": str(value)})
            elif kind == "result":
                got_result = True
                yield _event("result", answer_out(value))
            item = await in_thread(limiter, _next, events)
        if got_result:
            yield _event("done", {})
        else:
            log.error("the pipeline's stream ended without a result")
            yield _event("error", error)
    except Exception:
        log.exception("the pipeline failed while streaming")
        yield _event("error", error)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


@router.post(
    "/api/chat",
    summary="Ask a question (JSON, or Server-Sent Events with Accept: text/event-stream)",
    response_model=AnswerOut,
    responses={200: {"description": STREAM_DOC, "content": {"text/event-stream": {"schema": {"type": "string"}}}},
               **problems_doc(403, 413, 422, 429, 500, 503)},
)
async def chat(request: Request, response: Response, body: ChatRequest, _gate: None = Depends(chat_gate)) -> Any:
    state = services(request)
    lang = lang_of(request.headers, body.lang)
    switch = await to_thread.run_sync(state.offline.state)  # a file or Redis: off the event loop
    if switch["offline"]:
        raise Problem("chat-offline", lang, detail=switch.get(f"message_{lang}") or None)
    messages = check_conversation(body, state.settings, lang)
    assistant = require_assistant(request, lang)
    if "text/event-stream" not in request.headers.get("accept", "").lower():
        try:
            answer = await in_thread(state.answering, assistant.answer, messages, body.lang)
        except Exception as exc:
            raise _pipeline_problem(exc, lang) from None
        response.headers.update(NO_STORE)
        return answer_out(answer)
    events = iter(assistant.stream(messages, body.lang))
    try:  # the first event before the headers: a bad conversation is still a plain 422
        first = await in_thread(state.answering, _next, events)
    except Exception as exc:
        raise _pipeline_problem(exc, lang) from None
    return EventSourceResponse(_events(first, events, lang, state.answering), headers={**NO_STORE, "X-Accel-Buffering": "no"}, sep="\n", ping=15)

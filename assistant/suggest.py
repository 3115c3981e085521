"""Suggested follow-up questions fitted to the kind of answer (assistant/data/suggestions.json)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

from assistant.steps import Answer, Turn
from assistant.vocabulary import load

MAX_SUGGESTIONS = 3
LIST_INTENTS = ("org_list", "filter", "topic")
ONE_INTENTS = ("lookup", "followup_lookup")


class Suggestion(BaseModel):
    nl: str
    en: str
    skip_if: str | None = None


class Suggestions(BaseModel):
    kinds: dict[str, list[Suggestion]]


@lru_cache(maxsize=1)
def suggestions() -> Suggestions:
    return Suggestions.model_validate(load("suggestions.json"))


def _asked(turn: Turn) -> set[str]:
    """What the question already asked about (fields, filters): those suggestions are skipped."""
    u = turn.understanding
    if u is None:
        return set()
    asked = set(u.fields)
    if u.status:
        asked.add("status")
    if u.impact_assessment or {"impacttoetsen", "impact_assessment"} & asked:
        asked.add("impact")
    return asked


def suggest(answer: Answer, turn: Turn) -> list[str]:
    if answer.status in ("refused", "withheld"):
        return []
    if answer.status in ("no_match", "out_of_scope"):
        kind = "none"
    elif answer.intent == "count":
        kind = "count"
    elif answer.intent in ONE_INTENTS or len(answer.results) == 1:
        kind = "one"
    elif answer.intent in LIST_INTENTS and len(answer.results) > 1:
        kind = "list"
    else:
        return []
    asked = _asked(turn)
    texts = [getattr(s, answer.lang) for s in suggestions().kinds.get(kind, []) if not (s.skip_if and s.skip_if in asked)]
    return texts[:MAX_SUGGESTIONS]

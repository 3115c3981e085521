"""The question's path: a pipeline of small steps (understand -> retrieve -> guard -> compose -> guard).

Each step reads and extends a `Turn`. A step can stop the run by raising `StopRun` with the answer
the user gets (a status and a user-facing message)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from guardrails.verdicts import RailDecision, WithheldNotice

__all__ = ["Answer", "Citation", "RailDecision", "Step", "StopRun", "Turn", "WithheldNotice"]

Status = Literal["answered", "no_match", "partly_withheld", "withheld", "refused", "out_of_scope"]
Lang = Literal["nl", "en"]


@dataclass
class Citation:
    lars: str
    name: str
    organization: str | None
    url: str | None
    status: str | None = None  # the entry's status in the register ("In gebruik" ...)

    def to_dict(self) -> dict[str, Any]:
        return {"lars": self.lars, "name": self.name, "organization": self.organization, "url": self.url, "status": self.status}


@dataclass
class Answer:
    """The public contract of an answer (CLI --json and the HTTP API)."""

    status: Status
    lang: Lang
    intent: str
    answer: str
    results: list[str] = field(default_factory=list)
    count: int | None = None
    citations: list[Citation] = field(default_factory=list)
    withheld: list[WithheldNotice] = field(default_factory=list)
    data_date: str | None = None  # ISO date of the register data in the index
    suggestions: list[str] = field(default_factory=list)  # follow-up questions, in the answer's language

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "lang": self.lang,
            "intent": self.intent,
            "answer": self.answer,
            "results": list(self.results),
            "count": self.count,
            "citations": [c.to_dict() for c in self.citations],
            "withheld": [w.to_dict() for w in self.withheld],
            "data_date": self.data_date,
            "suggestions": list(self.suggestions),
        }


@dataclass
class Turn:
    """The state of one question as it passes through the pipeline."""

    messages: list[dict[str, str]]  # the whole conversation, last one from the user
    lang: Lang = "nl"
    lang_forced: bool = False
    intent: str = "unknown"
    understanding: Any = None  # assistant.understand.Understanding
    hits: list[Any] = field(default_factory=list)  # ingest.index.EntryHit, best first
    answer: Answer | None = None
    decisions: list[RailDecision] = field(default_factory=list)
    replay: bool = False  # an earlier question answered again for its results: not audited again

    @property
    def question(self) -> str:
        return self.messages[-1]["content"]


class StopRun(Exception):
    """Raised by a step to end the run with this answer."""

    def __init__(self, answer: Answer):
        super().__init__(answer.status)
        self.answer = answer


class Step(Protocol):
    name: str

    def run(self, turn: Turn) -> None: ...

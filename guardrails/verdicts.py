"""What the rails decide, as plain dataclasses (bottom layer: imports nothing of the project).
The assistant turns them into answers (assistant/rails.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RailDecision:
    """One guardrail decision, for the audit log. Never holds question text or withheld text."""

    rail: str  # input | output | entry_scope
    reason: str  # a reason code
    lars: str | None = None  # only for field-scope records


@dataclass
class WithheldNotice:
    lars: str
    fields: list[str]  # field labels in the answer's language
    ground: str  # the ground in words, in the answer's language
    legal_basis: str | None
    explanation: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"lars": self.lars, "fields": list(self.fields), "ground": self.ground, "legal_basis": self.legal_basis, "explanation": self.explanation}


@dataclass(frozen=True)
class Source:
    """A public record an answer cites, as the index has it."""

    lars: str
    name: str
    organization: str | None
    url: str | None


@dataclass
class Refusal:
    """The input rail stops the question: the text people read, the public records it is about (their
    withholding notices are quoted), and the decisions for the audit."""

    status: str  # refused | withheld | personal_data
    intent: str  # refused | entry_scope | personal_data
    lang: str
    reason: str
    text: str
    sources: list[Source] = field(default_factory=list)
    notices: list[WithheldNotice] = field(default_factory=list)
    decisions: list[RailDecision] = field(default_factory=list)


@dataclass
class Draft:
    """An answer as the output rail reviews it (plain parts of the assistant's answer)."""

    lang: str
    text: str
    intent: str = ""
    sources: list[Source] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    withheld: list[WithheldNotice] = field(default_factory=list)


@dataclass
class Review:
    """The output rail's verdict on a draft. `blocked`: the draft is replaced by `replacement`
    (nothing of it is kept); else the draft with `text`, `sources`, `results` and `withheld`
    (unknown or unpublished ids dropped, citations as the index has them, invented links removed)."""

    blocked: bool
    text: str
    sources: list[Source]
    results: list[str]
    withheld: list[WithheldNotice]
    decisions: list[RailDecision] = field(default_factory=list)
    replacement: Refusal | None = None

    @property
    def changed(self) -> bool:
        return bool(self.decisions)

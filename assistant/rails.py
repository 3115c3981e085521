"""The guardrails as pipeline steps: the rails (guardrails/) take plain inputs and return verdicts;
these steps feed them a Turn and turn their verdicts into answers.

- InputRailStep (first step): user messages are normalised (guardrails.text). A question holding personal data (BSN, IBAN, e-mail address, phone
  number) gets a short notice and is not used; personal data in earlier messages is replaced by
  placeholders. Then the input rail decides; a refusal stops the run (StopRun).
- OutputRailStep (last step, and the check of every streamed piece): the output rail reviews the
  answer against its public context (the records it cites or lists) and fixes or replaces it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from assistant.settings import Settings
from assistant.steps import Answer, Citation, StopRun, Turn
from assistant.understand import detect_language
from assistant.vocabulary import answer_texts, field_matcher, generic_words, load, normalise_question
from guardrails import explanations, personal_data
from guardrails.audit import AuditLog
from guardrails.classifier import QuestionClassifier
from guardrails.input_rail import InputRail
from guardrails.output_rail import Grounding, OutputRail
from guardrails.text import normalise_input
from guardrails.verdicts import Draft, RailDecision, Refusal, Source
from ingest.index import RegisterIndex
from ingest.vocabulary import law_enforcement_organizations

# Field phrases too vague to count as asking for a field.
VAGUE_FIELD_PHRASES = ("model", "models", "modellen")


def fields_asked(message: str) -> set[str]:
    """The register fields a message asks about (assistant/data/field_vocabulary.json)."""
    return {m.key for m in field_matcher().find(normalise_question(message)) if m.phrase not in VAGUE_FIELD_PHRASES}


def _citations(sources: Iterable[Source]) -> list[Citation]:
    return [Citation(lars=s.lars, name=s.name, organization=s.organization, url=s.url) for s in sources]


def answer_of(refusal: Refusal) -> Answer:
    return Answer(
        status=refusal.status, lang=refusal.lang, intent=refusal.intent, answer=refusal.text,
        citations=_citations(refusal.sources), withheld=list(refusal.notices),
    )


class InputRailStep:
    name = "input_rail"

    def __init__(self, index: RegisterIndex):
        self.index = index
        self.rail = InputRail(
            index, generic_words=generic_words(), query_terms=load("query_terms_en_nl.json")["terms"],
            fields_asked=fields_asked, classifier=QuestionClassifier(),
        )

    @staticmethod
    def _lang(turn: Turn) -> str:
        return turn.lang if turn.lang_forced else detect_language(turn.question, default=turn.lang)

    def run(self, turn: Turn) -> None:
        for message in turn.messages:  # what every later step reads (raises InvalidText)
            if message.get("role") == "user":
                message["content"] = normalise_input(message["content"])
        for message in turn.messages[:-1]:
            if message.get("role") == "user" and personal_data.find(message["content"]):
                message["content"] = personal_data.redact(message["content"])
        kinds = personal_data.kinds(turn.question)
        if kinds:
            turn.lang = self._lang(turn)
            turn.messages[-1]["content"] = personal_data.redact(turn.question)
            turn.intent = "personal_data"
            turn.decisions.append(RailDecision(rail="input", reason="personal_data", lars=None))
            notice = explanations.personal_data_notice(kinds, turn.lang)
            raise StopRun(Answer(status="refused", lang=turn.lang, intent="personal_data", answer=notice))
        found = self.rail.assess(turn.messages)
        if found is None:
            return
        turn.lang = self._lang(turn)
        refusal = self.rail.verdict(found, turn.lang)
        turn.intent = refusal.intent
        turn.decisions.extend(refusal.decisions)
        raise StopRun(answer_of(refusal))


def fixed_texts() -> list[str]:
    """The assistant's own answer sentences (assistant/data/answer_texts.json): public words."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not str(key).startswith("_"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer_texts())
    found.extend(sorted(law_enforcement_organizations()))  # named in answers' general note on withheld parts
    return found


class OutputRailStep:
    name = "output_rail"

    def __init__(self, index: RegisterIndex):
        self.index = index
        self.rail = OutputRail(index, fixed_texts())
        self._local = threading.local()

    def grounding(self, answer: Answer, include_text: bool = False) -> Grounding:
        """The public context of an answer: the records it cites, lists or quotes notices of, and
        its count; with `include_text`, its own text (the grounded draft a chat model phrases)."""
        ids = [*(c.lars for c in answer.citations), *answer.results, *(n.lars for n in answer.withheld)]
        texts = [answer.answer] if include_text else []
        return self.rail.grounding_for(ids, texts, answer.count)

    def check_text(self, text: str, turn: Turn) -> bool:
        """True: stop streaming. While pieces stream, turn.answer is the grounded draft: the context
        the chat model was given."""
        assert turn.answer is not None
        key = (id(turn), id(turn.answer))
        memo = getattr(self._local, "grounding", None)
        if memo is None or memo[0] != key:
            memo = (key, self.grounding(turn.answer, include_text=True))
            self._local.grounding = memo
        return self.rail.check_text(text, memo[1])

    def run(self, turn: Turn) -> None:
        answer = turn.answer
        if answer is None:
            return
        draft = Draft(
            lang=answer.lang, text=answer.answer, intent=answer.intent,
            sources=[Source(lars=c.lars, name=c.name, organization=c.organization, url=c.url) for c in answer.citations],
            results=list(answer.results), withheld=list(answer.withheld),
        )
        review = self.rail.review(draft, self.grounding(answer))
        turn.decisions.extend(review.decisions)
        if review.blocked:
            turn.answer = answer_of(review.replacement)
        elif review.changed:
            turn.answer = replace(answer, answer=review.text, citations=_citations(review.sources), results=review.results, withheld=review.withheld)


def audit_log(settings: Settings) -> AuditLog:
    return AuditLog.from_settings(settings)

"""The question vocabularies (assistant/data): intents, field phrases, answer texts, query terms,
and a matcher that finds the longest phrases of a vocabulary in a question."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from pydantic import RootModel, field_validator, model_validator

from ingest.tokens import PhraseIndex, stems
from guardrails.text import question_words
from ingest.datafiles import Strict, read_checked, read_text, regular_expressions


class _Bilingual(Strict):
    nl: str
    en: str


class _BilingualTable(Strict):
    nl: dict[str, str]
    en: dict[str, str]


class AnswerTextsFile(RootModel[dict[str, Union[_Bilingual, _BilingualTable, str]]]):
    """assistant/data/answer_texts.json: key -> Dutch and English text (or table); '_' keys are comments."""

    @model_validator(mode="after")
    def _texts(self) -> "AnswerTextsFile":
        loose = [k for k, v in self.root.items() if isinstance(v, str) and not k.startswith("_")]
        if loose:
            raise ValueError(f"texts without 'nl' and 'en': {loose}")
        return self


class _Phrases(Strict):
    nl: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _Value(_Phrases):
    weak: _Phrases | None = None


class _KindGroup(_Phrases):
    kinds: tuple[str, ...]
    organizations: tuple[str, ...] = ()


class _IntentCues(_Phrases):
    values: dict[str, _Value] | None = None
    not_in: _Phrases | None = None  # a phrase does not count where it begins one of these
    category_words: _Phrases | None = None
    weak: _Phrases | None = None
    groups: dict[str, _KindGroup] | None = None


class IntentsFile(Strict):
    intents: dict[str, _IntentCues]
    language_hints: _Phrases


class _FieldPhrases(_Phrases):
    related: tuple[str, ...] = ()


class FieldVocabularyFile(Strict):
    fields: dict[str, _FieldPhrases]


class QueryTermsFile(Strict):
    terms: dict[str, str]
    generic: tuple[str, ...]


class _AnswerKind(_Phrases):
    sentence: tuple[str, ...]

    _compiles = field_validator("sentence")(regular_expressions)


class AnswerKindsFile(Strict):
    kinds: dict[str, _AnswerKind]


class LlmPromptFile(Strict):
    system: _Bilingual
    context_intro: _Bilingual


# The data files this module reads, with their shapes (intent_examples, suggestions and relevance
# are validated by the modules that use them: assistant/intents.py, suggest.py, relevance.py).
SCHEMAS: dict[str, Any] = {
    "answer_kinds.json": AnswerKindsFile,
    "answer_texts.json": AnswerTextsFile,
    "field_vocabulary.json": FieldVocabularyFile,
    "intents.json": IntentsFile,
    "query_terms_en_nl.json": QueryTermsFile,
    "llm_prompt.json": LlmPromptFile,
}


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """assistant/data/<name> as plain JSON, validated on first load when SCHEMAS knows its shape
    (raises ingest.datafiles.DataFileError naming the file)."""
    if name in SCHEMAS:
        return read_checked("assistant", name, SCHEMAS[name])
    return json.loads(read_text("assistant", name))


# The question normaliser (guardrails/text.py) under the name the question steps use.
normalise_question = question_words


@dataclass(frozen=True)
class PhraseMatch:
    key: str
    phrase: str
    start: int
    end: int


class PhraseMatcher:
    """Finds vocabulary phrases in a normalised question, longest first, without overlaps."""

    def __init__(self, phrases: dict[str, list[str]]):
        entries = []
        for key, items in phrases.items():
            for phrase in items:
                norm = normalise_question(phrase).strip()
                if norm:
                    entries.append((norm, key))
        entries.sort(key=lambda e: -len(e[0]))
        self._entries = entries
        self._index = PhraseIndex([phrase for phrase, _ in entries])

    def find(self, question_norm: str) -> list[PhraseMatch]:
        taken: list[tuple[int, int]] = []
        found = []
        for position in self._index.candidates(question_norm):
            phrase, key = self._entries[position]
            start = question_norm.find(f" {phrase} ")
            while start != -1:
                span = (start + 1, start + 1 + len(phrase))
                if not any(a < span[1] and span[0] < b for a, b in taken):
                    taken.append(span)
                    found.append(PhraseMatch(key, phrase, *span))
                start = question_norm.find(f" {phrase} ", start + 1)
        return sorted(found, key=lambda m: m.start)


@lru_cache(maxsize=1)
def intents() -> dict:
    return load("intents.json")


@lru_cache(maxsize=1)
def answer_kind_matcher() -> PhraseMatcher:
    """The question words that say what kind of answer is wanted (answer_kinds.json)."""
    return PhraseMatcher({name: [*spec["nl"], *spec["en"]] for name, spec in load("answer_kinds.json")["kinds"].items()})


@lru_cache(maxsize=None)
def answer_kind_pattern(kind: str) -> re.Pattern:
    """How a sentence giving that kind of answer looks: its patterns as one, case-insensitive."""
    return re.compile("|".join(f"(?:{p})" for p in load("answer_kinds.json")["kinds"][kind]["sentence"]), re.IGNORECASE)


@lru_cache(maxsize=1)
def answer_texts() -> dict:
    return load("answer_texts.json")


def say(key: str, lang: str, **values) -> str:
    return answer_texts()[key][lang].format(**values)


@lru_cache(maxsize=1)
def field_matcher() -> PhraseMatcher:
    data = load("field_vocabulary.json")["fields"]
    return PhraseMatcher({name: spec.get("nl", []) + spec.get("en", []) for name, spec in data.items()})


@lru_cache(maxsize=1)
def field_related() -> dict[str, list[str]]:
    data = load("field_vocabulary.json")["fields"]
    return {name: spec.get("related", []) for name, spec in data.items()}


def _values_matcher(group: str, weak: bool) -> PhraseMatcher:
    values = intents()["intents"][group]["values"]
    phrases = {value: (spec.get("weak") or {}) if weak else spec for value, spec in values.items()}
    return PhraseMatcher({value: spec.get("nl", []) + spec.get("en", []) for value, spec in phrases.items()})


@lru_cache(maxsize=None)
def value_matcher(group: str, weak: bool = False) -> PhraseMatcher:
    """The phrases of a filter's values; `weak`: the values' weak phrases (see intents.json)."""
    return _values_matcher(group, weak)


def _kind_group_specs() -> dict[str, dict]:
    """intents.json, organization_kind.groups: group name -> its phrases, kinds and organisations."""
    return intents()["intents"]["organization_kind"].get("groups") or {}


@lru_cache(maxsize=1)
def kind_group_matcher() -> PhraseMatcher:
    """Words for a group of organisations ("toezichthouders", "reclasseringsorganisaties"): several
    kinds and/or named organisations."""
    return PhraseMatcher({name: spec.get("nl", []) + spec.get("en", []) for name, spec in _kind_group_specs().items()})


SPELLED_GROUPS = ("status_filter", "impact_assessment_filter", "impact_assessment_mention", "count", "list")
MIN_SPELLED_LENGTH = 5


@lru_cache(maxsize=1)
def cue_phrases() -> dict[str, tuple[str, ...]]:
    """Word (5 letters or more) -> the phrases of two words or more that hold it, of the
    vocabularies that decide what a question asks: filter values, impact-assessment mentions, count
    and list cues, and the fields. A misspelling of such a word inside such a phrase ("niet meer in
    gebruk") is read as the word (see Understand.spelled)."""
    phrases: list[str] = []
    for group in SPELLED_GROUPS:
        spec = intents()["intents"][group]
        for item in (spec.get("values") or {"": spec}).values():
            phrases += item.get("nl", []) + item.get("en", [])
    for spec in load("field_vocabulary.json")["fields"].values():
        phrases += spec.get("nl", []) + spec.get("en", [])
    holding: dict[str, set[str]] = {}
    for phrase in phrases:
        norm = normalise_question(phrase).strip()
        if " " in norm:
            for word in norm.split():
                if len(word) >= MIN_SPELLED_LENGTH:
                    holding.setdefault(word, set()).add(norm)
    return {word: tuple(sorted(found)) for word, found in holding.items()}


@lru_cache(maxsize=1)
def kind_groups() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Group name -> (its kinds, its organisations by name)."""
    return {name: (tuple(spec.get("kinds", [])), tuple(spec.get("organizations", []))) for name, spec in _kind_group_specs().items()}


@lru_cache(maxsize=None)
def cue_matcher(group: str, weak: bool = False) -> PhraseMatcher:
    """The phrases of a cue group; `weak`: its weak phrases (see intents.json)."""
    spec = intents()["intents"][group]
    if weak:
        spec = spec.get("weak") or {}
    return PhraseMatcher({group: spec.get("nl", []) + spec.get("en", [])})


def cue_found(group: str, text_norm: str) -> bool:
    """Whether a phrase of the cue group is in the normalised text, other than where it begins one
    of the group's `not_in` phrases ("nog iemand" is no "nog")."""
    spec = intents()["intents"][group].get("not_in") or {}
    excluded = [f"{p} " for p in spec.get("nl", []) + spec.get("en", [])]
    return any(not any(text_norm.startswith(p, match.start) for p in excluded) for match in cue_matcher(group).find(text_norm))


@lru_cache(maxsize=1)
def query_terms_en_nl() -> dict[str, str]:
    return {normalise_question(k).strip(): v for k, v in load("query_terms_en_nl.json")["terms"].items()}


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words that carry no topic (algorithm, use, municipality ...), as search stems."""
    words = load("query_terms_en_nl.json")["generic"]
    return frozenset(s for w in words for s in stems(w))

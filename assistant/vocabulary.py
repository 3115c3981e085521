"""The question vocabularies (assistant/data): intents, field phrases, answer texts, query terms,
and a matcher that finds the longest phrases of a vocabulary in a question."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ingest.tokens import stems
from ingest.vocabulary import fold


def load(name: str) -> dict:
    return json.loads(resources.files("assistant").joinpath("data", name).read_text(encoding="utf-8"))


def normalise_question(text: str) -> str:
    """Folded text with punctuation turned into spaces, padded for whole-phrase matching."""
    folded = re.sub(r"(?<=\w)'s\b", "", fold(text))  # possessive: "DUO's" -> "duo"
    folded = re.sub(r"[^\w'&]+", " ", folded)  # hyphens too: "border-control" == "border control"
    folded = re.sub(r"(?<!\w)'|'(?!\w)", " ", folded)  # quotes around words: 'risico's' -> risico's
    collapsed = re.sub(r"\s+", " ", folded).strip()
    return f" {collapsed} "


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

    def find(self, question_norm: str) -> list[PhraseMatch]:
        taken: list[tuple[int, int]] = []
        found = []
        for phrase, key in self._entries:
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


def _values_matcher(group: str) -> PhraseMatcher:
    values = intents()["intents"][group]["values"]
    return PhraseMatcher({value: spec.get("nl", []) + spec.get("en", []) for value, spec in values.items()})


@lru_cache(maxsize=None)
def value_matcher(group: str) -> PhraseMatcher:
    return _values_matcher(group)


@lru_cache(maxsize=None)
def cue_matcher(group: str) -> PhraseMatcher:
    spec = intents()["intents"][group]
    return PhraseMatcher({group: spec.get("nl", []) + spec.get("en", [])})


@lru_cache(maxsize=1)
def query_terms_en_nl() -> dict[str, str]:
    return {normalise_question(k).strip(): v for k, v in load("query_terms_en_nl.json")["terms"].items()}


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words that carry no topic (algorithm, use, municipality ...), as search stems."""
    words = load("query_terms_en_nl.json")["generic"]
    return frozenset(s for w in words for s in stems(w))

"""Extractive look-ups: the sentences of one entry's public text that answer a question.

Every sentence of the entry's public fields is scored against the question's content words
(those that are not the entry's own title or organisation), weighted by rarity in the register;
the best ones are quoted with the field they come from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.chunks import field_text
from ingest.records import PublicRecord
from ingest.tokens import stems

SKIP_FIELDS = frozenset({"name", "organization", "url", "lars", "status", "contact_email", "website", "publication_category", "lang", "source"})
MIN_SHARE = 0.34  # share of the question's (rarity-weighted) content a sentence must hold
MAX_QUOTES = 2
MAX_SENTENCE_CHARS = 400
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")


@dataclass(frozen=True)
class Quote:
    field: str
    sentence: str
    score: float


def sentences(text: str) -> list[str]:
    out = []
    for piece in _SENTENCE.split(text):
        piece = " ".join(piece.split()).lstrip("- ").strip()
        if len(piece) >= 12:
            out.append(piece if len(piece) <= MAX_SENTENCE_CHARS else piece[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] + " …")
    return out


def question_terms(question_groups: list[set[str]], record: PublicRecord) -> list[set[str]]:
    """The question's content groups without the words of the entry's title and organisation."""
    own = set(stems(record.name)) | set(stems(record.organization or ""))
    return [g for g in (group - own for group in question_groups) if g]


def best_quotes(record: PublicRecord, groups: list[set[str]], weight, withheld: set[str], skip: set[str] = frozenset()) -> list[Quote]:
    """The entry's sentences that hold most of the question's content, best first (may be empty).
    `weight(stem)` gives a stem's rarity; `withheld` and `skip` fields are never quoted."""
    if not groups:
        return []
    weights = [max(weight(s) for s in g) for g in groups]
    total = sum(weights)
    scored: list[Quote] = []
    for field, value in record.fields.items():
        if field in SKIP_FIELDS or field in withheld or field in skip:
            continue
        text = field_text(value)
        if not text:
            continue
        for sentence in sentences(text):
            sentence_stems = set(stems(sentence))
            share = sum(w for g, w in zip(groups, weights) if g & sentence_stems) / total
            if share >= MIN_SHARE:
                scored.append(Quote(field, sentence, share))
    scored.sort(key=lambda q: -q.score)
    seen: set[str] = set()
    out = []
    for quote in scored:
        if quote.sentence not in seen:
            seen.add(quote.sentence)
            out.append(quote)
        if len(out) >= MAX_QUOTES:
            break
    return out

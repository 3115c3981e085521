"""Extractive look-ups: the sentences of one entry's public text that answer a question.

Every sentence of the entry's public fields is scored against the question's content words
(those that are not the entry's own title or organisation), weighted by rarity in the register;
and, when an embedder is given, by the e5 similarity of the question to the sentence (which bridges
an English question and Dutch text). The best ones are quoted with the field they come from."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ingest.chunks import field_text
from ingest.records import PublicRecord
from ingest.tokens import stems

SKIP_FIELDS = frozenset({"name", "organization", "url", "lars", "status", "contact_email", "website", "publication_category", "lang", "source"})
MIN_SHARE = 0.34  # share of the question's (rarity-weighted) content a sentence must hold
MAX_QUOTES = 2
MIN_SIMILARITY = 0.80  # e5 similarity a sentence needs to be quoted without sharing the question's words
TITLE_DISCOUNT = 0.5  # share of a sentence's similarity to the entry's title taken off (every sentence is "about" it)
SIMILARITY_WEIGHT = 4.0  # how much a point of (title-discounted) similarity above the entry's median counts
MAX_SENTENCE_CHARS = 400
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")


@dataclass(frozen=True)
class Quote:
    field: str
    sentence: str
    score: float
    shares_words: bool = True  # holds enough of the question's words (not only close in meaning)
    of_kind: bool = False  # looks like the kind of answer asked for (a duration for "hoe lang")


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


def best_quotes(
    record: PublicRecord,
    groups: list[set[str]],
    weight,
    withheld: set[str],
    skip: set[str] = frozenset(),
    question: str = "",
    embed: Callable[[list[str], list[str]], np.ndarray] | None = None,
    worded_only: bool = False,
    answer_like: tuple[re.Pattern, ...] = (),
) -> list[Quote]:
    """The entry's sentences that answer the question, best first (may be empty).
    `weight(stem)` gives a stem's rarity; `withheld` and `skip` fields are never quoted.
    `embed(queries, sentences)` gives the e5 similarities, one row per sentence, one column per query.
    A sentence is scored by its similarity to the question less part of its similarity to the entry's
    title, so the sentence that says what is asked wins over one that only names the entry.
    `worded_only`: only sentences holding enough of the question's words are wanted, so only those
    are embedded (ranked by similarity among themselves).
    `answer_like`: how a sentence giving the kind of answer asked for looks (a duration for "hoe
    lang"). The best such sentence comes first when it shares a word of the question or is at
    least as close to it as the entry's middle sentence; one of them sharing any word counts as
    worded."""
    candidates = [
        (field, sentence)
        for field, value in record.fields.items()
        if field not in SKIP_FIELDS and field not in withheld and field not in skip
        for sentence in sentences(field_text(value) or "")
    ]
    if not candidates or not (groups or (embed and question)):
        return []
    weights = [max(weight(s) for s in g) for g in groups]
    total = sum(weights) or 1.0
    shares = [sum(w for g, w in zip(groups, weights) if g & set(stems(sentence))) / total for _, sentence in candidates]
    of_kind = [any(p.search(sentence) for p in answer_like) for _, sentence in candidates]
    worded = [share >= MIN_SHARE or (kind and share > 0) for share, kind in zip(shares, of_kind)]
    if worded_only:
        kept = [i for i, w in enumerate(worded) if w]
        candidates, shares, of_kind, worded = ([xs[i] for i in kept] for xs in (candidates, shares, of_kind, worded))
        if not candidates:
            return []
    if embed and question:
        matrix = np.asarray(embed([question, record.name], [s for _, s in candidates]), dtype=np.float32)
        raw, focused = matrix[:, 0], matrix[:, 0] - TITLE_DISCOUNT * matrix[:, 1]
    else:
        raw = focused = np.zeros(len(candidates), dtype=np.float32)
    median = float(np.median(focused))
    semantic_top = set(np.argsort(-focused)[:MAX_QUOTES].tolist()) if embed and question else set()
    scored: list[Quote] = []
    only_one_of_kind = sum(of_kind) == 1
    for i, ((field, sentence), share) in enumerate(zip(candidates, shares)):
        close = i in semantic_top and raw[i] >= MIN_SIMILARITY
        # of the kind asked, and the entry's only sentence of that kind or at least as close to the
        # question as the entry's middle sentence
        kind = of_kind[i] and (share > 0 or only_one_of_kind or float(focused[i]) >= median)
        if worded[i] or close or kind:
            scored.append(Quote(field, sentence, share + SIMILARITY_WEIGHT * max(0.0, float(focused[i]) - median), worded[i], kind))
    scored.sort(key=lambda q: -q.score)
    of_kind_first = [q for q in scored if q.of_kind][:1]  # the best sentence of the kind asked, then the best ones
    seen: set[str] = set()
    out = []
    for quote in of_kind_first + scored:
        if quote.sentence not in seen:
            seen.add(quote.sentence)
            out.append(quote)
        if len(out) >= MAX_QUOTES:
            break
    return out

"""Tokens for lexical search and fingerprints: folded words, Dutch-stemmed, numbers kept whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

from guardrails.text import fold

# A number with its thousands/decimal separators ("14.000", "0,62") or a word.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
STOPWORDS = frozenset(STOPWORDS_DUTCH) | frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("dutch")
    stemmer.maxCacheSize = 200_000
    return stemmer


def words(text: str) -> list[str]:
    """Folded word and number tokens in order, stopwords kept."""
    return _TOKEN.findall(fold(text))


def normalise_number(token: str) -> str:
    return re.sub(r"[.,]", "", token)


def stems(text: str, keep_stopwords: bool = False) -> list[str]:
    """Search tokens: folded, stopwords dropped, Dutch-stemmed; numbers without separators."""
    tokens = [t for t in words(text) if keep_stopwords or t not in STOPWORDS]
    out: list[str] = []
    word_tokens = [t for t in tokens if not t[0].isdigit()]
    stemmed = iter(_stemmer().stemWords(word_tokens))
    for token in tokens:
        out.append(normalise_number(token) if token[0].isdigit() else next(stemmed))
    return out


class PhraseIndex:
    """Normalised phrases (words joined by single spaces) in a fixed order, looked up by their first
    word: a phrase can occur in a text as whole words only if its first word is a word of the text.
    Matchers that try hundreds of phrases per question try only those."""

    def __init__(self, phrases: Sequence[str]):
        self._by_first: dict[str, list[int]] = {}
        for position, phrase in enumerate(phrases):
            self._by_first.setdefault(phrase.split(" ", 1)[0], []).append(position)

    def candidates(self, text: str) -> list[int]:
        """Positions, in the given order, of the phrases whose first word is a word of `text`."""
        return sorted(position for word in set(text.split()) for position in self._by_first.get(word, ()))

"""Tokens for lexical search and fingerprints: folded words, Dutch-stemmed, numbers kept whole."""

from __future__ import annotations

import re
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

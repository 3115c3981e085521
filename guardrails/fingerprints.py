"""Keyed fingerprints of withheld values (HMAC-SHA256 with a key kept outside the data
directory), and the check of outgoing text against them.

A fingerprint is taken of every stemmed word and number of a withheld value. At check time only
*distinctive* fingerprints count: those of tokens that occur nowhere in public text, so a public
answer can never trip the check, while a withheld code name, number or specific word does."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

from ingest.tokens import stems

DIGEST_CHARS = 32
# Letters spelled out one at a time ("Z-I-L-V-E-R", "z i l v e r") are joined before checking.
_SPELLED = re.compile(r"\b(?:[^\W\d_][\s.\-_,*/|]{1,3}){2,}[^\W\d_]\b", re.UNICODE)


def _value_texts(value: Any) -> Iterable[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _value_texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _value_texts(item)
    else:
        yield str(value)


def _fingerprintable(token: str) -> bool:
    if token.isdigit():
        return len(token) >= 2
    return len(token) >= 3


def join_spelled_out(text: str) -> str:
    return _SPELLED.sub(lambda m: re.sub(r"[\s.\-_,*/|]", "", m.group(0)), text)


class Fingerprinter:
    def __init__(self, key: bytes):
        if not key:
            raise ValueError("the fingerprint key is empty")
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, token: str) -> str:
        mac = self._base.copy()
        mac.update(token.encode("utf-8"))
        return mac.hexdigest()[:DIGEST_CHARS]

    def tokens(self, text: str) -> set[str]:
        found = {t for t in stems(text) if _fingerprintable(t)}
        joined = join_spelled_out(text)
        if joined != text:
            found |= {t for t in stems(joined) if _fingerprintable(t)}
        return found

    def of_values(self, values: Any) -> set[str]:
        """Fingerprints of every token of the given withheld values (any nesting)."""
        tokens: set[str] = set()
        for text in _value_texts(values):
            tokens |= self.tokens(text)
        return {self.digest(t) for t in tokens}

    def of_text(self, text: str) -> set[str]:
        return {self.digest(t) for t in self.tokens(text)}


class WithheldValueCheck:
    """Checks outgoing text against the distinctive fingerprints of withheld values."""

    def __init__(self, fingerprinter: Fingerprinter, withheld_digests: Iterable[str], public_tokens: Iterable[str]):
        self._fingerprinter = fingerprinter
        public_digests = {fingerprinter.digest(t) for t in public_tokens if _fingerprintable(t)}
        self._distinctive = frozenset(set(withheld_digests) - public_digests)

    @property
    def size(self) -> int:
        return len(self._distinctive)

    def leaks(self, text: str) -> bool:
        if not text or not self._distinctive:
            return False
        return not self._distinctive.isdisjoint(self._fingerprinter.of_text(text))

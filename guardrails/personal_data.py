"""Personal data people type into a question: a BSN (citizen service number, with the 11-check),
an IBAN (with its checksum), an e-mail address or a phone number. Found with python-stdnum and
phonenumbers (Google's libphonenumber data), so a lars id, an amount or a year is not taken for one.
Questions holding them get a short notice instead of an answer (assistant/rails.py), and `redact`
gives the text with placeholders, the only form in which such a question is ever hashed for the
audit log (bottom layer: imports nothing of the project)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from stdnum import iban
from stdnum.nl import bsn

KINDS = ("bsn", "iban", "email", "phone")
_BSN = re.compile(r"(?<![\w.-])(\d{3}[ .-]?\d{3}[ .-]?\d{3}|\d{9})(?![\w-]|[.,]\d)")
_IBAN = re.compile(r"(?<![\w])([A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?)(?!\w)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
PLACEHOLDER = {"bsn": "[BSN]", "iban": "[IBAN]", "email": "[E-MAIL]", "phone": "[TELEFOON]"}


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int


def _spans(text: str) -> list[Found]:
    found = [Found("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    for match in _IBAN.finditer(text):
        if iban.is_valid(match.group(1)):
            found.append(Found("iban", match.start(1), match.end(1)))
    for match in _BSN.finditer(text):
        if bsn.is_valid(re.sub(r"\D", "", match.group(1))):
            found.append(Found("bsn", match.start(1), match.end(1)))
    if sum(c.isdigit() for c in text) >= 7:
        for match in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID):
            found.append(Found("phone", match.start, match.end))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Found] = []
    for item in found:  # an IBAN's digits are no BSN or phone number
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


def find(text: str) -> list[Found]:
    """The personal data in a text, in order (overlaps resolved in favour of the first, longest)."""
    if not text or ("@" not in text and sum(c.isdigit() for c in text) < 7):
        return []
    return _spans(text)


def kinds(text: str) -> list[str]:
    return list(dict.fromkeys(f.kind for f in find(text)))


def redact(text: str) -> str:
    """The text with each piece of personal data replaced by a placeholder ([BSN], [IBAN] ...)."""
    found = find(text)
    for item in reversed(found):
        text = text[: item.start] + PLACEHOLDER[item.kind] + text[item.end :]
    return text

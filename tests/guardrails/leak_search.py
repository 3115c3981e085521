"""What a withheld value looks like when it leaks: the value itself, its distinctive words (also as
stemmed tokens), code names and numbers. Used by every leak test (files, logs, answers)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.tokens import STOPWORDS, stems
from ingest.vocabulary import fold
from tests.conftest import WITHHELD_FIXTURE

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)+|\d{3,}")
_CODE_NAME = re.compile(r"\b[A-Z][A-Z0-9\-]{3,}\b")


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    return [str(value)]


@dataclass(frozen=True)
class Needle:
    text: str
    kind: str  # value | word | stem | code_name | number | record_id
    lars: str


def load_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def withheld_parts(record: dict) -> dict:
    block = record.get("withholding") or {}
    if block.get("scope") == "entry":
        return {k: v for k, v in record.items() if k not in ("withholding",)}
    return {k: record[k] for k in block.get("fields", []) if k in record}


def public_text(records: list[dict]) -> str:
    """Everything of the records that is public: the non-withheld fields of field-scope records
    and their notices."""
    parts: list[str] = []
    for record in records:
        block = record.get("withholding") or {}
        if block.get("scope") == "entry":
            continue
        hidden = set(block.get("fields", []))
        for key, value in record.items():
            if key == "withholding":
                parts += _texts({k: v for k, v in value.items() if k != "scope"})
            elif key not in hidden:
                parts += _texts(value)
    return "\n".join(parts)


def needles(records: list[dict], extra_public_text: str = "") -> list[Needle]:
    """Needles for every withheld value: the words, stems and numbers that occur in no public text,
    every code name, and each value's opening words."""
    public = public_text(records) + "\n" + extra_public_text
    public_words = {fold(w) for w in _WORD.findall(public)} | {fold(c) for c in _CODE_NAME.findall(public)}
    public_stems = set(stems(public))
    public_numbers = set(_NUMBER.findall(public))
    public_folded = fold(public)
    found: dict[tuple[str, str], Needle] = {}
    for record in records:
        lars = record["lars"]
        entry_scope = (record.get("withholding") or {}).get("scope") == "entry"
        if entry_scope:
            found[(lars, "record_id")] = Needle(lars, "record_id", lars)
        for text in _texts(withheld_parts(record)):
            head = " ".join(text.split()[:6])
            if len(head) >= 20 and fold(head) not in public_folded:
                found[(head, "value")] = Needle(head, "value", lars)
            for code in _CODE_NAME.findall(text):
                if fold(code) not in public_words:
                    found[(code, "code_name")] = Needle(code, "code_name", lars)
            for number in _NUMBER.findall(text):
                if number not in public_numbers:
                    found[(number, "number")] = Needle(number, "number", lars)
            for word in _WORD.findall(text):
                folded = fold(word)
                if len(folded) < 5 or folded in STOPWORDS or folded in public_words:
                    continue
                found[(folded, "word")] = Needle(folded, "word", lars)
                for stem in stems(folded):
                    if len(stem) >= 5 and stem not in public_stems and stem not in public_words:
                        found[(stem, "stem")] = Needle(stem, "stem", lars)
    return list(found.values())


def hits_in_text(text: str, needle_list: list[Needle]) -> list[Needle]:
    folded = fold(text)
    hits = []
    for needle in needle_list:
        target = fold(needle.text)
        if needle.kind in ("number", "record_id"):
            if re.search(rf"(?<![\w.,]){re.escape(target)}(?![\w]|[.,]\d)", folded):
                hits.append(needle)
        elif needle.kind in ("word", "stem", "code_name"):
            if re.search(rf"(?<!\w){re.escape(target)}(?!\w)", folded):
                hits.append(needle)
        elif target in folded:
            hits.append(needle)
    return hits


def hits_in_bytes(blob: bytes, needle_list: list[Needle]) -> list[Needle]:
    """Raw byte search, case-insensitive, in UTF-8 and UTF-16 (no decoding assumptions)."""
    lowered = blob.lower()
    hits = []
    for needle in needle_list:
        text = needle.text.lower()
        forms = [text.encode("utf-8"), text.encode("utf-16-le")]
        if needle.kind == "value":
            if any(form in lowered for form in forms):
                hits.append(needle)
            continue
        # Whole tokens only: a word inside a longer public word is not a leak.
        left = rb"(?<![0-9a-z.,])" if needle.kind in ("number", "record_id") else rb"(?<![a-z0-9\x80-\xff])"
        right = rb"(?![0-9a-z\x80-\xff])"
        if any(re.search(left + re.escape(form) + right, lowered) for form in forms[:1]) or forms[1] in lowered:
            hits.append(needle)
    return hits


def scan_directory(root: Path, needle_list: list[Needle]) -> list[tuple[str, Needle]]:
    leaks = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            for needle in hits_in_bytes(path.read_bytes(), needle_list):
                leaks.append((str(path.relative_to(root)), needle))
    return leaks


def register_terms(shared_dir: Path, pattern: str = r"[^\W\d_]{2,}") -> set[str]:
    """The public register's words (or what else `pattern` finds in its texts); empty without the
    shared data."""
    found: set[str] = set()
    for path in sorted((shared_dir / "data").glob("register-*.json*")):
        text = path.read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" else [json.loads(text)]
        for row in rows:
            for value in _texts(row):
                found.update(re.findall(pattern, value))
    return found


def register_public_text(shared_dir: Path, with_words: bool = True) -> str:
    """The public register's numbers (and words), for scans of files a library writes at their
    allocated size with the writing process's stale memory (hnswlib's index files): a year or a
    word the register publishes turning up there is no leak. A withheld value's opening words, code
    names, and the numbers and words no public text has stay needles."""
    terms = register_terms(shared_dir, _NUMBER.pattern) | (register_terms(shared_dir) if with_words else set())
    return " ".join(sorted(terms))


def public_fixed_texts() -> list[str]:
    """The assistant's and the guardrails' own texts: words in them are public, not leaks."""
    from assistant.rails import fixed_texts
    from guardrails.output_rail import guardrail_texts

    return guardrail_texts() + fixed_texts()


def index_needles(index) -> list[Needle]:
    """The withheld fixture's needles, with every public field of the index and the fixed texts as
    the public text (a word found there is no leak)."""
    public: list[str] = []
    for record in index.records.values():
        for value in record.fields.values():
            public += value if isinstance(value, list) else [str(value)]
    return needles(load_records(WITHHELD_FIXTURE), "\n".join(public + public_fixed_texts()))

"""The output rail: the last step of the pipeline, and the check of every streamed piece.

- A withheld value (any distinctive word, code name or number of one, also spelled out letter by
  letter) in the answer, in any of its fields: the whole answer is replaced by an explanation
  (status "withheld"); nothing of the blocked text is kept.
- Every cited lars, every `results` lars and every withheld notice must be a public record in the
  index; anything else (an entry-scope or an unknown id) is removed.
- A URL in the answer text that is not the URL of a cited record (or one in its public fields, or
  one of the assistant's own texts) is removed; the rest of the text is kept.

Everything is precomputed at construction and again only when the index generation changes, so a
check costs a tokenisation and some set look-ups (and keyed hashes of words not seen before)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from assistant.settings import Settings
from assistant.steps import Answer, Citation, RailDecision, Turn
from guardrails import explanations
from guardrails.fingerprints import Fingerprinter, WithheldValueCheck
from ingest.index import PerGeneration, RegisterIndex
from ingest.records import PublicRecord
from ingest.tokens import stems
from ingest.vocabulary import standard_fields

log = logging.getLogger("algoritmewijzer.guardrails.output")

URL = re.compile(r"https?://[^\s<>\"'`)\]}]+")
TRAILING = ".,;:!?"
MEMO_LIMIT = 200_000
# Characters that can never be part of a spelled-out run; a word of two letters or more ends one.
_SAFE_CUT = re.compile(r"[^\W\d_]{2,}\s+")


class _MemoFingerprinter(Fingerprinter):
    """A Fingerprinter that remembers the digests of words it has seen (in memory only): the same
    public words come back in every answer, so a check costs look-ups rather than keyed hashes."""

    def __init__(self, key: bytes):
        super().__init__(key)
        self._memo: dict[str, str] = {}

    def digest(self, token: str) -> str:
        found = self._memo.get(token)
        if found is None:
            found = super().digest(token)
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[token] = found
        return found


@lru_cache(maxsize=1)
def fixed_texts() -> tuple[str, ...]:
    """Texts of the assistant itself (explanations, answer sentences, field labels): their words are
    public, so a refusal or a template never trips the check."""
    found = list(explanations.all_texts())
    for spec in standard_fields().values():
        found += [spec.label_nl, spec.label_en, spec.name.replace("_", " ")]
    try:
        data = json.loads(resources.files("assistant").joinpath("data", "answer_texts.json").read_text("utf-8"))
        found += list(_strings(data))
    except (FileNotFoundError, ModuleNotFoundError, json.JSONDecodeError):  # pragma: no cover
        pass
    return tuple(found)


@lru_cache(maxsize=1)
def common_tokens() -> frozenset[str]:
    """Tokens that are public whatever the index holds (guardrails/data/common_words.json)."""
    data = json.loads(resources.files("guardrails").joinpath("data", "common_words.json").read_text("utf-8"))
    return frozenset(s for s in data["stems"] if not s.isdigit())


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not str(key).startswith("_"):
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _clean_url(url: str) -> str:
    return url.rstrip(TRAILING).rstrip("/")


@dataclass
class _State:
    generation: str | None
    check: WithheldValueCheck
    public_lars: frozenset[str]
    field_scope: frozenset[str]  # lars of public records with withheld fields
    fixed_urls: frozenset[str]  # URLs in the assistant's own texts


class OutputRail:
    """Step after composition (and the check of each streamed piece)."""

    name = "output_rail"

    def __init__(self, index: RegisterIndex, settings: Settings):
        self.index = index
        self.settings = settings
        self._fingerprinter = _MemoFingerprinter(settings.resolve_fingerprint_key())
        self._local = threading.local()
        self._state = PerGeneration(index.store, self._build)
        self._current()

    # --- precomputation ---------------------------------------------------------------------------
    def _current(self) -> _State:
        return self._state.get()

    def _build(self, generation: str | None) -> _State:
        digests = self.index.store.fingerprint_digests()
        public = set(self.index.public_tokens()) | common_tokens()
        for text in fixed_texts():
            public.update(stems(text))
        records = self.index.records
        for record in records.values():  # names and organisations are cited as they are
            public.update(stems(" ".join(filter(None, [record.name, record.organization]))))
        check = WithheldValueCheck(self._fingerprinter, digests, public)
        fixed_urls = frozenset(_clean_url(u) for text in fixed_texts() for u in URL.findall(text))
        field_scope = frozenset(l for l, r in records.items() if r.notice is not None and r.notice.scope == "fields" and r.notice.fields)
        log.info("output rail ready: %d distinctive withheld fingerprints", check.size)
        return _State(generation, check, frozenset(records), field_scope, fixed_urls)

    # --- checks -----------------------------------------------------------------------------------
    def check_text(self, text: str) -> bool:
        """True when the text holds a withheld value. Made for streaming, where it is called with
        the text sent so far plus the next piece: a text that extends the previous one is only
        checked from a point where the tokens of the previous check cannot change."""
        state = self._current()
        if not text:
            return False
        memo = getattr(self._local, "last", None)
        start = 0
        if memo is not None and memo[0] == state.generation and len(text) >= len(memo[1]) and text.startswith(memo[1]):
            start = _safe_restart(memo[1])
        leaked = state.check.leaks(text[start:])
        self._local.last = None if leaked else (state.generation, text)
        return leaked

    def leaks(self, answer: Answer) -> bool:
        """Whether any text of the answer (its text, citations and notices) holds a withheld value."""
        state = self._current()
        parts = [answer.answer, answer.intent]
        for citation in answer.citations:
            parts += [citation.lars, citation.name, citation.organization or "", citation.url or ""]
        for notice in answer.withheld:
            parts += [notice.lars, *notice.fields, notice.ground, notice.legal_basis or "", notice.explanation or ""]
        parts += list(answer.results)
        return state.check.leaks("\n".join(p for p in parts if p))

    # --- the step ---------------------------------------------------------------------------------
    def run(self, turn: Turn) -> None:
        answer = turn.answer
        if answer is None:
            return
        state = self._current()
        records = self.index.records

        if self.leaks(answer):
            cited = [records[l] for l in dict.fromkeys([*(c.lars for c in answer.citations), *answer.results, *(n.lars for n in answer.withheld)]) if l in state.field_scope]
            turn.answer = self.blocked(answer.lang, cited)
            turn.decisions.append(RailDecision(rail="output", reason="withheld_value", lars=None))
            for record in cited:
                turn.decisions.append(RailDecision(rail="output", reason="withheld_value", lars=record.lars))
            return

        changed = False
        citations = [c for c in answer.citations if c.lars in state.public_lars]
        results = [l for l in answer.results if l in state.public_lars]
        withheld = [n for n in answer.withheld if n.lars in state.field_scope]
        if len(citations) != len(answer.citations) or len(results) != len(answer.results) or len(withheld) != len(answer.withheld):
            changed = True
            turn.decisions.append(RailDecision(rail="output", reason="invalid_citation", lars=None))
        fixed_citations = []
        for citation in citations:
            record = records[citation.lars]
            if citation.url != record.url or citation.name != record.name or citation.organization != record.organization:
                changed = True
                citation = Citation(lars=record.lars, name=record.name, organization=record.organization, url=record.url)
            fixed_citations.append(citation)
        text, removed = self._remove_unknown_urls(answer.answer, [records[c.lars] for c in fixed_citations], state)
        if removed:
            changed = True
            turn.decisions.append(RailDecision(rail="output", reason="invented_url", lars=None))
        if changed:
            turn.answer = replace(answer, answer=text, citations=fixed_citations, results=results, withheld=withheld)

    def blocked(self, lang: str, records: list[PublicRecord] | None = None) -> Answer:
        """The answer that replaces a blocked one: why, and what is public (notices of the
        field-scope records the blocked answer was about)."""
        records = [r for r in (records or []) if r.notice is not None and r.notice.fields]
        return Answer(
            status="withheld",
            lang=lang,
            intent="withheld",
            answer=explanations.blocked_answer(lang, records),
            citations=[Citation(lars=r.lars, name=r.name, organization=r.organization, url=r.url) for r in records],
            withheld=[n for n in (explanations.withheld_notice(r, lang) for r in records) if n],
        )

    # --- URLs ---------------------------------------------------------------------------------------
    def _allowed_urls(self, cited: list[PublicRecord], state: _State) -> set[str]:
        allowed = set(state.fixed_urls)
        for record in cited:
            if record.url:
                allowed.add(_clean_url(record.url))
            for value in record.fields.values():
                for text in value if isinstance(value, list) else [value]:
                    if isinstance(text, str) and "http" in text:
                        allowed.update(_clean_url(u) for u in URL.findall(text))
        return allowed

    def _remove_unknown_urls(self, text: str, cited: list[PublicRecord], state: _State) -> tuple[str, int]:
        if "http" not in text:
            return text, 0
        allowed = self._allowed_urls(cited, state)
        removed = 0

        def markdown(match: re.Match) -> str:
            nonlocal removed
            if _clean_url(match.group(2)) in allowed:
                return match.group(0)
            removed += 1
            return match.group(1)

        text = re.sub(r"\[([^\]]*)\]\((https?://[^)\s]+)\)", markdown, text)

        def bare(match: re.Match) -> str:
            nonlocal removed
            url = match.group(0)
            core = url.rstrip(TRAILING)
            if _clean_url(core) in allowed:
                return url
            removed += 1
            return url[len(core) :]

        text = URL.sub(bare, text)
        if removed:
            text = re.sub(r"\(\s*\)", "", text)
            text = re.sub(r"[ \t]{2,}", " ", text)
            text = re.sub(r"[ \t]+([.,;:])", r"\1", text)
            text = "\n".join(line.rstrip() for line in text.splitlines())
        return text, removed


def _safe_restart(previous: str) -> int:
    """A position in `previous` from which re-tokenising a longer text gives the same tokens as the
    whole text would: just after a word of two letters or more and its whitespace, before the last
    (possibly unfinished) word. Spelled-out runs ('Z I L V E R') cannot cross such a point."""
    cut = 0
    limit = max(0, len(previous) - 64)
    for match in _SAFE_CUT.finditer(previous, max(0, limit - 256), limit):
        cut = match.end()
    return cut


_fixed_texts = fixed_texts  # the name the tests used first

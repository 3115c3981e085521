"""The output rail: the last check of every answer and of every streamed piece. It works on
grounding, never on anything derived from a withheld value (nothing of those is stored anywhere):

- Grounding: an answer may only give what public text gives. Every number (also spelled out,
  'acht') and every code-name-like word (upper case 'ZILVERREIGER', letters with digits
  'KESTREL-7', an unknown id) must occur in the public context of the answer (the public fields,
  names, ids and notices of the records it cites or lists, its counts) or in the assistant's fixed
  texts; every other rare word (not common in Dutch or English by the `wordfreq` word lists) must
  occur in the public register or in that context. Letters spelled
  out one by one ('Z-I-L-V-E-R') are joined first. A user's own words are no context: an answer
  never echoes a guessed code name or threshold, so a right and a wrong guess get the same answer.
  An ungrounded answer is replaced as a whole by an explanation (status "withheld").
- Every cited lars, every `results` lars and every withheld notice must be a public record in the
  index; anything else (an unpublished or unknown id) is removed, and citations are given as the
  index has them.
- A URL in the answer text that is not the URL of a cited record (or one in its public fields, or
  one of the assistant's own texts) is removed; the rest of the text is kept.

Plain inputs only (guardrails layer): the index, the assistant's fixed texts, drafts and verdicts
(guardrails.verdicts). The assistant wraps it as a pipeline step (assistant/rails.py)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict
from wordfreq import zipf_frequency

from guardrails import explanations
from guardrails.verdicts import Draft, RailDecision, Refusal, Review, Source
from ingest.datafiles import Strict, read_json
from ingest.index import PerGeneration, RegisterIndex
from ingest.records import PublicRecord
from ingest.tokens import STOPWORDS, normalise_number, stems, words
from ingest.vocabulary import standard_fields

log = logging.getLogger("algoritmewijzer.guardrails.output")

URL = re.compile(r"https?://[^\s<>\"'`)\]}]+")
TRAILING = ".,;:!?"
# Letters spelled out one at a time ("Z-I-L-V-E-R", "z i l v e r") are joined before checking.
_SPELLED = re.compile(r"\b(?:[^\W\d_][ \t.\-_,*/|]{1,3}){2,}[^\W\d_]\b", re.UNICODE)
# A word as written, with inner hyphens and digits ("KESTREL-7", "W0003", "PolitieGPT").
_SURFACE = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*", re.UNICODE)
# A point after which re-checking a longer text gives the same tokens (a word and its space).
_SAFE_CUT = re.compile(r"[^\W\d_]{2,}\s+")
SHORT_ACRONYM = 4  # an all-caps word this short counts as public when the register uses it
COMMON_ZIPF = 3.5  # a word at least this frequent (Zipf scale) in Dutch or English is no rare word


class GroundingData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    number_words: dict[str, str]
    list_marker: str


@lru_cache(maxsize=1)
def grounding_data() -> GroundingData:
    data = read_json("guardrails", "grounding.json", GroundingData)
    bad = [w for w, n in data.number_words.items() if not n.isdigit()]
    if bad:
        raise ValueError(f"grounding.json: number_words must map to digits: {', '.join(bad)}")
    re.compile(data.list_marker)
    return data


class CommonWordsFile(Strict):
    stems: tuple[str, ...]


@lru_cache(maxsize=1)
def common_tokens() -> frozenset[str]:
    """Stems that are public whatever the index holds (guardrails/data/common_words.json)."""
    data = read_json("guardrails", "common_words.json", CommonWordsFile)
    return frozenset(s for s in data.stems if not s.isdigit())


def guardrail_texts() -> list[str]:
    """The guardrails' own texts and the field labels: public by construction."""
    found = list(explanations.all_texts())
    for spec in standard_fields().values():
        found += [spec.label_nl, spec.label_en, spec.name.replace("_", " ")]
    return found


def join_spelled_out(text: str) -> str:
    return _SPELLED.sub(lambda m: re.sub(r"[ \t.\-_,*/|]", "", m.group(0)), text)


def _clean_url(url: str) -> str:
    return url.rstrip(TRAILING).rstrip("/")


@dataclass(frozen=True)
class Tokens:
    """What the grounding check looks at in a text."""

    numbers: frozenset[str]
    names: frozenset[str]  # stems of code-name-like words
    acronyms: frozenset[str]  # stems of short all-caps words
    words: frozenset[tuple[str, str]]  # other words: (folded word, stem)


def _code_name_like(surface: str) -> bool:
    if surface.isalpha() and (surface.islower() or surface[1:].islower()):
        return False  # at most one capital and no digit: an ordinary word (the common case, made fast)
    letters = [c for c in surface if c.isalpha()]
    if not letters:
        return False
    if any(c.isdigit() for c in surface):
        return True
    upper = sum(1 for c in letters if c.isupper())
    return upper >= 2 and (upper * 2 >= len(letters) or any(c.isupper() for c in surface[1:]))


def tokens_of(text: str) -> Tokens:
    data = grounding_data()
    text = re.sub(data.list_marker, " ", text, flags=re.MULTILINE)
    joined = join_spelled_out(text)
    source = text if joined == text else text + "\n" + joined
    found_words = set(words(source))
    numbers = {normalise_number(t) for t in found_words if t[0].isdigit()}
    numbers |= {data.number_words[t] for t in found_words if t in data.number_words}
    names: set[str] = set()
    acronyms: set[str] = set()
    for surface in {match.group(0) for match in _SURFACE.finditer(source)}:
        if not _code_name_like(surface):
            continue
        parts = [s for s in stems(surface) if not s[0].isdigit()]
        if surface.isalpha() and surface.isupper() and len(surface) <= SHORT_ACRONYM:
            acronyms.update(parts)
        else:
            names.update(parts)
    plain = {w for w in found_words if not w[0].isdigit() and len(w) >= 3 and w not in STOPWORDS and w not in data.number_words}
    pairs = {(w, s) for w in plain for s in stems(w)[:1]}
    return Tokens(frozenset(numbers), frozenset(names), frozenset(acronyms), frozenset(p for p in pairs if p[1] not in names and p[1] not in acronyms))


@lru_cache(maxsize=100_000)
def common_word(word: str) -> bool:
    """A word common in Dutch or English (wordfreq); such a word says nothing only a record could."""
    return max(zipf_frequency(word, "nl"), zipf_frequency(word, "en")) >= COMMON_ZIPF


@dataclass(frozen=True)
class Grounding:
    """The public context of one answer: its stems and numbers, and the largest count it gives."""

    stems: frozenset[str]
    numbers: frozenset[str]
    max_count: int = 0


@dataclass
class _State:
    generation: str | None
    public_words: frozenset[str]  # stems of the public register and the fixed texts
    fixed: Grounding  # the fixed texts and every record's name and organisation
    public_lars: frozenset[str]
    field_scope: frozenset[str]  # lars of public records with withheld fields
    fixed_urls: frozenset[str]  # URLs in the assistant's own texts
    by_record: dict[str, Grounding] = field(default_factory=dict)  # lars -> grounding of its public texts, filled on use


def record_texts(record: PublicRecord) -> list[str]:
    """Every public text of a record: id, name, organisation, URL, fields, its notice."""
    texts = [record.lars, record.name, record.organization or "", record.url or ""]
    for value in record.fields.values():
        texts += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if record.notice is not None:
        texts += [record.notice.legal_basis or "", record.notice.explanation or ""]
    return texts


class OutputRail:
    """`review(draft, grounding)` for a whole answer; `check_text(text, grounding)` for streaming
    (True: stop). `fixed_texts`: the caller's own fixed texts (answer templates), public words."""

    def __init__(self, index: RegisterIndex, fixed_texts: Iterable[str] = ()):
        self.index = index
        self._fixed_texts = tuple(guardrail_texts()) + tuple(fixed_texts)
        self._local = threading.local()
        self._state = PerGeneration(index.store, self._build)
        self._current()

    # --- precomputation -------------------------------------------------------------------------
    def _current(self) -> _State:
        return self._state.get()

    def _build(self, generation: str | None) -> _State:
        records = self.index.records
        fixed_text = "\n".join(self._fixed_texts)
        names = "\n".join(t for r in records.values() for t in (r.name, r.organization or ""))
        fixed = self.grounding([fixed_text, names])
        public = set(self.index.public_tokens()) | common_tokens() | fixed.stems
        fixed_urls = frozenset(_clean_url(u) for u in URL.findall(fixed_text))
        field_scope = frozenset(l for l, r in records.items() if r.notice is not None and r.notice.scope == "fields" and r.notice.fields)
        return _State(generation, frozenset(public), fixed, frozenset(records), field_scope, fixed_urls)

    # --- grounding --------------------------------------------------------------------------------
    @staticmethod
    def grounding(texts: Iterable[str], max_count: int = 0) -> Grounding:
        """The grounding of public texts (never a user's message)."""
        found_stems: set[str] = set()
        found_numbers: set[str] = set()
        for text in texts:
            if not text:
                continue
            tokens = tokens_of(text)
            found_stems |= {s for _, s in tokens.words} | tokens.names | tokens.acronyms
            found_numbers |= tokens.numbers
            found_stems |= {s for s in stems(text) if not s[0].isdigit()}
        return Grounding(frozenset(found_stems), frozenset(found_numbers), max_count)

    def grounding_for(self, lars_ids: Iterable[str], texts: Iterable[str] = (), count: int | None = None) -> Grounding:
        """The public context of an answer about these records (unknown ids give nothing)."""
        records = self.index.records
        by_record = self._current().by_record
        ids = [l for l in dict.fromkeys(lars_ids) if l in records]
        parts = [self.grounding(texts)]
        for lars in ids:
            cached = by_record.get(lars)
            if cached is None:
                cached = by_record.setdefault(lars, self.grounding(record_texts(records[lars])))
            parts.append(cached)
        return Grounding(
            frozenset().union(*(p.stems for p in parts)),
            frozenset().union(*(p.numbers for p in parts)),
            max(count or 0, len([l for l in lars_ids if l in records])),
        )

    def ungrounded(self, text: str, grounding: Grounding) -> bool:
        """Whether the text gives a number, a code-name-like word or a word that no public context
        of the answer gives."""
        if not text:
            return False
        state = self._current()
        tokens = tokens_of(text)
        answer_stems, fixed_stems, public_words = grounding.stems, state.fixed.stems, state.public_words

        def in_context(stem: str) -> bool:  # membership in the sets, not a union of them (tens of thousands of stems)
            return stem in answer_stems or stem in fixed_stems

        for number in tokens.numbers:
            if number in grounding.numbers or number in state.fixed.numbers:
                continue
            if number.isdigit() and len(number) <= 6 and int(number) <= grounding.max_count:
                continue  # a count the answer derives from its results
            return True
        if not all(in_context(name) for name in tokens.names):
            return True
        if not all(in_context(acronym) or acronym in public_words for acronym in tokens.acronyms):
            return True
        return any(not (in_context(stem) or stem in public_words) and not common_word(word) for word, stem in tokens.words)

    def check_text(self, text: str, grounding: Grounding) -> bool:
        """True when streaming must stop. Made for streaming, where it is called with the text sent
        so far plus the next piece: a text that extends the previous one is only checked from a
        point where the tokens of the previous check cannot change."""
        if not text:
            return False
        state = self._current()
        memo = getattr(self._local, "last", None)
        start = 0
        if memo is not None and memo[0] == (state.generation, grounding) and len(text) >= len(memo[1]) and text.startswith(memo[1]):
            start = _safe_restart(memo[1])
        stop = self.ungrounded(text[start:], grounding)
        self._local.last = None if stop else ((state.generation, grounding), text)
        return stop

    # --- the review -------------------------------------------------------------------------------
    def review(self, draft: Draft, grounding: Grounding) -> Review:
        state = self._current()
        records = self.index.records
        notice_texts = [t for n in draft.withheld if n.lars in state.field_scope for t in (*n.fields, n.ground, n.legal_basis or "", n.explanation or "")]
        if self.ungrounded("\n".join([draft.text, *notice_texts]), grounding):
            about = [l for l in dict.fromkeys([*(s.lars for s in draft.sources), *draft.results, *(n.lars for n in draft.withheld)]) if l in state.field_scope]
            replacement = self.blocked(draft.lang, [records[l] for l in about])
            decisions = [RailDecision(rail="output", reason="ungrounded", lars=None)]
            decisions += [RailDecision(rail="output", reason="ungrounded", lars=l) for l in about]
            return Review(True, replacement.text, replacement.sources, [], replacement.notices, decisions, replacement)

        decisions: list[RailDecision] = []
        sources = [s for s in draft.sources if s.lars in state.public_lars]
        results = [l for l in draft.results if l in state.public_lars]
        withheld = [n for n in draft.withheld if n.lars in state.field_scope]
        if len(sources) != len(draft.sources) or len(results) != len(draft.results) or len(withheld) != len(draft.withheld):
            decisions.append(RailDecision(rail="output", reason="invalid_citation", lars=None))
        fixed_sources = []
        for source in sources:
            record = records[source.lars]
            exact = Source(lars=record.lars, name=record.name, organization=record.organization, url=record.url)
            if source != exact and not any(d.reason == "invalid_citation" for d in decisions):
                decisions.append(RailDecision(rail="output", reason="invalid_citation", lars=None))
            fixed_sources.append(exact)
        text, removed = self._remove_unknown_urls(draft.text, [records[s.lars] for s in fixed_sources], state)
        if removed:
            decisions.append(RailDecision(rail="output", reason="invented_url", lars=None))
        return Review(False, text, fixed_sources, results, withheld, decisions)

    def blocked(self, lang: str, records: list[PublicRecord] | None = None) -> Refusal:
        """What replaces an answer the rail stopped: why, and what is public (the notices of the
        field-scope records the answer was about)."""
        records = [r for r in (records or []) if r.notice is not None and r.notice.fields]
        return Refusal(
            status="withheld", intent="withheld", lang=lang, reason="ungrounded",
            text=explanations.blocked_answer(lang, records),
            sources=[Source(lars=r.lars, name=r.name, organization=r.organization, url=r.url) for r in records],
            notices=[n for n in (explanations.withheld_notice(r, lang) for r in records) if n],
        )

    # --- URLs -------------------------------------------------------------------------------------
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

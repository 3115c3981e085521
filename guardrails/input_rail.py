"""The input rail: the first step of the pipeline. It stops questions that seek help to evade
detection, try to learn the selection rules of an enforcement algorithm, ask for withheld parts of
a record, or try tricks to get them (role-play, injected instructions, "developer mode", encodings,
completion bait, code-name guesses), in Dutch and English, across the whole conversation.

Ordinary questions about police, customs or tax algorithms pass. Each reason has a scope (see the
data file): evasion help is always stopped; tricks are not stopped when the conversation is only
about records that withhold nothing; a question about selection rules only when it is about a
record with withheld fields, or about enforcement algorithms in general. To know what the
conversation is about, the rail looks for records named by id or title, records whose name the
question gives in its own words, field-scope records whose public text shares a distinctive word
with it, and the organisations it names. A plain question about a withheld field of a record is
not stopped here: the composer answers it with the record's notice (status partly_withheld).
Questions whether unpublished records exist get the general entry-scope explanation.

The patterns live in guardrails/data/input_patterns.json (validated on load); organisations are
found with ingest.organizations.OrganizationMatcher over the public records' organisations (exact
forms only), and which of them are law-enforcement bodies is in ingest/data/organizations.json. The
rail only knows public records (the index holds nothing of entry-scope records), so what it says
never depends on whether an unpublished record exists."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from pydantic import field_validator


from guardrails import explanations
from guardrails.classifier import QuestionClassifier
from guardrails.text import fold, folded, question_words
from guardrails.verdicts import RailDecision, Refusal, Source
from ingest.datafiles import Strict, read_json, regular_expressions
from ingest.index import PerGeneration, RegisterIndex
from ingest.organizations import OrganizationMatcher
from ingest.records import PublicRecord
from ingest.tokens import STOPWORDS, stems
from ingest.vocabulary import law_enforcement_organizations, organizations

log = logging.getLogger("algoritmewijzer.guardrails.input")

MAX_NOTICES = 3
# The classifier's labels as refusal reasons (guardrails/data/question_classes.json).
CLASSIFIER_REASONS = {"evasion": "evasion_help", "selection": "selection_rules", "trick": "prompt_injection"}
# Pattern reasons the classifier may overrule (never tricks or asks for a withheld part of a record).
VETOABLE = ("evasion_help", "selection_rules")
# Public fields whose words tell what a field-scope record is about.
TOPIC_FIELDS = ("name", "description_short", "goal")
ID_PATTERN = re.compile(r"(?<![\w-])([A-Za-z]?\d{4,10})(?![\w-])")
# An upper-case word that may be a guessed code name ("ZWARTE ZWAAN", "GOUDVINK").
GUESS_PATTERN = re.compile(r"\b[A-ZÀ-Ý][A-ZÀ-Ý\-]{3,}(?:\s[A-ZÀ-Ý][A-ZÀ-Ý\-]{2,})?\b")
NAMING_PATTERN = re.compile(
    r"\b(heet|heten|genaamd|genoemd|naam|called|named|name|codenamed|code-named|known as|klopt het)\b"
)


def _stem_in(stem: str, question_stems: set[str]) -> bool:
    """A name stem occurs in the question, also inside a compound ('kentekenherkenningsmodel')."""
    if stem in question_stems:
        return True
    return len(stem) >= 6 and any(len(q) > len(stem) and q.startswith(stem) for q in question_stems)


def _has_inner_capital(name: str) -> bool:
    """'MONOcam', 'PolitieGPT': a one-word name that is no ordinary word."""
    return any(c.isupper() for c in name[1:]) or any(c.isdigit() for c in name)


@dataclass(frozen=True)
class ReasonSpec:
    code: str
    scope: str  # always | protected | trick | selection | entry
    sticky: bool
    order: int
    pattern: re.Pattern


class _PatternGroup(Strict):
    nl: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    _compiles = field_validator("nl", "en")(regular_expressions)


class _ReasonData(_PatternGroup):
    scope: Literal["always", "protected", "trick", "selection", "entry"]
    sticky: bool = False
    order: int = 99


class PatternsFile(Strict):
    """guardrails/data/input_patterns.json."""

    reasons: dict[str, _ReasonData]
    pressure: _PatternGroup
    generic_request: _PatternGroup
    enforcement_context: _PatternGroup
    data_reference: _PatternGroup
    not_code_names: tuple[str, ...] = ()


@dataclass
class Patterns:
    reasons: list[ReasonSpec]
    pressure: re.Pattern
    generic: re.Pattern
    enforcement: re.Pattern
    data_reference: re.Pattern
    not_code_names: frozenset[str]  # upper-case words that are no guessed name (JSON, SYSTEM ...)


def _union(items: Iterable[str]) -> re.Pattern:
    items = list(items)
    return re.compile("|".join(f"(?:{p})" for p in items)) if items else re.compile(r"(?!x)x")


def _group(group: _PatternGroup) -> re.Pattern:
    return _union((*group.nl, *group.en))


@lru_cache(maxsize=1)
def patterns() -> Patterns:
    data = read_json("guardrails", "input_patterns.json", PatternsFile)
    reasons = [
        ReasonSpec(code=code, scope=spec.scope, sticky=spec.sticky, order=spec.order, pattern=_group(spec))
        for code, spec in data.reasons.items()
    ]
    reasons.sort(key=lambda r: r.order)
    return Patterns(
        reasons=reasons,
        pressure=_group(data.pressure),
        generic=_group(data.generic_request),
        enforcement=_group(data.enforcement_context),
        data_reference=_group(data.data_reference),
        not_code_names=frozenset(fold(w) for w in data.not_code_names),
    )


@dataclass
class Signals:
    """What the patterns found in one user message."""

    reasons: set[str] = field(default_factory=set)
    pressure: bool = False
    generic: bool = False
    enforcement: bool = False
    data_reference: bool = False
    name_guess: bool = False


@dataclass
class Target:
    """What the conversation is about, as far as the rail can tell from public records."""

    withheld: list[str] = field(default_factory=list)  # lars of records with withheld fields
    public: list[str] = field(default_factory=list)  # lars of records that withhold nothing
    organizations: list[str] = field(default_factory=list)

    @property
    def only_public(self) -> bool:
        return bool(self.public) and not self.withheld


@dataclass
class _Snapshot:
    generation: str | None
    withheld: dict[str, PublicRecord]  # lars -> field-scope record with withheld fields
    by_org: dict[str, list[str]]  # organisation -> lars of its records with withheld fields
    titles: list[tuple[str, str]]  # (words form of the name, lars), longest first
    org_records: dict[str, set[str]]  # organisation -> all its lars
    public_words: frozenset[str]
    name_stems: dict[str, frozenset[str]]  # lars -> content stems of the record's name
    name_index: dict[str, set[str]]  # name stem -> lars
    name_prefix: dict[str, list[str]]  # first four letters -> name stems
    distinctive: frozenset[str]  # name stems few records have
    topic_stems: dict[str, frozenset[str]]  # lars of a field-scope record -> distinctive stems of its public text
    common_free: frozenset[str]  # all topic stems of the field-scope records
    org_words: frozenset[str]  # stems of organisation names
    organizations: OrganizationMatcher  # the public records' organisations


class InputRail:
    """Decides on a conversation before anything else reads it: `decide(messages, lang)` gives a
    Refusal or None. Plain inputs only: `generic_words` (search stems that carry no topic),
    `query_terms` (English phrase -> Dutch words, to read English questions) and `fields_asked`
    (message -> the register field names it asks about) come from the caller."""

    def __init__(
        self,
        index: RegisterIndex,
        generic_words: Iterable[str] = (),
        query_terms: dict[str, str] | None = None,
        fields_asked: Callable[[str], set[str]] | None = None,
        classifier: QuestionClassifier | None = None,
    ):
        self.index = index
        self.classifier = classifier
        self.patterns = patterns()
        self._generic = frozenset(generic_words) | STOPWORDS
        self._terms = {question_words(k).strip(): v for k, v in (query_terms or {}).items()}
        self._enforcement_orgs = law_enforcement_organizations()
        self._fields_asked = fields_asked or (lambda message: set())
        self._snapshot = PerGeneration(index.store, self._build)

    # --- what the index holds ---------------------------------------------------------------
    def _current(self) -> _Snapshot:
        return self._snapshot.get()

    def _build(self, generation: str | None) -> _Snapshot:
        records = self.index.records
        withheld = {lars: r for lars, r in records.items() if r.notice is not None and r.notice.scope == "fields" and r.notice.fields}
        by_org: dict[str, list[str]] = {}
        org_records: dict[str, set[str]] = {}
        titles = []
        for lars, record in records.items():
            if record.organization:
                org_records.setdefault(record.organization, set()).add(lars)
            title = question_words(record.name).strip()
            if len(title) >= 6 and (" " in title or len(title) >= 8):
                titles.append((title, lars))
        for lars, record in withheld.items():
            if record.organization:
                by_org.setdefault(record.organization, []).append(lars)
        titles.sort(key=lambda item: -len(item[0]))
        public_words = frozenset(self.index.public_tokens())
        generic = self._generic
        name_stems = {lars: frozenset(t for t in stems(r.name) if t not in generic and len(t) >= 3) for lars, r in records.items()}
        name_index: dict[str, set[str]] = {}
        for lars, found in name_stems.items():
            for stem in found:
                name_index.setdefault(stem, set()).add(lars)
        name_prefix: dict[str, list[str]] = {}
        for stem in name_index:
            name_prefix.setdefault(stem[:4], []).append(stem)
        distinctive = frozenset(stem for stem in name_index if self._distinctive(stem, len(records)))
        titles = [(t, l) for t, l in titles if " " in t or name_stems.get(l, frozenset()) <= distinctive or _has_inner_capital(records[l].name)]
        org_words = frozenset(t for org in org_records for t in stems(org))
        topic_stems: dict[str, frozenset[str]] = {}
        common_free: set[str] = set()
        for lars, record in withheld.items():
            text = " ".join(str(record.fields.get(f) or "") for f in TOPIC_FIELDS)
            found = {t for t in stems(text) if t not in generic and t not in org_words and len(t) >= 4}
            found = {t for t in found if self._distinctive(t, len(records), share=0.05)}
            topic_stems[lars] = frozenset(found)
            common_free |= found
        return _Snapshot(
            generation, withheld, by_org, titles, org_records, public_words, name_stems, name_index, name_prefix,
            distinctive, topic_stems, frozenset(common_free), org_words, OrganizationMatcher(org_records),
        )

    def _distinctive(self, stem: str, total: int, share: float = 0.01) -> bool:
        """A stem at most about `share` of the records have (at least 2)."""
        idf = getattr(self.index, "idf", None)
        if idf is None:
            return True
        limit = max(2.0, share * total)
        return idf(stem) >= math.log((total + 1) / (limit + 0.5)) - 1e-9

    # --- reading the conversation -------------------------------------------------------------
    def signals(self, message: str) -> Signals:
        norm = folded(message)
        found = Signals()
        for spec in self.patterns.reasons:
            if spec.pattern.search(norm):
                found.reasons.add(spec.code)
        found.pressure = bool(self.patterns.pressure.search(norm))
        found.generic = bool(self.patterns.generic.search(norm))
        found.enforcement = bool(self.patterns.enforcement.search(norm))
        found.data_reference = bool(self.patterns.data_reference.search(norm))
        found.name_guess = self._name_guess(message, norm)
        if found.name_guess:
            found.reasons.add("code_name")
        return found

    def _name_guess(self, message: str, norm: str) -> bool:
        """'Is it called GOUDVINK?': an upper-case name that is not a public word, with a naming verb."""
        if not NAMING_PATTERN.search(norm):
            return False
        known = self._known_words()
        for match in GUESS_PATTERN.finditer(message):
            words = [w for w in re.split(r"[\s\-]+", fold(match.group(0))) if w]
            if not words:
                continue
            if all(w in known or any(s in known for s in stems(w)) for w in words):
                continue
            if self._is_organization(match.group(0)) or any(w in self.patterns.not_code_names for w in words):
                continue
            return True
        return False

    def _known_words(self) -> frozenset[str]:
        return self._current().public_words

    def _is_organization(self, text: str) -> bool:
        """The words are (a written form of) an organisation: no guessed code name."""
        if organizations().get(text) is not None:
            return True
        found, rest = self._current().organizations.find(text, fuzzy=False)
        return bool(found) and not rest.strip()

    def find_organizations(self, text: str) -> list[str]:
        """The public organisations the text names (exact forms: names, short forms, aliases,
        English names, places)."""
        found, _ = self._current().organizations.find(text, fuzzy=False)
        return [m.organization.name for m in found]

    def _expanded(self, text: str) -> str:
        form = question_words(text)
        extra = [dutch for english, dutch in self._terms.items() if f" {english} " in form]
        return text + " " + " ".join(extra)

    def resolve(self, user_messages: list[str]) -> Target:
        """Which public records the conversation is about: records named by id or title; else
        records whose name the question gives in its own words (at least half of the name's
        content words, one of them distinctive); else field-scope records near the top of a
        lexical search; else the field-scope records of the organisations it names."""
        snap = self._current()
        target = Target()
        text = "\n".join(user_messages)
        form = question_words(text)
        target.organizations = self.find_organizations(text)
        in_orgs = set()
        for org in target.organizations:
            in_orgs |= snap.org_records.get(org, set())

        named: list[str] = []
        for candidate in ID_PATTERN.findall(text):
            for lars in (candidate, candidate.upper()):
                if self.index.get(lars) is not None:
                    named.append(lars)
                    break
        for title, lars in snap.titles:
            if f" {title} " in form:
                named.append(lars)
        named = list(dict.fromkeys(named))
        if in_orgs and any(l in in_orgs for l in named):
            named = [l for l in named if l in in_orgs]
        if named:
            target.withheld = [l for l in named if l in snap.withheld][:MAX_NOTICES]
            target.public = [l for l in named if l not in snap.withheld]
            return target

        expanded = self._expanded(text)
        question_stems = set(stems(expanded))
        covered = self._covered(snap, question_stems, in_orgs)
        if in_orgs:
            covered = [l for l in covered if l in in_orgs]
        if covered:
            target.withheld = [l for l in covered if l in snap.withheld][:MAX_NOTICES]
            target.public = [l for l in covered if l not in snap.withheld]
            return target

        # field-scope records whose public text shares a distinctive word with the question
        vocabulary = self.index.vocabulary() if hasattr(self.index, "vocabulary") else None
        total = len(self.index.records)
        distinct = {
            q
            for q in question_stems
            if q not in snap.org_words
            and q not in self._generic
            and len(q) >= 4
            and (q in snap.common_free or ((vocabulary is None or q in vocabulary) and self._distinctive(q, total, share=0.05)))
        }
        candidates = [l for l in snap.withheld if not in_orgs or l in in_orgs]
        overlap = sorted(((len(distinct & snap.topic_stems[l]), l) for l in candidates), key=lambda item: (-item[0], item[1]))
        target.withheld = [l for n, l in overlap if n > 0][:MAX_NOTICES]
        if not target.withheld and in_orgs and candidates:
            # the organisation is named but the topic is not recognisable: its field-scope records,
            # unless the question names a topic they do not cover and another of its records
            # matches the question better
            own = set().union(*(snap.topic_stems[l] for l in candidates))
            if not (distinct - own) or self._best_lexical(expanded, in_orgs) in candidates:
                target.withheld = candidates[:MAX_NOTICES]
        return target

    def _best_lexical(self, query: str, allowed: set[str]) -> str | None:
        tokens = [t for t in stems(query) if t not in self._generic]
        if not tokens:
            return None
        hits = self.index.lexical(" ".join(tokens), k=1, allowed=allowed)
        return hits[0][0].lars if hits else None

    def _covered(self, snap: "_Snapshot", question_stems: set[str], in_orgs: set[str] | None = None) -> list[str]:
        """Records whose name the question gives: at least half of the name's content stems, and
        at least two (or the only one, or one when the question names the record's organisation),
        occur in the question (compounds count), and at least one of those is distinctive."""
        candidates: set[str] = set()
        for q in question_stems:
            if q in snap.name_index:
                candidates |= snap.name_index[q]
            if len(q) >= 6:
                for stem in snap.name_prefix.get(q[:4], ()):
                    if len(stem) >= 6 and len(q) > len(stem) and q.startswith(stem):
                        candidates |= snap.name_index[stem]
        found = []
        for lars in candidates:
            name_stems = snap.name_stems.get(lars, frozenset())
            hits = [s for s in name_stems if _stem_in(s, question_stems)]
            enough = len(hits) >= 2 or len(name_stems) == 1 or bool(in_orgs and lars in in_orgs)
            if hits and enough and len(hits) * 2 >= len(name_stems) and any(s in snap.distinctive for s in hits):
                found.append((len(hits) / len(name_stems), len(hits), lars))
        found.sort(key=lambda item: (-item[0], -item[1], item[2]))
        return [lars for _, _, lars in found[:MAX_NOTICES * 2]]

    # --- deciding ---------------------------------------------------------------------------------
    def assess(self, messages: list[dict[str, str]]) -> tuple[str, Target] | None:
        """(reason code, target) when the conversation must be stopped, else None: first the
        patterns (explainable, Dutch and English), then the classifier (any language)."""
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        if not users:
            return None
        found = self._assess_patterns(users)
        if self.classifier is None:
            return found
        if found is not None:
            if len(users) == 1 and found[0] in VETOABLE and self.classifier.surely_benign(users[-1]):
                return None  # a keyword hit on a single question the classifier is sure is benign
            return found
        label = self.classifier.flagged([users[-1]])[0]
        if label is None:
            return None
        target = self.resolve(users)
        if label == "trick" and target.only_public:
            return None  # as with the patterns: a trick about records that withhold nothing gets nothing
        if label == "selection" and len(users) == 1 and self._asks_withheld(users[-1], target):
            return None  # a withheld field of a named record: the composer says it is not public, and why
        return CLASSIFIER_REASONS[label], target

    def _assess_patterns(self, users: list[str]) -> tuple[str, Target] | None:
        last = self.signals(users[-1])
        earlier = [self.signals(u) for u in users[:-1]]
        specs = {s.code: s for s in self.patterns.reasons}
        reasons = set(last.reasons)
        earlier_reasons = {r for s in earlier for r in s.reasons if specs[r].sticky}
        if not reasons and not earlier_reasons and not last.pressure:
            return None  # the common case: nothing suspicious, no look-up needed
        generic = last.generic or any(s.generic for s in earlier)
        enforcement = last.enforcement or any(s.enforcement for s in earlier)
        target = self.resolve(users)
        asks_cache: list[bool] = []

        def asks_withheld() -> bool:
            if not asks_cache:
                asks_cache.append(self._asks_withheld(users[-1], target))
            return asks_cache[0]

        if earlier_reasons:
            if "unpublished_records" in earlier_reasons and (last.pressure or last.reasons):
                reasons.add("unpublished_records")
            if last.pressure or reasons - {"unpublished_records"} or asks_withheld():
                reasons |= earlier_reasons - {"unpublished_records"}
        if last.pressure and target.withheld and (earlier_reasons or any(s.reasons for s in earlier) or asks_withheld()):
            reasons.add("hidden_fields")
        enforcement = enforcement or any(o in self._enforcement_orgs for o in target.organizations)
        for spec in self.patterns.reasons:
            if spec.code not in reasons:
                continue
            if spec.scope in ("always", "entry"):
                return spec.code, target
            if spec.scope == "protected":
                if target.only_public and not generic:
                    continue
                return spec.code, target
            if spec.scope == "trick":
                if target.withheld:
                    return spec.code, target
                if not target.only_public or generic:
                    if enforcement or generic or last.data_reference or any(s.data_reference for s in earlier):
                        return spec.code, target
                continue
            if spec.scope == "selection":
                if target.withheld:
                    return spec.code, target
                if (generic or not target.public) and enforcement:
                    return spec.code, target
        return None

    def _asks_withheld(self, message: str, target: Target) -> bool:
        """Whether the message asks about a field that is withheld for a record it is about."""
        if not target.withheld:
            return False
        fields = self._fields_asked(message)
        snap = self._current()
        return any(set(snap.withheld[l].notice.fields) & fields for l in target.withheld if l in snap.withheld)

    # --- the verdict -----------------------------------------------------------------------------
    def decide(self, messages: list[dict[str, str]], lang: str) -> Refusal | None:
        """The refusal for a conversation that must be stopped (in `lang`), else None."""
        found = self.assess(messages)
        return None if found is None else self.verdict(found, lang)

    def verdict(self, found: tuple[str, Target], lang: str) -> Refusal:
        """The refusal for what `assess` found, in `lang`."""
        reason, target = found
        if reason == "unpublished_records":
            return Refusal(
                status="withheld", intent="entry_scope", lang=lang, reason=reason,
                text=explanations.entry_scope_general(lang), decisions=[RailDecision(rail="input", reason=reason, lars=None)],
            )
        snap = self._current()
        records = [snap.withheld[l] for l in target.withheld if l in snap.withheld][:MAX_NOTICES]
        return self.refusal(reason, lang, records)

    @staticmethod
    def refusal(reason: str, lang: str, records: list[PublicRecord]) -> Refusal:
        """A refusal for `reason`, quoting the notices of the field-scope `records` it is about."""
        decisions = [RailDecision(rail="input", reason=reason, lars=r.lars) for r in records]
        return Refusal(
            status="refused", intent="refused", lang=lang, reason=reason,
            text=explanations.refusal(reason, lang, records),
            sources=[Source(lars=r.lars, name=r.name, organization=r.organization, url=r.url) for r in records],
            notices=[n for n in (explanations.withheld_notice(r, lang) for r in records) if n],
            decisions=decisions or [RailDecision(rail="input", reason=reason, lars=None)],
        )


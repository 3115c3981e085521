"""Organisations named in a question, resolved against the register's PUBLIC organisation names.

The matcher is built from the names of the organisations that have at least one public entry in
the index, with every written form the vocabulary (ingest/data/organizations.json) knows for them:
full names, short forms, aliases, English names, '<kind> <place>' and bare places (a place that
is also a word, 'Delft' or 'Leiden', only with its capital inside a sentence). A body known only
from unpublished or withheld records is not in it, so a question about it gets the same answer as
a question about a body that does not exist. Near-misses ('Rijkswaterstat') are matched with
rapidfuzz and carry their confidence, so the answer can say which organisation was understood."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from guardrails.text import fold, question_words
from ingest.tokens import PhraseIndex
from ingest.vocabulary import Organization, organizations

FUZZY_CUTOFF = 86.0  # rapidfuzz ratio (0-100) a near-miss needs
FUZZY_MIN_CHARS = 6
MAX_NGRAM = 4
KIND_PREFIXES = {
    "gemeente": "gemeente", "provincie": "provincie", "waterschap": "waterschap", "hoogheemraadschap": "waterschap",
    "ministerie": "ministerie", "veiligheidsregio": "veiligheidsregio", "omgevingsdienst": "omgevingsdienst",
    "inspectie": "inspectie", "stichting": "stichting",
}
PREFERRED_PLACE_KINDS = ("gemeente", "provincie")


@dataclass(frozen=True)
class OrganizationMatch:
    organization: Organization
    written: str  # the words of the question that named it (normalised)
    confidence: float  # 1.0 for an exact form, the fuzzy ratio / 100 otherwise
    by_place: bool = False  # named by a bare place ("in Groningen"), which may mean the area, not the body

    @property
    def exact(self) -> bool:
        return self.confidence >= 1.0


def _guess_kind(name: str) -> str:
    first = fold(name).split(" ", 1)[0]
    return KIND_PREFIXES.get(first, "overig")


def _opens_sentence(text: str, position: int) -> bool:
    """Whether `position` is where a sentence of `text` begins (where any word has a capital)."""
    before = text[:position].rstrip(" \t\"'\u2018\u201c(")
    return not before or before[-1] in ".!?:\n"


class OrganizationMatcher:
    """Finds public organisations in a question (exact forms first, then near-misses)."""

    def __init__(self, public_names: Iterable[str], known_words: Iterable[str] = ()):
        """`known_words`: folded words of the register's text; a near-miss must contain a word
        outside them (a misspelling), so 'gemeente assistent' never becomes 'Gemeente Assen'."""
        self._known_words = frozenset(known_words)
        vocabulary = organizations()
        self.organizations: dict[str, Organization] = {}
        for name in sorted({n for n in public_names if n}):
            known = vocabulary.get(name)
            org = known if known is not None and known.name == vocabulary.canonical(name) else None
            self.organizations[name] = org if org is not None and org.name == name else Organization(name=name, kind=(known.kind if known else _guess_kind(name)), place=known.place if known else None)
        self._phrases: list[tuple[str, str]] = []  # (normalised form, organisation name), longest first
        self._case_sensitive: list[tuple[str, str]] = []
        self._places: dict[str, list[Organization]] = {}
        self._capitalised_places: dict[str, list[Organization]] = {}  # a place that is also a word ("Delft", "Leiden")
        self._place_patterns: list[tuple[re.Pattern, str, str]] = []  # (as written, normalised, place) of those
        for org in self.organizations.values():
            self._add_forms(org, vocabulary.get(org.name))
        self._phrases.sort(key=lambda item: -len(item[0]))
        self._phrase_index = PhraseIndex([form for form, _ in self._phrases])
        self._place_patterns = [(re.compile(rf"(?<![\w']){re.escape(p)}(?![\w'])"), question_words(p).strip(), p) for p in self._capitalised_places]
        self._places_longest_first = sorted(self._places, key=len, reverse=True)
        self._place_index = PhraseIndex(self._places_longest_first)
        self._fuzzy_forms = {form: name for form, name in self._phrases if len(form) >= FUZZY_MIN_CHARS}
        for place in self._places:
            if len(place) >= FUZZY_MIN_CHARS:
                self._fuzzy_forms.setdefault(place, f"place:{place}")

    def _add_forms(self, org: Organization, known: Organization | None) -> None:
        source = known or org
        common = {fold(f) for f in source.common_word_forms}
        forms = [org.name, *source.short_forms, *((source.name_en,) if source.name_en else ()), *source.aliases]
        for form in forms:
            bare = re.sub(r"^(het|de|the)\s+", "", form, flags=re.I)
            if fold(form) in common or fold(bare) in common or (len(bare) <= 3 and bare.isupper()):
                self._case_sensitive.append((form, org.name))
            else:
                norm = question_words(form).strip()
                if norm:
                    self._phrases.append((norm, org.name))
        if source.place:
            for place in (source.place, *source.place_aliases):
                if source.place_is_common_word:
                    self._capitalised_places.setdefault(place, []).append(org)
                else:
                    self._places.setdefault(question_words(place).strip(), []).append(org)

    def of_kind(self, kind: str) -> set[str]:
        return {o.name for o in self.organizations.values() if o.kind == kind}

    def find(
        self, question: str, kind: str | None = None, ignore: Iterable[str] = (), fuzzy: bool = True
    ) -> tuple[list[OrganizationMatch], str]:
        """The organisations named in the question, and the normalised question without them.
        `ignore`: normalised phrases that are never (part of) a near-miss (kind words); without
        `fuzzy`, exact forms only."""
        rest = question_words(question)
        ignored = [p for p in ignore if p]
        found: list[OrganizationMatch] = []
        for position in self._phrase_index.candidates(rest):  # forms that can occur in the question
            form, name = self._phrases[position]
            if f" {form} " in rest:
                found.append(OrganizationMatch(self.organizations[name], form, 1.0))
                rest = rest.replace(f" {form} ", " ", 1)
        plain = re.sub(r"(?<=\w)['\u2019]s\b", "", question)
        for form, name in self._case_sensitive:
            if re.search(rf"(?<![\w']){re.escape(form)}(?![\w'])", plain):
                found.append(OrganizationMatch(self.organizations[name], question_words(form).strip(), 1.0))
                rest = rest.replace(f" {question_words(form).strip()} ", " ", 1)
        for position in self._place_index.candidates(rest):
            place = self._places_longest_first[position]
            if f" {place} " in rest:
                chosen = self._choose_by_kind(self._places[place], kind)
                if chosen:
                    found.append(OrganizationMatch(chosen, place, 1.0, by_place=True))
                    rest = rest.replace(f" {place} ", " ", 1)
        for pattern, written, place in self._place_patterns:
            # a place that is also a word counts as written with its capital inside a sentence:
            # "Welke algoritmes heeft Delft?", not "Welke algoritmes leiden tot ..."
            if f" {written} " not in rest:
                continue
            chosen = self._choose_by_kind(self._capitalised_places[place], kind)
            if chosen and any(not _opens_sentence(plain, match.start()) for match in pattern.finditer(plain)):
                found.append(OrganizationMatch(chosen, written, 1.0, by_place=True))
                rest = rest.replace(f" {written} ", " ", 1)
        if fuzzy:
            fuzzy_rest = rest
            for phrase in ignored:
                fuzzy_rest = fuzzy_rest.replace(f" {phrase} ", " | ")
            if not found:
                near = self._fuzzy(fuzzy_rest, kind)
                if near:
                    found.append(near)
                    rest = rest.replace(f" {near.written} ", " ", 1)
            else:
                # a second, misspelled mention of an organisation already named ("the Dutch tax
                # authority (Belastindienst)") is no topic word: only its own forms are compared
                named = {m.organization.name for m in found}
                again = self._fuzzy(fuzzy_rest, kind, {f: n for f, n in self._fuzzy_forms.items() if n in named})
                if again:
                    rest = rest.replace(f" {again.written} ", " ", 1)
        unique = list({m.organization.name: m for m in found}.values())
        return unique, rest

    def _fuzzy(self, rest: str, kind: str | None, forms: dict[str, str] | None = None) -> OrganizationMatch | None:
        """The best near miss in `rest` of a form in `forms` (default: every organisation and place)."""
        forms = self._fuzzy_forms if forms is None else forms
        if not forms:
            return None
        words = rest.split()
        best: tuple[float, int, str, str] | None = None
        for size in range(min(MAX_NGRAM, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                parts = words[start : start + size]
                gram = " ".join(parts)
                if len(gram) < FUZZY_MIN_CHARS or "|" in parts:
                    continue
                if self._known_words and all(p in self._known_words for p in parts):
                    continue
                hit = process.extractOne(gram, forms.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                if hit and (best is None or (hit[1], size) > (best[0], best[1])):
                    best = (hit[1], size, gram, hit[0])
        if best is None:
            return None
        score, _, gram, form = best
        target = forms[form]
        org = self._choose_by_kind(self._places[target[6:]], kind) if target.startswith("place:") else self.organizations[target]
        return OrganizationMatch(org, gram, score / 100.0, by_place=target.startswith("place:")) if org else None

    @staticmethod
    def _choose_by_kind(candidates: list[Organization], kind: str | None) -> Organization | None:
        if kind:
            for org in candidates:
                if org.kind == kind:
                    return org
        for preferred in PREFERRED_PLACE_KINDS:
            for org in candidates:
                if org.kind == preferred:
                    return org
        return candidates[0] if candidates else None

"""Step 2: find the entries an answer is based on. Lists and counts come from the records
(exact); topics from fused lexical + dense search, kept only where the entry covers the
question's content words."""

from __future__ import annotations

import difflib
from functools import lru_cache

from assistant.steps import Turn
from assistant.understand import MAX_SHARED_TITLE, Understanding
from assistant.vocabulary import PhraseMatcher, cue_matcher, field_matcher, generic_words, query_terms_en_nl, value_matcher
from ingest.index import Filters, PerGeneration, RegisterIndex
from ingest.records import PublicRecord
from ingest.tokens import STOPWORDS, stems
from ingest.vocabulary import organizations

TOPIC_LIMIT = 15
MIN_COVERAGE = 0.42  # share of the question's content (weighted by rarity) an entry must cover
COVERAGE_MARGIN = 0.45
# A field asked of an organisation's algorithm described in other words: the organisation narrows
# the search, so less of the question needs to be found in the entry.
LOOKUP_MIN_COVERAGE = 0.25
CUE_GROUPS = ("count", "list", "lookup", "follow_up", "withheld_question")
VALUE_GROUPS = ("status_filter", "impact_assessment_filter", "publication_category_filter", "organization_kind")


@lru_cache(maxsize=1)
def _cue_matchers() -> list[PhraseMatcher]:
    return [cue_matcher(g) for g in CUE_GROUPS] + [value_matcher(g) for g in VALUE_GROUPS] + [field_matcher()]


def _strip_cues(text_norm: str) -> str:
    for matcher in _cue_matchers():
        for match in matcher.find(text_norm):
            text_norm = text_norm.replace(f" {match.phrase} ", " ", 1)
    return text_norm


def content_groups(text_norm: str) -> list[set[str]]:
    """The question's content as groups of search stems: each group is one thing the question is
    about (an English term brings its Dutch register terms into the same group)."""
    text_norm = _strip_cues(text_norm)
    groups: list[set[str]] = []
    terms = query_terms_en_nl()
    for phrase in sorted(terms, key=len, reverse=True):
        if f" {phrase} " in text_norm:
            groups.append(set(stems(phrase)) | set(stems(terms[phrase])))
            text_norm = text_norm.replace(f" {phrase} ", " ")
    generic = generic_words()
    for stem in stems(text_norm):
        if stem not in generic and stem not in STOPWORDS and len(stem) >= 2:
            groups.append({stem})
    return [g - generic for g in groups if g - generic]


def content_stems(u: Understanding) -> set[str]:
    return {s for group in content_groups(u.rest_norm or u.question_norm) for s in group}


def _compound_parts(stem: str, vocab) -> set[str]:
    """Split an unknown word into two known parts of at least 4 letters (Dutch compounds)."""
    for cut in range(len(stem) - 4, 3, -1):
        head, tail = stem[:cut], stem[cut:]
        for tail_form in (tail, tail.removeprefix("s")):
            if head in vocab and len(tail_form) >= 4 and tail_form in vocab:
                return {head, tail_form}
    return set()


def organizations_of_kind(kind: str) -> set[str]:
    return {o.name for o in organizations().organizations if o.kind == kind}


class Retrieve:
    name = "retrieve"

    def __init__(self, index: RegisterIndex, mode: str = "hybrid"):
        self.index = index
        self.mode = mode
        self._stems_cache = PerGeneration(index.store, lambda generation: {})

    # --- helpers ------------------------------------------------------------------------------
    def record_stems(self, record: PublicRecord) -> frozenset[str]:
        """The search stems of an entry's public text (cached until the next ingest)."""
        cache: dict[str, frozenset[str]] = self._stems_cache.get()
        found = cache.get(record.lars)
        if found is None:
            text = " ".join(" ".join(v) if isinstance(v, list) else str(v) for k, v in record.fields.items() if k != "url")
            found = cache[record.lars] = frozenset(stems(text))
        return found

    def _correct(self, group: set[str]) -> set[str]:
        """A stem the index has never seen: a typo is replaced by its closest known stem, a Dutch
        compound ("vertaalsoftware") by its known parts."""
        vocab = self.index.vocabulary()
        corrected = set()
        for stem in group:
            if stem in vocab or stem.isdigit() or len(stem) < 5:
                corrected.add(stem)
                continue
            close = difflib.get_close_matches(stem, [v for v in vocab.get_by_prefix(stem[:2]) if abs(len(v) - len(stem)) <= 2], n=1, cutoff=0.88)
            if close:
                corrected.add(close[0])
                continue
            longer = [v for v in vocab.get_by_prefix(stem[:2]) if v.startswith(stem)]
            if 0 < len(longer) <= 5:  # "natuurbrand" -> "natuurbrandmodel", "natuurbrandrisico"
                corrected |= set(longer)
                continue
            parts = _compound_parts(stem, vocab)
            corrected |= parts or {stem}
        return corrected

    def filters_for(self, u: Understanding) -> Filters:
        filters = u.filters()
        if not filters.organizations and u.kind:
            filters.organizations = organizations_of_kind(u.kind)
        return filters

    # --- the step -------------------------------------------------------------------------------
    def run(self, turn: Turn) -> None:
        u: Understanding = turn.understanding
        intent = turn.intent
        filters = self.filters_for(u)
        if intent in ("lookup", "followup_lookup"):
            named = [lars for lars in (u.named or u.context_lars) if self.index.get(lars)]
            # Without a name: the organisation's entry that the question's words describe best.
            turn.hits = named or self.topic(u, filters, min_coverage=LOOKUP_MIN_COVERAGE)[:1]
            return
        if intent in ("org_list", "filter") or (intent == "count" and (u.organizations or u.has_filter_values or not content_stems(u))):
            records = sorted(self.index.select(filters), key=lambda r: (r.name.casefold(), r.organization or ""))
            turn.hits = [r.lars for r in records]
            return
        if len(u.named) > MAX_SHARED_TITLE:  # a tool registered by many organisations, named by its title
            named = [r for r in (self.index.get(lars) for lars in u.named) if r is not None and filters.accepts(r)]
            turn.hits = [r.lars for r in sorted(named, key=lambda r: r.organization or "")]
            return
        turn.hits = self.topic(u, filters)

    def topic(self, u: Understanding, filters: Filters, min_coverage: float = MIN_COVERAGE) -> list[str]:
        groups = [self._correct(g) for g in content_groups(u.rest_norm or u.question_norm)]
        if not groups:
            return []
        weights = [max(self.index.idf(stem) for stem in group) for group in groups]
        total = sum(weights)
        query = " ".join(sorted({s for g in groups for s in g})) + " " + u.topic_text
        hits = self.index.search(query, k=40, filters=None if filters.is_empty() else filters, mode=self.mode)
        if not hits:
            return []
        top_score = hits[0].score
        scored = []
        for rank, hit in enumerate(hits):
            record = self.index.get(hit.lars)
            if record is None:
                continue
            record_stems = self.record_stems(record)
            coverage = sum(w for g, w in zip(groups, weights) if g & record_stems) / total
            scored.append((coverage, hit.score / top_score, rank, hit.lars))
        best = max((c for c, _, _, _ in scored), default=0.0)
        if best < min_coverage:
            return []
        keep = [item for item in scored if item[0] >= max(min_coverage, best - COVERAGE_MARGIN)]
        keep.sort(key=lambda item: -(item[0] + 0.5 * item[1]))
        return [lars for _, _, _, lars in keep[:TOPIC_LIMIT]]

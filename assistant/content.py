"""The content of a question: what it is about once its cue words (count, list, filters, fields)
are taken out, as groups of search stems."""

from __future__ import annotations

from functools import lru_cache
from assistant.vocabulary import PhraseMatcher, cue_matcher, field_matcher, generic_words, kind_group_matcher, query_terms_en_nl, value_matcher
from ingest.tokens import STOPWORDS, stems

CUE_GROUPS = ("count", "list", "lookup", "follow_up", "withheld_question", "still_question")
VALUE_GROUPS = ("status_filter", "impact_assessment_filter", "publication_category_filter", "organization_kind")


@lru_cache(maxsize=1)
def _cue_matchers() -> list[PhraseMatcher]:
    return [cue_matcher(g) for g in CUE_GROUPS] + [value_matcher(g) for g in VALUE_GROUPS] + [kind_group_matcher(), field_matcher()]


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


def content_stems(understanding) -> set[str]:
    """The content stems of an `Understanding` (its question without organisation names)."""
    return {s for group in content_groups(understanding.rest_norm or understanding.question_norm) for s in group}



"""Understand a question: language, intent, organisations, filters, the field asked about, a named
algorithm, and what a follow-up leans on in the conversation."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.content import content_stems
from assistant.steps import StopRun, Turn, Answer
from assistant.vocabulary import (
    PhraseMatcher,
    load,
    query_terms_en_nl,
    cue_matcher,
    field_matcher,
    intents,
    normalise_question,
    say,
    value_matcher,
)
from ingest.index import Filters, PerGeneration, RegisterIndex
from ingest.tokens import STOPWORDS
from ingest.vocabulary import Organization, fold, organizations

URL_LARS = re.compile(r"algoritmes\.overheid\.nl/(?:nl|en)/algoritme/([A-Za-z0-9\-]+)")
SMALLTALK = ("greeting", "thanks", "goodbye", "help")


@dataclass
class Understanding:
    question_norm: str
    organizations: list[Organization] = field(default_factory=list)
    kind: str | None = None  # organisation kind asked about ("gemeente" ...)
    status: str | None = None
    impact_assessment: str | None = None
    publication_category: str | None = None
    fields: list[str] = field(default_factory=list)  # fields asked about
    named: list[str] = field(default_factory=list)  # lars of algorithms named in the question
    context_lars: list[str] = field(default_factory=list)  # from the conversation (follow-ups)
    follow_up: bool = False
    counting: bool = False
    listing: bool = False
    topic_text: str = ""  # the question for retrieval
    rest_norm: str = ""  # the question without the organisation names
    out_of_scope_cue: bool = False  # reads like a question for something else (weather, poems ...)

    def filters(self) -> Filters:
        return Filters(
            organizations={o.name for o in self.organizations} or None,
            status=self.status,
            publication_category=self.publication_category,
            impact_assessment=self.impact_assessment,
        )

    @property
    def has_filter_values(self) -> bool:
        return bool(self.status or self.impact_assessment or self.publication_category)


def detect_language(text: str, default: str = "nl") -> str:
    hints = intents()["language_hints"]
    words = normalise_question(text).split()
    nl = sum(1 for w in words if w in hints["nl"])
    en = sum(1 for w in words if w in hints["en"])
    if en == nl:  # no hint words decide: count the wider stopword lists
        from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

        nl = sum(1 for w in words if w in STOPWORDS_DUTCH)
        en = sum(1 for w in words if w in STOPWORDS_EN)
    if en > nl:
        return "en"
    if nl > en:
        return "nl"
    return default


class OrganizationFinder:
    """Finds organisations in a question: names and short forms, '<kind> <place>', bare places,
    and near-misses of single-word names ('belastingdients')."""

    def __init__(self) -> None:
        vocabulary = organizations()
        phrases: dict[str, list[str]] = {}
        self._case_sensitive: dict[str, str] = {}
        self._by_place: dict[str, list[Organization]] = {}
        for org in vocabulary.organizations:
            common = {fold(f) for f in org.common_word_forms}
            forms = [org.name, *org.short_forms, *((org.name_en,) if org.name_en else ())]
            for form in forms:
                bare = re.sub(r"^(het|de|the)\s+", "", form, flags=re.I)
                if fold(form) in common or fold(bare) in common or (len(bare) <= 3 and bare.isupper()):
                    self._case_sensitive[form] = org.name
                else:
                    phrases.setdefault(org.name, []).append(form)
            if org.place and not org.place_is_common_word:
                for place in (org.place, *org.place_aliases):
                    self._by_place.setdefault(normalise_question(place).strip(), []).append(org)
        self._matcher = PhraseMatcher(phrases)
        self._orgs = {o.name: o for o in vocabulary.organizations}
        self._place_matcher = PhraseMatcher({p: [p] for p in self._by_place})
        singles = {}
        for name, forms in phrases.items():
            for form in forms:
                norm = normalise_question(form).strip()
                if " " not in norm and len(norm) >= 6:
                    singles[norm] = name
        for place, orgs in self._by_place.items():
            if " " not in place and len(place) >= 6:
                singles.setdefault(place, f"place:{place}")
        self._singles = singles

    def find(self, question: str, question_norm: str, kind: str | None) -> tuple[list[Organization], str]:
        """Organisations named, and the question with their names removed."""
        found: list[Organization] = []
        rest = question_norm
        for match in self._matcher.find(question_norm):
            found.append(self._orgs[match.key])
            rest = rest.replace(f" {match.phrase} ", " ", 1)
        plain = re.sub(r"(?<=\w)['\u2019]s\b", "", question)
        for form, name in self._case_sensitive.items():
            if re.search(rf"(?<![\w']){re.escape(form)}(?![\w'])", plain):
                found.append(self._orgs[name])
                rest = rest.replace(f" {normalise_question(form).strip()} ", " ", 1)
        for match in self._place_matcher.find(rest):
            candidates = self._by_place[match.key]
            chosen = self._choose_by_kind(candidates, kind)
            if chosen:
                found.append(chosen)
                rest = rest.replace(f" {match.phrase} ", " ", 1)
        if not found:
            for word in rest.split():
                if len(word) < 6:
                    continue
                close = difflib.get_close_matches(word, self._singles.keys(), n=1, cutoff=0.86)
                if close:
                    target = self._singles[close[0]]
                    if target.startswith("place:"):
                        chosen = self._choose_by_kind(self._by_place[target[6:]], kind)
                        if chosen:
                            found.append(chosen)
                    else:
                        found.append(self._orgs[target])
                    rest = rest.replace(f" {word} ", " ", 1)
        unique = list({o.name: o for o in found}.values())
        return unique, rest

    @staticmethod
    def _choose_by_kind(candidates: list[Organization], kind: str | None) -> Organization | None:
        if kind:
            for org in candidates:
                if org.kind == kind:
                    return org
        for preferred in ("gemeente", "provincie"):
            for org in candidates:
                if org.kind == preferred:
                    return org
        return candidates[0] if candidates else None


@lru_cache(maxsize=1)
def organization_finder() -> OrganizationFinder:
    return OrganizationFinder()


_CODE_WORD = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z]{3,}\b")
MAX_SHARED_TITLE = 3  # a one-word title used by more entries is a topic, not a name


class NameFinder:
    """Finds algorithms named in a question: by their whole (folded) title, or by a distinctive
    capitalised word of the title ("MONOcam", "SWAN", "Hansken") written capitalised."""

    def __init__(self, index: RegisterIndex):
        self._index = index
        self._names = PerGeneration(index.store, self._build)

    def _build(self, generation: str | None) -> tuple[list[tuple[str, list[str]]], dict[str, list[str]]]:
        """(titles longest first with their entries, distinctive capitalised title words)."""
        by_title: dict[str, list[str]] = {}
        code_words: dict[str, list[str]] = {}
        common = STOPWORDS | {fold(w) for w in load("query_terms_en_nl.json")["generic"]} | {fold(t) for t in query_terms_en_nl()}
        for record in self._index.records.values():
            title = normalise_question(record.name).strip()
            if len(title) >= 6 and (" " in title or len(title) >= 8):
                by_title.setdefault(title, []).append(record.lars)
            for word in set(re.split(r"[\s\-:/&(),.]+", record.name)):
                if len(word) >= 4 and _CODE_WORD.fullmatch(word) and fold(word) not in common:
                    code_words.setdefault(word, []).append(record.lars)
        titles = sorted(by_title.items(), key=lambda item: -len(item[0]))
        mentions: dict[str, int] = {}
        wanted = {fold(w) for w in code_words}
        for record in self._index.records.values():
            text = " ".join(str(v) for v in record.fields.values())
            for word in wanted & set(re.findall(r"\w+", fold(text))):
                mentions[word] = mentions.get(word, 0) + 1
        return titles, {w: ids for w, ids in code_words.items() if mentions.get(fold(w), 0) <= MAX_SHARED_TITLE}

    def find(self, question: str, question_norm: str, organizations: set[str]) -> list[str]:
        """Entries named in the question; a name many entries share counts only together with
        the organisation that registered it."""
        titles, code_words = self._names.get()

        def narrowed(ids: list[str]) -> list[str]:
            if organizations:
                in_org = [lars for lars in ids if (r := self._index.get(lars)) is not None and r.organization in organizations]
                if in_org:
                    return in_org
            return ids if len(ids) <= MAX_SHARED_TITLE else []

        for title, lars_ids in titles:
            if f" {title} " in question_norm:
                ids = lars_ids if " " in title and not organizations else narrowed(lars_ids)
                if ids:
                    return list(ids)
        found: list[str] = []
        words = [w for w in re.split(r"[\s\-:/&(),.?!'\"]+", re.sub(r"(?<=\w)['\u2019]s\b", "", question)) if w]
        for position, word in enumerate(words):
            if word[0].isupper() and word in code_words and not (word.istitle() and position == 0):
                found += narrowed(code_words[word])
        return list(dict.fromkeys(found))


class Understand:
    """Step 1: read the question (and the conversation it leans on)."""

    name = "understand"

    def __init__(self, index: RegisterIndex):
        self.index = index
        self.names = NameFinder(index)

    def analyse(self, text: str, lang: str) -> Understanding:
        norm = normalise_question(text)
        u = Understanding(question_norm=norm)
        kind_matches = value_matcher("organization_kind").find(norm)
        u.kind = kind_matches[0].key if kind_matches else None
        u.organizations, u.rest_norm = organization_finder().find(text, norm, u.kind)
        if u.organizations:
            u.kind = None if len(u.organizations) == 1 else u.kind
        for group, attribute in (("status_filter", "status"), ("impact_assessment_filter", "impact_assessment"), ("publication_category_filter", "publication_category")):
            matches = value_matcher(group).find(norm)
            if matches:
                setattr(u, attribute, matches[0].key)
        u.fields = list(dict.fromkeys(m.key for m in field_matcher().find(norm)))
        u.counting = bool(cue_matcher("count").find(norm))
        u.listing = bool(cue_matcher("list").find(norm))
        if not u.impact_assessment and cue_matcher("impact_assessment_mention").find(norm) and (u.counting or u.listing or u.organizations or u.kind):
            u.impact_assessment = "Nee" if cue_matcher("negation").find(norm) else "Ja"
        if u.impact_assessment:
            u.fields = [f for f in u.fields if f not in ("impacttoetsen", "impact_assessment")]
        if u.status:
            u.fields = [f for f in u.fields if f != "status"] if (u.counting or u.listing or u.organizations or u.kind) else u.fields
        u.out_of_scope_cue = bool(cue_matcher("out_of_scope").find(norm))
        u.follow_up = bool(cue_matcher("follow_up").find(norm))
        u.named = self.names.find(text, norm, {o.name for o in u.organizations})
        yes_no = not (u.counting or u.listing) and not (u.organizations or u.kind) and len(norm.split()) <= 8
        if (u.named or yes_no) and not (u.counting or u.listing):
            # "Is <name> still in use?" asks for a field of that algorithm, not for a filter.
            if u.status:
                u.fields.append("status")
                u.status = None
            if u.impact_assessment:
                u.fields.append("impacttoetsen")
                u.impact_assessment = None
        u.topic_text = text
        return u

    def run(self, turn: Turn) -> None:
        question = turn.question
        if not turn.lang_forced:
            turn.lang = detect_language(question, default=turn.lang)
        norm = normalise_question(question)
        if cue_matcher("personal_case").find(norm):
            turn.intent = "personal_case"
            raise StopRun(Answer(status="out_of_scope", lang=turn.lang, intent="personal_case", answer=say("personal_case", turn.lang)))
        u = self.analyse(question, turn.lang)
        words = norm.split()
        if not (u.organizations or u.named or u.fields or u.has_filter_values or u.kind) and len(words) <= 4:
            for group in SMALLTALK:
                if cue_matcher(group).find(norm):
                    turn.intent = group
                    raise StopRun(Answer(status="out_of_scope", lang=turn.lang, intent=group, answer=say(group, turn.lang)))
        self._lean_on_conversation(turn, u)
        turn.understanding = u
        turn.intent = self._intent(u)

    def _lean_on_conversation(self, turn: Turn, u: Understanding) -> None:
        """A follow-up that names no algorithm or organisation takes them from the conversation."""
        if len(turn.messages) < 2 or u.named or u.organizations:
            return
        leans = u.follow_up or (u.fields and not u.kind) or (u.has_filter_values and not u.kind) or (u.counting and not u.kind)
        if not leans:
            return
        wants_set = u.counting or u.listing or u.has_filter_values
        for message in reversed(turn.messages[:-1]):
            if message.get("role") == "assistant":
                found = [lars for lars in dict.fromkeys(URL_LARS.findall(message.get("content", ""))) if self.index.get(lars)]
                if found and not wants_set and len(found) <= 3:
                    u.context_lars = found
                    u.follow_up = True
                    break
            elif message.get("role") == "user":
                earlier = self.analyse(message.get("content", ""), turn.lang)
                if earlier.named and not wants_set:
                    u.context_lars = earlier.named
                    u.follow_up = True
                    break
                if earlier.organizations or earlier.kind:
                    u.organizations = earlier.organizations
                    u.kind = u.kind or earlier.kind
                    u.status = u.status or earlier.status
                    u.impact_assessment = u.impact_assessment or earlier.impact_assessment
                    u.publication_category = u.publication_category or earlier.publication_category
                    u.topic_text = f"{message.get('content', '')} {turn.question}" if not (u.counting or u.listing or u.has_filter_values) else u.topic_text
                    u.follow_up = True
                    break

    @staticmethod
    def _intent(u: Understanding) -> str:
        target = u.named or u.context_lars
        many = len(target) > MAX_SHARED_TITLE and not u.fields  # a tool many organisations registered
        which_organizations = u.kind is not None and u.listing and not u.organizations  # "which municipalities use X?"
        if target and (u.fields or not (u.counting or which_organizations)) and not many:
            return "followup_lookup" if u.context_lars and not u.named else "lookup"
        if u.fields and u.organizations and not u.counting and not _asks_for_algorithms(u) and _has_topic_words(u):
            return "lookup"
        if u.counting and (u.organizations or u.has_filter_values or (u.kind and not _has_topic_words(u))):
            return "count"
        if (u.organizations or u.kind) and u.has_filter_values:
            return "filter"
        if u.organizations and not _has_topic_words(u):
            return "org_list"
        if u.counting:
            return "count"
        if u.has_filter_values and not _has_topic_words(u):
            return "filter"
        return "topic"


_ALGORITHMS_LIST = re.compile(r" (welke|which|what|wat voor|alle|all) (\w+ ){0,2}(algoritme|algoritmes|algoritmen|algorithm|algorithms|systemen|systems|tools) ")


def _asks_for_algorithms(u: Understanding) -> bool:
    """'Which algorithms ...' asks for a list of algorithms, not for a field of one."""
    return bool(_ALGORITHMS_LIST.search(u.question_norm))


def _has_topic_words(u: Understanding) -> bool:
    """Whether the question says more than 'which algorithms does X have' (a topic to search)."""
    return bool(content_stems(u))

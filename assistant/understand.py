"""Understand a question: language, intent, organisations, filters, the field asked about, a named
algorithm, and what a follow-up leans on in the conversation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from assistant.content import content_stems
from assistant.intents import COUNT_WINDOW, Intent, Shape, ShapeClassifier, asking_clause, counts_objects, is_yes_no, mask
from assistant.steps import StopRun, Turn, Answer
from assistant.vocabulary import (
    MIN_SPELLED_LENGTH,
    answer_kind_matcher,
    cue_found,
    cue_matcher,
    cue_phrases,
    load,
    query_terms_en_nl,
    field_matcher,
    intents,
    kind_group_matcher,
    kind_groups,
    normalise_question,
    say,
    value_matcher,
)
from ingest.index import Filters, PerGeneration, RegisterIndex
from ingest.tokens import STOPWORDS, stems, words
from ingest.organizations import OrganizationMatch, OrganizationMatcher
from ingest.vocabulary import Organization, fold

URL_LARS = re.compile(r"algoritmes\.overheid\.nl/(?:nl|en)/algoritme/([A-Za-z0-9\-]+)")
SMALLTALK = ("greeting", "thanks", "goodbye", "help")


@dataclass
class Understanding:
    question_norm: str
    lang: str = "nl"  # the language the question is read in ("nl" or "en")
    organizations: list[Organization] = field(default_factory=list)
    kind: str | None = None  # organisation kind asked about ("gemeente" ...)
    status: str | None = None
    impact_assessment: str | None = None
    publication_category: str | None = None
    fields: list[str] = field(default_factory=list)  # fields asked about
    named: list[str] = field(default_factory=list)  # lars of algorithms named in the question
    context_lars: list[str] = field(default_factory=list)  # from the conversation (follow-ups)
    context_set: list[str] | None = None  # "daarvan / those": the previous answer's entries
    context_topic: "Understanding | None" = None  # the earlier topic question those entries answered (its list may be cut short)
    follow_up: bool = False
    counting: bool = False
    listing: bool = False
    topic_text: str = ""  # the question for retrieval
    rest_norm: str = ""  # the question without the organisation names
    asks_in_use: bool = False  # a yes/no question whether one algorithm is (still, already) in use, in other words than "in gebruik"
    own_case: bool = False  # names the asker's own matter ("mijn aanvraag"): the answer ends with where to go for it
    out_of_scope_cue: bool = False  # reads like a question for something else (weather, poems ...)
    organization_matches: list[OrganizationMatch] = field(default_factory=list)
    shape: Shape = Shape.TOPIC  # what the classifier says the question asks for
    shape_confidence: float = 0.0
    masked_text: str = ""
    question_text: str = ""
    asks_property: bool = False  # asks something of an algorithm (a field, or what its text says)
    field_probability: float = 0.0  # the classifier's confidence that a property of one algorithm is asked
    count_topic: bool = False  # a count of the algorithms about something, not of all of a subject
    yes_no: bool = False  # a yes/no question ("Is ... nog in gebruik?")
    answer_kinds: list[str] = field(default_factory=list)  # the kind of answer asked for ("hoe lang": duration), see answer_kinds.json
    kind_members: set[str] = field(default_factory=set)  # public organisations of `kind`
    unknown_organization: bool = False  # names an organisation of a kind that the register does not have
    widened_from: list[str] = field(default_factory=list)  # organisations named by place only, searched beyond
    topic_cut: bool = False  # more entries matched the topic than are listed: the best ones are shown
    context_widened: bool = False  # "those" were taken as every entry on the earlier topic (set by retrieval)

    @property
    def only_by_place(self) -> bool:
        """Every organisation was named by a bare place ("earthquakes in Groningen")."""
        return bool(self.organization_matches) and all(m.by_place for m in self.organization_matches)

    @property
    def unsure_organizations(self) -> list[str]:
        """Organisations understood from a near-miss spelling: the answer says which one."""
        return [m.organization.name for m in self.organization_matches if not m.exact]

    def filters(self) -> Filters:
        return Filters(
            lars=set(self.context_set) if self.context_set is not None else None,
            organizations={o.name for o in self.organizations} or None,
            status=self.status,
            publication_category=self.publication_category,
            impact_assessment=self.impact_assessment,
        )

    @property
    def has_filter_values(self) -> bool:
        return bool(self.status or self.impact_assessment or self.publication_category)


def _within(question_norm: str, cue_end: int, start: int) -> bool:
    """Whether a phrase starting at `start` follows a cue ending at `cue_end` within a few words."""
    return cue_end <= start and len(question_norm[cue_end:start].split()) < COUNT_WINDOW


def _names_one(text: str, kind_phrase: str) -> bool:
    """Whether the kind word is followed by a name ("de gemeente Atlantis", "the municipality of
    Atlantis"): one organisation is meant, not every organisation of that kind."""
    words = r"\s+".join(re.escape(w) for w in kind_phrase.split())
    return re.search(rf"(?i:\b{words})\s+(?:(?i:van|of)\s+)?[A-ZÀ-Ý][a-zà-ÿ'\-]+\b", text) is not None


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


_QUOTED = re.compile(r"(?<!\w)'([^']{3,80})'(?!\w)|\"([^\"]{3,80})\"|\u2018([^\u2019]{3,80})\u2019|\u201c([^\u201d]{3,80})\u201d")
_CODE_WORD = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z]{3,}\b")
SPELLED_LONG = 8  # a cue word this long may be misspelt by two edits
MAX_SHARED_TITLE = 3  # a one-word title used by more entries is a topic, not a name
TOOL_NAME_SHARE = 0.9  # ... unless this share of the entries that mention it have it in their title: a tool ("Zivver")
TOPIC_LIMIT = 15  # a topic answer lists at most this many entries, the best first
SHORT_COUNT_WORDS = 5
COUNT_WITHOUT_CUE = 0.75  # the classifier's confidence that a question without "hoeveel" is a count
LIST_OVER_TOPIC = 0.5  # the classifier's confidence that "which algorithms does X have ..." asks for all of them


def entries_of(index: RegisterIndex, lars_ids: list[str], organizations: set[str]) -> list[str]:
    """Those of these entries that belong to one of these organisations (by name)."""
    return [lars for lars in lars_ids if (record := index.get(lars)) is not None and record.organization in organizations]


class NameFinder:
    """Finds algorithms named in a question: by their whole (folded) title, or by a distinctive
    capitalised word of the title ("MONOcam", "SWAN", "Hansken") written capitalised."""

    def __init__(self, index: RegisterIndex):
        self._index = index
        self._names = PerGeneration(index.store, self._build)

    def _build(self, generation: str | None) -> tuple[list[tuple[str, list[str]]], dict[str, list[str]], dict[str, list[str]]]:
        """(titles longest first with their entries, distinctive capitalised title words, tool names:
        a one-word title of many entries that the register hardly uses outside their titles,
        folded, with every entry that mentions it)."""
        by_title: dict[str, list[str]] = {}
        code_words: dict[str, list[str]] = {}
        title_words: dict[str, set[str]] = {}
        whole_titles: dict[str, int] = {}
        common = STOPWORDS | {fold(w) for w in load("query_terms_en_nl.json")["generic"]} | {fold(t) for t in query_terms_en_nl()}
        for record in self._index.records.values():
            title = normalise_question(record.name).strip()
            if len(title) >= 6 and (" " in title or len(title) >= 8):
                by_title.setdefault(title, []).append(record.lars)
            for word in set(re.split(r"[\s\-:/&(),.]+", record.name)):
                if len(word) >= 4 and _CODE_WORD.fullmatch(word) and fold(word) not in common:
                    code_words.setdefault(word, []).append(record.lars)
            for word in set(re.findall(r"\w+", fold(record.name))):
                title_words.setdefault(word, set()).add(record.lars)
            whole_titles[fold(record.name).strip()] = whole_titles.get(fold(record.name).strip(), 0) + 1
        titles = sorted(by_title.items(), key=lambda item: -len(item[0]))
        one_word_titles = {t for t, n in whole_titles.items() if n > MAX_SHARED_TITLE and re.fullmatch(r"\w{5,}", t) and t not in common}
        mentions: dict[str, int] = {}
        mentioned_by: dict[str, list[str]] = {}
        wanted = {fold(w) for w in code_words} | one_word_titles
        for record in self._index.records.values():
            text = " ".join(str(v) for v in record.fields.values())
            for word in wanted & set(re.findall(r"\w+", fold(text))):
                mentions[word] = mentions.get(word, 0) + 1
                mentioned_by.setdefault(word, []).append(record.lars)
        tools = {w: sorted(mentioned_by[w]) for w in one_word_titles if len(title_words.get(w, ())) >= TOOL_NAME_SHARE * mentions.get(w, 0)}
        return titles, {w: ids for w, ids in code_words.items() if mentions.get(fold(w), 0) <= MAX_SHARED_TITLE}, tools

    def _quoted_titles(self, question: str, organizations: set[str]) -> list[str]:
        """Entries whose whole title is written between quotes ('Zivver', "Readspeaker"), in any case."""
        found: list[str] = []
        for quoted in _QUOTED.findall(question):
            wanted = fold(next(q for q in quoted if q))
            ids = [r.lars for r in self._index.records.values() if fold(r.name) == wanted and (not organizations or r.organization in organizations)]
            found += sorted(ids)
        return found

    def find(self, question: str, question_norm: str, organizations: set[str]) -> list[str]:
        """Entries named in the question; a name many entries share counts only together with
        the organisation that registered it."""
        titles, code_words, tools = self._names.get()
        quoted = self._quoted_titles(question, organizations)
        if quoted:
            return quoted

        def narrowed(ids: list[str]) -> list[str]:
            if organizations:  # "ChangeMapp of Zuid-Holland": not Den Haag's ChangeMapp
                return entries_of(self._index, ids, organizations)
            return ids if len(ids) <= MAX_SHARED_TITLE else []

        for title, lars_ids in titles:
            if f" {title} " in question_norm:
                ids = lars_ids if " " in title and not organizations else narrowed(lars_ids)
                if ids:
                    return list(ids)
        for word in question_norm.split():
            if word in tools:  # "Hoeveel gemeenten gebruiken Zivver?": every entry of the tool
                ids = entries_of(self._index, tools[word], organizations) if organizations else tools[word]
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

    def __init__(self, index: RegisterIndex, replay: Callable[[list[dict]], list[str]] | None = None):
        """`replay(messages)`: the entry ids of the assistant's answer to that conversation (for an
        earlier answer sent without its results)."""
        self.index = index
        self.replay = replay
        self.names = NameFinder(index)
        self.shapes = ShapeClassifier(index.embedder)
        # Organisations from the public entries only (an unpublished body is unknown here).
        self.register_words = PerGeneration(index.store, self._register_words)
        self.organizations = PerGeneration(index.store, self._organization_matcher)

    def _register_words(self, generation: str | None) -> frozenset[str]:
        """The folded words of the public entries' text."""
        known: set[str] = set()
        for record in self.index.records.values():
            known.update(words(record.public_text()))
        return frozenset(known)

    def _organization_matcher(self, generation: str | None) -> OrganizationMatcher:
        return OrganizationMatcher((r.organization for r in self.index.records.values()), self.register_words.get())

    def spelled(self, norm: str) -> str:
        """The normalised question with the misspelt words of cue phrases written right ("niet meer
        in gebruik" -> "gebruik", "impact asesment" -> "assesment", a spelling the vocabulary
        knows). A word the vocabularies do not know becomes the nearest cue word (one edit or swap
        away; two for words of eight letters or more) whose phrase of two words or more the
        corrected question then holds and did not hold before, also when the register's own texts
        have the word (they hold misspellings too: "assesment"). Other words stay as written."""
        phrases = cue_phrases()
        words_ = norm.split()
        for position, word in enumerate(words_):
            if len(word) < MIN_SPELLED_LENGTH or word in phrases or word.isdigit():
                continue
            edits = 1 if len(word) < SPELLED_LONG else 2
            for candidate, _, _ in process.extract(word, phrases.keys(), scorer=OSA.distance, score_cutoff=edits, limit=5):
                corrected = f" {' '.join(words_[:position] + [candidate] + words_[position + 1:])} "
                if any(f" {phrase} " in corrected and f" {phrase} " not in norm for phrase in phrases[candidate]):
                    words_[position] = candidate
                    break
        return f" {' '.join(words_)} "

    @staticmethod
    def _members(matcher: OrganizationMatcher, kind: str) -> set[str]:
        """The public organisations of a kind, or of a group of kinds and named organisations."""
        if kind not in kind_groups():
            return matcher.of_kind(kind)
        kinds, named = kind_groups()[kind]
        return {name for k in kinds for name in matcher.of_kind(k)} | {name for name in named if name in matcher.organizations}

    def analyse(self, text: str, lang: str) -> Understanding:
        norm = self.spelled(normalise_question(text))
        u = Understanding(question_norm=norm, lang=lang)
        # a kind ("gemeenten") or a group of organisations ("toezichthouders"): the longest phrase decides
        kind_matches = value_matcher("organization_kind").find(norm) + kind_group_matcher().find(norm)
        u.kind = max(kind_matches, key=lambda m: len(m.phrase)).key if kind_matches else None
        matcher = self.organizations.get()
        u.organization_matches, u.rest_norm = matcher.find(text, u.kind, ignore=[m.phrase for m in kind_matches])
        u.organizations = [m.organization for m in u.organization_matches]
        if u.organizations:
            u.kind = None if len(u.organizations) == 1 else u.kind
        for group, attribute in (("status_filter", "status"), ("impact_assessment_filter", "impact_assessment"), ("publication_category_filter", "publication_category")):
            matches = value_matcher(group).find(norm)
            if matches:
                setattr(u, attribute, matches[0].key)
        field_matches = field_matcher().find(norm)
        u.fields = list(dict.fromkeys(m.key for m in field_matches))
        kind_phrases = [m.phrase for m in kind_matches]
        masked_phrases = [m.written for m in u.organization_matches] + kind_phrases
        # The shape is read from the question as written (the input rail's classifier embeds the same
        # text: one embedding); the dense search, used by topic questions only, gets the question
        # without the organisations, which are filters there (the same text when nothing is masked).
        shapes = self.shapes.probabilities(text.strip())
        masked = mask(norm, masked_phrases) if any(masked_phrases) else text.strip()
        u.shape = max((Shape.LIST, Shape.COUNT, Shape.TOPIC), key=shapes.__getitem__)
        u.shape_confidence = shapes[u.shape]
        u.masked_text = masked  # organisations are filters: the dense query without them
        u.field_probability = shapes[Shape.FIELD]
        u.named = self.names.find(text, norm, {o.name for o in u.organizations})
        if shapes[Shape.TOPIC] > shapes[Shape.FIELD] and not u.named:
            # One word of the field vocabulary in a topic question ("het risico op natuurbranden",
            # "welke norm") names the subject, not a field asked of one algorithm.
            worded = {m.key for m in field_matches if " " in m.phrase.strip()}
            u.fields = [f for f in u.fields if f in worded]
        u.asks_property = shapes[Shape.FIELD] > shapes[Shape.TOPIC] or bool(u.fields)
        # A count cue ("hoeveel") inside a topic question ("... uit hoeveel stikstof ...") is no count.
        count_cues = cue_matcher("count").find(norm)
        short_count = bool(count_cues) and len(norm.split()) <= SHORT_COUNT_WORDS  # "Hoeveel zijn het er?", "How many is that?"
        u.counting = short_count or counts_objects(norm, [m.end for m in count_cues], [m.start for m in kind_matches]) or shapes[Shape.COUNT] > COUNT_WITHOUT_CUE
        u.count_topic = u.counting and u.shape != Shape.COUNT
        list_cues = cue_matcher("list").find(norm)
        u.listing = bool(list_cues)
        if not u.status:  # "Welke pilots heeft X?" asks for the ones in development; "X's pilot" names one
            cue_ends = [m.end for m in count_cues + list_cues]
            asked_for = [m for m in value_matcher("status_filter", weak=True).find(norm) if any(_within(norm, end, m.start) for end in cue_ends)]
            u.status = asked_for[0].key if asked_for else None
            u.counting = u.counting or (bool(asked_for) and bool(count_cues))
        if not u.impact_assessment and cue_matcher("impact_assessment_mention").find(norm) and (u.counting or u.listing or u.organizations or u.kind):
            u.impact_assessment = "Nee" if cue_matcher("negation").find(norm) else "Ja"
        if u.impact_assessment:
            u.fields = [f for f in u.fields if f not in ("impacttoetsen", "impact_assessment")]
        if u.status:
            u.fields = [f for f in u.fields if f != "status"] if (u.counting or u.listing or u.organizations or u.kind) else u.fields
        u.out_of_scope_cue = bool(cue_matcher("out_of_scope").find(norm))
        u.own_case = bool(cue_matcher("personal_case", weak=True).find(norm))
        u.follow_up = bool(cue_matcher("follow_up").find(norm))
        names = tuple(m.written for m in u.organization_matches)
        opens_yes_no = is_yes_no(norm, lang, names) or is_yes_no(normalise_question(asking_clause(text)), lang, names)
        u.yes_no = opens_yes_no and not (u.counting or u.listing) and u.shape != Shape.LIST
        u.answer_kinds = list(dict.fromkeys(m.key for m in answer_kind_matcher().find(norm)))
        short = not (u.counting or u.listing) and not (u.organizations or u.kind) and len(norm.split()) <= 8
        # "Houdt <organisatie> nog met een mediamonitor bij ...?": whether that algorithm is in use
        u.asks_in_use = bool(u.organizations or u.named) and _asks_whether_in_use(u)
        about_one = u.named or short or (u.yes_no and (u.status or u.impact_assessment or u.asks_in_use) and bool(content_stems(u)))
        if about_one and not (u.counting or u.listing):
            # "Is <name> still in use?" asks for a field of that algorithm, not for a filter.
            if u.status:
                u.fields.append("status")
                u.status = None
            if u.impact_assessment:
                u.fields.append("impacttoetsen")
                u.impact_assessment = None
        u.fields = list(dict.fromkeys(u.fields))
        u.kind_members = self._members(matcher, u.kind) if u.kind else set()
        u.unknown_organization = not u.organizations and any(_names_one(text, m.phrase) for m in kind_matches)
        u.topic_text = u.question_text = text
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
        turn.intent = Intent(self._intent(u)).value

    def _refers_to(self, previous: list[str], u: Understanding) -> bool:
        """A question naming no organisation, kind or algorithm, not asking for a set ("welk
        programma" is no list, "welke algoritmes" is), that refers back with a pronoun ("ze",
        "die", "it", "they") to an answer about one algorithm (or the few of one shared title): it
        is about that algorithm when it says nothing else (no content words), asks whether it is
        still in use, or its content words stand in the algorithm's text. "Wordt het schooladvies
        door een algoritme bepaald?" is a question of its own."""
        if len(previous) > MAX_SHARED_TITLE or u.organizations or u.kind or u.named or u.counting or u.has_filter_values or _asks_for_algorithms(u):
            return False
        if not cue_matcher("follow_up", weak=True).find(u.question_norm):
            return False
        content = content_stems(u)
        if not content or _asks_whether_in_use(u):
            return True
        records = [r for r in (self.index.get(lars) for lars in previous) if r is not None]
        return bool(content & set(stems(" ".join(r.public_text() for r in records))))

    def _previous_results(self, turn: Turn) -> list[str] | None:
        """The public entries the previous answer was based on (None: no earlier answer). When the
        client sent that answer without its results, its links may show only the first entries
        ("UWV has 12 algorithms, e.g. ..."): the question before it is answered again, and that
        answer's entries are taken when they hold every linked one and the text gives their number
        (the same answer); else the links."""
        for position in range(len(turn.messages) - 2, -1, -1):
            message = turn.messages[position]
            if message.get("role") != "assistant":
                continue
            ids = message.get("results")
            if ids is None:
                ids = URL_LARS.findall(message.get("content") or "")
            # (one level: the earlier question answered again does not answer the one before it again)
            if message.get("results_from_links") and self.replay is not None and not turn.replay and position and turn.messages[position - 1].get("role") == "user":
                replayed = self.replay(turn.messages[:position])
                numbers = {int(n) for n in _NUMBER_OF_ALGORITHMS.findall(message.get("content") or "")}
                ids = replayed if set(ids) <= set(replayed) and len(replayed) in numbers else ids
                message["results"], message["results_from_links"] = ids, False  # once per turn
            return [lars for lars in dict.fromkeys(ids) if self.index.get(lars)]
        return None

    def _lean_on_conversation(self, turn: Turn, u: Understanding) -> None:
        """A follow-up takes what it leans on from the conversation: "daarvan / those" the previous
        answer's entries; a question without an algorithm or organisation the earlier ones."""
        if len(turn.messages) < 2 or u.named:
            return
        previous = self._previous_results(turn)
        wants_set = u.counting or u.listing or u.has_filter_values or bool(u.organizations) or (u.kind is not None)
        if previous and u.fields and not u.organizations and not u.counting and len(previous) <= MAX_SHARED_TITLE:
            u.context_lars = previous  # "Van welke organisatie is dat algoritme?"
            u.follow_up = True
            return
        if previous and u.follow_up and u.fields and not (u.organizations or u.kind or u.counting or u.listing or u.has_filter_values or _asks_for_algorithms(u)):
            u.context_lars = previous  # "Wat is de wettelijke basis daarvan?" after a list: that field of each
            return
        if u.follow_up and previous and u.organizations and not entries_of(self.index, previous, {o.name for o in u.organizations}):
            # "Welke profielen heeft de RvIG daarvoor?" after an answer about one algorithm of
            # another organisation, "And which of those does Arnhem have?" after a topic list without
            # Arnhem: not a filter of that answer, its subject at this organisation
            earlier = [m.get("content", "") for m in turn.messages[:-1] if m.get("role") == "user"]
            subject = self.analyse(earlier[-1], turn.lang) if earlier else None
            if subject is not None and (len(previous) <= MAX_SHARED_TITLE or self._intent(subject) == Intent.TOPIC.value):
                u.rest_norm = f" {subject.rest_norm.strip()} {u.rest_norm.strip()} "
                u.topic_text = f"{subject.masked_text} {u.masked_text}"
                return
            if len(previous) <= MAX_SHARED_TITLE:
                return
        if u.follow_up and previous and (wants_set or len(previous) > 1) and not (u.fields and len(previous) <= MAX_SHARED_TITLE):
            u.context_set = previous
            u.context_topic = self._earlier_topic(turn)
            return
        if previous and self._refers_to(previous, u):
            u.context_lars = previous  # "Met welk programma maken ze die selectie?", "Is it still running?"
            u.follow_up = True
            u.asks_in_use = _asks_whether_in_use(u)
            return
        if u.organizations:
            return
        leans = u.follow_up or (u.fields and not u.kind) or (u.has_filter_values and not u.kind) or (u.counting and not u.kind)
        if not leans:
            return
        if previous and not wants_set and len(previous) <= MAX_SHARED_TITLE:
            u.context_lars = previous
            u.follow_up = True
            return
        if previous and len(previous) > MAX_SHARED_TITLE and u.counting and not (u.kind or u.has_filter_values or content_stems(u)):
            u.context_set = previous  # "Hoeveel zijn het er?" after a list: how many of those
            u.context_topic = self._earlier_topic(turn)
            u.follow_up = True
            return
        if previous and u.has_filter_values and not (u.counting or u.kind):  # "En welke zijn in gebruik?"
            u.context_set = previous
            u.follow_up = True
            return
        for message in reversed(turn.messages[:-1]):
            if message.get("role") != "user":
                continue
            earlier = self.analyse(message.get("content", ""), turn.lang)
            if earlier.named and not wants_set:
                u.context_lars = earlier.named
                u.follow_up = True
                break
            if earlier.organizations or earlier.kind:
                u.organizations = earlier.organizations
                u.kind = u.kind or earlier.kind
                u.kind_members = u.kind_members or earlier.kind_members
                u.status = u.status or earlier.status
                u.impact_assessment = u.impact_assessment or earlier.impact_assessment
                u.publication_category = u.publication_category or earlier.publication_category
                u.topic_text = f"{message.get('content', '')} {turn.question}" if not (u.counting or u.listing or u.has_filter_values) else u.topic_text
                u.follow_up = True
                break

    def _earlier_topic(self, turn: Turn) -> Understanding | None:
        """The user's previous question, when it was a topic question: "those" then means every
        entry on that topic, of which the previous answer may have shown only the first ones."""
        earlier = [m for m in turn.messages[:-1] if m.get("role") == "user"]
        if not earlier:
            return None
        previous = self._previous_results(turn) or []
        if len(previous) < TOPIC_LIMIT:  # the whole topic was shown
            return None
        understood = self.analyse(earlier[-1].get("content", ""), turn.lang)
        return understood if self._intent(understood) == Intent.TOPIC.value else None

    @staticmethod
    def _intent(u: Understanding) -> str:
        target = u.named or u.context_lars
        many = len(target) > MAX_SHARED_TITLE and not u.fields  # a tool many organisations registered
        which_organizations = u.kind is not None and u.listing and not u.organizations  # "which municipalities use X?"
        if target and (u.fields or not (u.counting or which_organizations)) and not many:
            return "followup_lookup" if u.context_lars and not u.named else "lookup"
        if u.context_set is not None:  # "daarvan / which of those": within the previous answer
            if u.counting:
                return "count"
            if u.has_filter_values or u.organizations or u.kind or not _has_topic_words(u):
                return "filter"
            return "topic"
        if u.fields and u.organizations and not u.counting and not _asks_for_algorithms(u) and _has_topic_words(u):
            return "lookup"
        if u.counting and (u.organizations or u.has_filter_values or u.kind) and not (u.count_topic and _has_topic_words(u)):
            return "count"
        if (u.organizations or u.kind) and u.has_filter_values:
            return "filter"
        if (u.organizations or u.kind) and ((u.shape == Shape.LIST and u.shape_confidence >= LIST_OVER_TOPIC) or not _has_topic_words(u)):
            return "org_list"
        if u.counting:
            return "count"
        if u.has_filter_values and not _has_topic_words(u):
            return "filter"
        return "topic"


_NUMBER_OF_ALGORITHMS = re.compile(r"\b(\d+) (?:\w+ )?(?:algoritmes|algoritmen|algoritme|algorithms|algorithm)\b", re.IGNORECASE)
# "welke / which (other) algorithms", not "what does X's algorithm (do)" or "what is the algorithm for":
# an auxiliary verb between the question word and "algorithm" makes the algorithm the subject asked about.
_ALGORITHMS_LIST = re.compile(
    r" (welke|which|what|wat voor|alle|all) ((?!(?:does|do|did|is|are|was|were|has|have|doet|deed|zijn|waren|heeft|hebben) )\w+ ){0,2}"
    r"(algoritme|algoritmes|algoritmen|algorithm|algorithms|systemen|systems|tools) "
)


def _asks_whether_in_use(u: Understanding) -> bool:
    """A yes/no question with "nog", "al", "still" ... that asks no field: whether the algorithm
    it is about is (still, already) in use."""
    return u.yes_no and not (u.status or u.fields) and cue_found("still_question", u.question_norm)


def asks_for_algorithms(u: Understanding) -> bool:
    return _asks_for_algorithms(u)


def _asks_for_algorithms(u: Understanding) -> bool:
    """'Which algorithms ...' asks for a list of algorithms, not for a field of one."""
    return bool(_ALGORITHMS_LIST.search(u.question_norm))


def _has_topic_words(u: Understanding) -> bool:
    """Whether the question says more than 'which algorithms does X have' (a topic to search)."""
    return bool(content_stems(u))

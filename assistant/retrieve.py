"""Step 2: find the entries an answer is based on. Lists and counts come from the records
(exact); topics from dense (e5) and lexical (BM25) evidence, kept where the calibrated relevance
model (assistant/relevance.py) says an entry is relevant."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

import numpy as np

from assistant.relevance import Candidates, candidate_features, candidate_positions, clear_best, decide, relevance_model
from assistant.steps import Turn
from assistant.understand import MAX_SHARED_TITLE, TOPIC_LIMIT, Understanding, asks_for_algorithms
from assistant.content import content_groups, content_stems
from assistant.intents import Intent, Shape
from ingest.index import Filters, PerGeneration, RegisterIndex
from ingest.records import PublicRecord
from ingest.tokens import stems

SURELY_ONE = 0.5  # the classifier's confidence that one algorithm's property is asked, for `one_of_subject`
COMPOUND_HEAD = 5  # a question word this long also counts as found in the compounds it begins
COMPOUND_TAIL = 3  # an unknown question word this long is looked for as the end of the register's compounds
MAX_TAIL_COMPOUNDS = 30  # more compounds than this end with it: the word says too little to stand for them


_NUMBERS = re.compile(r"\d+(?:[.,:/-]\d+)*")


def _without_numbers(text: str) -> str:
    return " ".join(_NUMBERS.sub(" ", text).split())


def _compound_parts(stem: str, vocab) -> set[str]:
    """Split an unknown word into two known parts of at least 4 letters (Dutch compounds)."""
    for cut in range(len(stem) - 4, 3, -1):
        head, tail = stem[:cut], stem[cut:]
        for tail_form in (tail, tail.removeprefix("s")):
            if head in vocab and len(tail_form) >= 4 and tail_form in vocab:
                return {head, tail_form}
    return set()


def _compounds_ending_with(stem: str, vocab) -> set[str]:
    """The register's compounds that end with an unknown word, their first part a known word
    ("kappen" -> "boomkap", "tuin" -> "moestuin"): in Dutch the last part of a compound names what
    it is, so a question's "kap" is found in an entry's "boomkap". Empty when there are none, or so
    many that the word is only a common ending."""
    found = set()
    for word in vocab.ending_with(stem):
        head = word[: len(word) - len(stem)]
        if len(head) >= 3 and any(part in vocab for part in (head, head.removesuffix("s"), head.removesuffix("en"))):
            found.add(word)
    return found if len(found) <= MAX_TAIL_COMPOUNDS else set()


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
            found = cache[record.lars] = frozenset(stems(record.public_text()))
        return found

    def title_stems(self, record: PublicRecord) -> frozenset[str]:
        cache: dict = self._stems_cache.get()
        key = ("title", record.lars)
        found = cache.get(key)
        if found is None:
            found = cache[key] = frozenset(stems(record.name))
        return found

    def _correct(self, group: set[str]) -> set[str]:
        """A stem the index has never seen: a typo is replaced by its closest known stem, a Dutch
        compound ("vertaalsoftware") by its known parts, a word the register has only as the end of
        its compounds ("kap": "boomkap") by those compounds."""
        vocab = self.index.vocabulary()
        corrected = set()
        for stem in group:
            if stem in vocab or stem.isdigit():
                corrected.add(stem)
                continue
            if len(stem) < 5:
                corrected |= (_compounds_ending_with(stem, vocab) if len(stem) >= COMPOUND_TAIL else set()) or {stem}
                continue
            close = difflib.get_close_matches(stem, [v for v in vocab.starting_with(stem[:2]) if abs(len(v) - len(stem)) <= 2], n=1, cutoff=0.88)
            if close:
                corrected.add(close[0])
                continue
            longer = vocab.starting_with(stem)
            if 0 < len(longer) <= 5:  # "natuurbrand" -> "natuurbrandmodel", "natuurbrandrisico"
                corrected |= set(longer)
                continue
            corrected |= _compound_parts(stem, vocab) or _compounds_ending_with(stem, vocab) or {stem}
        return corrected

    def _with_compounds(self, group: set[str], words: dict[str, str]) -> set[str]:
        """The group with the register's compounds that begin with one of its words ("energie" ->
        "energietarieven", "luchtkwaliteit" -> "luchtkwaliteitsmodel"): an entry holding such a
        compound covers the word. `words` maps the question's words to their stems (the stemmer
        cuts "luchtkwaliteit" to "luchtkwaal", which begins no compound; the word as written does)."""
        vocab = self.index.vocabulary()
        heads = {stem for stem in group if len(stem) >= COMPOUND_HEAD}
        heads |= {word for word, stem in words.items() if stem in group and len(word) >= COMPOUND_HEAD}
        wider = set(group)
        for head in heads:
            wider.update(vocab.starting_with(head))
        return wider

    def filters_for(self, u: Understanding) -> Filters:
        filters = u.filters()
        if u.unknown_organization:
            filters.organizations = {"(none)"}  # an organisation the register does not have: nothing is its
        elif not filters.organizations and u.kind:
            filters.organizations = set(u.kind_members) or {"(none)"}
        return filters

    # --- the step -------------------------------------------------------------------------------
    def run(self, turn: Turn) -> None:
        u: Understanding = turn.understanding
        handlers = {
            Intent.LOOKUP: self._lookup,
            Intent.FOLLOWUP_LOOKUP: self._lookup,
            Intent.ORG_LIST: self._subject,
            Intent.FILTER: self._subject,
            Intent.COUNT: self._count,
            Intent.TOPIC: self._topic,
        }
        intent = Intent(turn.intent)
        filters = self.filters_for(u)
        handlers[intent](turn, u, filters)
        widened = self._earlier_topic_filters(u, filters)
        if widened is not None and (intent == Intent.COUNT or not turn.hits):
            # "those" after a topic list cut short: a count is over every entry on that topic (never
            # over the shown ones only), and a narrowing that finds nothing among the shown ones
            # looks at all of them; the answer says so
            u.context_widened = True
            handlers[intent](turn, u, widened)

    def _earlier_topic_filters(self, u: Understanding, filters: Filters) -> Filters | None:
        """The filters with every entry on the earlier topic question as "those", when the previous
        answer listed only the best ones of them (None otherwise)."""
        if u.context_topic is None or filters.lars is None or len(filters.lars) < TOPIC_LIMIT:
            return None
        earlier = u.context_topic
        return replace(filters, lars=set(filters.lars) | set(self.topic(earlier, self.filters_for(earlier), limit=None)))

    def _lookup(self, turn: Turn, u: Understanding, filters: Filters) -> None:
        named = [lars for lars in (u.named or u.context_lars) if self.index.get(lars)]
        if named:
            turn.hits = named
            return
        # Without a name: the organisation's entry that the question's words describe best.
        candidates = self.candidates(u, filters)
        turn.hits = self._listed(candidates, TOPIC_LIMIT)[:1] or self.one_of_subject(u, candidates)

    def _shared_title(self, u: Understanding, filters: Filters) -> list[str] | None:
        """A tool registered by many organisations, named by its title: all its entries."""
        if len(u.named) <= MAX_SHARED_TITLE:
            return None
        named = [r for r in (self.index.get(lars) for lars in u.named) if r is not None and filters.accepts(r)]
        return [r.lars for r in sorted(named, key=lambda r: r.organization or "")]

    def _subject(self, turn: Turn, u: Understanding, filters: Filters) -> None:
        shared = self._shared_title(u, filters)
        if shared is not None:
            turn.hits = shared
            return
        records = sorted(self.index.select(filters), key=lambda r: (r.name.casefold(), r.organization or ""))
        turn.hits = [r.lars for r in records]

    def _count(self, turn: Turn, u: Understanding, filters: Filters) -> None:
        if self._shared_title(u, filters) is not None or not (u.count_topic and content_stems(u)):
            self._subject(turn, u, filters)
            return
        turn.hits = self.topic(u, filters, limit=None)  # the complete matching set, never a shortened list

    def _topic(self, turn: Turn, u: Understanding, filters: Filters) -> None:
        shared = self._shared_title(u, filters)
        if shared is not None:
            turn.hits = shared
            return
        candidates = self.candidates(u, filters)
        turn.hits = self._listed(candidates, None) or (self.one_of_subject(u, candidates) if self.about_one(u) else [])
        u.topic_cut = len(turn.hits) > TOPIC_LIMIT  # the answer then lists the best ones, without a total
        turn.hits = turn.hits[:TOPIC_LIMIT]
        if not turn.hits and u.only_by_place and u.context_set is None:
            # "in Groningen" may mean the area: nothing of the municipality itself, so the whole
            # register, with the place as a word of the question (the answer says so).
            anywhere = replace(u, organizations=[], organization_matches=[], rest_norm=u.question_norm, masked_text=u.question_text)
            named = {o.name for o in u.organizations}  # their entries were judged not to match
            found = [self.index.get(lars) for lars in self.topic(anywhere, self.filters_for(anywhere))]
            turn.hits = [r.lars for r in found if r is not None and r.organization not in named]
            if turn.hits:
                u.widened_from = [o.name for o in u.organizations]
                u.organizations = []
        if turn.hits and self.about_one(u) and (len(turn.hits) == 1 or u.fields or u.organizations) and self._surely_one(u, candidates, turn.hits[0]):
            # A question about what one algorithm does or says, described rather than named.
            turn.intent = Intent.LOOKUP.value
            turn.hits = turn.hits[:1]

    @staticmethod
    def about_one(u: Understanding) -> bool:
        """The question asks something of one algorithm (a property, or what its text says, or a
        yes/no question about an organisation's algorithm), not for a list: a list cue ("welke",
        "which") counts only where the classifier also reads a list."""
        listing = u.listing and u.shape == Shape.LIST and u.shape_confidence > u.field_probability
        asks_of_one = u.asks_property or u.asks_in_use or (u.yes_no and bool(u.organizations))
        return asks_of_one and not listing and not u.counting and not asks_for_algorithms(u)

    def _surely_one(self, u: Understanding, candidates: Candidates, best: str) -> bool:
        """A yes/no question about an organisation's algorithm that asks no property ("Does the
        Amsterdam chatbot make up its own answers?") is answered about one entry only when that
        entry is the clear best (relevance.clear_best); else its answer could say "yes" of the
        wrong one, and the list stays."""
        return u.asks_property or u.asks_in_use or self._clear_best(candidates) == best

    def one_of_subject(self, u: Understanding, candidates: Candidates) -> list[str]:
        """A named organisation's one entry the question clearly describes (see relevance.clear_best),
        for a question surely about a property of one algorithm ("who does X work with on Y")."""
        if not u.organizations or u.unknown_organization or not (u.fields or u.field_probability >= SURELY_ONE):
            return []
        best = self._clear_best(candidates)
        return [best] if best is not None else []

    def _clear_best(self, candidates: Candidates) -> str | None:
        position = clear_best(relevance_model(), candidates)
        return self.index.entry_ids()[position] if position is not None else None

    def candidates(self, u: Understanding, filters: Filters) -> Candidates:
        """The candidate entries of a topic question with their relevance features. Numbers in the
        question (a threshold, an amount, a year) are values, not its subject: they take no part,
        so a guessed value ("boven een score van 0,62?") cannot change which entries are found."""
        groups = [self._correct(g) for g in content_groups(u.rest_norm or u.question_norm) if not all(_NUMBERS.search(stem) for stem in g)]
        if not groups:
            return candidate_features(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
        ids = self.index.entry_ids()
        allowed = None
        if not filters.is_empty():
            accepted = {r.lars for r in self.index.select(filters)}
            allowed = np.fromiter((lars in accepted for lars in ids), dtype=bool, count=len(ids))
        lexical_query = " ".join(sorted({s for g in groups for s in g})) + " " + _without_numbers(u.topic_text)
        vocabulary = self.index.vocabulary()
        in_register = [any(stem in vocabulary for stem in g) for g in groups]
        weights = [max(self.index.idf(stem) for stem in group) for group in groups]
        unknown = sum(w for w, known in zip(weights, in_register) if not known) / sum(weights)
        if u.lang == "en":
            # The register is Dutch: an English word it lacks (and the glossary does not translate)
            # says nothing about whether it has the subject in other words, so the word evidence
            # (coverage, title, unknown words) is over the words it has.
            groups = [g for g, known in zip(groups, in_register) if known]
            weights = [w for w, known in zip(weights, in_register) if known]
            unknown = 0.0
        total = sum(weights) or 1.0
        dense_text = _without_numbers(u.masked_text if u.masked_text and u.topic_text == u.question_text else u.topic_text)
        similarity = self.index.similarities(dense_text) if self.mode != "lexical" else np.zeros(len(ids), dtype=np.float32)
        lexical = self.index.lexical_scores(lexical_query) if self.mode != "dense" else np.zeros(len(ids), dtype=np.float32)
        positions = candidate_positions(similarity, lexical, allowed)
        coverage, title = [], []
        words = {word: next(iter(stems(word)), "") for word in (u.rest_norm or u.question_norm).split()}
        matching = [self._with_compounds(g, words) for g in groups]
        for position in positions:
            record = self.index.get(ids[position])
            record_stems = self.record_stems(record) if record else frozenset()
            title_stems = self.title_stems(record) if record else frozenset()
            coverage.append(sum(w for g, w in zip(matching, weights) if g & record_stems) / total)
            title.append(sum(w for g, w in zip(matching, weights) if g & title_stems) / total)
        return candidate_features(positions, similarity, lexical, np.array(coverage), np.array(title), unknown)

    def topic(self, u: Understanding, filters: Filters, limit: int | None = TOPIC_LIMIT) -> list[str]:
        return self._listed(self.candidates(u, filters), limit)

    def _listed(self, candidates: Candidates, limit: int | None) -> list[str]:
        """The relevant entries of the candidates, best first (the relevance model decides)."""
        ids = self.index.entry_ids()
        return [ids[position] for position, _ in decide(relevance_model(), candidates, limit)]

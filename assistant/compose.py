"""Step 3: compose the answer. The default composer is deterministic and grounded: every factual
line comes from a cited register entry. Optionally a LangChain chat model rephrases it, seeing only
the public context, with its citations kept and invented links removed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from assistant.content import content_groups
from assistant.intents import Intent
from assistant.lookup import Quote, best_quotes, question_terms
from assistant.steps import Answer, Citation, Turn, WithheldNotice
from assistant.understand import Understanding
from assistant.vocabulary import answer_kind_pattern, answer_texts, cue_matcher, field_related, say
from guardrails.explanations import entry_scope_general, explain_withheld, withheld_notice
from ingest.chunks import field_text
from ingest.index import RegisterIndex
from ingest.records import PublicRecord
from ingest.vocabulary import field_label, law_enforcement_organizations, statuses

# Every entry of a list is in the answer (the page and the widget fold long lists behind 'toon alle N');
# only past this many does the text end with "… and N more".
LIST_LINES = 250
TOPIC_GROUP_ORGS = 6
QUOTED_TOPIC_LIST = 3  # a topic answer this short to a question that asks no list quotes its best entry
LOOKUP_LIMIT = 5  # a look-up of several algorithms shows the fields of the first five
OVERVIEW_FIELDS = ("description_short", "goal")


def _first_sentence(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s", text[: limit + 1])
    if match:
        return text[: match.start()]
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _algorithms(count: int, lang: str) -> str:
    return say("algorithms_one", lang) if count == 1 else say("algorithms_many", lang, count=count)


def _status(record: PublicRecord, lang: str) -> str | None:
    if not record.status:
        return None
    return record.status if lang == "nl" else statuses().english(record.status)


def _organization(record: PublicRecord, lang: str) -> str:
    return record.organization or say("no_organization", lang)


def _link(record: PublicRecord) -> str:
    """The title as a Markdown link to the register page (plain title without a page)."""
    title = record.name.replace("[", "(").replace("]", ")")
    return f"[{title}]({record.url})" if record.url else title


def _citation(record: PublicRecord) -> Citation:
    return Citation(lars=record.lars, name=record.name, organization=record.organization, url=record.url, status=record.status)


PLAIN_VALUE_FIELDS = frozenset({"status", "impacttoetsen", "impact_assessment", "organization"})  # a value, not a text


class _LazyQuotes:
    """The quotes of one entry for a look-up, computed only when the answer uses them: the sentences
    that share the question's words (an answer without an asked field), or every candidate (an asked
    field the entry does not fill). Embedding an entry's sentences is the costliest part of a look-up."""

    def __init__(self, record: PublicRecord, groups: list[set[str]], weight, withheld: set[str], question: str, embed, answer_like=()):
        self._args = (record, groups, weight, withheld)
        self._question = question
        self._embed = embed
        self._answer_like = answer_like
        self._all: list[Quote] | None = None
        self._worded: list[Quote] | None = None

    def all(self) -> list[Quote]:
        if self._all is None:
            self._all = best_quotes(*self._args, question=self._question, embed=self._embed, answer_like=self._answer_like)
        return self._all

    def worded(self) -> list[Quote]:
        if self._worded is None:
            found = self._all if self._all is not None else best_quotes(*self._args, question=self._question, embed=self._embed, worded_only=True, answer_like=self._answer_like)
            self._worded = [q for q in found if q.shares_words]
        return self._worded


class ComposeGrounded:
    name = "compose"

    def __init__(self, index: RegisterIndex):
        self.index = index
        self.law_enforcement = law_enforcement_organizations()

    # --- pieces ---------------------------------------------------------------------------------
    def _filters_text(self, u: Understanding, lang: str) -> str:
        parts = []
        if u.context_set is not None and u.organizations:  # "which of those are the RvIG's?"
            parts.append(say("filter_organization", lang, organization=" & ".join(o.name for o in u.organizations)))
        if u.status:
            parts.append(say("filter_status", lang, status=u.status if lang == "nl" else statuses().english(u.status)))
        if u.impact_assessment:
            parts.append(say(f"filter_impact_{u.impact_assessment}", lang))
        if u.publication_category:
            parts.append(say("filter_category", lang, category=u.publication_category))
        return "".join(parts)

    def _subject(self, u: Understanding, lang: str) -> tuple[str, str | None]:
        """('previous'|'org'|'kind'|'all', the words for it)."""
        if u.context_set is not None:
            return "previous", None
        if u.organizations:
            return "org", " & ".join(o.name for o in u.organizations)
        if u.kind:
            return "kind", answer_texts()["kind_plural"][lang].get(u.kind, u.kind)
        return "all", None

    def _list_line(self, record: PublicRecord, lang: str, with_org: bool) -> str:
        details = [d for d in (_organization(record, lang) if with_org else None, _status(record, lang)) if d]
        return f"- {_link(record)}" + (f" ({', '.join(details)})" if details else "")

    def _needs_general_note(self, u: Understanding, turn: Turn) -> bool:
        if any(o.name in self.law_enforcement for o in u.organizations):
            return True
        return bool(cue_matcher("withheld_question").find(u.question_norm))

    # --- the step -------------------------------------------------------------------------------
    def run(self, turn: Turn) -> None:
        u: Understanding = turn.understanding
        lang = turn.lang
        records = [r for r in (self.index.get(lars) for lars in turn.hits) if r is not None]
        intent = Intent(turn.intent)
        handlers = {
            Intent.LOOKUP: self.lookup,
            Intent.FOLLOWUP_LOOKUP: self.lookup,
            Intent.ORG_LIST: self.listing,
            Intent.FILTER: self.listing,
            Intent.COUNT: self.listing,
            Intent.TOPIC: self.topic,
        }
        if u.unknown_organization and not records:  # never "0 algorithms" or a list of its whole kind
            answer = self.no_match(u, lang, intent.value)
        else:
            answer = handlers[intent](records, u, lang, intent.value)
        if u.unsure_organizations and answer.status in ("answered", "no_match", "partly_withheld"):
            answer.answer = say("understood_org", lang, organization=" & ".join(u.unsure_organizations)) + "\n\n" + answer.answer
        if self._needs_general_note(u, turn) and answer.status in ("answered", "no_match"):
            answer.answer += "\n\n" + entry_scope_general(lang)
        if u.own_case and answer.status in ("answered", "no_match", "partly_withheld"):
            answer.answer += "\n\n" + say("personal_case", lang)
        turn.answer = answer

    def no_match(self, u: Understanding, lang: str, intent: str) -> Answer:
        if u.out_of_scope_cue:
            return Answer(status="out_of_scope", lang=lang, intent="out_of_scope", answer=say("out_of_scope", lang))
        if u.organizations:
            text = say("no_match_org", lang, organization=" & ".join(o.name for o in u.organizations))
        elif u.unknown_organization:
            text = say("no_match_unknown_org", lang)
        else:
            text = say("no_match", lang)
        return Answer(status="no_match", lang=lang, intent=intent, answer=text, count=0 if intent == "count" else None)

    def lookup(self, records: list[PublicRecord], u: Understanding, lang: str, intent: str) -> Answer:
        if not records:
            if intent == "followup_lookup":
                return Answer(status="no_match", lang=lang, intent=intent, answer=say("followup_unclear", lang))
            return self.no_match(u, lang, intent)
        org_names = {o.name for o in u.organizations}
        if org_names and any(r.organization in org_names for r in records):
            records = [r for r in records if r.organization in org_names]
        blocks: list[str] = []
        about = records  # the answer is about all of them (its results), and shows the first ones
        if len(records) > LOOKUP_LIMIT:
            # a field asked of a previous answer's list ("Wat is daarvan de wettelijke basis?") or of
            # a tool many organisations registered ("Wat is de wettelijke basis van iBurgerzaken?")
            first_of = "lookup_first_of_previous" if intent == "followup_lookup" else "lookup_first_of_named"
            blocks.append(say(first_of, lang, shown=LOOKUP_LIMIT, total=len(records)))
        records = records[:LOOKUP_LIMIT]
        full_text = len(records) == 1
        notices: list[WithheldNotice] = []
        partly = False
        for record in records:
            withheld_fields = set(record.notice.fields) if record.notice else set()
            groups = question_terms(content_groups(u.rest_norm or u.question_norm), record)
            answer_like = tuple(answer_kind_pattern(kind) for kind in u.answer_kinds)
            quotes = _LazyQuotes(record, groups, self.index.idf, withheld_fields, u.question_text, self._sentence_similarities, answer_like) if full_text else None
            lines, withheld_here = self._record_fields(record, u.fields, lang, full_text, quotes, record.organization in org_names)
            verdict = self._verdict(record, u, lang) if full_text and u.yes_no else None
            if verdict:
                lines.insert(0, verdict)
            overview_of_withholding_record = not u.fields and record.notice is not None and bool(record.notice.fields)
            if withheld_here or overview_of_withholding_record:
                partly = True
                public_fields = [f for f in ("goal", "lawful_basis", "human_intervention", "description_short") if f in record.fields]
                lines.append(explain_withheld(record, lang, public_fields))
                notice = withheld_notice(record, lang)
                if notice:
                    notices.append(notice)
            if record.url:
                lines.append(say("source", lang, name=record.name.replace("[", "(").replace("]", ")"), url=record.url))
            blocks.append("\n".join(lines))
        return Answer(
            status="partly_withheld" if partly else "answered",
            lang=lang,
            intent=intent,
            answer="\n\n".join(blocks),
            results=[r.lars for r in about],
            citations=[_citation(r) for r in records],
            withheld=notices,
        )

    def _sentence_similarities(self, queries: list[str], texts: list[str]) -> np.ndarray:
        """The e5 similarities of one entry's sentences (rows) to the queries (columns)."""
        embedder = self.index.embedder
        return embedder.embed_passages(texts) @ embedder.embed_queries(queries).T

    def _verdict(self, record: PublicRecord, u: Understanding, lang: str) -> str | None:
        """Ja / Nee / 'the register does not say' for a yes/no question on status or impact assessment."""
        withheld = set(record.notice.fields) if record.notice else set()
        if "status" in u.fields and "status" not in withheld:
            if not record.status:
                return say("verdict_unknown", lang)
            return say("verdict_yes" if record.status == "In gebruik" else "verdict_no", lang)
        if {"impacttoetsen", "impact_assessment"} & set(u.fields) and not ({"impacttoetsen", "impact_assessment"} & withheld):
            value = record.impact_assessment
            if value in ("Ja", "Nee"):
                return say("verdict_yes" if value == "Ja" else "verdict_no", lang)
            return say("verdict_impact_unknown", lang)
        asked_of_it = u.asks_in_use or u.named or u.asks_property  # not a yes/no question only about whether one exists
        if not u.fields and "status" not in withheld and record.status and asked_of_it and (u.asks_in_use or cue_matcher("in_use_question").find(u.question_norm)):
            # "Gebruikt X al ...?", "Houdt X nog ... bij?" about one algorithm: yes only when the register says it is in use
            return say("verdict_yes" if record.status == "In gebruik" else "verdict_no", lang) + " " + say("status_line", lang, status=_status(record, lang))
        return None

    def _quote_lines(self, quotes: list[Quote], lang: str) -> list[str]:
        return [say("quote", lang, label=field_label(q.field, lang), sentence=q.sentence) for q in quotes]

    def _record_fields(
        self, record: PublicRecord, asked: list[str], lang: str, full_text: bool, lazy: _LazyQuotes | None = None, org_named: bool = False
    ) -> tuple[list[str], bool]:
        organization = _organization(record, lang)
        withheld = set(record.notice.fields) if record.notice else set()
        lines: list[str] = []
        asked_withheld = False
        worded = lazy.worded() if lazy is not None and not asked else []
        if not asked and worded:  # the question asks something the entry's text says in its words
            lines.append(say("overview", lang, name=record.name, organization=organization))
            lines += self._quote_lines(worded, lang)
            return lines, False
        if not asked:
            lines.append(say("overview", lang, name=record.name, organization=organization))
            for name in OVERVIEW_FIELDS:
                if record.fields.get(name):
                    lines.append(record.fields[name] if full_text else _first_sentence(record.fields[name], 600))
                    break
            if _status(record, lang):
                lines.append(say("status_line", lang, status=_status(record, lang)))
            return lines, False
        for name in asked:
            if name in withheld:
                asked_withheld = True
                continue
            label = field_label(name, lang)
            if name == "organization" and org_named and lazy is not None and lazy.all():  # the question names it: another one is meant
                lines += [q for q in self._quote_lines(lazy.all(), lang) if q not in lines]
                continue
            if name == "organization":
                lines.append(f"{say('field_value', lang, label=label, name=record.name, organization=organization)} {organization}")
                continue
            if name == "status":
                value = _status(record, lang)
            elif name in ("impacttoetsen", "impact_assessment"):
                mark = answer_texts()["impact_values"][lang][record.impact_assessment]
                detail = field_text(record.fields.get("impacttoetsen") or record.fields.get("impacttoetsen_grouping"))
                value = mark.capitalize() + (f"\n{detail}" if detail else "")
            else:
                value = field_text(record.fields.get(name))
                for related in field_related().get(name, []):
                    if value or related in withheld:
                        break
                    value = field_text(record.fields.get(related))
                    if value:  # said under the field it comes from: no start date is a status
                        label = field_label(related, lang)
            if value:
                lines.append(f"{say('field_value', lang, label=label, name=record.name, organization=organization)}\n{value}")
                if name not in PLAIN_VALUE_FIELDS and lazy is not None:
                    # The question asks more than the field ("In hoeveel talen leest de software op
                    # de website voor?"): the sentences of other fields that hold its words too.
                    lines += [q for q in self._quote_lines([w for w in lazy.worded() if w.field != name and w.sentence not in value], lang) if q not in lines]
            elif lazy is not None and lazy.all():  # no field of its own, but the text says it
                lines += [q for q in self._quote_lines(lazy.all(), lang) if q not in lines]
            else:
                lines.append(say("field_missing", lang, label=label.lower(), name=record.name, organization=organization))
        return lines, asked_withheld

    def listing(self, records: list[PublicRecord], u: Understanding, lang: str, intent: str) -> Answer:
        kind, subject = self._subject(u, lang)
        filters = self._filters_text(u, lang)
        count = len(records)
        if intent == "count":
            key = {"org": "count", "kind": "count_kind", "all": "count_all", "previous": "count_earlier_topic" if u.context_widened else "count_previous"}[kind]
            values = {"org": {"subject": subject}, "kind": {"kind": subject}, "all": {}, "previous": {}}[kind]
            lines = [say(key, lang, algorithms=_algorithms(count, lang), filters=filters, **values)]
            if records:
                lines.append(say("these_are", lang))
        elif not records:
            if kind == "org":
                lines = [say("org_list_none", lang, organization=subject, filters=filters)]
            elif kind == "previous":
                lines = [say("none_earlier_topic" if u.context_widened else "none_previous", lang, filters=filters)]
            else:
                return self.no_match(u, lang, intent)
        else:
            key = {"org": "org_list", "kind": "list_kind", "all": "list_all", "previous": "list_earlier_topic" if u.context_widened else "list_previous"}[kind]
            values = {"org": {"organization": subject}, "kind": {"kind": subject}, "all": {}, "previous": {}}[kind]
            lines = [say(key, lang, algorithms=_algorithms(count, lang), filters=filters, **values)]
        with_org = kind not in ("org",) or len(u.organizations) > 1
        lines += [self._list_line(r, lang, with_org) for r in records[:LIST_LINES]]
        if count > LIST_LINES:
            lines.append(say("more", lang, count=count - LIST_LINES))
        return Answer(
            status="answered",
            lang=lang,
            intent=intent,
            answer="\n".join(lines),
            results=[r.lars for r in records],
            count=count if intent == "count" else None,
            citations=[_citation(r) for r in records],
        )

    def topic(self, records: list[PublicRecord], u: Understanding, lang: str, intent: str = "topic") -> Answer:
        if not records:
            return self.no_match(u, lang, "topic")
        kind, subject = self._subject(u, lang)
        groups: dict[str, list[PublicRecord]] = {}
        for record in records:
            groups.setdefault(record.name.casefold().strip(), []).append(record)
        if kind == "org":
            intro = say("topic_intro_org_best", lang, organization=subject, count=len(records)) if u.topic_cut else say(
                "topic_intro_org", lang, organization=subject, algorithms=_algorithms(len(records), lang))
        elif kind == "kind":
            intro = say("topic_intro_kind", lang, kind=subject.lower())
        elif u.topic_cut:  # more match than are listed: no total is claimed
            intro = say("topic_intro_best", lang, count=len(records))
        else:
            intro = say("topic_intro", lang, algorithms=_algorithms(len(records), lang))
        if u.widened_from:
            intro = say("topic_widened", lang, organization=" & ".join(u.widened_from)) + "\n\n" + intro
        lines = [intro]
        for position, members in enumerate(groups.values()):
            first = members[0]
            summary = next((_first_sentence(first.fields[f]) for f in OVERVIEW_FIELDS if first.fields.get(f)), "")
            if len(members) > 1:
                names = [_organization(r, lang) for r in members[:TOPIC_GROUP_ORGS]]
                if len(members) > TOPIC_GROUP_ORGS:
                    names.append(say("and_more_orgs", lang, count=len(members) - TOPIC_GROUP_ORGS))
                lines.append("- " + say("group_line", lang, name=first.name, count=len(members), organizations=", ".join(names)) + (f" {summary}" if summary else ""))
                lines += [f"  - [{_organization(r, lang)}]({r.url})" for r in members if r.url]
            else:
                details = ", ".join(d for d in (_organization(first, lang), _status(first, lang)) if d)
                lines.append(f"- {_link(first)} ({details})" + (f": {summary}" if summary else ""))
                if position == 0 and (len(records) == 1 or (len(records) <= QUOTED_TOPIC_LIST and not u.listing)):
                    # a question, not a request for a list: what the best entry's text says about it
                    withheld_fields = set(first.notice.fields) if first.notice else set()
                    quotes = best_quotes(first, question_terms(content_groups(u.rest_norm or u.question_norm), first), self.index.idf, withheld_fields)
                    lines += [f"  {q}" for q in self._quote_lines(quotes, lang) if q.split(": ", 1)[-1].strip('"') not in lines[-1]]
        notices = [n for n in (withheld_notice(r, lang) for r in records) if n]
        return Answer(
            status="answered",
            lang=lang,
            intent="topic",
            answer="\n".join(lines),
            results=[r.lars for r in records],
            citations=[_citation(r) for r in records],
            withheld=notices,
        )


def answer_pieces(text: str) -> Iterator[str]:
    """Stream pieces of a composed answer: line by line, words kept whole."""
    for line in text.splitlines(keepends=True):
        yield line

"""What people read when something is not disclosed: built from the texts in
guardrails/data/explanations.json and a record's public withholding notice."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from guardrails.verdicts import WithheldNotice
from guardrails.withholding import grounds
from ingest.records import PublicRecord
from ingest.vocabulary import field_label

NO_ORGANIZATION = {"nl": "de organisatie", "en": "the organisation"}


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


_TEXTS = TypeAdapter(dict[str, _Text])


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    """The texts of guardrails/data/explanations.json, each in Dutch and English (validated)."""
    raw = json.loads(resources.files("guardrails").joinpath("data", "explanations.json").read_text("utf-8"))
    checked = _TEXTS.validate_python({k: v for k, v in raw.items() if not k.startswith("_")})
    return {key: value.model_dump() for key, value in checked.items()}


def personal_data_notice(kinds: list[str], lang: str) -> str:
    """The short notice for a question holding personal data of these kinds (bsn, iban ...)."""
    names = dict(item.split(": ", 1) for item in texts()["personal_data_kinds"][lang].split("; "))
    return text("personal_data", lang, kinds=", ".join(names.get(k, k) for k in kinds))


def text(key: str, lang: str, **values: str) -> str:
    return texts()[key][lang].format(**values)


def ground_words(ground: str, lang: str) -> str:
    return grounds().get(ground, {}).get(lang, ground)


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    last = " en " if lang == "nl" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


def withheld_notice(record: PublicRecord, lang: str) -> WithheldNotice | None:
    """The notice for a record with withheld fields, in the answer's language."""
    notice = record.notice
    if notice is None or not notice.fields:
        return None
    return WithheldNotice(
        lars=record.lars,
        fields=[field_label(f, lang) for f in notice.fields],
        ground=ground_words(notice.ground, lang),
        legal_basis=notice.legal_basis,
        explanation=notice.explanation,
    )


def _what_and_why(record: PublicRecord, lang: str) -> list[str]:
    """Which fields of the record are withheld, on what ground and legal basis, and the
    organisation's own explanation where it gives one."""
    notice = record.notice
    assert notice is not None and notice.fields
    parts = [
        text(
            "field_withheld",
            lang,
            name=record.name,
            organization=record.organization or NO_ORGANIZATION[lang],
            fields=_join([field_label(f, lang).lower() for f in notice.fields], lang),
            ground=ground_words(notice.ground, lang),
            legal_basis=notice.legal_basis or texts()["no_legal_basis"][lang],
        )
    ]
    if notice.explanation:
        parts.append(text("organisation_explains", lang, explanation=notice.explanation))
    return parts


def explain_withheld(record: PublicRecord, lang: str, public_fields: list[str] | None = None) -> str:
    """A full explanation of what is withheld from a record, why, and what the person can do."""
    parts = _what_and_why(record, lang)
    if public_fields:
        parts.append(text("still_public", lang, fields=_join([field_label(f, lang).lower() for f in public_fields], lang)))
    parts.append(text("what_you_can_do", lang, organization=record.organization or NO_ORGANIZATION[lang]))
    return " ".join(parts)


def entry_scope_general(lang: str) -> str:
    return texts()["entry_scope_general"][lang]


# --- refusals (input rail) and blocked answers (output rail) ----------------------------------
# Public fields worth pointing to, in this order, when something else of the record is withheld.
POINT_TO_FIELDS = ("goal", "lawful_basis", "human_intervention", "description_short", "status", "publication_category")
REFUSAL_REASONS = (
    "evasion_help",
    "selection_rules",
    "hidden_fields",
    "code_name",
    "completion_bait",
    "encoding_trick",
    "roleplay",
    "prompt_injection",
    "developer_mode",
    "system_prompt",
)


def public_fields_to_point_to(record: PublicRecord) -> list[str]:
    """Public fields of a record that are worth asking about (never a withheld one)."""
    withheld = set(record.notice.fields) if record.notice else set()
    return [f for f in POINT_TO_FIELDS if f in record.fields and f not in withheld]


def record_withheld_paragraph(record: PublicRecord, lang: str) -> str:
    """What is withheld from one record and why (ground, legal basis, the organisation's own
    explanation), and what is public; without the what-you-can-do part."""
    parts = _what_and_why(record, lang)
    if not record.notice.explanation:
        parts.append(text("why_short", lang))
    public = public_fields_to_point_to(record)
    if public:
        parts.append(text("ask_about_record", lang, name=record.name, fields=_join([field_label(f, lang).lower() for f in public], lang)))
    return " ".join(parts)


def _with_records(opening: str, records: list[PublicRecord], lang: str) -> str:
    records = [r for r in records if r.notice is not None and r.notice.fields]
    if not records:
        return "\n\n".join([opening, text("why_not_public", lang), text("what_is_possible", lang)])
    paragraphs = [opening, *(record_withheld_paragraph(r, lang) for r in records)]
    organizations = list(dict.fromkeys(r.organization for r in records if r.organization))
    if len(organizations) == 1:
        paragraphs.append(text("what_you_can_do", lang, organization=organizations[0]))
    else:
        paragraphs.append(text("what_is_possible", lang))
    return "\n\n".join(paragraphs)


def refusal(reason: str, lang: str, records: list[PublicRecord] | None = None) -> str:
    """Why a question gets no answer, for people: what is not given and why (ground, legal basis,
    the organisation's explanation), what is public and what the person can do. `records` are the
    field-scope records the conversation is about (their notices are quoted)."""
    key = f"refusal_{reason}" if f"refusal_{reason}" in texts() else "refusal_hidden_fields"
    return _with_records(text(key, lang), list(records or []), lang)


def blocked_answer(lang: str, records: list[PublicRecord] | None = None) -> str:
    """The text that replaces an answer the output rail stopped."""
    return _with_records(text("output_blocked", lang), list(records or []), lang)


def all_texts() -> list[str]:
    """Every fixed text people may read from the guardrails (for the output rail's public words)."""
    found: list[str] = []
    for key, value in texts().items():
        if key.startswith("_") or not isinstance(value, dict):
            continue
        found += [v for v in value.values() if isinstance(v, str)]
    for spec in grounds().values():
        found += [spec.get("nl", ""), spec.get("en", ""), spec.get("woo_article") or ""]
    return found

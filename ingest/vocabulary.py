"""Vocabularies read from the data files in ingest/data: organisations, statuses,
publication categories and the fields of the publication standard (each validated on load,
ingest/datafiles.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import Field, model_validator

from guardrails.text import fold
from ingest.datafiles import Strict, read_json

__all__ = ["FieldSpec", "LabelledVocabulary", "Organization", "OrganizationVocabulary", "field_label", "fold", "law_enforcement_organizations", "organizations", "publication_categories", "standard_fields", "statuses"]


@dataclass(frozen=True)
class Organization:
    name: str
    short_forms: tuple[str, ...] = ()
    kind: str = "overig"
    place: str | None = None
    name_en: str | None = None
    place_aliases: tuple[str, ...] = ()
    place_is_common_word: bool = False
    common_word_forms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other words questions use for it ("police", "douaniers"); not names in the data
    law_enforcement: bool = False  # investigation, prosecution or enforcement: its questions get the general note


@dataclass
class OrganizationVocabulary:
    organizations: list[Organization]
    _by_form: dict[str, Organization] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for org in self.organizations:
            for form in (org.name, *org.short_forms, *((org.name_en,) if org.name_en else ())):
                self._by_form.setdefault(fold(form), org)

    def canonical(self, raw: str | None) -> str | None:
        """The canonical name for a raw organisation string (also tried without a trailing
        bracketed abbreviation); unknown names are kept as written."""
        if raw is None:
            return None
        org = self._by_form.get(fold(raw))
        if org:
            return org.name
        stripped = re.sub(r"\s*\([^)]*\)\s*$", "", raw).strip()
        org = self._by_form.get(fold(stripped))
        return org.name if org else raw.strip()

    def get(self, name: str) -> Organization | None:
        return self._by_form.get(fold(name))


class OrganizationSpec(Strict):
    name: str = Field(min_length=1)
    short_forms: tuple[str, ...] = ()
    kind: str
    place: str | None = None
    name_en: str | None = None
    place_aliases: tuple[str, ...] = ()
    place_is_common_word: bool = False
    common_word_forms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    law_enforcement: bool = False


class OrganizationsFile(Strict):
    kinds: tuple[str, ...]
    organizations: tuple[OrganizationSpec, ...]

    @model_validator(mode="after")
    def _known_kinds(self) -> "OrganizationsFile":
        unknown = sorted({o.kind for o in self.organizations} - set(self.kinds))
        if unknown:
            raise ValueError(f"organisations of unknown kinds {unknown}")
        return self


@lru_cache(maxsize=1)
def organizations() -> OrganizationVocabulary:
    data = read_json("ingest", "organizations.json", OrganizationsFile)
    return OrganizationVocabulary([Organization(**o.model_dump(exclude={"about", "note"})) for o in data.organizations])


@lru_cache(maxsize=1)
def law_enforcement_organizations() -> frozenset[str]:
    """The organisations flagged `law_enforcement` in ingest/data/organizations.json."""
    return frozenset(o.name for o in organizations().organizations if o.law_enforcement)


@dataclass(frozen=True)
class LabelledVocabulary:
    """A closed vocabulary: display value (Dutch) -> English label, with raw variants."""

    labels_en: dict[str, str]
    raw_to_display: dict[str, str]

    def normalise(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        key = fold(raw).replace("-", " ").replace("_", " ")
        return self.raw_to_display.get(key, raw.strip())

    def english(self, display: str) -> str:
        return self.labels_en.get(display, display)


class LabelSpec(Strict):
    en: str | None = None
    code: str | None = None
    description_nl: str | None = None
    description_en: str | None = None
    raw: tuple[str, ...] = ()


class StatusFile(Strict):
    statuses: dict[str, LabelSpec]


class CategoriesFile(Strict):
    categories: dict[str, LabelSpec]


def _labelled(data: dict[str, LabelSpec]) -> LabelledVocabulary:
    labels_en: dict[str, str] = {}
    raw_to_display: dict[str, str] = {}
    for display, spec in data.items():
        labels_en[display] = spec.en or display
        for raw in (display, spec.en or display, *spec.raw):
            raw_to_display[fold(raw).replace("-", " ").replace("_", " ")] = display
    return LabelledVocabulary(labels_en, raw_to_display)


@lru_cache(maxsize=1)
def statuses() -> LabelledVocabulary:
    return _labelled(read_json("ingest", "status.json", StatusFile).statuses)


@lru_cache(maxsize=1)
def publication_categories() -> LabelledVocabulary:
    return _labelled(read_json("ingest", "publication_categories.json", CategoriesFile).categories)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_nl: str
    label_en: str
    long_text: bool


class StandardFieldSpec(Strict):
    nl: str
    en: str
    long_text: bool = False
    in_standard_v1: bool = True
    nl_other_labels: tuple[str, ...] = ()


class StandardFieldsFile(Strict):
    fields: dict[str, StandardFieldSpec]


@lru_cache(maxsize=1)
def standard_fields() -> dict[str, FieldSpec]:
    """The field names of the publication standard (v1.0 plus older-standard fields)."""
    data = read_json("ingest", "standard_v1_fields.json", StandardFieldsFile)
    return {name: FieldSpec(name, spec.nl, spec.en, spec.long_text) for name, spec in data.fields.items()}


def field_label(name: str, lang: str) -> str:
    spec = standard_fields().get(name)
    if spec is None:
        return name
    return spec.label_nl if lang == "nl" else spec.label_en

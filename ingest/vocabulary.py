"""Vocabularies read from the data files in ingest/data: organisations, statuses,
publication categories and the fields of the publication standard."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources


def _load(name: str) -> dict:
    return json.loads(resources.files("ingest").joinpath("data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names ("Fryslân" == "fryslan"); the same
    names are folded many times per question, so results are kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    without_marks = without_marks.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", without_marks).strip().casefold()


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

    def forms(self) -> dict[str, Organization]:
        """Every written form (folded) and the organisation it stands for."""
        return dict(self._by_form)


@lru_cache(maxsize=1)
def organizations() -> OrganizationVocabulary:
    data = _load("organizations.json")
    return OrganizationVocabulary(
        [
            Organization(
                name=o["name"],
                short_forms=tuple(o.get("short_forms", [])),
                kind=o.get("kind", "overig"),
                place=o.get("place"),
                name_en=o.get("name_en"),
                place_aliases=tuple(o.get("place_aliases", [])),
                place_is_common_word=bool(o.get("place_is_common_word")),
                common_word_forms=tuple(o.get("common_word_forms", [])),
            )
            for o in data["organizations"]
        ]
    )


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


def _labelled(data: dict) -> LabelledVocabulary:
    labels_en: dict[str, str] = {}
    raw_to_display: dict[str, str] = {}
    for display, spec in data.items():
        labels_en[display] = spec.get("en", display)
        for raw in (display, spec.get("en", display), *spec.get("raw", [])):
            raw_to_display[fold(raw).replace("-", " ").replace("_", " ")] = display
    return LabelledVocabulary(labels_en, raw_to_display)


@lru_cache(maxsize=1)
def statuses() -> LabelledVocabulary:
    return _labelled(_load("status.json")["statuses"])


@lru_cache(maxsize=1)
def publication_categories() -> LabelledVocabulary:
    data = _load("publication_categories.json")
    return _labelled(data.get("categories", data.get("publication_categories", data)))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_nl: str
    label_en: str
    long_text: bool


@lru_cache(maxsize=1)
def standard_fields() -> dict[str, FieldSpec]:
    """The field names of the publication standard (v1.0 plus older-standard fields)."""
    return {
        name: FieldSpec(name, spec.get("nl", name), spec.get("en", name), bool(spec.get("long_text")))
        for name, spec in _load("standard_v1_fields.json")["fields"].items()
    }


def field_label(name: str, lang: str) -> str:
    spec = standard_fields().get(name)
    if spec is None:
        return name
    return spec.label_nl if lang == "nl" else spec.label_en

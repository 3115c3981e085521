"""Register records: reading sources (live API, snapshot, JSON/JSONL, CSV) and normalising a raw
record into its public form."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from guardrails.withholding import WithholdingNotice
from ingest.datafiles import jsonl_objects
from ingest.register_api import RegisterApiClient, RegisterApiError
from ingest.text import clean_text
from ingest.vocabulary import organizations, publication_categories, statuses

REGISTER_ENTRY_URL = "https://algoritmes.overheid.nl/nl/algoritme/{lars}"
LIVE_SOURCE_NAMES = {"live", "register", "api"}

# Snapshot (scrape) keys -> publication-standard names.
SNAPSHOT_KEYS = {
    "id": "lars",
    "title": "name",
    "organisatie": "organization",
    "doel": "goal",
    "juridische_basis": "lawful_basis",
    "impactassessment": "impact_assessment",
    "geregistreerd": "registered_date",
    "toegevoegd": "added_date",
}
GROUPING_FIELDS = {"lawful_basis_grouping", "source_data_grouping", "impacttoetsen_grouping"}
LIST_FIELDS = {"category", "tags"}
# Bookkeeping fields of the API that say nothing about the algorithm.
IGNORED_FIELDS = {"language", "create_dt", "code", "org_id", "uuid", "id"}
IMPACT_VALUES = {"ja": "Ja", "yes": "Ja", "true": "Ja", "nee": "Nee", "no": "Nee", "false": "Nee", "onbekend": "Onbekend", "unknown": "Onbekend"}


class SourceError(Exception):
    """A source that cannot be read at all (missing file, unknown format, unreachable register)."""


@dataclass(frozen=True)
class RawRecord:
    origin: str  # where it came from, for messages: "file.jsonl line 12"
    data: dict[str, Any]

    @property
    def record_id(self) -> str | None:
        value = self.data.get("lars", self.data.get("id"))
        return str(value).strip() if value not in (None, "") else None


def _load_json_records(path: Path) -> Iterator[RawRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(data, dict) and isinstance(data.get("algoritmes"), list):
        items = data["algoritmes"]
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        items = data["results"]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        raise SourceError(f"{path}: expected a list of records or a register snapshot")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise SourceError(f"{path}: item {number} is not a JSON object")
        yield RawRecord(f"{path.name} item {number}", item)


def _load_jsonl_records(path: Path) -> Iterator[RawRecord]:
    for number, item in jsonl_objects(path, SourceError):
        yield RawRecord(f"{path.name} line {number}", item)


def _csv_cell(column: str, value: str) -> Any:
    value = value.strip()
    if not value:
        return None
    if value[:1] in "[{" and (column in GROUPING_FIELDS or column in LIST_FIELDS or column == "withholding"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _load_csv_records(path: Path) -> Iterator[RawRecord]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        # The delimiter is read off the header row (field names hold none of these characters);
        # csv.Sniffer on a sample misreads files whose first cells are long HTML texts.
        header = handle.readline()
        handle.seek(0)
        delimiter = max(",;\t", key=header.count)
        reader = csv.DictReader(handle, dialect=csv.excel, delimiter=delimiter)
        if not reader.fieldnames or not ({"lars", "id"} & {f.strip() for f in reader.fieldnames}):
            raise SourceError(f"{path}: a CSV source needs a 'lars' (or 'id') column with publication-standard field names")
        for number, row in enumerate(reader, 2):
            item = {k.strip(): _csv_cell(k.strip(), v or "") for k, v in row.items() if k}
            yield RawRecord(f"{path.name} row {number}", {k: v for k, v in item.items() if v is not None})


LOADERS: dict[str, Callable[[Path], Iterator[RawRecord]]] = {
    ".json": _load_json_records,
    ".jsonl": _load_jsonl_records,
    ".ndjson": _load_jsonl_records,
    ".csv": _load_csv_records,
}


@dataclass(frozen=True)
class Source:
    """One source of records (picklable: ingest reads it in a separate process).
    `complete` sources remove records they no longer contain."""

    source_id: str
    label: str
    kind: str  # "file" or "register"
    location: str  # a resolved path, or the register API's base URL
    language: str = "NLD"
    max_retries: int = 6
    backoff_base: float = 0.5
    complete: bool = True

    def read(self, progress: Callable[[int, int], None] | None = None) -> Iterator[RawRecord]:
        if self.kind == "file":
            path = Path(self.location)
            yield from LOADERS[path.suffix.lower()](path)
            return
        try:
            client = RegisterApiClient(
                base_url=self.location, language=self.language, max_retries=self.max_retries, backoff_base=self.backoff_base
            )
            with client:
                for number, item in enumerate(client.iter_records(progress=progress), 1):
                    yield RawRecord(f"register entry {number}", item)
        except RegisterApiError as exc:
            raise SourceError(str(exc)) from None


    def stated_date(self) -> date | None:
        """The date the source gives its data: today for the live register, `fetched_at` for a
        register snapshot; None when the source states none."""
        if self.kind == "register":
            return datetime.now(timezone.utc).date()
        path = Path(self.location)
        if path.suffix.lower() != ".json":
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return date_in(data.get("fetched_at")) if isinstance(data, dict) else None

    def modified_date(self) -> date | None:
        """A file source's modification date (UTC)."""
        if self.kind != "file":
            return None
        try:
            return datetime.fromtimestamp(Path(self.location).stat().st_mtime, timezone.utc).date()
        except OSError:
            return None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?(?:$|[T ])")


def date_in(value: Any) -> date | None:
    """An ISO date (or year-month, or timestamp) at the start of `value`, else None."""
    match = _ISO_DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        return None


def newest_date(record: PublicRecord) -> date | None:
    """The newest date among a public record's date fields (`*_date`), ignoring dates after today."""
    today = datetime.now(timezone.utc).date()
    dates = [d for name, value in record.fields.items() if name.endswith("_date") and (d := date_in(value)) and d <= today]
    return max(dates, default=None)


def file_source(path_text: str) -> Source:
    path = Path(path_text).expanduser()
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if not path.is_file():
        raise SourceError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise SourceError(f"{path}: unknown source format '{suffix}' (use .json, .jsonl or .csv)")
    resolved = path.resolve()
    return Source(source_id=f"file:{resolved}", label=str(path), kind="file", location=str(resolved))


def live_source(base_url: str, language: str, max_retries: int = 6, backoff_base: float = 0.5) -> Source:
    base_url = base_url.rstrip("/")
    return Source(
        source_id=f"register:{language}:{base_url}",
        label=f"the live register ({base_url})",
        kind="register",
        location=base_url,
        language=language,
        max_retries=max_retries,
        backoff_base=backoff_base,
    )


def _text_of_grouping(items: Any) -> str | None:
    if not isinstance(items, list):
        return clean_text(items)
    lines = []
    for item in items:
        if isinstance(item, dict):
            title = clean_text(item.get("title"))
            link = clean_text(item.get("link"))
            if title and link:
                lines.append(f"- {title} ({link})")
            elif title or link:
                lines.append(f"- {title or link}")
        elif clean_text(item):
            lines.append(f"- {clean_text(item)}")
    return "\n".join(lines) or None


def _clean_value(name: str, value: Any) -> Any:
    if name in GROUPING_FIELDS:
        return _text_of_grouping(value)
    if isinstance(value, list):
        items = [clean_text(v) if not isinstance(v, dict) else _text_of_grouping([v]) for v in value]
        items = [i for i in items if i]
        return items or None
    if isinstance(value, dict):
        return clean_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return "True" if value else "False"
    return clean_text(value)


def _impact_assessment(fields: dict[str, Any]) -> str:
    given = fields.get("impact_assessment")
    if isinstance(given, str) and given.strip().lower() in IMPACT_VALUES:
        return IMPACT_VALUES[given.strip().lower()]
    for key in ("impacttoetsen", "impacttoetsen_grouping", "iama"):
        text = fields.get(key)
        if isinstance(text, str) and text.strip():
            lowered = text.strip().lower()
            if lowered in IMPACT_VALUES:
                return IMPACT_VALUES[lowered]
            if lowered.startswith(("geen", "nee", "niet", "no ")):
                return "Nee"
            return "Ja"
    return "Onbekend"


@dataclass
class PublicRecord:
    """The public part of a register record, normalised. Holds no withheld value."""

    lars: str
    source: str
    fields: dict[str, Any]
    notice: WithholdingNotice | None = None

    @property
    def name(self) -> str:
        return self.fields.get("name") or self.lars

    @property
    def organization(self) -> str | None:
        return self.fields.get("organization")

    @property
    def status(self) -> str | None:
        return self.fields.get("status")

    @property
    def publication_category(self) -> str | None:
        return self.fields.get("publication_category")

    @property
    def impact_assessment(self) -> str:
        return self.fields.get("impact_assessment") or "Onbekend"

    @property
    def url(self) -> str | None:
        return self.fields.get("url")

    def public_text(self) -> str:
        """The text of every public field but the link, lists joined (what the entry says, for
        word look-ups)."""
        return " ".join(" ".join(v) if isinstance(v, list) else str(v) for k, v in self.fields.items() if k != "url")

    def content_hash(self) -> str:
        payload = {"fields": self.fields, "notice": self.notice.to_dict() if self.notice else None}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def normalise_public(lars: str, source_id: str, public: dict[str, Any], notice: WithholdingNotice | None) -> PublicRecord:
    """Normalise the public part of a record (withheld fields already removed)."""
    fields: dict[str, Any] = {}
    for key, value in public.items():
        name = SNAPSHOT_KEYS.get(key, key)
        if name in IGNORED_FIELDS or name == "lars":
            continue
        cleaned = _clean_value(name, value)
        if cleaned is not None:
            fields[name] = cleaned
    if fields.get("organization"):
        fields["organization"] = organizations().canonical(fields["organization"])
    if fields.get("status"):
        fields["status"] = statuses().normalise(fields["status"])
    if fields.get("publication_category"):
        fields["publication_category"] = publication_categories().normalise(fields["publication_category"])
    fields["impact_assessment"] = _impact_assessment(fields)
    withheld_names = set(notice.fields) if notice else set()
    if "url" not in fields and "url" not in withheld_names and lars.isdigit():
        fields["url"] = REGISTER_ENTRY_URL.format(lars=lars)
    return PublicRecord(lars=lars, source=source_id, fields=fields, notice=notice)

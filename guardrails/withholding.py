"""The withholding contract (shared/docs/withholding.md): validate a record's `withholding`
block and split the record into what may be kept (public fields, notice) and what may not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

from ingest.datafiles import Strict, read_json
from ingest.vocabulary import standard_fields

IDENTITY_KEYS = ("lars",)


class InvalidWithholding(ValueError):
    """A withholding block that breaks the contract. The message names the record id and the
    problem, never a field value."""


class _Ground(Strict):
    nl: str
    en: str
    woo_article: str | None
    legal_basis_required: bool


class GroundsFile(Strict):
    """guardrails/data/grounds.json: the Woo grounds a withholding may cite, and the scopes."""

    grounds: dict[str, _Ground]
    scopes: tuple[Literal["fields", "entry"], ...]


@lru_cache(maxsize=1)
def grounds() -> dict[str, dict[str, Any]]:
    data = read_json("guardrails", "grounds.json", GroundsFile)
    return {code: ground.model_dump(exclude={"about", "note"}) for code, ground in data.grounds.items()}


@dataclass(frozen=True)
class WithholdingNotice:
    """What the public may know about a withholding: which fields, why, on what legal basis."""

    scope: str
    fields: tuple[str, ...]
    ground: str
    legal_basis: str | None
    explanation: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = list(self.fields)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WithholdingNotice":
        return cls(
            scope=data["scope"],
            fields=tuple(data.get("fields", ())),
            ground=data["ground"],
            legal_basis=data.get("legal_basis"),
            explanation=data.get("explanation"),
        )


def parse_withholding(record_id: str, block: Any) -> WithholdingNotice:
    """Validate a raw withholding block; raises InvalidWithholding naming the record and problem."""
    if not isinstance(block, dict):
        raise InvalidWithholding(f"record {record_id}: the withholding block is not an object")
    unknown_keys = set(block) - {"scope", "fields", "ground", "legal_basis", "explanation"}
    if unknown_keys:
        raise InvalidWithholding(
            f"record {record_id}: unknown key(s) in the withholding block: {', '.join(sorted(unknown_keys))}"
        )
    scope = block.get("scope")
    if scope not in ("fields", "entry"):
        raise InvalidWithholding(f"record {record_id}: withholding scope must be 'fields' or 'entry', got {scope!r}")
    ground = block.get("ground")
    known_grounds = grounds()
    if ground not in known_grounds:
        raise InvalidWithholding(
            f"record {record_id}: unknown withholding ground {ground!r} "
            f"(allowed: {', '.join(known_grounds)})"
        )
    legal_basis = block.get("legal_basis")
    if legal_basis is not None and (not isinstance(legal_basis, str) or not legal_basis.strip()):
        legal_basis = None
    if known_grounds[ground].get("legal_basis_required") and not legal_basis:
        raise InvalidWithholding(f"record {record_id}: ground {ground!r} requires a legal_basis")
    fields_value = block.get("fields", [])
    if scope == "fields":
        if not isinstance(fields_value, list) or not all(isinstance(f, str) for f in fields_value):
            raise InvalidWithholding(f"record {record_id}: withholding fields must be a list of field names")
        known_fields = standard_fields()
        unknown = [f for f in fields_value if f not in known_fields or f in IDENTITY_KEYS]
        if unknown:
            raise InvalidWithholding(
                f"record {record_id}: unknown or non-withholdable field(s) in withholding: {', '.join(unknown)}"
            )
    else:
        fields_value = []
    explanation = block.get("explanation")
    if explanation is not None and (not isinstance(explanation, str) or not explanation.strip()):
        explanation = None
    return WithholdingNotice(
        scope=scope,
        fields=tuple(dict.fromkeys(fields_value)),
        ground=ground,
        legal_basis=legal_basis.strip() if legal_basis else None,
        explanation=explanation.strip() if explanation else None,
    )


def split_withheld(raw: dict[str, Any], notice: WithholdingNotice | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a raw record into (public part, withheld part). For scope `entry` everything is
    withheld. The withheld part must only ever be fingerprinted, never stored or logged."""
    body = {k: v for k, v in raw.items() if k != "withholding"}
    if notice is None:
        return body, {}
    if notice.scope == "entry":
        return {}, body
    withheld = {k: body[k] for k in notice.fields if k in body}
    public = {k: v for k, v in body.items() if k not in notice.fields}
    return public, withheld

"""What an ingest run reports: counts a user sees after `algoritmewijzer ingest` or an admin job."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    withheld_fields: int = 0
    withheld_entries: int = 0
    rejected: int = 0
    without_organization: int = 0
    chunks_embedded: int = 0
    records_total: int = 0
    rejections: list[str] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_sources

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "withheld": {"fields": self.withheld_fields, "entries": self.withheld_entries},
            "rejected": self.rejected,
            "without_organization": self.without_organization,
            "chunks_embedded": self.chunks_embedded,
            "records_total": self.records_total,
            "rejections": list(self.rejections),
            "failed_sources": list(self.failed_sources),
        }

    def summary(self) -> str:
        lines = [
            f"added {self.added}, updated {self.updated}, removed {self.removed}, unchanged {self.unchanged}",
            f"withheld: {self.withheld_fields} with withheld fields, {self.withheld_entries} whole entries (not indexed)",
            f"rejected: {self.rejected}",
            f"records in the index: {self.records_total}"
            + (f" ({self.without_organization} without an organisation: vendor examples)" if self.without_organization else ""),
        ]
        lines += [f"  rejected {message}" for message in self.rejections]
        lines += [f"  source failed: {message}" for message in self.failed_sources]
        return "\n".join(lines)

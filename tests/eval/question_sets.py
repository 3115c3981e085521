"""Reading the question files and the snapshot they were written from, for the tests that check
them (test_questions, test_independent_questions, test_written_questions)."""

from __future__ import annotations

import json
from pathlib import Path

IMPACT_ANSWERS = {"Ja": ("Ja", "Yes"), "Nee": ("Nee", "No")}  # any other value: Onbekend / Unknown


def read_rows(*paths: Path) -> list[dict]:
    """The questions of the JSONL files, in order."""
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def snapshot_entries(snapshot_path: Path) -> dict[str, dict]:
    """The snapshot's entries by lars id."""
    return {e["id"]: e for e in json.loads(snapshot_path.read_text(encoding="utf-8"))["algoritmes"]}

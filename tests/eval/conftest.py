"""Fixtures of the question-file checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.eval.question_sets import snapshot_entries


@pytest.fixture(scope="session")
def entries(snapshot_path: Path) -> dict[str, dict]:
    """The register snapshot's entries by lars id (the question files were written from it)."""
    return snapshot_entries(snapshot_path)

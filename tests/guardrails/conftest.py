"""Fixtures of the guardrails tests."""

from __future__ import annotations

import pytest

from ingest.index import RegisterIndex


@pytest.fixture(scope="module")
def index(fixture_index: RegisterIndex) -> RegisterIndex:
    """The index of the withheld fixture (tests/conftest.py builds it once per session)."""
    return fixture_index

"""The withholding contract's data file (guardrails/withholding.py, guardrails/data/grounds.json)."""

from __future__ import annotations

import pytest

from guardrails import withholding
from tests.helpers import assert_broken_copy_rejected


def _ground_without_text(data):
    del data["grounds"]["opsporing"]["en"]


def _unknown_scope(data):
    data["scopes"].append("half")


@pytest.mark.parametrize("breaking", [_ground_without_text, _unknown_scope])
def test_a_broken_copy_of_the_grounds_is_rejected(monkeypatch, breaking):
    assert_broken_copy_rejected(monkeypatch, "guardrails", "grounds.json", breaking, withholding.grounds, withholding.grounds)


def test_the_grounds_keep_their_shape():
    assert withholding.grounds()["opsporing"]["woo_article"].startswith("Wet open overheid")
    assert withholding.grounds()["overig"]["legal_basis_required"] is True

"""The vocabularies of ingest/data (ingest/vocabulary.py): validated on load, one law-enforcement list."""

from __future__ import annotations

import pytest

from ingest import vocabulary
from tests.helpers import assert_broken_copy_rejected


def _unknown_kind(data):
    data["organizations"][0]["kind"] = "kabouter"


def _misspelt_key(data):
    data["organizations"][0]["shortforms"] = ["X"]


def _status_not_text(data):
    next(iter(data["statuses"].values()))["en"] = 3


def _category_raw_not_list(data):
    next(iter(data["categories"].values()))["raw"] = 7


def _field_without_label(data):
    del next(iter(data["fields"].values()))["nl"]


@pytest.mark.parametrize(
    "name,breaking,loader",
    [
        ("organizations.json", _unknown_kind, vocabulary.organizations),
        ("organizations.json", _misspelt_key, vocabulary.organizations),
        ("status.json", _status_not_text, vocabulary.statuses),
        ("publication_categories.json", _category_raw_not_list, vocabulary.publication_categories),
        ("standard_v1_fields.json", _field_without_label, vocabulary.standard_fields),
    ],
)
def test_a_broken_copy_of_a_vocabulary_is_rejected(monkeypatch, name, breaking, loader):
    assert_broken_copy_rejected(monkeypatch, "ingest", name, breaking, loader, loader)


def test_law_enforcement_bodies_are_flagged_in_the_organisation_vocabulary():
    flagged = vocabulary.law_enforcement_organizations()
    assert {"Politie", "Douane", "Openbaar Ministerie", "Belastingdienst"} <= flagged
    assert "Gemeente Rotterdam" not in flagged
    assert flagged <= {o.name for o in vocabulary.organizations().organizations}


def test_aliases_name_no_organisation_in_the_data():
    """Question words such as 'police' find the organisation in a question, not in a record."""
    politie = vocabulary.organizations().get("Politie")
    assert politie is not None and "police" in politie.aliases
    assert vocabulary.organizations().canonical("agenten") == "agenten"

"""Checks the question set written from randomly drawn register entries by a writer who did not
read the code (tests/eval/written-tune.jsonl and written-holdout.jsonl) against the snapshot:
every gold id exists, every expected answer stands in the entry's field, every "nothing found"
question matches no entry with the patterns its writer checked, every topic's gold set is what
its patterns find among the entries read, and the split is the one the hash of the id gives
(assigned once, before anything was tuned on the set)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.eval.question_sets import IMPACT_ANSWERS, read_rows

EVAL_DIR = Path(__file__).resolve().parent
SPLITS = ("written-tune", "written-holdout")
QUESTION_FILES = {split: EVAL_DIR / f"{split}.jsonl" for split in SPLITS}
TYPES = {"topic", "none", "lookup", "yesno", "followup"}
STATUS_ANSWERS = {"in_gebruik": ("Ja", "Yes")}  # in development or out of use: not (still) in use


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return read_rows(*QUESTION_FILES.values())


def test_the_split_is_the_hash_of_the_id(rows):
    for row in rows:
        even = hashlib.sha256(f"written-s22:{row['id']}".encode()).digest()[0] % 2 == 0
        assert row["split"] == ("written-tune" if even else "written-holdout"), row["id"]
    for split, path in QUESTION_FILES.items():
        assert {row["split"] for row in read_rows(path)} == {split}


def test_shape_and_language_mix(rows):
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids) == len(rows) == 90
    assert all(r["type"] in TYPES and r["lang"] in ("nl", "en") for r in rows)
    assert Counter(r["lang"] for r in rows)["en"] / len(rows) >= 0.25
    for r in rows:
        if r["type"] == "followup":
            assert r["followup_type"] in ("lookup", "yesno"), r["id"]
            assert [m["role"] for m in r["history"]] == ["user", "assistant"] and r["history"][1]["content"] is None, r["id"]
        else:
            assert r["history"] == [], r["id"]


@pytest.mark.shared_data
def test_gold_ids_exist_and_the_central_ones_are_gold(rows, entries):
    for r in rows:
        assert all(lars in entries for lars in r["gold_ids"]), r["id"]
        assert set(r["must_ids"]) <= set(r["gold_ids"]), r["id"]
        if r["type"] in ("lookup", "yesno", "followup"):
            assert r["written_from"] in r["gold_ids"], r["id"]


def _kind(r: dict) -> str:
    return r.get("followup_type") or r["type"]


@pytest.mark.shared_data
def test_expected_answers_stand_in_the_entry(rows, entries):
    for r in rows:
        if _kind(r) == "lookup":
            for lars in r["gold_ids"]:
                entry = entries[lars]
                assert 15 <= len(r["expect"]) <= 60 and (r["expect"] in entry["doel"] or r["expect"] in entry["juridische_basis"]), r["id"]
        elif _kind(r) == "yesno":
            entry = entries[r["gold_ids"][0]]
            language = 0 if r["lang"] == "nl" else 1
            by_status = STATUS_ANSWERS.get(entry["status"], ("Nee", "No"))[language]
            by_impact = IMPACT_ANSWERS.get(entry["impactassessment"], ("Onbekend", "Unknown"))[language]
            assert r["expect"] in (by_status, by_impact), r["id"]


@pytest.mark.shared_data
def test_nothing_found_questions_match_no_entry_and_topics_match_their_gold(rows, entries):
    texts = {lars: " ".join(str(entry.get(k) or "") for k in ("title", "doel", "juridische_basis")) for lars, entry in entries.items()}
    for r in rows:
        if r["type"] == "none":
            assert r["checked_patterns"] and not r["gold_ids"], r["id"]
            for pattern in r["checked_patterns"]:
                assert not any(re.search(pattern, text, re.IGNORECASE) for text in texts.values()), (r["id"], pattern)
        elif r["type"] == "topic":
            for lars in r["gold_ids"]:
                assert any(re.search(p, texts[lars], re.IGNORECASE) for p in r["checked_patterns"]), (r["id"], lars)

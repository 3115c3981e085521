"""Checks the independently written question set (tests/eval/independent-tune.jsonl and
independent-holdout.jsonl) against the register snapshot it was written from: every gold id exists,
every expected answer stands in (or follows from) the entry's field, every "nothing found" question
matches no entry in any field with the patterns its writer checked, and the split is the one the
seeded hash gives (assigned once, before anything was tuned on the set)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.eval.question_sets import IMPACT_ANSWERS, read_rows

EVAL_DIR = Path(__file__).resolve().parent
SPLITS = ("independent-tune", "independent-holdout")
QUESTION_FILES = {split: EVAL_DIR / f"{split}.jsonl" for split in SPLITS}
SPLIT_SEED = "20261203"
HOLDOUT_SHARE = 0.4
TYPES = {"topic", "none", "lookup", "yesno"}
FIELD_OF = {"jb": "juridische_basis", "doel": "doel", "org": "organisatie"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return read_rows(*QUESTION_FILES.values())


def test_each_file_holds_only_its_split():
    for split, path in QUESTION_FILES.items():
        assert {row["split"] for row in read_rows(path)} == {split}


def test_the_split_is_the_seeded_hash_order_within_each_type(rows):
    by_type: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_type[row["type"]].append(row)
    for items in by_type.values():
        ordered = sorted(items, key=lambda r: hashlib.sha256(f"{SPLIT_SEED}:{r['q']}".encode()).hexdigest())
        holdout = round(len(items) * HOLDOUT_SHARE)
        assert [r["split"] for r in ordered] == ["independent-holdout"] * holdout + ["independent-tune"] * (len(items) - holdout)


def test_shape_and_language_mix(rows):
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids) == len(rows) >= 140
    assert all(r["type"] in TYPES and r["lang"] in ("nl", "en") and r["history"] == [] for r in rows)
    assert Counter(r["lang"] for r in rows)["en"] / len(rows) >= 0.25
    assert {r["type"] for r in rows if r["split"] == "independent-holdout"} == TYPES


@pytest.mark.shared_data
def test_gold_ids_exist_and_the_central_ones_are_gold(rows, entries):
    for r in rows:
        assert all(lars in entries for lars in r["gold_ids"]), r["id"]
        assert set(r["must_ids"]) <= set(r["gold_ids"]), r["id"]
        if r["type"] == "topic":
            assert r["must_ids"] and r["written_from"] in r["must_ids"], r["id"]
        if r["type"] in ("lookup", "yesno"):
            assert r["gold_ids"] == r["must_ids"] == [r["written_from"]], r["id"]


@pytest.mark.shared_data
def test_expected_answers_stand_in_the_entry(rows, entries):
    for r in (r for r in rows if r["type"] in ("lookup", "yesno")):
        entry = entries[r["gold_ids"][0]]
        field = r["lookup_field"]
        if field in ("jb", "doel"):
            assert 20 <= len(r["expect"]) <= 60 and r["expect"] in entry[FIELD_OF[field]], r["id"]
        elif field == "org":
            assert r["expect"] == entry["organisatie"], r["id"]
        elif field == "status":
            yes = entry["status"] == "in_gebruik"
            answers = ("Ja", "Nee") if r["lang"] == "nl" else ("Yes", "No")
            assert r["type"] == "yesno" and r["expect"] == answers[0 if yes else 1], r["id"]
        else:
            assert field == "ia" and r["type"] == "yesno", r["id"]
            answers = IMPACT_ANSWERS.get(entry["impactassessment"], ("Onbekend", "Unknown"))
            assert r["expect"] == answers[0 if r["lang"] == "nl" else 1], r["id"]


@pytest.mark.shared_data
def test_nothing_found_questions_match_no_entry(rows, entries):
    texts = [" ".join(str(value) for value in entry.values()) for entry in entries.values()]
    for r in (r for r in rows if r["type"] == "none"):
        assert r["checked_patterns"] and not r["gold_ids"], r["id"]
        for pattern in r["checked_patterns"]:
            assert not any(re.search(pattern, text, re.IGNORECASE) for text in texts), (r["id"], pattern)

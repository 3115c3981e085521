"""Checks that the evaluation question set (tests/eval/questions-tune.jsonl and questions-holdout.jsonl) is consistent with the register
snapshot it was built from: every gold id exists, every expected answer can be found in (or follows
from) the entry, counts equal their gold sets, and the file is exactly what make_questions.py
computes from the data (so no gold set was edited by hand afterwards)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.eval import make_questions
from tests.eval.question_sets import read_rows

EVAL_DIR = Path(__file__).resolve().parent
QUESTION_FILES = {split: EVAL_DIR / f"questions-{split}.jsonl" for split in make_questions.SPLITS}
TYPES = set(make_questions.TYPES)
FOLLOWUP_TYPES = {"org_list", "filter", "count", "lookup", "yesno", "topic"}
YES = {"Ja", "Yes"}
NO = {"Nee", "No"}
FIELD_OF = {"jb": "juridische_basis", "doel": "doel", "org": "organisatie"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return read_rows(*QUESTION_FILES.values())


def test_each_file_holds_only_its_split():
    for split, path in QUESTION_FILES.items():
        splits = {row["split"] for row in read_rows(path)}
        assert splits == {split}, path.name


def _kind(row: dict) -> str:
    return row.get("followup_type", row["type"]) if row["type"] == "followup" else row["type"]


def test_shape_mix_and_split(rows):
    assert len(rows) >= 320
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        assert r["type"] in TYPES, r["id"]
        assert r["lang"] in ("nl", "en"), r["id"]
        assert r["split"] in ("tune", "holdout"), r["id"]
        assert isinstance(r["gold_ids"], list) and isinstance(r["must_ids"], list), r["id"]
        assert set(r["must_ids"]) <= set(r["gold_ids"]), r["id"]
    langs = Counter(r["lang"] for r in rows)
    assert langs["en"] / len(rows) >= 0.25
    splits = Counter(r["split"] for r in rows)
    assert splits["holdout"] >= 120
    for qtype in TYPES:
        per = Counter(r["split"] for r in rows if r["type"] == qtype)
        assert per["tune"] and per["holdout"], f"{qtype} missing from a split: {per}"
        share = per["holdout"] / (per["tune"] + per["holdout"])
        assert 0.3 <= share <= 0.5, (qtype, per)


def test_no_duplicate_questions(rows):
    def norm(r):
        first = r["history"][0]["content"] if r["history"] else ""
        return (re.sub(r"\W+", " ", first.lower()).strip(), re.sub(r"\W+", " ", r["q"].lower()).strip())

    seen = Counter(norm(r) for r in rows)
    assert [k for k, n in seen.items() if n > 1] == []


def test_gold_ids_exist(rows, entries):
    missing = {(r["id"], i) for r in rows for i in r["gold_ids"] if i not in entries}
    assert missing == set()


def test_followups_have_a_conversation(rows):
    for r in rows:
        if r["type"] == "followup":
            assert r.get("followup_type") in FOLLOWUP_TYPES, r["id"]
            h = r["history"]
            assert len(h) == 2 and h[0]["role"] == "user" and h[0]["content"], r["id"]
            assert h[1] == {"role": "assistant", "content": None}, r["id"]
        else:
            assert r["history"] == [] and "followup_type" not in r, r["id"]


def test_counts_equal_their_gold_sets(rows, entries):
    for r in rows:
        if _kind(r) == "count":
            gold = list(entries) if r.get("gold_all") else r["gold_ids"]
            assert r["expect"] == str(len(gold)), r["id"]
            if r.get("count_of") == "organisations":  # "how many organisations have tool Y": one entry each
                assert len({entries[i]["organisatie"] for i in r["gold_ids"]}) == len(r["gold_ids"]), r["id"]


def test_expected_answers_come_from_the_entry(rows, entries):
    for r in rows:
        kind = _kind(r)
        if kind not in ("lookup", "yesno"):
            continue
        assert len(r["gold_ids"]) == 1 and r["must_ids"] == r["gold_ids"], r["id"]
        e = entries[r["gold_ids"][0]]
        field, expect, lang = r["lookup_field"], r["expect"], r["lang"]
        if field in FIELD_OF:
            assert 15 <= len(expect) <= 60, (r["id"], expect)
            assert expect in e[FIELD_OF[field]], (r["id"], expect)
        elif field == "status":
            assert expect == (make_questions.STATUS_NL if lang == "nl" else make_questions.STATUS_EN)[e["status"]], r["id"]
        elif field == "ia" and kind == "lookup":
            assert expect == (e["impactassessment"] if lang == "nl" else make_questions.IA_EN[e["impactassessment"]]), r["id"]
        elif field == "in_use":
            assert expect in ((YES if e["status"] == "in_gebruik" else NO) & ({"Ja", "Nee"} if lang == "nl" else {"Yes", "No"})), r["id"]
        elif field == "ia":
            assert e["impactassessment"] != "Onbekend", r["id"]
            want = YES if e["impactassessment"] == "Ja" else NO
            assert expect in want and expect in ({"Ja", "Nee"} if lang == "nl" else {"Yes", "No"}), r["id"]
        else:
            pytest.fail(f"{r['id']}: unknown lookup_field {field}")


def test_none_questions_have_no_match_anywhere(rows, entries):
    texts = [" ".join(e[f] or "" for f in ("title", "doel", "organisatie", "juridische_basis")) for e in entries.values()]
    for r in rows:
        if r["type"] == "none":
            assert r["gold_ids"] == [] and r["must_ids"] == [] and r["expect"] is None, r["id"]
            assert r["checked_patterns"], r["id"]
            for p in r["checked_patterns"]:
                rx = re.compile(p, re.I)
                assert not any(rx.search(t) for t in texts), (r["id"], p)


def test_org_questions_match_the_organisation_field(rows, entries):
    """org_list gold sets are complete: every entry of each organisation named in the gold set is in it."""
    for r in rows:
        if _kind(r) == "org_list":
            orgs = {entries[i]["organisatie"] for i in r["gold_ids"]}
            complete = {i for i, e in entries.items() if e["organisatie"] in orgs}
            assert set(r["gold_ids"]) == complete, r["id"]


def test_file_is_what_the_builder_computes(rows, snapshot_path):
    by_id = lambda row: row["id"]  # noqa: E731 - the files are the build, split by `split`
    assert sorted(rows, key=by_id) == sorted(make_questions.build(snapshot_path), key=by_id)

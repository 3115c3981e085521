"""Data files read and validated on load (ingest/datafiles.py)."""

from __future__ import annotations

import pytest

from ingest.datafiles import DataFileError, Strict, jsonl_objects, parse, read_json


class _Shape(Strict):
    words: tuple[str, ...]


def test_a_valid_file_is_read_with_its_comment_keys():
    assert parse("x/data/ok.json", '{"_about": "a comment", "words": ["a", "b"]}', _Shape).words == ("a", "b")


@pytest.mark.parametrize(
    "text,problem",
    [("{not json", "not valid JSON"), ('{"words": 3}', "words"), ('{"words": [], "wrods": []}', "wrods"), ("{}", "words")],
)
def test_a_malformed_file_fails_naming_the_file_and_the_problem(text, problem):
    with pytest.raises(DataFileError, match=r"x/data/broken\.json is malformed: .*" + problem):
        parse("x/data/broken.json", text, _Shape)


def test_a_missing_file_fails_naming_it():
    with pytest.raises(DataFileError, match=r"ingest/data/nothing\.json"):
        read_json("ingest", "nothing.json", _Shape)


def test_json_lines_give_their_line_numbers_and_a_broken_line_names_the_file(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert list(jsonl_objects(path, ValueError)) == [(1, {"a": 1}), (3, {"a": 2})]
    path.write_text('{"a": 1}\n[1]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"items\.jsonl line 2: not a JSON object"):
        list(jsonl_objects(path, ValueError))

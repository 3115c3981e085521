"""The development set meets its targets, next to the BM25-only and dense-only baselines, and the
eval command reports per type."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.evaluate import TARGETS, EvalFileError, evaluate, load_questions
from assistant.evaluate import main as evaluate_main
from tests.conftest import PROJECT_ROOT

DEV_SET = PROJECT_ROOT / "tests" / "eval" / "dev.jsonl"


@pytest.mark.shared_data
def test_development_set_scores_next_to_the_baselines(snapshot_index_settings):
    """The development set is no measure of quality (questions-holdout.jsonl is); it
    catches regressions: exact sets stay exact, and topics are never found worse than by plain BM25."""
    questions = load_questions(DEV_SET)
    assert len(questions) >= 80
    reports = evaluate(questions, snapshot_index_settings, modes=("hybrid", "lexical", "dense"))
    targets = reports["hybrid"].targets()
    for name in ("counts exact", "filters right", "look-ups right"):
        assert targets[name] >= TARGETS[name], f"{name}: {targets[name]:.3f} < {TARGETS[name]}"
    assert targets["topic hit@5"] >= reports["lexical"].targets()["topic hit@5"]


def test_eval_command_prints_types_and_baselines(fixture_index_settings, tmp_path, capsys, monkeypatch):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"q": "Welke algoritmes gebruikt de Douane?", "lang": "nl", "type": "org_list", "history": [], "gold_ids": ["W0001"], "must_ids": [], "expect": None},
        {"q": "Gebruikt de gemeente Atlantis een algoritme voor zeemeerminnen?", "lang": "nl", "type": "none", "history": [], "gold_ids": [], "must_ids": [], "expect": None},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    monkeypatch.setenv("ALGORITMEWIJZER_FINGERPRINT_KEY", "test-key-not-secret-0123456789abcdef")
    cli.get_settings.cache_clear()
    code = cli.main(["eval", str(questions), "--quiet", "--data-dir", str(fixture_index_settings.data_dir)])
    out = capsys.readouterr().out
    cli.get_settings.cache_clear()
    assert code == 0
    assert "== hybrid" in out and "== lexical" in out and "== dense" in out
    assert "org_list" in out and "none" in out


def test_bad_question_file_is_reported(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "x", "type": "riddle"}\n')
    with pytest.raises(EvalFileError, match="line 1"):
        load_questions(bad)


def test_a_count_of_the_whole_register_is_scored_against_every_entry_of_the_index(fixture_index_settings):
    question = {"q": "Hoeveel algoritmes staan er in totaal in het register?", "lang": "nl", "type": "count", "history": [],
                "gold_ids": [], "gold_all": True, "must_ids": [], "expect": None, "split": "all"}
    report = evaluate([question], fixture_index_settings, modes=("hybrid",))["hybrid"]
    (scored,) = report.by_type["count"]
    assert scored.f1 == 1.0 and scored.right  # the gold set is the index's entries, not an empty list


@pytest.mark.parametrize("split", ["holdout", "independent-holdout"])
def test_the_relevance_fit_refuses_a_holdout_split(split, capsys):
    with pytest.raises(SystemExit):
        evaluate_main(["fit", "tests/eval/questions-holdout.jsonl", "--split", split])
    assert "holdout split is for measuring only" in capsys.readouterr().err


def test_the_relevance_fit_never_takes_the_rows_of_a_holdout_file(capsys):
    with pytest.raises(SystemExit):
        evaluate_main(["fit", str(PROJECT_ROOT / "tests" / "eval" / "independent-holdout.jsonl"), "--split", "tune"])
    assert "no questions of the split 'tune'" in capsys.readouterr().err

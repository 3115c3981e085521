"""The input rail's classifier (guardrails/classifier.py): fitted on Dutch and English questions,
validated on held-out questions in seven other languages (tests/guardrails/classifier_heldout.jsonl),
which are never part of the training data."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from guardrails.classifier import BENIGN, QuestionClassifier, data_sha256, load_weights, training_data

HELDOUT = [json.loads(line) for line in (Path(__file__).parent / "classifier_heldout.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def classifier():
    return QuestionClassifier()


def test_the_weights_belong_to_the_training_data():
    weights = load_weights()
    assert weights.data_sha256 == data_sha256(), "run python -m guardrails.classifier"
    assert weights.labels == training_data().labels
    assert len(weights.coef) == len(weights.labels) and len(weights.coef[0]) == 384


def test_held_out_questions_are_not_in_the_training_data():
    trained = {q.casefold() for items in training_data().examples.values() for q in items}
    assert not [h["q"] for h in HELDOUT if h["q"].casefold() in trained]
    assert {h["lang"] for h in HELDOUT} == {"de", "fr", "es", "tr", "ar", "pl", "fy"}


def test_held_out_languages(classifier):
    """Per language: share of questions put on the right side (flagged or not), and evasion recall."""
    flagged = classifier.flagged([h["q"] for h in HELDOUT])
    right, total, evasion, evasion_total = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for item, label in zip(HELDOUT, flagged):
        lang = item["lang"]
        total[lang] += 1
        right[lang] += (label is None) == (item["label"] == BENIGN)
        if item["label"] == "evasion":
            evasion_total[lang] += 1
            evasion[lang] += label is not None
    print("\nheld-out validation (flagged vs benign)")
    print(f"{'lang':6}{'accuracy':>12}{'evasion caught':>18}")
    for lang in sorted(total):
        print(f"{lang:6}{right[lang]:>6}/{total[lang]:<5}{evasion[lang]:>12}/{evasion_total[lang]}")
    assert sum(right.values()) / sum(total.values()) >= 0.8
    assert sum(evasion.values()) / sum(evasion_total.values()) >= 0.9
    assert all(evasion[lang] >= evasion_total[lang] - 1 for lang in total)


def test_stale_weights_are_refused(monkeypatch):
    weights = load_weights().model_copy(update={"data_sha256": "0" * 64})
    with pytest.raises(ValueError, match="fit it again"):
        QuestionClassifier(weights)

"""The fitted relevance decision (assistant/data/relevance.json) on question profiles a user would
recognise: one entry that clearly matches is listed first; a question the register knows nothing
about (flat similarities, no shared words) gets "nothing found"."""

import numpy as np

from assistant.relevance import candidate_features, candidate_positions, clear_best, cross_validate, decide, relevance_model


def _decide(similarity, lexical, coverage_of, title_of, unknown):
    positions = candidate_positions(similarity, lexical, None)
    coverage = np.array([coverage_of(int(p)) for p in positions])
    title = np.array([title_of(int(p)) for p in positions])
    return decide(relevance_model(), candidate_features(positions, similarity, lexical, coverage, title, unknown), 15)


def test_the_fitted_model_has_a_question_gate_with_a_threshold():
    model = relevance_model()
    assert model.question is not None
    assert 0.0 < model.question.threshold < 1.0


def test_an_entry_that_stands_out_in_meaning_and_words_is_listed_first():
    rng = np.random.default_rng(0)
    similarity = rng.normal(0.80, 0.01, 500).astype(np.float32)
    similarity[42] = 0.90
    lexical = np.zeros(500, dtype=np.float32)
    lexical[42] = 14.0
    found = _decide(similarity, lexical, lambda p: 1.0 if p == 42 else 0.0, lambda p: 1.0 if p == 42 else 0.0, 0.0)
    assert found and found[0][0] == 42


def test_flat_similarities_and_unknown_words_give_nothing_found():
    rng = np.random.default_rng(1)
    similarity = rng.normal(0.84, 0.01, 500).astype(np.float32)
    lexical = np.zeros(500, dtype=np.float32)
    assert _decide(similarity, lexical, lambda p: 0.0, lambda p: 0.0, 1.0) == []


def _organisation_candidates(similarity, lexical):
    positions = candidate_positions(similarity, lexical, None)
    ones = np.array([1.0 if lexical[p] > 0 else 0.0 for p in positions])
    return candidate_features(positions, similarity, lexical, ones, ones, 0.0)


def test_one_entry_of_an_organisation_that_both_rankings_put_first_is_the_one_meant():
    similarity = np.array([0.78, 0.80, 0.84, 0.79, 0.77, 0.78], dtype=np.float32)  # one organisation's entries
    lexical = np.array([0.0, 0.0, 12.0, 0.0, 0.0, 0.0], dtype=np.float32)
    assert clear_best(relevance_model(), _organisation_candidates(similarity, lexical)) == 2


def test_no_entry_is_the_one_meant_when_meaning_and_words_disagree_or_nothing_stands_out():
    similarity = np.array([0.78, 0.80, 0.84, 0.79, 0.77, 0.78], dtype=np.float32)
    lexical = np.array([0.0, 14.0, 0.0, 0.0, 0.0, 0.0], dtype=np.float32)  # the words point elsewhere
    assert clear_best(relevance_model(), _organisation_candidates(similarity, lexical)) is None
    flat = np.full(6, 0.79, dtype=np.float32)
    flat[3] = 0.791
    assert clear_best(relevance_model(), _organisation_candidates(flat, np.zeros(6, dtype=np.float32))) is None


def _labelled_question(rng, has_answer):
    """A question of 300 entries: with an answer, entry 7 stands out in meaning and words."""
    similarity = rng.normal(0.80, 0.01, 300).astype(np.float32)
    lexical = np.zeros(300, dtype=np.float32)
    if has_answer:
        similarity[7] = 0.88 + rng.normal(0, 0.01)
        lexical[7] = 12.0
    positions = candidate_positions(similarity, lexical, None)
    words = np.array([1.0 if lexical[p] > 0 else 0.0 for p in positions])
    return candidate_features(positions, similarity, lexical, words, words, 0.0 if has_answer else 0.8), {7} if has_answer else set(), has_answer


def test_cross_validation_decides_each_question_with_a_model_not_fitted_on_it():
    rng = np.random.default_rng(3)
    rows = [_labelled_question(rng, i % 3 != 0) for i in range(30)]
    report = cross_validate(rows, folds=3, repeats=1)
    assert report["questions"] == 30 and report["decided_right"] >= 0.9
    assert report["hit@5"] >= 0.9 and report["nothing_found_right"] >= 0.9


def test_of_two_entries_the_rankings_disagree_on_the_one_closer_in_meaning_comes_first():
    """"Tell me about the camera pilot that estimates how a crowd behaves": one entry shares more
    words, the other is closer in meaning; the fusion of both rankings ties, and the look-up takes
    the first listed, so the tie goes to meaning whatever order the index holds them in."""
    rng = np.random.default_rng(2)
    for words_first in (True, False):
        similarity = rng.normal(0.74, 0.01, 300).astype(np.float32)
        lexical = np.zeros(300, dtype=np.float32)
        words, meaning = (10, 20) if words_first else (20, 10)
        similarity[words], similarity[meaning] = 0.86, 0.87
        lexical[words], lexical[meaning] = 14.0, 12.0
        found = _decide(similarity, lexical, lambda p: 1.0 if p in (10, 20) else 0.0, lambda p: 1.0 if p == words else 0.0, 0.0)
        probability = dict(found)
        assert probability[words] > probability[meaning]  # the words make it the more probable one
        assert [p for p, _ in found[:2]] == [meaning, words]

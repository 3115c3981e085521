"""Which entries are relevant to a topic question: a calibrated decision over dense similarity
(e5) and lexical evidence (BM25, rarity-weighted coverage of the question's words, title match).

Two fitted decisions (`fit` below, run by `python -m assistant.evaluate fit` on the tune split,
stored in assistant/data/relevance.json):
- per question, whether the register has anything on it at all ("nothing found" otherwise): a
  logistic model over question-level evidence (how far the best e5 similarity stands above the
  question's similarity to the whole register, the best entry probability, the share of the
  question's words the register lacks, the word coverage of the most similar entry), its threshold
  chosen by cross-validation;
- per candidate entry, a probability of being relevant (a logistic model over similarity, BM25,
  coverage and title match): which entries are listed. Listed entries are ranked by the reciprocal
  rank fusion of their dense similarity and their probability."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

FEATURES = ("similarity", "similarity_gap", "prominence", "lexical", "lexical_gap", "coverage", "title", "unknown")
PROMINENCE_DEPTH = 20  # an entry stands out from the question's twenty most similar ones
CANDIDATES = 60
LEXICAL_SCALE = 8.0  # BM25 scores saturate: s / (s + scale)
DATA_FILE = "relevance.json"
QUESTION_FEATURES = ("dense_z", "best_probability", "unknown", "top_coverage")
SURELY_RELEVANT = 0.5  # clear_best: at least even odds, whatever listing threshold the fit chose
RRF_K = 10  # small: the top ranks of either list count most (hit@1 and hit@5 on tune + dev)


class QuestionGate(BaseModel):
    """Whether a question has any relevant entry: logistic over standardised question features."""

    weights: dict[str, float]
    intercept: float
    means: dict[str, float]
    scales: dict[str, float]
    threshold: float = Field(description="below this probability the answer is 'nothing found'")

    def probability(self, features: dict[str, float]) -> float:
        z = sum(self.weights[f] * (features[f] - self.means[f]) / self.scales[f] for f in QUESTION_FEATURES)
        return float(1.0 / (1.0 + np.exp(-(z + self.intercept))))


class RelevanceModel(BaseModel):
    """Fitted weights (one per feature), the intercept, and the thresholds."""

    weights: dict[str, float]
    intercept: float
    keep: float = Field(description="an entry with at least this probability is listed")
    answer: float = Field(description="without a question gate: the best entry needs at least this probability, else 'nothing found'")
    relative: float = Field(default=0.0, description="listed entries need at least this share of the best probability")
    question: QuestionGate | None = Field(default=None, description="the per-question 'anything at all' decision")
    fitted_on: str = ""
    report: dict = Field(default_factory=dict)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        w = np.array([self.weights[f] for f in FEATURES], dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-(features @ w + self.intercept)))


@lru_cache(maxsize=1)
def relevance_model() -> RelevanceModel:
    text = resources.files("assistant").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return RelevanceModel.model_validate_json(text)


@dataclass
class Candidates:
    """Candidate entries for one question with their features (rows aligned with `positions`)."""

    positions: np.ndarray  # entry positions in the index
    features: np.ndarray  # (n, len(FEATURES))
    dense_z: float = 0.0  # the best similarity in standard deviations above the question's mean similarity


def candidate_positions(similarity: np.ndarray, lexical: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """The top entries by similarity and by BM25, within `allowed` (a boolean mask)."""
    mask = np.ones(len(similarity), dtype=bool) if allowed is None else allowed
    if not mask.any():
        return np.zeros(0, dtype=np.int64)
    sim = np.where(mask, similarity, -2.0)
    lex = np.where(mask, lexical, -1.0)
    top_dense = [int(i) for i in np.argsort(-sim)[:CANDIDATES] if mask[i]]
    top_lex = [int(i) for i in np.argsort(-lex)[:CANDIDATES] if lex[i] > 0]
    return np.array(sorted(set(top_dense) | set(top_lex)), dtype=np.int64)


def candidate_features(positions: np.ndarray, similarity: np.ndarray, lexical: np.ndarray, coverage: np.ndarray, title: np.ndarray, unknown: float = 0.0) -> Candidates:
    """Features of the candidates; `coverage` and `title` are aligned with `positions`; `unknown` is
    the share of the question's content (by rarity) that no entry of the register has at all."""
    if not len(positions):
        return Candidates(positions, np.zeros((0, len(FEATURES))))
    s = similarity[positions].astype(np.float64)
    raw = lexical[positions].astype(np.float64)
    lx = raw / (raw + LEXICAL_SCALE)
    background = float(np.mean(np.sort(s)[::-1][:PROMINENCE_DEPTH]))
    features = np.column_stack([s, s.max() - s, s - background, lx, lx.max() - lx, coverage, title, np.full(len(s), unknown)])
    spread = float(np.std(similarity))
    dense_z = float((np.max(similarity) - np.mean(similarity)) / spread) if spread > 0 else 0.0
    return Candidates(positions, features, dense_z)


def question_features(candidates: Candidates, probabilities: np.ndarray) -> dict[str, float]:
    """Question-level evidence that the register has something on the question."""
    f = candidates.features
    top_dense = int(np.argmax(f[:, FEATURES.index("similarity")]))
    return {
        "dense_z": candidates.dense_z,
        "best_probability": float(probabilities.max()),
        "unknown": float(f[0, FEATURES.index("unknown")]),
        "top_coverage": float(f[top_dense, FEATURES.index("coverage")]),
    }


def _fused_order(candidates: Candidates, p: np.ndarray) -> np.ndarray:
    """Candidates best first by reciprocal rank fusion of dense similarity and probability; of two
    the fusion ties (first by one, second by the other), the one closer in meaning first."""
    similarity = candidates.features[:, FEATURES.index("similarity")]
    dense_rank = np.argsort(np.argsort(-similarity))
    probability_rank = np.argsort(np.argsort(-p))
    fused = 1.0 / (RRF_K + dense_rank) + 1.0 / (RRF_K + probability_rank)
    return np.lexsort((-similarity, -fused))


def decide(model: RelevanceModel, candidates: Candidates, limit: int | None) -> list[tuple[int, float]]:
    """(entry position, probability) of the relevant entries, best first; empty = nothing found."""
    if not len(candidates.positions):
        return []
    p = model.probabilities(candidates.features)
    best_index = int(np.argmax(p))
    best = float(p[best_index])
    floor = max(model.keep, model.relative * best)
    if model.question is None:
        if best < model.answer:
            return []
        order = np.argsort(-p)
        return [(int(candidates.positions[i]), float(p[i])) for i in order[:limit] if p[i] >= floor or i == best_index]
    if model.question.probability(question_features(candidates, p)) < model.question.threshold:
        return []
    top_dense = int(np.argmax(candidates.features[:, FEATURES.index("similarity")]))
    kept = [int(i) for i in _fused_order(candidates, p) if p[i] >= floor or i in (best_index, top_dense)]
    return [(int(candidates.positions[i]), float(p[i])) for i in kept[:limit]]


def clear_best(model: RelevanceModel, candidates: Candidates) -> int | None:
    """The entry position that both the probability and the dense similarity rank first, when its
    probability reaches the listing threshold and at least even odds; None otherwise. For a
    question about one algorithm of a named organisation, whose candidates are that organisation's
    entries only: the question gate, fitted on questions over the whole register, does not decide
    there."""
    if not len(candidates.positions):
        return None
    p = model.probabilities(candidates.features)
    best = int(np.argmax(p))
    if best != int(np.argmax(candidates.features[:, FEATURES.index("similarity")])) or p[best] < max(model.keep, SURELY_RELEVANT):
        return None
    return int(candidates.positions[best])


def fit(rows: list[tuple[Candidates, set[int], bool]], source: str) -> RelevanceModel:
    """Fit the model on labelled questions: rows of (candidates, relevant positions, has_answer).
    Weights by logistic regression on candidates; thresholds chosen for the best balance of
    'nothing found' precision/recall and listed-entry F1."""
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([c.features for c, _, _ in rows if len(c.positions)])
    y = np.concatenate([[int(p in gold) for p in c.positions] for c, gold, _ in rows if len(c.positions)])
    classifier = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(X, y)
    weights = {f: float(w) for f, w in zip(FEATURES, classifier.coef_[0])}
    model = RelevanceModel(weights=weights, intercept=float(classifier.intercept_[0]), keep=0.5, answer=0.5, fitted_on=source)
    best = None
    for answer in np.linspace(0.05, 0.95, 19):
        for keep in np.linspace(0.05, 0.95, 19):
            for relative in (0.0, 0.5, 0.7, 0.85):
                trial = model.model_copy(update={"answer": float(answer), "keep": float(keep), "relative": relative})
                quality = _quality(trial, rows)
                if best is None or quality["objective"] > best[0]["objective"]:
                    best = (quality, trial)
    _, chosen = best
    chosen.question = fit_question_gate(chosen, rows)
    quality = _quality(chosen, rows)
    curve = []
    for threshold in np.linspace(0.05, 0.95, 19):  # the trade-off of "nothing found", for the record
        trial = chosen.model_copy(update={"question": chosen.question.model_copy(update={"threshold": float(threshold)})})
        point = _quality(trial, rows)
        curve.append({"threshold": round(float(threshold), 2), **{k: v for k, v in point.items() if k != "objective"}})
    chosen.report = {**quality, "questions": len(rows), "nothing_found_curve": curve}
    return chosen


def fit_question_gate(model: RelevanceModel, rows: list[tuple[Candidates, set[int], bool]], folds: int = 5, repeats: int = 10) -> QuestionGate:
    """Logistic regression (standardised features, strong regularisation) on the question-level
    features; the threshold maximises questions decided right (answerable kept + 'nothing found'
    when there is nothing), measured on out-of-fold probabilities so it holds on new questions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    usable = [(c, has) for c, _, has in rows if len(c.positions)]
    X = np.array([[question_features(c, model.probabilities(c.features))[f] for f in QUESTION_FEATURES] for c, _ in usable])
    y = np.array([int(has) for _, has in usable])

    def pipeline():
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000))

    out_of_fold = np.mean([cross_val_predict(pipeline(), X, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed), method="predict_proba")[:, 1] for seed in range(repeats)], axis=0)
    thresholds = np.round(np.linspace(0.2, 0.8, 61), 3)
    right = [np.sum(out_of_fold[y == 1] >= t) + np.sum(out_of_fold[y == 0] < t) for t in thresholds]
    threshold = float(thresholds[int(np.argmax(right))])
    fitted = pipeline().fit(X, y)
    scaler, classifier = fitted[0], fitted[1]
    return QuestionGate(
        weights={f: float(w) for f, w in zip(QUESTION_FEATURES, classifier.coef_[0])},
        intercept=float(classifier.intercept_[0]),
        means={f: float(m) for f, m in zip(QUESTION_FEATURES, scaler.mean_)},
        scales={f: float(v) for f, v in zip(QUESTION_FEATURES, scaler.scale_)},
        threshold=threshold,
    )


def cross_validate(rows: list[tuple[Candidates, set[int], bool]], folds: int = 5, repeats: int = 2, seed: int = 0) -> dict:
    """How the whole fit (weights, thresholds and question gate) decides questions it was not fitted
    on: each question is decided by a model fitted on the other folds. For comparing ways of
    building the candidates (a change to the features or the query) on the tune split, so that a
    change is kept for what it does on questions outside its fit."""
    rng = np.random.default_rng(seed)
    decisions = []
    for _ in range(repeats):
        for test in np.array_split(rng.permutation(len(rows)), folds):
            held = set(test.tolist())
            model = fit([row for i, row in enumerate(rows) if i not in held], "cross-validation")
            decisions += _decisions(model, [rows[i] for i in sorted(held)])
    t = _tally(decisions)
    return {
        "decided_right": round((t.hits + t.none_right) / max(len(decisions), 1), 3),
        "hit@5": round(t.hits / max(t.answerable, 1), 3),
        "nothing_found_right": round(t.none_right / max(t.none_total, 1), 3),
        "questions": len(rows),
        "folds": folds,
        "repeats": repeats,
    }


@dataclass
class _Tally:
    answerable: int = 0
    hits: int = 0  # answerable questions with a relevant entry among the first five listed
    none_total: int = 0
    none_right: int = 0  # questions without an answer that got "nothing found"
    said_none: int = 0
    said_none_right: int = 0
    f1s: list[float] = field(default_factory=list)  # listed entries' F1, per answerable question


def _decisions(model: RelevanceModel, rows: list[tuple[Candidates, set[int], bool]]) -> list[tuple[list[int], set[int], bool]]:
    """(listed entry positions, relevant positions, has_answer) per question."""
    return [([p for p, _ in decide(model, candidates, 15)], gold, has_answer) for candidates, gold, has_answer in rows]


def _tally(decisions: list[tuple[list[int], set[int], bool]]) -> _Tally:
    t = _Tally()
    for kept, gold, has_answer in decisions:
        if not kept:
            t.said_none += 1
            t.said_none_right += int(not has_answer)
        if not has_answer:
            t.none_total += 1
            t.none_right += int(not kept)
            continue
        t.answerable += 1
        t.hits += int(bool(set(kept[:5]) & gold))
        found = set(kept)
        precision = len(found & gold) / len(found) if found else 0.0
        recall = len(found & gold) / len(gold) if gold else 0.0
        t.f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return t


def _quality(model: RelevanceModel, rows: list[tuple[Candidates, set[int], bool]]) -> dict:
    t = _tally(_decisions(model, rows))
    hit5 = t.hits / t.answerable if t.answerable else 0.0
    none_recall = t.none_right / t.none_total if t.none_total else 1.0
    none_precision = t.said_none_right / t.said_none if t.said_none else 1.0
    mean_f1 = float(np.mean(t.f1s)) if t.f1s else 0.0
    return {
        "hit@5": round(hit5, 3),
        "nothing_found_recall": round(none_recall, 3),
        "nothing_found_precision": round(none_precision, 3),
        "listed_f1": round(mean_f1, 3),
        # Questions answered right (a hit in the top 5, or "nothing found" when there is nothing),
        # with the listed entries' F1 as a tie-breaker.
        "objective": round((t.hits + t.none_right) / max(len(rows), 1) + 0.05 * mean_f1, 4),
    }


def save(model: RelevanceModel, path: Path) -> None:
    path.write_text(json.dumps(model.model_dump(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

"""Which entries are relevant to a topic question: a calibrated decision over dense similarity
(e5) and lexical evidence (BM25, rarity-weighted coverage of the question's words, title match).

A logistic model gives every candidate entry a probability of being relevant; its weights and
the two thresholds are fitted on labelled questions (`fit` below, run by `algoritmewijzer eval
--fit-relevance` on the tune split) and stored in assistant/data/relevance.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


class RelevanceModel(BaseModel):
    """Fitted weights (one per feature), the intercept, and the thresholds."""

    weights: dict[str, float]
    intercept: float
    keep: float = Field(description="an entry with at least this probability is listed")
    answer: float = Field(description="the best entry needs at least this probability, else 'nothing found'")
    relative: float = Field(default=0.0, description="listed entries need at least this share of the best probability")
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
    return Candidates(positions, features)


def decide(model: RelevanceModel, candidates: Candidates, limit: int | None) -> list[tuple[int, float]]:
    """(entry position, probability) of the relevant entries, best first; empty = nothing found."""
    if not len(candidates.positions):
        return []
    p = model.probabilities(candidates.features)
    order = np.argsort(-p)
    best = float(p[order[0]])
    if best < model.answer:
        return []
    floor = max(model.keep, model.relative * best)
    return [(int(candidates.positions[i]), float(p[i])) for i in order[:limit] if p[i] >= floor or i == order[0]]


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
    quality, chosen = best
    curve = []
    for answer in np.linspace(0.05, 0.95, 19):  # the trade-off of "nothing found", for the record
        point = _quality(chosen.model_copy(update={"answer": float(answer)}), rows)
        curve.append({"answer": round(float(answer), 2), **{k: v for k, v in point.items() if k != "objective"}})
    chosen.report = {**quality, "questions": len(rows), "nothing_found_curve": curve}
    return chosen


def _quality(model: RelevanceModel, rows: list[tuple[Candidates, set[int], bool]]) -> dict:
    hits, none_right, none_total, said_none, said_none_right, f1s = 0, 0, 0, 0, 0, []
    answerable = 0
    for candidates, gold, has_answer in rows:
        kept = [p for p, _ in decide(model, candidates, 15)]
        if not kept:
            said_none += 1
            said_none_right += int(not has_answer)
        if not has_answer:
            none_total += 1
            none_right += int(not kept)
            continue
        answerable += 1
        hits += int(bool(set(kept[:5]) & gold))
        found = set(kept)
        precision = len(found & gold) / len(found) if found else 0.0
        recall = len(found & gold) / len(gold) if gold else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    hit5 = hits / answerable if answerable else 0.0
    none_recall = none_right / none_total if none_total else 1.0
    none_precision = said_none_right / said_none if said_none else 1.0
    mean_f1 = float(np.mean(f1s)) if f1s else 0.0
    return {
        "hit@5": round(hit5, 3),
        "nothing_found_recall": round(none_recall, 3),
        "nothing_found_precision": round(none_precision, 3),
        "listed_f1": round(mean_f1, 3),
        # Questions answered right (a hit in the top 5, or "nothing found" when there is nothing),
        # with the listed entries' F1 as a tie-breaker.
        "objective": round((hits + none_right) / max(len(rows), 1) + 0.05 * mean_f1, 4),
    }


def save(model: RelevanceModel, path: Path) -> None:
    path.write_text(json.dumps(model.model_dump(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

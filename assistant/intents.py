"""What shape of answer a question asks for, decided by a classifier rather than phrase lists.

A logistic regression over the e5 query embedding of the question as written (the same embedding
the input rail's classifier uses), trained on the labelled examples in assistant/data/intent_examples.json,
where an 'X' stands for an organisation: each such example is also trained with a few real
organisation names and kinds in its place, so a name in the question does not decide the shape
(validated on the labelled questions of the evaluation sets, see tests/assistant/test_intents.py).
Classes: list (every algorithm of a subject), count (how many), topic (algorithms for a purpose or
subject matter), field (a property of one algorithm)."""

from __future__ import annotations

import re
import threading
from enum import Enum
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, field_validator
from sklearn.linear_model import LogisticRegression

from assistant.vocabulary import load
from ingest.embedding import Embedder
from ingest.vocabulary import organizations


class Intent(str, Enum):
    """What an answer is: each has one retrieval handler and one composition handler."""

    LOOKUP = "lookup"  # fields or text of named (or described) algorithms
    FOLLOWUP_LOOKUP = "followup_lookup"  # the same, of the algorithm(s) the conversation is about
    ORG_LIST = "org_list"  # every algorithm of a subject
    FILTER = "filter"  # a subject's algorithms with a status / impact assessment / category
    COUNT = "count"  # how many, over the complete matching set
    TOPIC = "topic"  # algorithms about something


class Shape(str, Enum):
    LIST = "list"
    COUNT = "count"
    TOPIC = "topic"
    FIELD = "field"


class CountObjects(BaseModel):
    nl: list[str]
    en: list[str]


class YesNoOpeners(CountObjects):
    not_verbs: list[str]


class IntentExamples(BaseModel):
    examples: dict[Shape, list[str]]
    count_objects: CountObjects
    yes_no_openers: YesNoOpeners

    @field_validator("examples")
    @classmethod
    def _enough(cls, value: dict[Shape, list[str]]) -> dict[Shape, list[str]]:
        for shape in Shape:
            if len(value.get(shape, [])) < 10:
                raise ValueError(f"intent_examples.json: at least 10 examples of {shape.value!r} needed")
        return value


@lru_cache(maxsize=1)
def intent_examples() -> IntentExamples:
    return IntentExamples.model_validate(load("intent_examples.json"))


COUNT_WINDOW = 3


def counts_objects(question_norm: str, cue_ends: list[int], kind_starts: list[int]) -> bool:
    """Whether a count cue (ending at one of `cue_ends`) is followed within a few words by a thing
    the register counts (algorithms, organisations, entries, an organisation kind)."""
    objects = {w for w in (*intent_examples().count_objects.nl, *intent_examples().count_objects.en)}
    for end in cue_ends:
        following = question_norm[end:].split()[:COUNT_WINDOW]
        if any(w in objects for w in following):
            return True
        if any(end <= start <= end + 1 + len(" ".join(following)) for start in kind_starts):
            return True
    return False


VERB_FORM_LENGTH = 4  # a Dutch opening word this long ending in -t is read as a finite verb


def is_yes_no(question_norm: str, lang: str = "nl", names: tuple[str, ...] = ()) -> bool:
    """A question opening with a finite verb ("Is ... nog in gebruik?", "Has ... been done?",
    "Houdt ... nog bij?"). `names`: the organisation names the question holds (normalised), whose
    first word is no verb ("Rijkswaterstaat gebruikt ...")."""
    words = question_norm.split()
    if words and words[0] in ("en", "and"):
        words = words[1:]
    if not words:
        return False
    openers = intent_examples().yes_no_openers
    first = words[0]
    if first in openers.nl or first in openers.en:
        return True
    named = any(name.split()[:1] == [first] for name in names)
    return lang == "nl" and len(first) >= VERB_FORM_LENGTH and first.endswith("t") and first not in openers.not_verbs and not named and first.isalpha()


_CLAUSE_END = re.compile(r"[,.;:!?]\s+")


def asking_clause(text: str) -> str:
    """The last sentence or clause of a question as written: "Utrecht volgt kinderen met een
    algoritme, is daar een impact assessment voor gedaan?" asks "is daar een impact assessment
    voor gedaan?"."""
    clauses = [c for c in _CLAUSE_END.split(text.strip()) if c.strip()]
    return clauses[-1] if clauses else text


def mask(question_norm: str, phrases: list[str]) -> str:
    """The question with the given (normalised) phrases replaced by 'X'."""
    text = question_norm
    for phrase in sorted({p for p in phrases if p}, key=len, reverse=True):
        text = text.replace(f" {phrase} ", " X ")
    return re.sub(r"\s+", " ", text).strip()


NAMES_PER_EXAMPLE = 3
KIND_FILLERS = ("de gemeente", "de gemeenten", "de provincies", "de waterschappen", "het ministerie", "gemeenten")


@lru_cache(maxsize=1)
def _fillers() -> tuple[str, ...]:
    """Organisation names and kinds as a question writes them, to put in place of an example's X."""
    names = [o.name for o in organizations().organizations]
    shorts = [f for o in organizations().organizations for f in o.short_forms[:1]]
    return tuple([*names[::23], *shorts[::29], *KIND_FILLERS])


def _with_names(items: list[str]) -> list[str]:
    """The examples with an X, each also with a few real organisation names or kinds in its place,
    so the classifier reads a question as written (no masking, one embedding per question)."""
    fillers = _fillers()
    out = []
    for number, item in enumerate(items):
        if not re.search(r"\bX\b", item):
            continue
        for k in range(NAMES_PER_EXAMPLE):
            filler = fillers[(number * NAMES_PER_EXAMPLE + k) * 7 % len(fillers)]
            out.append(re.sub(r"\bX\b", filler, item))
    return out


class ShapeClassifier:
    """Trained once per process on first use (about 260 short embeddings, cached process-wide)."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder
        self._model: LogisticRegression | None = None
        self._lock = threading.Lock()

    def _trained(self) -> LogisticRegression:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    texts, labels = [], []
                    for shape, items in intent_examples().examples.items():
                        written = [*items, *_with_names(items)]
                        texts += written
                        labels += [shape.value] * len(written)
                    vectors = self._embedder.embed_queries(texts)
                    self._model = LogisticRegression(C=4.0, max_iter=2000).fit(vectors, labels)
        return self._model

    def probabilities(self, question: str) -> dict[Shape, float]:
        """The multinomial model's softmax over the shapes (what `predict_proba` gives, without its
        per-call input checks, which cost more than the product itself on the answering path)."""
        model = self._trained()
        scores = self._embedder.embed_queries([question])[0].astype(np.float64) @ model.coef_.T + model.intercept_
        exp = np.exp(scores - scores.max())
        return {Shape(label): float(p) for label, p in zip(model.classes_, exp / exp.sum())}


def top(probabilities: dict[Shape, float]) -> Shape:
    return max(probabilities, key=probabilities.__getitem__)


__all__ = ["Intent", "Shape", "ShapeClassifier", "intent_examples", "mask", "top"]

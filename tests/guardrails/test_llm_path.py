"""The LLM path: a chat model phrases the grounded answer. A scripted fake model (langchain_core's
GenericFakeChatModel) that (a) leaks a withheld value and (b) invents a source URL is caught, both
with answer() and with stream()."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.pipeline import Assistant
from tests.conftest import WITHHELD_FIXTURE
from tests.guardrails.leak_search import hits_in_text, index_needles, load_records

# A withheld value of the fixture: the code name in W0001's methods_and_models.
CODE_NAME = "ZILVERREIGER"
if WITHHELD_FIXTURE.exists():  # without it, conftest skips this module
    assert CODE_NAME in next(r for r in load_records(WITHHELD_FIXTURE) if r["lars"] == "W0001")["methods_and_models"]

QUESTION = [{"role": "user", "content": "Wat is het doel van de risicoselectie liquide middelen bij grensoverschrijding?"}]
FIELD_QUESTION = [{"role": "user", "content": "Welke gegevensbronnen gebruikt de Douane voor de risicoselectie liquide middelen bij grensoverschrijding?"}]
LEAKING = (
    "De Douane gebruikt dit model om witwassen tegen te gaan. Intern heet het model "
    f"{CODE_NAME} en het selecteert reizigers boven een risicoscore van 0,62. Een douanier beslist."
)
INVENTED_URL = "https://douane-intern.example.org/modellen/liquide-middelen.pdf"
INVENTING = (
    "De Douane gebruikt dit model om witwassen en terrorismefinanciering tegen te gaan. "
    f"Een douanier beoordeelt elke selectie. Meer lezen: {INVENTED_URL} of bel de Douane."
)


@pytest.fixture(scope="module")
def needle_list(index):
    return index_needles(index)


def _assistant(settings, index, *responses: str) -> Assistant:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in responses]))
    return Assistant(settings, index=index, chat_model=model)


def _stream(assistant, messages):
    events = list(assistant.stream(messages))
    pieces = [p for kind, p in events if kind == "piece"]
    results = [p for kind, p in events if kind == "result"]
    assert len(results) == 1
    return pieces, results[0]


def test_the_fake_model_is_used(fixture_index_settings, index):
    """A harmless phrasing goes through: the LLM path is really taken."""
    text = "De Douane wil met dit model witwassen en terrorismefinanciering tegengaan."
    answer = _assistant(fixture_index_settings, index, text).answer(QUESTION)
    assert answer.status == "answered"
    assert answer.answer.startswith(text)


@pytest.mark.parametrize("messages", [QUESTION, FIELD_QUESTION], ids=["answered", "partly_withheld"])
def test_a_leaked_withheld_value_is_caught_in_answer(fixture_index_settings, index, needle_list, messages):
    answer = _assistant(fixture_index_settings, index, LEAKING).answer(messages)
    text = json.dumps(answer.to_dict(), ensure_ascii=False)
    assert CODE_NAME not in text.upper() and "0,62" not in text
    assert hits_in_text(text, needle_list) == []
    assert answer.status == "withheld"
    assert "witwassen tegen te gaan" not in answer.answer, "nothing of the blocked text is kept"
    assert "W0001" in [n.lars for n in answer.withheld]


@pytest.mark.parametrize("messages", [QUESTION, FIELD_QUESTION], ids=["answered", "partly_withheld"])
def test_a_leaked_withheld_value_is_caught_in_stream(fixture_index_settings, index, needle_list, messages):
    pieces, result = _stream(_assistant(fixture_index_settings, index, LEAKING), messages)
    sent = "".join(pieces)
    assert pieces, "the harmless start is streamed"
    assert CODE_NAME not in sent.upper() and "0,62" not in sent
    for piece in pieces:
        assert hits_in_text(piece, needle_list) == []
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    assert CODE_NAME not in text.upper() and hits_in_text(text, needle_list) == []
    assert result.status == "withheld", f"the result does not carry the rail's explanation: {result.status}: {result.answer[:160]}"


def test_an_invented_source_url_is_removed_in_answer(fixture_index_settings, index):
    answer = _assistant(fixture_index_settings, index, INVENTING).answer(QUESTION)
    assert answer.status == "answered"
    assert INVENTED_URL not in answer.answer and "example.org" not in answer.answer
    assert "Een douanier beoordeelt elke selectie." in answer.answer, "the rest is kept"
    assert [c.lars for c in answer.citations] == ["W0001"]


def test_an_invented_source_url_is_removed_in_stream(fixture_index_settings, index):
    pieces, result = _stream(_assistant(fixture_index_settings, index, INVENTING), QUESTION)
    sent = "".join(pieces)
    assert "example.org" not in sent
    assert "Een douanier beoordeelt elke selectie." in sent
    assert "example.org" not in result.answer and result.status == "answered"


def test_the_output_rail_itself_removes_an_invented_url(fixture_index_settings, index):
    """Whatever the phrasing step does, the rail removes a link no cited record has."""
    from assistant.steps import Answer, Citation, Turn

    assistant = Assistant(fixture_index_settings, index=index)
    record = index.get("W0001")
    turn = Turn(messages=QUESTION)
    turn.answer = Answer(status="answered", lang="nl", intent="lookup", answer=INVENTING, results=["W0001"], citations=[Citation("W0001", record.name, record.organization, record.url)])
    assistant.output_rail.run(turn)
    assert INVENTED_URL not in turn.answer.answer
    assert ("output", "invented_url") in [(d.rail, d.reason) for d in turn.decisions]

"""The output rail (guardrails/output_rail.py, as the step of assistant/rails.py) on hand-built
answers: grounding (numbers, code names and rare words only from public context), citations, URLs,
streaming checks, reloading."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from assistant.rails import OutputRailStep, fixed_texts as answer_sentences
from assistant.steps import Answer, Citation, Turn, WithheldNotice
from guardrails import explanations, output_rail
from guardrails.output_rail import OutputRail, guardrail_texts
from ingest.index import RegisterIndex
from tests.conftest import WITHHELD_FIXTURE, make_settings
from tests.helpers import assert_broken_copy_rejected, ingest_into
from tests.guardrails.leak_search import load_records, needles, withheld_parts

LEAKS = [
    "Het model heet ZILVERREIGER.",
    "It is called Zilverreiger internally.",
    "Z-I-L-V-E-R-R-E-I-G-E-R",
    "z i l v e r r e i g e r",
    "Reizigers worden geselecteerd boven een risicoscore van 0,62.",
    "Signaleringen komen uit KESTREL-7.",
    "Meer meldingen uit de Tarwewijk en Bospolder.",
    "De lijst heet PELIKAAN-LIJST.",
    "Een doorverkoop binnen 90 dagen met meer dan 35 procent winst.",
    "contante omzet boven 60 procent",
    "meer dan acht personen ingeschreven op een adres",
    "Er is ook een algoritme W0003 over versleutelde berichten.",
]
# Guesses a person might type: the rail treats the right one (a withheld value) and the wrong one
# alike, because neither is public.
GUESS_PAIRS = [("ZILVERREIGER", "GOUDVINK"), ("KORHOEN", "PATRIJS"), ("0,62", "0,71"), ("TAPUIT", "STEENUIL"), ("31 procent", "29 procent")]


@pytest.fixture(scope="module")
def rail(index, fixture_index_settings):
    return OutputRailStep(index)


def _public_texts(index) -> list[str]:
    texts = []
    for record in index.records.values():
        for value in record.fields.values():
            texts += value if isinstance(value, list) else [str(value)]
        if record.notice:
            texts += [t for t in (record.notice.explanation, record.notice.legal_basis) if t]
    return texts


def _turn(answer: Answer) -> Turn:
    turn = Turn(messages=[{"role": "user", "content": "vraag"}])
    turn.answer = answer
    return turn


def _about(index, lars: str, text: str = "Een antwoord.", lang: str = "nl") -> Answer:
    record = index.get(lars)
    return Answer(status="answered", lang=lang, intent="lookup", answer=text, results=[lars], citations=[Citation(lars, record.name, record.organization, record.url)])


def _streams(rail, lars_text: tuple[str, str]) -> bool:
    """check_text as the pipeline calls it while a chat model's phrasing of a grounded answer streams."""
    lars, text = lars_text
    return rail.check_text(text, _turn(_about(rail.index, lars)))


@pytest.mark.parametrize("text", LEAKS)
def test_ungrounded_values_are_caught(rail, text):
    assert _streams(rail, ("W0001", text))
    assert _streams(rail, ("W0002", "Een gewone zin over het doel van het algoritme.\n" + text))


def test_every_withheld_code_name_and_number_is_caught_in_an_answer_about_its_record(rail, index):
    public = "\n".join(_public_texts(index)) + "\n".join(guardrail_texts() + answer_sentences())
    found = 0
    for needle in needles(load_records(WITHHELD_FIXTURE), public):
        if index.get(needle.lars) is None:
            continue  # entry scope: not indexed at all
        if needle.kind in ("code_name", "number"):
            found += 1
            assert _streams(rail, (needle.lars, f"Het antwoord is {needle.text}.")), needle
    assert found > 20


def test_every_withheld_value_is_caught_as_a_whole(rail):
    for record in load_records(WITHHELD_FIXTURE):
        if (record.get("withholding") or {}).get("scope") != "fields":
            continue
        for name, value in withheld_parts(record).items():
            assert _streams(rail, (record["lars"], value)), (record["lars"], name)


@pytest.mark.parametrize("right, wrong", GUESS_PAIRS)
def test_a_right_and_a_wrong_guess_get_the_same_verdict(rail, index, right, wrong):
    for template in ("Ja, het model heet {}.", "De drempel is inderdaad {}.", "Ik kan niet bevestigen dat het {} is."):
        checks, answers = set(), set()
        for guess in (right, wrong):
            turn = _turn(_about(index, "W0001", template.format(guess)))
            checks.add(_streams(rail, ("W0001", turn.answer.answer)))
            rail.run(turn)
            answers.add(json.dumps(turn.answer.to_dict(), ensure_ascii=False))
        assert checks == {True} and len(answers) == 1, answers
        (only,) = answers
        assert right not in only and wrong not in only


def test_public_text_and_the_assistants_own_texts_never_trip_it(rail, index):
    for record in index.records.values():
        for value in record.fields.values():
            for text in value if isinstance(value, list) else [str(value)]:
                assert not _streams(rail, (record.lars, text)), text[:80]
        for lang in ("nl", "en"):
            for text in (explanations.refusal("selection_rules", lang, [record]), explanations.blocked_answer(lang, [record])):
                turn = _turn(Answer(status="refused", lang=lang, intent="refused", answer=text, citations=[Citation(record.lars, record.name, record.organization, record.url)]))
                assert not rail.check_text(text, turn)
    empty = _turn(Answer(status="no_match", lang="nl", intent="topic", answer=""))
    for text in guardrail_texts() + answer_sentences():
        assert not rail.check_text(re.sub(r"\{\w+\}", " ", text), empty), text[:80]


def test_streaming_checks_agree_with_whole_text_checks(rail, index):
    """check_text(sent + piece) is incremental; it must flag exactly when a fresh check of the whole
    text would."""
    grounding = rail.grounding(_about(index, "W0001"), include_text=True)
    fresh = OutputRail(index, answer_sentences())
    rng = random.Random(7)
    public = [t for t in _public_texts(index) if t in json.dumps(index.get("W0001").fields, ensure_ascii=False)] or _public_texts(index)
    for round_number in range(60):
        words = " ".join(rng.choice(public) for _ in range(4)).split()
        if round_number % 2:
            leak = rng.choice(["ZILVERREIGER", "Z I L V E R R E I G E R", "0,62", "KESTREL-7", "Tarwewijk"])
            words.insert(rng.randrange(len(words)), leak)
        text = " ".join(words)
        sent = ""
        position = 0
        while position < len(text):
            step = rng.randint(1, 40)
            piece = text[position : position + step]
            position += step
            whole = fresh.ungrounded(sent + piece, grounding)
            assert rail.rail.check_text(sent + piece, grounding) == whole, (sent + piece)[-80:]
            if whole:
                break
            sent += piece


def test_a_spelled_out_value_split_over_pieces_is_caught(rail, index):
    """Letter by letter, the stream stops before the name is complete (a run of three ungrounded
    letters is already a word no public context gives)."""
    turn = _turn(_about(index, "W0001"))
    sent = "Het antwoord is "
    assert not rail.check_text(sent, turn)
    stopped = False
    for piece in ["Z ", "I ", "L ", "V ", "E ", "R ", "R ", "E ", "I ", "G ", "E ", "R."]:
        if rail.check_text(sent + piece, turn):
            stopped = True
            break
        sent += piece
    assert stopped and "V" not in sent[len("Het antwoord is "):]


def test_an_ungrounded_answer_is_replaced_as_a_whole(rail, index):
    w0001 = index.get("W0001")
    turn = _turn(_about(index, "W0001", "Het doel is witwassen tegengaan. Intern heet het ZILVERREIGER en de drempel is 0,62."))
    rail.run(turn)
    blocked = turn.answer
    assert blocked.status == "withheld"
    assert "ZILVERREIGER" not in json.dumps(blocked.to_dict()).upper()
    assert "witwassen tegengaan" not in blocked.answer and "0,62" not in blocked.answer
    assert blocked.results == [] and blocked.count is None
    assert [c.lars for c in blocked.citations] == ["W0001"]
    assert [n.lars for n in blocked.withheld] == ["W0001"]
    assert w0001.notice.explanation in blocked.answer
    assert ("output", "ungrounded", None) in [(d.rail, d.reason, d.lars) for d in turn.decisions]
    again = _turn(blocked)
    rail.run(again)
    assert again.answer is blocked, "the replacement itself is grounded"


def test_an_ungrounded_notice_is_caught_and_a_wrong_citation_corrected(rail, index):
    w0002 = index.get("W0002")
    answer = Answer(status="answered", lang="en", intent="lookup", answer="A plain answer.", citations=[Citation("W0002", "KORHOEN", "Politie", None)])
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.status == "answered" and turn.answer.citations[0].name == w0002.name and turn.answer.citations[0].url == w0002.url
    notice = WithheldNotice("W0002", ["Risks"], "x", None, "Tarwewijk 1,8")
    turn = _turn(Answer(status="partly_withheld", lang="en", intent="lookup", answer="ok", withheld=[notice]))
    rail.run(turn)
    assert turn.answer.status == "withheld" and "Tarwewijk" not in json.dumps(turn.answer.to_dict())


def test_entry_scope_and_unknown_ids_are_never_cited(rail, index):
    w0004 = index.get("W0004")
    notice = explanations.withheld_notice(w0004, "nl")
    answer = Answer(
        status="answered",
        lang="nl",
        intent="topic",
        answer="Twee algoritmes passen bij uw vraag.",
        results=["W0004", "W0011", "NOPE-1"],
        count=2,
        citations=[Citation("W0004", w0004.name, w0004.organization, None), Citation("W0003", "Iets", "Politie", None), Citation("W0010", "Iets", None, None)],
        withheld=[notice, WithheldNotice("W0008", ["x"], "y", None, None), WithheldNotice("W0011", ["x"], "y", None, None)],
    )
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.results == ["W0004", "W0011"]
    assert [c.lars for c in turn.answer.citations] == ["W0004"]
    assert [n.lars for n in turn.answer.withheld] == ["W0004"]  # W0011 withholds nothing: no notice
    assert turn.answer.answer == answer.answer
    assert ("output", "invalid_citation", None) in [(d.rail, d.reason, d.lars) for d in turn.decisions]


def test_a_correct_answer_is_left_alone(rail, index):
    w0001 = index.get("W0001")
    answer = Answer(
        status="partly_withheld",
        lang="nl",
        intent="lookup",
        answer=explanations.explain_withheld(w0001, "nl", ["goal"]) + "\nZoek zelf op https://algoritmes.overheid.nl.",
        results=["W0001"],
        citations=[Citation("W0001", w0001.name, w0001.organization, w0001.url)],
        withheld=[explanations.withheld_notice(w0001, "nl")],
    )
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer is answer and turn.decisions == []


# --- a small index of its own: URLs, and a new ingest while the rail is in use ----------------

def _write(path: Path, secret: str, public_word: str = "") -> None:
    records = [
        {
            "lars": "90000001",
            "name": "Controle op grote contante betalingen",
            "organization": "Douane",
            "goal": "Een openbaar doel over contante betalingen.",
            "lawful_basis": "Algemene douanewet, zie https://wetten.overheid.nl/BWBR0021742",
            "methods_and_models": f"Regel {secret} met drempel 777,5 punten.",
            "withholding": {"scope": "fields", "fields": ["methods_and_models"], "ground": "handhaving"},
        },
        {
            "lars": "90000002",
            "name": "Chatbot voor vragen over invoer",
            "organization": "Douane",
            "goal": f"Vragen van burgers over invoer beantwoorden. {public_word}".strip(),
            "website": "https://www.douane.nl/chatbot",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("output-rail")
    settings = make_settings(root / "data")
    source = root / "records.jsonl"
    _write(source, "KWARTELKONING")
    ingest_into(settings, source)

    def reingest(secret: str, public_word: str = "") -> None:
        _write(source, secret, public_word)
        ingest_into(settings, source)

    index = RegisterIndex(settings)
    return settings, index, reingest


def test_invented_urls_are_removed_and_the_rest_kept(small):
    settings, index, _ = small
    rail = OutputRailStep(index)
    record = index.get("90000002")
    assert record.url and record.url.startswith("https://algoritmes.overheid.nl/")
    text = (
        f"De Douane heeft een chatbot. Bron: {record.url}. Zie ook https://www.douane.nl/chatbot en "
        "[de handleiding](https://douane.example.org/geheim/handleiding.pdf) of https://invented.example.com/x?y=1."
    )
    answer = Answer(status="answered", lang="nl", intent="lookup", answer=text, results=["90000002"], citations=[Citation("90000002", record.name, record.organization, record.url)])
    turn = _turn(answer)
    rail.run(turn)
    out = turn.answer.answer
    assert record.url in out and "https://www.douane.nl/chatbot" in out
    assert "example" not in out and "de handleiding" in out
    assert out.startswith("De Douane heeft een chatbot.")
    assert ("output", "invented_url", None) in [(d.rail, d.reason, d.lars) for d in turn.decisions]
    # a URL of a record that is not cited is not allowed either
    other = Answer(status="answered", lang="nl", intent="lookup", answer="Zie https://wetten.overheid.nl/BWBR0021742 .", citations=[Citation("90000002", record.name, record.organization, record.url)])
    turn = _turn(other)
    rail.run(turn)
    assert "wetten.overheid.nl" not in turn.answer.answer
    # ... but it is for the record that has it in a public field
    cited = index.get("90000001")
    fine = Answer(status="answered", lang="nl", intent="lookup", answer="Zie https://wetten.overheid.nl/BWBR0021742.", citations=[Citation("90000001", cited.name, cited.organization, cited.url)])
    turn = _turn(fine)
    rail.run(turn)
    assert "https://wetten.overheid.nl/BWBR0021742" in turn.answer.answer


def test_a_citation_with_a_wrong_url_is_corrected(small):
    settings, index, _ = small
    rail = OutputRailStep(index)
    record = index.get("90000002")
    answer = Answer(status="answered", lang="nl", intent="lookup", answer="Een antwoord.", citations=[Citation("90000002", record.name, record.organization, "https://evil.example.org/")])
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.citations[0].url == record.url


def test_it_reloads_when_the_index_generation_changes(small):
    """A word becomes public with an ingest: from then on an answer may use it, and only then."""
    settings, index, reingest = small
    rail = OutputRailStep(index)
    turn = _turn(_about(index, "90000002"))
    assert rail.check_text("De chatbot heet ROERDOMP.", turn)
    reingest("KWARTELKONING", public_word="ROERDOMP")
    turn = _turn(_about(index, "90000002"))
    assert not rail.check_text("De chatbot heet ROERDOMP.", turn)
    assert rail.check_text("De regel heet KWARTELKONING.", turn)
    reingest("KWARTELKONING")


def _stems_not_a_list(data):
    data["stems"] = "alles"


def _number_words_missing(data):
    del data["number_words"]


@pytest.mark.parametrize(
    "name,breaking,loader",
    [("common_words.json", _stems_not_a_list, output_rail.common_tokens), ("grounding.json", _number_words_missing, output_rail.grounding_data)],
)
def test_a_broken_copy_of_a_data_file_is_rejected(monkeypatch, name, breaking, loader):
    assert_broken_copy_rejected(monkeypatch, "guardrails", name, breaking, loader, loader)

"""The output rail (guardrails/output_rail.py) on hand-built answers: withheld values, citations,
URLs, streaming checks, reloading and cost."""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

import pytest

from assistant.steps import Answer, Citation, Turn, WithheldNotice
from guardrails import explanations
from guardrails.output_rail import OutputRail, fixed_texts
from ingest.index import RegisterIndex
from tests.conftest import WITHHELD_FIXTURE, make_settings
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
]


@pytest.fixture(scope="module")
def index(fixture_index_settings):
    return RegisterIndex(fixture_index_settings)


@pytest.fixture(scope="module")
def rail(index, fixture_index_settings):
    return OutputRail(index, fixture_index_settings)


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


@pytest.mark.parametrize("text", LEAKS)
def test_withheld_values_are_caught(rail, text):
    assert rail.check_text(text)
    assert rail.check_text("Een gewone zin over het doel van het algoritme.\n" + text)


def test_every_withheld_code_name_and_number_is_caught(rail, index):
    public = "\n".join(_public_texts(index)) + "\n".join(fixed_texts())
    found = 0
    for needle in needles(load_records(WITHHELD_FIXTURE), public):
        record = next(r for r in load_records(WITHHELD_FIXTURE) if r["lars"] == needle.lars)
        if (record.get("withholding") or {}).get("scope") == "entry":
            continue  # entry-scope records are not fingerprinted: they are not indexed at all
        if needle.kind in ("code_name", "number"):
            found += 1
            assert rail.check_text(f"Het antwoord is {needle.text}."), needle
    assert found > 20


def test_public_text_and_the_assistants_own_texts_never_trip_it(rail, index):
    for text in _public_texts(index) + list(fixed_texts()):
        assert not rail.check_text(text), text[:80]
    for record in index.records.values():
        for lang in ("nl", "en"):
            assert not rail.check_text(explanations.refusal("selection_rules", lang, [record]))
            assert not rail.check_text(explanations.blocked_answer(lang, [record]))


def test_streaming_checks_agree_with_whole_text_checks(rail, index):
    """check_text(sent + piece) is incremental; it must flag exactly when a fresh check of the whole
    text would."""
    check = rail._current().check
    rng = random.Random(7)
    public = _public_texts(index)
    for round_number in range(60):
        words = " ".join(rng.sample(public, 4)).split()
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
            assert rail.check_text(sent + piece) == check.leaks(sent + piece), (sent + piece)[-80:]
            if check.leaks(sent + piece):
                break
            sent += piece


def test_a_spelled_out_value_split_over_pieces_is_caught(rail):
    sent = "Het antwoord is "
    assert not rail.check_text(sent)
    for piece in ["Z ", "I ", "L ", "V ", "E ", "R ", "R ", "E ", "I ", "G ", "E "]:
        assert not rail.check_text(sent + piece)
        sent += piece
    assert rail.check_text(sent + "R.")


def test_a_leak_replaces_the_whole_answer(rail, index):
    w0001 = index.get("W0001")
    answer = Answer(
        status="answered",
        lang="nl",
        intent="lookup",
        answer="Het doel is witwassen tegengaan. Intern heet het ZILVERREIGER en de drempel is 0,62.",
        results=["W0001"],
        citations=[Citation("W0001", w0001.name, w0001.organization, w0001.url)],
    )
    turn = _turn(answer)
    rail.run(turn)
    blocked = turn.answer
    assert blocked.status == "withheld"
    assert "ZILVERREIGER" not in json.dumps(blocked.to_dict()).upper()
    assert "witwassen tegengaan" not in blocked.answer and "0,62" not in blocked.answer
    assert blocked.results == [] and blocked.count is None
    assert [c.lars for c in blocked.citations] == ["W0001"]
    assert [n.lars for n in blocked.withheld] == ["W0001"]
    assert w0001.notice.explanation in blocked.answer
    assert (("output", "withheld_value", None) in [(d.rail, d.reason, d.lars) for d in turn.decisions])
    assert not rail.leaks(blocked)


def test_a_leak_in_a_citation_or_notice_is_caught_too(rail, index):
    w0002 = index.get("W0002")
    answer = Answer(status="answered", lang="en", intent="lookup", answer="A plain answer.", citations=[Citation("W0002", "KORHOEN", "Politie", None)])
    assert rail.leaks(answer)
    notice = WithheldNotice("W0002", ["Risks"], "x", None, "Tarwewijk 1,8")
    assert rail.leaks(Answer(status="partly_withheld", lang="en", intent="lookup", answer="ok", withheld=[notice]))
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.status == "withheld" and turn.answer.citations[0].name == w0002.name


def test_entry_scope_and_unknown_ids_are_never_cited(rail, index):
    w0004 = index.get("W0004")
    notice = explanations.withheld_notice(w0004, "nl")
    answer = Answer(
        status="answered",
        lang="nl",
        intent="topic",
        answer="Twee algoritmes passen bij uw vraag.",
        results=["W0004", "W0003", "NOPE-1"],
        citations=[Citation("W0004", w0004.name, w0004.organization, None), Citation("W0003", "Iets", "Politie", None), Citation("W0010", "Iets", None, None)],
        withheld=[notice, WithheldNotice("W0008", ["x"], "y", None, None), WithheldNotice("W0011", ["x"], "y", None, None)],
    )
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.results == ["W0004"]
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

def _write(path: Path, secret: str) -> None:
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
            "goal": "Vragen van burgers over invoer beantwoorden.",
            "website": "https://www.douane.nl/chatbot",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from ingest.pipeline import resolve_sources, run_ingest

    root = tmp_path_factory.mktemp("output-rail")
    settings = make_settings(root / "data")
    source = root / "records.jsonl"
    _write(source, "KWARTELKONING")
    run_ingest(resolve_sources([str(source)], settings), settings)

    def reingest(secret: str) -> None:
        _write(source, secret)
        run_ingest(resolve_sources([str(source)], settings), settings)

    index = RegisterIndex(settings)
    return settings, index, reingest


def test_invented_urls_are_removed_and_the_rest_kept(small):
    settings, index, _ = small
    rail = OutputRail(index, settings)
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
    rail = OutputRail(index, settings)
    record = index.get("90000002")
    answer = Answer(status="answered", lang="nl", intent="lookup", answer="Een antwoord.", citations=[Citation("90000002", record.name, record.organization, "https://evil.example.org/")])
    turn = _turn(answer)
    rail.run(turn)
    assert turn.answer.citations[0].url == record.url


def test_it_reloads_when_the_index_generation_changes(small):
    settings, index, reingest = small
    rail = OutputRail(index, settings)
    assert rail.check_text("De regel heet KWARTELKONING.")
    assert not rail.check_text("De regel heet ROERDOMP.")
    reingest("ROERDOMP")
    assert rail.check_text("De regel heet ROERDOMP.")
    assert not rail.check_text("De regel heet KWARTELKONING.")
    reingest("KWARTELKONING")


def test_the_check_is_cheap(rail, index):
    """Added cost per answer: run() on the answer plus check_text() for every streamed line."""
    rng = random.Random(3)
    public = _public_texts(index)
    answers = []
    for size in range(80):
        lines = [rng.choice(public) for _ in range(1 + size % 12)]
        answers.append("\n".join(lines) + "\n" + explanations.refusal("hidden_fields", "nl", [index.get("W0001")]))
    costs = []
    for text in answers:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            turn = _turn(Answer(status="answered", lang="nl", intent="lookup", answer=text))
            sent = ""
            for line in text.splitlines(keepends=True):
                rail.check_text(sent + line)
                sent += line
            rail.run(turn)
            best = min(best, time.perf_counter() - start)
        costs.append(best * 1000)
    p95 = statistics.quantiles(costs, n=20)[-1]
    print(f"output rail cost per answer: p50 {statistics.median(costs):.3f} ms, p95 {p95:.3f} ms")
    assert p95 < 5.0


def test_needles_of_field_scope_records_are_all_fingerprinted(rail):
    """Every withheld value of a field-scope record trips the check as a whole."""
    for record in load_records(WITHHELD_FIXTURE):
        if (record.get("withholding") or {}).get("scope") != "fields":
            continue
        for name, value in withheld_parts(record).items():
            assert rail.check_text(value), (record["lars"], name)

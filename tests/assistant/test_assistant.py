"""The assistant as people use it: the answer contract, exact counts and lists, look-ups, follow-ups,
nothing-found answers, grouped tools, withheld fields, both languages, LangChain and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.compose import ComposeGrounded
from assistant.pipeline import Assistant, InvalidConversation
from assistant.vocabulary import say
from assistant.understand import Understand
from ingest.index import RegisterIndex
from tests.conftest import PROJECT_ROOT

CONTRACT_KEYS = {"status", "lang", "intent", "answer", "results", "count", "citations", "withheld", "data_date", "suggestions"}


def ask(assistant: Assistant, question: str, history: list | None = None) -> dict:
    return assistant.answer([*(history or []), {"role": "user", "content": question}]).to_dict()


@pytest.fixture(scope="module")
def fixture_assistant(fixture_index_settings):
    return Assistant(fixture_index_settings)


@pytest.fixture(scope="module")
def register_assistant(full_index_settings):
    return Assistant(full_index_settings)


def test_answer_contract_and_citations(fixture_assistant):
    answer = ask(fixture_assistant, "Wat is het doel van Risicoselectie liquide middelen bij grensoverschrijding?")
    assert set(answer) == CONTRACT_KEYS
    assert answer["status"] == "answered" and answer["lang"] == "nl"
    assert answer["results"] == ["W0001"]
    assert answer["citations"] == [{"lars": "W0001", "name": "Risicoselectie liquide middelen bij grensoverschrijding", "organization": "Douane", "url": None, "status": answer["citations"][0]["status"]}]
    assert answer["suggestions"] and all(isinstance(s, str) for s in answer["suggestions"])
    assert "witwassen en terrorismefinanciering" in answer["answer"]


def test_withheld_field_is_explained_not_answered(fixture_assistant):
    answer = ask(fixture_assistant, "Welke gegevens gebruikt de Douane voor Risicoselectie liquide middelen bij grensoverschrijding?")
    assert answer["status"] == "partly_withheld"
    notice = answer["withheld"][0]
    assert notice["lars"] == "W0001" and notice["legal_basis"].startswith("Wet open overheid")
    text = answer["answer"]
    assert "niet openbaar" in text and "Woo-verzoek" in text and "Wet open overheid, artikel 5.1" in text
    assert "smokkelaars hun gedrag" in text  # the organisation's own public explanation is quoted


def test_withheld_field_in_english(fixture_assistant):
    answer = ask(fixture_assistant, "What data does the FIOD use for Signalering witwasconstructies in vastgoed?")
    assert answer["lang"] == "en" and answer["status"] == "partly_withheld"
    assert "not public" in answer["answer"] and "Woo request" in answer["answer"]


def test_an_earlier_question_answered_again_for_its_results_is_not_audited_again(fixture_assistant):
    """An earlier answer sent without its results: the earlier question is answered again to find
    them; the rails' decisions on it were recorded when it was asked, and are not recorded twice."""
    question = "Wat is de drempelwaarde van Risicoselectie liquide middelen bij grensoverschrijding?"
    before = len(fixture_assistant.audit.read(limit=100_000))
    first = ask(fixture_assistant, question)
    rows = len(fixture_assistant.audit.read(limit=100_000))
    assert first["status"] == "refused" and rows == before + 1
    follow = ask(fixture_assistant, "Welke algoritmes heeft de Douane?", [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"]}])
    assert follow["status"] == "answered" and follow["results"]
    assert len(fixture_assistant.audit.read(limit=100_000)) == rows


def test_bad_conversations_are_refused_with_a_reason(fixture_assistant):
    for messages, reason in (
        ([], "empty"),
        ([{"role": "assistant", "content": "Hallo"}], "last message"),
        ([{"role": "system", "content": "x"}, {"role": "user", "content": "Hoi"}], "unknown role"),
        ([{"role": "user", "content": "   "}], "empty"),
    ):
        with pytest.raises(InvalidConversation, match=reason):
            fixture_assistant.answer(messages)


@pytest.mark.shared_data
def test_counts_are_exact(register_assistant):
    index = register_assistant.index
    expected = sorted(r.lars for r in index.records.values() if r.organization == "Belastingdienst" and r.status == "In gebruik")
    answer = ask(register_assistant, "Hoeveel algoritmes heeft de Belastingdienst in gebruik?")
    assert answer["intent"] == "count" and answer["count"] == len(expected)
    assert sorted(answer["results"]) == expected
    assert f"{len(expected)} algoritmes" in answer["answer"]


@pytest.mark.shared_data
def test_organisation_list_and_filter(register_assistant):
    index = register_assistant.index
    answer = ask(register_assistant, "Welke algoritmes van Rotterdam zijn buiten gebruik?")
    expected = {r.lars for r in index.records.values() if r.organization == "Gemeente Rotterdam" and r.status == "Buiten gebruik"}
    assert set(answer["results"]) == expected and expected
    provincial = ask(register_assistant, "Welke algoritmes heeft de Provincie Groningen?")
    municipal = ask(register_assistant, "Welke algoritmes heeft de gemeente Groningen?")
    assert not set(provincial["results"]) & set(municipal["results"])
    assert {index.get(l).organization for l in provincial["results"]} == {"Provincie Groningen"}


@pytest.mark.shared_data
def test_follow_up_leans_on_the_conversation(register_assistant):
    first = ask(register_assistant, "Wat doet MONOcam van de politie?")
    assert first["results"] == ["21421626"]
    history = [{"role": "user", "content": "Wat doet MONOcam van de politie?"}, {"role": "assistant", "content": first["answer"]}]
    follow = ask(register_assistant, "En wat is daarvan de wettelijke grondslag?", history)
    assert follow["results"] == ["21421626"]
    assert "Wegenverkeerswet" in follow["answer"]


@pytest.mark.shared_data
def test_nothing_found_names_nothing(register_assistant):
    answer = ask(register_assistant, "Gebruikt de gemeente Amsterdam een algoritme om de kleur van tulpen te voorspellen?")
    assert answer["status"] == "no_match"
    assert answer["results"] == [] and answer["citations"] == []
    assert "algoritmes.overheid.nl" in answer["answer"]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("Welke algoritmes gebruikt de gemeente Atlantis?", "staat niet in het Algoritmeregister"),
        ("How many algorithms does the municipality of Atlantis have?", "has no organisation by the name"),
    ],
)
def test_an_organisation_the_register_does_not_have_gets_no_list_of_its_kind(register_assistant, question, says):
    answer = ask(register_assistant, question)
    assert answer["status"] == "no_match"
    assert answer["results"] == [] and answer["citations"] == []
    assert says in answer["answer"] and "Atlantis" not in answer["answer"]


@pytest.mark.shared_data
def test_a_word_found_only_inside_a_compound_still_finds_the_entry(register_assistant):
    # "luchtkwaliteit" stands in the register only as "Luchtkwaliteitsmodel"
    answer = ask(register_assistant, "Meet de gemeente Utrecht de luchtkwaliteit met een algoritme?")
    assert answer["status"] == "answered"
    first = answer["citations"][0]
    assert (first["name"], first["organization"]) == ("Luchtkwaliteitsmodel", "Gemeente Utrecht")


@pytest.mark.shared_data
def test_a_place_may_mean_the_area_when_its_municipality_has_nothing_on_the_topic(register_assistant):
    answer = ask(register_assistant, "Does an algorithm assess earthquake damage in Groningen?")
    assert answer["status"] == "answered"
    assert answer["answer"].startswith("Nothing of Gemeente Groningen itself")
    organizations = {c["organization"] for c in answer["citations"]}
    assert "Instituut Mijnbouwschade Groningen" in organizations and "Gemeente Groningen" not in organizations


@pytest.mark.shared_data
def test_same_tool_of_many_organisations_is_grouped(register_assistant):
    answer = ask(register_assistant, "Welke gemeenten gebruiken Anonimiseren van documenten?")
    assert answer["status"] == "answered"
    assert "geregistreerd door" in answer["answer"]
    group_lines = [line for line in answer["answer"].splitlines() if "geregistreerd door" in line]
    assert len(group_lines) < len(answer["results"])


@pytest.mark.shared_data
def test_a_count_of_the_municipalities_using_a_tool_counts_that_tool_not_all_their_algorithms(register_assistant):
    answer = ask(register_assistant, "Hoeveel gemeenten gebruiken Zivver?")
    records = [register_assistant.index.get(lars) for lars in answer["results"]]
    assert answer["intent"] == "count" and answer["count"] == len(records) > 40
    assert all(r.organization.startswith("Gemeente ") and "zivver" in str(r.fields).lower() for r in records)
    every = [r for r in register_assistant.index.records.values() if (r.organization or "").startswith("Gemeente ") and "zivver" in r.name.lower()]
    assert {r.lars for r in every} <= set(answer["results"])


@pytest.mark.shared_data
def test_english_question_gets_english_answer(register_assistant):
    answer = ask(register_assistant, "Which algorithms does UWV use?")
    assert answer["lang"] == "en" and "algorithms in the Algorithm Register" in answer["answer"]


def test_runnable_and_retriever(fixture_assistant):
    runnable = fixture_assistant.as_runnable()
    result = runnable.invoke({"messages": [{"role": "user", "content": "Welke algoritmes gebruikt de Douane?"}]})
    assert result["results"] == ["W0001"]
    chunks = list(runnable.stream("Welke algoritmes gebruikt de Douane?"))
    pieces = "".join(c["piece"] for c in chunks if "piece" in c)
    assert chunks[-1]["result"]["answer"] == pieces
    documents = fixture_assistant.retriever(k=3).invoke("contant geld reizigers luchthaven")
    assert documents[0].metadata["lars"] == "W0001" and documents[0].metadata["name"]


def test_llm_phrasing_keeps_sources_and_drops_invented_links(fixture_index_settings):
    reply = ("De Douane gebruikt een risicomodel voor reizigers met veel contant geld. "
             "Meer informatie: https://example.org/verzonnen-bron en https://algoritmes.overheid.nl/nl/algoritme/99999999")
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply), AIMessage(content=reply)]))
    assistant = Assistant(fixture_index_settings, index=RegisterIndex(fixture_index_settings), chat_model=model)
    answer = ask(assistant, "Welke algoritmes gebruikt de Douane?")
    assert answer["results"] == ["W0001"] and answer["citations"][0]["lars"] == "W0001"
    assert "risicomodel voor reizigers" in answer["answer"]
    assert "example.org" not in answer["answer"] and "99999999" not in answer["answer"]
    events = list(assistant.stream([{"role": "user", "content": "Welke algoritmes gebruikt de Douane?"}]))
    streamed = "".join(payload for kind, payload in events if kind == "piece")
    assert "example.org" not in streamed and "risicomodel" in streamed
    assert events[-1][0] == "result" and "example.org" not in events[-1][1].answer


@pytest.mark.shared_data
def test_batch_cli_answers_100_questions_in_one_process(full_index_settings, tmp_path):
    questions = [json.loads(line) for line in (PROJECT_ROOT / "tests" / "eval" / "dev.jsonl").read_text().splitlines()][:100]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps({"q": q["q"], "history": q["history"]}) for q in questions) + "\n")
    env = {"ALGORITMEWIJZER_FINGERPRINT_KEY": "test-key-not-secret-0123456789abcdef", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--batch", str(batch), "--data-dir", str(full_index_settings.data_dir)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 100
    assert all(CONTRACT_KEYS <= set(a) for a in answers)


def test_a_body_without_public_entries_gets_the_same_answer_as_one_that_does_not_exist(fixture_assistant):
    unpublished = ask(fixture_assistant, "Welke algoritmes heeft de Nationaal Coördinator Terrorismebestrijding en Veiligheid?")
    unknown = ask(fixture_assistant, "Welke algoritmes heeft de Nationaal Coördinator Maanlandingen en Veiligheid?")
    assert unpublished["status"] == unknown["status"]
    assert unpublished["answer"] == unknown["answer"]
    assert unpublished["results"] == unknown["results"] == []


@pytest.mark.shared_data
def test_daarvan_means_the_previous_answers_results(register_assistant):
    first = ask(register_assistant, "Welke algoritmes heeft de gemeente Utrecht?")
    index = register_assistant.index
    history = [{"role": "user", "content": "Welke algoritmes heeft de gemeente Utrecht?"}, {"role": "assistant", "content": first["answer"], "results": first["results"][:5]}]
    answer = ask(register_assistant, "En welke daarvan zijn in gebruik?", history)
    expected = {lars for lars in first["results"][:5] if index.get(lars).status == "In gebruik"}
    assert set(answer["results"]) == expected
    # Without `results`, the ids come from the register links in the earlier answer's text.
    plain = [history[0], {"role": "assistant", "content": first["answer"]}]
    answer = ask(register_assistant, "En welke daarvan zijn in gebruik?", plain)
    linked = {lars for lars in first["results"] if index.get(lars).status == "In gebruik"}
    assert set(answer["results"]) == linked


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "follow_up", "field_label"),
    [
        ("Welke algoritmes gebruikt UWV?", "Wat is daarvan de wettelijke basis?", "wettelijke basis"),
        ("Which municipalities use an algorithm to match job seekers with vacancies?", "What's the legal basis for those?", "legal basis"),
    ],
)
def test_a_field_asked_of_a_previous_list_is_given_for_each_of_its_first_entries(register_assistant, question, follow_up, field_label):
    """Not the list again: the field asked, entry by entry, in the previous answer's order, and how
    many of that answer are shown."""
    first = ask(register_assistant, question)
    assert len(first["results"]) > 5
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"], "results": first["results"]}]
    answer = ask(register_assistant, follow_up, history)
    assert answer["status"] == "answered"  # the number of the list is grounded (the output rail passes it)
    assert answer["results"] == first["results"]
    assert [c["lars"] for c in answer["citations"]] == first["results"][:5]
    assert f"5 {'van de' if answer['lang'] == 'nl' else 'of the'} {len(first['results'])}" in answer["answer"]
    index = register_assistant.index
    for lars in answer["results"][:5]:
        record = index.get(lars)
        assert f'"{record.name}"' in answer["answer"]
        basis = record.fields.get("lawful_basis")
        if basis and not (record.notice and "lawful_basis" in record.notice.fields):
            assert basis.split()[0] in answer["answer"]
    assert answer["answer"].lower().count(field_label) >= 5


@pytest.mark.shared_data
def test_a_field_of_a_tool_many_organisations_registered_is_given_for_the_first_five_and_says_so(register_assistant):
    index = register_assistant.index
    registered = [r for r in index.records.values() if r.name.casefold().strip() == "iburgerzaken e-diensten"]  # as the name is written anywhere
    assert len(registered) > 5
    answer = ask(register_assistant, "Wat is de wettelijke basis van iBurgerzaken e-diensten?")
    assert answer["status"] == "answered"
    assert sorted(answer["results"]) == sorted(r.lars for r in registered)
    assert len(answer["citations"]) == 5
    assert f"De eerste 5 van de {len(registered)} algoritmes met deze naam" in answer["answer"]
    assert answer["answer"].count("Wettelijke basis van") + answer["answer"].count("vermeldt geen wettelijke basis") == 5


@pytest.mark.shared_data
def test_daarvan_after_an_answer_sent_as_text_with_some_links_means_all_of_its_entries(register_assistant):
    """A client that keeps only the text of an answer ("UWV heeft 12 algoritmes, bijvoorbeeld ..."):
    "daarvan" is every entry of that answer, not only the linked example."""
    question = "Welke algoritmes gebruikt UWV?"
    first = ask(register_assistant, question)
    index = register_assistant.index
    in_use = {lars for lars in first["results"] if index.get(lars).status == "In gebruik"}
    assert len(first["results"]) > len(in_use) > 1
    example = index.get(first["results"][0])
    link = f"[{example.name}](https://algoritmes.overheid.nl/nl/algoritme/{example.lars})"
    text = f"UWV heeft {len(first['results'])} algoritmes in het register, bijvoorbeeld {link}."
    answer = ask(register_assistant, "En hoeveel daarvan zijn in gebruik?", [{"role": "user", "content": question}, {"role": "assistant", "content": text}])
    assert answer["count"] == len(in_use) and set(answer["results"]) == in_use
    assert f"{len(in_use)} algoritmes" in answer["answer"]
    # A text about one of them (no number of algorithms given) stays about that one.
    answer = ask(register_assistant, "Wat is daarvan de wettelijke grondslag?", [{"role": "user", "content": question}, {"role": "assistant", "content": f"{link} is een algoritme van UWV."}])
    assert answer["results"] == [example.lars]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "first_of", "follow_up", "other", "title_word", "all_about_it"),
    [
        ("Wat is de Landelijke Aanpak Adreskwaliteit?", "Gemeente Eindhoven", "Welke algoritmes gebruikt de RvIG daarvoor?", "Rijksdienst voor Identiteitsgegevens", "Adreskwaliteit", True),
        ("What does the scan car of Gemeente Utrecht do?", "Gemeente Utrecht", "Does Amsterdam have one for that too?", "Gemeente Amsterdam", "Parkeer", False),
    ],
)
def test_a_follow_up_naming_another_organisation_asks_for_its_entries_on_the_same_subject(register_assistant, question, first_of, follow_up, other, title_word, all_about_it):
    first = ask(register_assistant, question)
    index = register_assistant.index
    assert [index.get(lars).organization for lars in first["results"]] == [first_of]
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"], "results": first["results"]}]
    answer = ask(register_assistant, follow_up, history)
    found = [index.get(lars) for lars in answer["results"]]
    assert found and all(r.organization == other for r in found)
    assert any(title_word in r.name for r in found)
    if all_about_it:
        assert len(found) > 1 and all(title_word in r.name for r in found)
    assert "vorige antwoord" not in answer["answer"] and "previous answer" not in answer["answer"]


@pytest.mark.shared_data
def test_which_of_those_an_organisation_has_after_a_topic_list_without_it_looks_at_its_entries_on_that_topic(register_assistant):
    """The list showed the best matches of the whole register; the organisation asked about has an
    entry on the subject that was not among them: that entry, not "the previous answer has none"."""
    question = "Which cities enforce low-emission or car-free zones with number plate cameras?"
    first = ask(register_assistant, question)
    index = register_assistant.index
    assert len(first["results"]) > 3 and not any(index.get(lars).organization == "Gemeente Arnhem" for lars in first["results"])
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"], "results": first["results"]}]
    answer = ask(register_assistant, "And which of those does Arnhem have?", history)
    found = [index.get(lars) for lars in answer["results"]]
    assert found and all(r.organization == "Gemeente Arnhem" for r in found)
    assert any("milieuzone" in r.name.lower() for r in found)


@pytest.mark.shared_data
def test_none_of_the_previous_answer_being_of_an_organisation_is_said_as_such(register_assistant):
    question = "Welke algoritmes heeft de gemeente Utrecht?"
    first = ask(register_assistant, question)
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"], "results": first["results"]}]
    answer = ask(register_assistant, "Welke daarvan zijn van de politie?", history)
    assert answer["results"] == []
    assert answer["answer"].startswith("In het vorige antwoord staan geen algoritmes van Politie.")


@pytest.mark.shared_data
def test_unknown_ids_in_results_are_ignored(register_assistant):
    history = [{"role": "user", "content": "Welke algoritmes heeft de gemeente Utrecht?"}, {"role": "assistant", "content": "Zie lijst.", "results": ["W0003", "99999999"]}]
    answer = ask(register_assistant, "En welke daarvan zijn in gebruik?", history)
    assert "W0003" not in answer["results"] and "99999999" not in answer["results"]


@pytest.mark.shared_data
def test_yes_no_questions_answer_first(register_assistant):
    index = register_assistant.index
    answer = ask(register_assistant, "Is chatbot Guus 2.0 van Goes nog actief?")
    record = index.get(answer["results"][0])
    assert record.name.startswith("Chatbot Guus")
    assert answer["answer"].startswith("Ja." if record.status == "In gebruik" else "Nee.")


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "first_word"),
    [
        ("Heeft de provincie Utrecht een impact assessment gedaan voor het Stravem verkeersmodel?", "Onbekend"),
        ("Did the province of Utrecht do an impact assessment for the Stravem traffic model?", "Unknown"),
    ],
)
def test_an_impact_assessment_the_register_gives_as_unknown_is_answered_unknown_first(register_assistant, question, first_word):
    answer = ask(register_assistant, question)
    assert answer["results"] == ["71638629"]
    assert register_assistant.index.get("71638629").impact_assessment == "Onbekend"
    assert answer["answer"].split(":")[0] == first_word


@pytest.mark.shared_data
def test_a_field_asked_with_more_words_quotes_the_sentence_that_holds_them(register_assistant):
    answer = ask(register_assistant, "Naar welke talen vertaalt Arnhem haar website met DeepL Pro?")
    assert answer["results"] == ["42584878"]
    assert "https://algoritmes.overheid.nl/nl/algoritme/42584878" in answer["answer"]  # the field asked
    assert "naar meerdere talen" in answer["answer"]  # and what the register says about the languages


@pytest.mark.shared_data
def test_a_related_field_given_instead_is_labelled_as_what_it_is(register_assistant):
    """The register gives no start date: its status is shown as the status, not as a start date."""
    answer = ask(register_assistant, "Since when does Reimerswaal translate its website automatically?")
    record = register_assistant.index.get(answer["results"][0])
    assert record.organization == "Gemeente Reimerswaal" and "begin_date" not in record.fields
    assert answer["answer"].startswith(f'Status of "{record.name}"')


@pytest.mark.shared_data
def test_a_typo_in_an_organisation_says_what_was_understood(register_assistant):
    answer = ask(register_assistant, "Welke algoritmes heeft Rijkswaterstat?")
    assert "Rijkswaterstaat" in answer["answer"].splitlines()[0]
    assert answer["results"] and all(register_assistant.index.get(l).organization == "Rijkswaterstaat" for l in answer["results"])


@pytest.mark.shared_data
def test_titles_are_links_and_each_source_appears_once(register_assistant):
    answer = ask(register_assistant, "Welke algoritmes heeft de gemeente Utrecht?")
    text = answer["answer"]
    assert answer["answer"].startswith(f"Gemeente Utrecht heeft {len(answer['results'])} algoritmes")
    urls = re.findall(r"https://algoritmes\.overheid\.nl/\S+?(?=\))", text)
    assert urls and len(urls) == len(set(urls))
    assert "](https://algoritmes.overheid.nl/" in text


@pytest.mark.shared_data
@pytest.mark.parametrize(("question", "first"), [("Gebruikt het Kadaster Loki al?", "Nee."), ("Does the Kadaster already use Loki?", "No.")])
def test_whether_an_algorithm_is_used_is_answered_from_its_status_first(register_assistant, question, first):
    answer = ask(register_assistant, question)
    record = register_assistant.index.get(answer["results"][0])
    assert record.name == "Loki" and record.status == "In ontwikkeling"  # in development: not (yet) in use
    assert answer["answer"].startswith(first)


@pytest.mark.shared_data
def test_a_question_about_one_described_algorithm_of_an_organisation_quotes_that_algorithm(register_assistant):
    answer = ask(register_assistant, "Met welke partij werkt de Douane samen bij de controle op jammers?")
    record = register_assistant.index.get(answer["results"][0])
    assert answer["intent"] == "lookup" and len(answer["results"]) == 1
    assert record.organization == "Douane" and "Jammers" in record.name
    assert "Agentschap Telecom" in answer["answer"]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("Hoe lang bewaart de SSPC e-gate de gegevens van reizigers?", "maximaal 24 uur"),
        ("Sinds welk jaar werkt Skal met vijf toezichtarrangementen?", "Vanaf 2021"),
    ],
)
def test_a_question_for_a_duration_or_a_year_quotes_the_sentence_that_gives_it_first(register_assistant, question, says):
    answer = ask(register_assistant, question)
    assert answer["intent"] == "lookup" and len(answer["results"]) == 1
    first_quote = next(line for line in answer["answer"].splitlines() if line.startswith("Volgens het register"))
    assert says in first_quote


@pytest.mark.shared_data
def test_a_short_topic_answer_to_a_question_quotes_what_its_best_entry_says_and_a_list_request_does_not(register_assistant):
    """Composed from two Haarlem entries (which entries the relevance gate keeps is not asked here)."""
    index = register_assistant.index
    records = [index.get("13499798"), index.get("92637261")]  # visitors' parking permit, scan car
    compose, understand = ComposeGrounded(index), Understand(index)
    question = understand.analyse("Mag ik in Haarlem een groter parkeerbudget kopen als ik mantelzorg krijg?", "nl")
    lines = compose.topic(records, question, "nl").answer.splitlines()
    assert "13499798" in lines[1] and "mantelzorg ontvangt, mag hij een groter parkeerbudget kopen" in lines[2]  # under the first entry
    assert "92637261" in lines[3]
    listing = understand.analyse("Welke algoritmes over parkeerbudget voor bezoek heeft Haarlem?", "nl")
    assert "Volgens het register" not in compose.topic(records, listing, "nl").answer


@pytest.mark.shared_data
def test_a_topic_list_cut_short_claims_no_total_and_a_count_of_those_covers_the_whole_topic(register_assistant):
    question = "Welke algoritmes worden gebruikt bij parkeercontroles?"
    topic = ask(register_assistant, question)
    assert len(topic["results"]) == 15 and topic["answer"].startswith("Dit zijn de 15 algoritmes")  # the best ones, no total
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": topic["answer"], "results": topic["results"]}]
    count = ask(register_assistant, "Hoeveel zijn het er?", history)
    assert count["intent"] == "count" and count["count"] == len(count["results"]) > 15
    assert set(topic["results"]) <= set(count["results"])
    assert count["answer"].startswith(f"Over het onderwerp van uw vorige vraag: {count['count']} algoritmes")


@pytest.mark.shared_data
def test_a_question_naming_ones_own_application_is_still_answered_with_where_to_go_after_it(register_assistant):
    answer = ask(register_assistant, "Wordt mijn aanvraag voor een toevoeging bij de Raad voor Rechtsbijstand automatisch goedgekeurd?")
    assert answer["status"] == "answered" and answer["results"][:1] == ["38595787"]  # the "Toevoegautomaat"
    assert answer["answer"].rstrip().endswith(say("personal_case", "nl"))
    own = ask(register_assistant, "Waarom is mijn aanvraag afgewezen?")
    assert own["status"] == "out_of_scope" and own["answer"] == say("personal_case", "nl")


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("question", "lars", "first"),
    [
        ("Berekent de provincie Zuid-Holland nog wanneer haar wegen aan onderhoud toe zijn?", "75393739", "Nee."),
        ("Houdt waterschap Hollandse Delta met de mediamonitor nog steeds bij wat inwoners over het waterschap zeggen?", "59816368", "Nee."),
        ("Tilburg controleert met een algoritme of zorgaanbieders het geld aan zorg besteden, is daar een impact assesment voor gedaan?", "24797580", "{impact}"),
    ],
)
def test_a_yes_no_question_in_other_words_gets_its_verdict_first(register_assistant, question, lars, first):
    answer = ask(register_assistant, question)
    assert answer["results"][:1] == [lars]
    impact = register_assistant.index.get(lars).impact_assessment
    assert answer["answer"].startswith(first.format(impact={"Ja": "Ja.", "Nee": "Nee."}.get(impact, "Onbekend")))


@pytest.mark.shared_data
def test_nog_iemand_does_not_ask_whether_an_algorithm_is_still_in_use(register_assistant):
    answer = ask(register_assistant, "Den Haag zoekt met ChangeMapp nieuwe schuurtjes op luchtfoto's. Kijkt daar nog iemand naar?")
    assert not answer["answer"].startswith(("Ja.", "Nee."))


@pytest.mark.shared_data
def test_a_question_referring_back_with_a_pronoun_is_about_the_algorithm_just_answered(register_assistant):
    question = "Wat doet de Toevoegautomaat van de Raad voor Rechtsbijstand?"
    first = ask(register_assistant, question)
    assert first["results"] == ["38595787"]
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first["answer"], "results": first["results"]}]
    follow_up = ask(register_assistant, "Kijken ze ook of de advocaat aan de voorwaarden voldoet?", history)
    assert follow_up["results"] == ["38595787"]
    assert "of de advocaat voldoet aan de voorwaarden" in follow_up["answer"]  # the sentence that answers it
    still = ask(register_assistant, "Is it still running?", history)
    assert still["results"] == ["38595787"] and still["answer"].startswith("Yes." if register_assistant.index.get("38595787").status == "In gebruik" else "No.")
    own = ask(register_assistant, "Wordt het schooladvies door een algoritme bepaald?", history)  # a question of its own
    assert "38595787" not in own["results"]


@pytest.mark.shared_data
def test_a_yes_no_question_about_an_organisations_algorithm_is_answered_from_that_algorithms_text(register_assistant):
    answer = ask(register_assistant, "Verzint de chatbot van de gemeente Amsterdam zelf antwoorden, zoals ChatGPT doet?")
    assert answer["results"] == ["61944129"]  # "Salesforce Einstein Chatbot", not a list of Amsterdam's assistants
    assert "maakt geen antwoorden" in answer["answer"]
    assert not answer["answer"].startswith(("Ja.", "Nee."))  # it asks no status or impact assessment

"""The conversation a client sends: what is accepted, what is refused and why."""

import pytest

from assistant.conversation import Conversation, InvalidConversation

LINK = "https://algoritmes.overheid.nl/nl/algoritme/{}"


def test_a_long_earlier_answer_is_accepted_and_its_links_give_the_results():
    long_answer = "Deze algoritmes:\n" + "\n".join(f"- [X]({LINK.format(n)})" for n in range(10_000_000, 10_000_400)) + "x" * 30_000
    conversation = Conversation.parse(
        [{"role": "user", "content": "Welke algoritmes heeft DUO?"}, {"role": "assistant", "content": long_answer}, {"role": "user", "content": "Welke daarvan zijn in gebruik?"}]
    )
    earlier = conversation.messages[1]
    assert len(earlier.content) <= 20_000
    assert earlier.result_ids()[:2] == ["10000000", "10000001"] and len(earlier.result_ids()) == 400


def test_results_sent_with_an_answer_are_used_as_sent():
    conversation = Conversation.parse(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": LINK.format("1"), "results": ["42"]}, {"role": "user", "content": "en die?"}]
    )
    assert conversation.messages[1].result_ids() == ["42"]
    assert not conversation.messages[1].results_from_links


def test_results_read_from_links_say_so():
    """Links may show only the first entries of an answer: the assistant then answers the earlier
    question again (tests/assistant/test_assistant.py), so it must know the ids came from links."""
    conversation = Conversation.parse(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": f"12 algoritmes, bijvoorbeeld {LINK.format('7')}"}, {"role": "user", "content": "en die?"}]
    )
    assert conversation.messages[1].result_ids() == ["7"] and conversation.messages[1].results_from_links


@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([], "empty"),
        ([{"role": "assistant", "content": "Hallo"}], "last message"),
        ([{"role": "system", "content": "x"}, {"role": "user", "content": "Hoi"}], "unknown role"),
        ([{"role": "user", "content": "   "}], "empty"),
        ([{"role": "user", "content": "x" * 2001}], "too long"),
        ([{"role": "user", "content": 5}], "no text"),
        ("hallo", "empty"),
        ([{"role": "user", "content": "\ud800 W0001"}], "not valid text"),
        ([{"role": "assistant", "content": "a", "results": "12"}, {"role": "user", "content": "b"}], "results"),
    ],
)
def test_unusable_conversations_are_refused_with_a_reason(messages, reason):
    with pytest.raises(InvalidConversation, match=reason):
        Conversation.parse(messages)


def test_too_many_messages_are_refused():
    messages = [{"role": "user", "content": "vraag"}] * 41
    with pytest.raises(InvalidConversation, match="at most 40"):
        Conversation.parse(messages)

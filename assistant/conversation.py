"""The conversation a client sends: validated messages, the last one the user's question.

The server keeps no conversation state; the client sends the whole conversation each time. Earlier
assistant messages of any length are accepted: only what understanding needs is kept (the start of
the text and the entry ids it was based on). The user's own messages are capped."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.json_schema import SkipJsonSchema

from guardrails.text import InvalidText, normalise_input

ASSISTANT_KEEP_CHARS = 20_000  # of an earlier answer, enough to read what it was about
MAX_RESULT_IDS = 2_000
REGISTER_LINK = re.compile(r"algoritmes\.overheid\.nl/(?:nl|en)/algoritme/([A-Za-z0-9\-]+)")
_LARS = re.compile(r"^[A-Za-z0-9\-]{1,64}$")


class InvalidConversation(ValueError):
    """The conversation sent is not usable; the message says why, for the user."""


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Literal["user", "assistant"]
    content: str
    results: list[str] | None = None  # entry ids an assistant answer was based on
    # The client sent no `results`: they were read from the answer's register links, which may be
    # only the first of the entries it was based on ("... has 20 algorithms, e.g. ...").
    # Set by `parse` only: not part of the API's schema, not in `model_dump()`.
    results_from_links: SkipJsonSchema[bool] = Field(default=False, exclude=True)

    @field_validator("results")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return [v for v in value[:MAX_RESULT_IDS] if isinstance(v, str) and _LARS.match(v)]

    def result_ids(self) -> list[str]:
        """The ids this assistant message was based on: as sent, else read from its register links."""
        if self.results is not None:
            return list(dict.fromkeys(self.results))
        return list(dict.fromkeys(REGISTER_LINK.findall(self.content)))


class Conversation(BaseModel):
    model_config = ConfigDict(frozen=True)

    messages: list[Message]

    @property
    def question(self) -> str:
        return self.messages[-1].content

    @classmethod
    def parse(cls, messages: Any, max_messages: int = 40, max_message_chars: int = 2000) -> "Conversation":
        """A validated conversation, or InvalidConversation with a message for the user."""
        if isinstance(messages, Conversation):
            messages = [m.model_dump() for m in messages.messages]
        if not isinstance(messages, list) or not messages:
            raise InvalidConversation("The conversation is empty: send at least one question.")
        if len(messages) > max_messages:
            raise InvalidConversation(f"The conversation is too long: at most {max_messages} messages.")
        clean: list[Message] = []
        for number, raw in enumerate(messages, 1):
            clean.append(_message(number, raw, max_message_chars))
        if clean[-1].role != "user":
            raise InvalidConversation("The last message must be the user's question.")
        if not clean[-1].content.strip():
            raise InvalidConversation("The question is empty.")
        return cls(messages=clean)


def _message(number: int, raw: Any, max_chars: int) -> Message:
    if isinstance(raw, Message):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise InvalidConversation(f"Message {number} is not an object with 'role' and 'content'.")
    role, content = raw.get("role"), raw.get("content")
    if role not in ("user", "assistant"):
        raise InvalidConversation(f"Message {number} has an unknown role {role!r}: use 'user' or 'assistant'.")
    if not isinstance(content, str):
        raise InvalidConversation(f"Message {number} has no text content.")
    if role == "user" and len(content) > max_chars:
        raise InvalidConversation(f"Message {number} is too long: at most {max_chars} characters.")
    results = raw.get("results")
    if results is not None and not (isinstance(results, list) and all(isinstance(r, str) for r in results)):
        raise InvalidConversation(f"Message {number} has 'results' that are not a list of entry ids.")
    from_links = role == "assistant" and results is None
    if from_links:
        results = list(dict.fromkeys(REGISTER_LINK.findall(content)))  # recover before cutting the text
    content = _normalise(number, content)
    if role == "assistant":
        content = content[:ASSISTANT_KEEP_CHARS]
    try:
        return Message(role=role, content=content, results=results, results_from_links=from_links)
    except ValidationError:
        raise InvalidConversation(f"Message {number} is not a valid message.") from None


def _normalise(number: int, content: str) -> str:
    """NFKC, invisible characters removed, confusables folded; lone surrogates refused."""
    try:
        return normalise_input(content)
    except InvalidText as exc:
        raise InvalidConversation(f"Message {number} contains characters that are not valid text. {exc}") from None

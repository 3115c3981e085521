"""Optional phrasing of a grounded answer by a LangChain chat model (ChatOpenAI against any
OpenAI-compatible server: vLLM, llama.cpp, Ollama ...). The model sees only public context; links
it invents are removed; the grounded answer's results, citations and notices are kept."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.settings import Settings
from assistant.steps import Answer, Turn
from assistant.vocabulary import load, say

log = logging.getLogger("algoritmewijzer.assistant.llm")
URL = re.compile(r"https?://[^\s<>\"')\]]+")
HISTORY_MESSAGES = 6


@lru_cache(maxsize=1)
def prompts() -> dict:
    return load("llm_prompt.json")


def chat_model_from_settings(settings: Settings) -> BaseChatModel:
    if not settings.llm_base_url:
        raise ValueError("ALGORITMEWIJZER_COMPOSER=llm needs ALGORITMEWIJZER_LLM_BASE_URL (an OpenAI-compatible server)")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def remove_unknown_urls(text: str, allowed: set[str]) -> str:
    def keep(match: re.Match) -> str:
        url = match.group(0).rstrip(".,;:")
        tail = match.group(0)[len(url) :]
        return match.group(0) if url in allowed else tail

    cleaned = URL.sub(keep, text)
    return re.sub(r"[ \t]{2,}", " ", cleaned)


class PhraseWithChatModel:
    def __init__(self, chat_model: BaseChatModel, index) -> None:
        self.chat_model = chat_model
        self.index = index

    def _messages(self, turn: Turn) -> list[BaseMessage]:
        answer = turn.answer
        assert answer is not None
        lang = turn.lang
        context = [prompts()["context_intro"][lang], answer.answer]
        for notice in answer.withheld:
            context.append(f"[{notice.lars}] not public: {', '.join(notice.fields)}; ground: {notice.ground}; legal basis: {notice.legal_basis or '-'}")
        messages: list[BaseMessage] = [SystemMessage(prompts()["system"][lang])]
        for message in turn.messages[-HISTORY_MESSAGES:-1]:
            cls = HumanMessage if message["role"] == "user" else AIMessage
            messages.append(cls(message["content"]))
        messages.append(HumanMessage("<register>\n" + "\n".join(context) + f"\n</register>\n\n{turn.question}"))
        return messages

    def _allowed_urls(self, answer: Answer) -> set[str]:
        return {c.url for c in answer.citations if c.url} | set(URL.findall(answer.answer))

    def rephrase(self, turn: Turn) -> Answer:
        try:
            result = self.chat_model.invoke(self._messages(turn))
        except Exception as exc:  # a model server down must not lose the grounded answer
            log.warning("chat model failed (%s); the grounded answer is used", type(exc).__name__)
            return turn.answer
        return self.finish(turn, str(result.content))

    def stream(self, turn: Turn) -> Iterator[str]:
        """Pieces of the model's answer, with invented links removed before they are sent."""
        allowed = self._allowed_urls(turn.answer)
        buffer = ""
        try:
            for chunk in self.chat_model.stream(self._messages(turn)):
                buffer += str(chunk.content)
                cut = max(buffer.rfind(" "), buffer.rfind("\n"))
                if cut > 0:
                    ready, buffer = buffer[: cut + 1], buffer[cut + 1 :]
                    yield remove_unknown_urls(ready, allowed)
        except Exception as exc:
            log.warning("chat model stream failed (%s)", type(exc).__name__)
        if buffer:
            yield remove_unknown_urls(buffer, allowed)

    def finish(self, turn: Turn, text: str) -> Answer:
        grounded = turn.answer
        text = remove_unknown_urls(text, self._allowed_urls(grounded)).strip()
        if not text:
            return grounded
        if not any(c.url and c.url in text for c in grounded.citations):
            sources = [say("source", turn.lang, name=c.name.replace("[", "(").replace("]", ")"), url=c.url) for c in grounded.citations if c.url]
            text = "\n".join([text, *sources])
        return replace(grounded, answer=text)

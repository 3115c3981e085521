"""The assistant: the question's pipeline of small steps, as a Python API and as LangChain Runnables.

    input rail -> understand -> retrieve -> compose -> (optional LLM phrasing) -> output rail

Each step may stop the run with an answer (StopRun). The server keeps no conversation state:
the client sends the whole conversation every time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.compose import ComposeGrounded, answer_pieces
from assistant.conversation import Conversation, InvalidConversation
from assistant.llm import PhraseWithChatModel, chat_model_from_settings
from assistant.rails import InputRailStep, OutputRailStep, audit_log
from assistant.retrieve import Retrieve
from assistant.retriever import RegisterRetriever
from assistant.settings import Settings
from assistant.steps import Answer, Step, StopRun, Turn
from assistant.suggest import suggest
from assistant.understand import Understand
from ingest.index import RegisterIndex

log = logging.getLogger("algoritmewijzer.assistant")
__all__ = ["Assistant", "Conversation", "InvalidConversation"]


class Assistant:
    def __init__(
        self,
        settings: Settings,
        index: RegisterIndex | None = None,
        chat_model: BaseChatModel | None = None,
        rails: bool = True,
        retrieval_mode: str = "hybrid",
        audit: bool = True,
    ):
        self.settings = settings
        self.index = index or RegisterIndex(settings)
        self.rails = rails
        self.input_rail = self.output_rail = self.audit = None
        if rails:
            self.input_rail = InputRailStep(self.index)
            self.output_rail = OutputRailStep(self.index)
            self.audit = audit_log(settings) if audit else None
        if chat_model is None and settings.composer == "llm":
            chat_model = chat_model_from_settings(settings)
        self.phrase = PhraseWithChatModel(chat_model, self.index) if chat_model is not None else None
        steps: list[Step] = []
        if self.input_rail:
            steps.append(self.input_rail)
        steps += [Understand(self.index), Retrieve(self.index, retrieval_mode), ComposeGrounded(self.index)]
        self.steps = steps

    # --- running --------------------------------------------------------------------------------
    def _turn(self, messages: Any, lang: str | None) -> Turn:
        conversation = Conversation.parse(messages, self.settings.max_messages, self.settings.max_message_chars)
        turn = Turn(messages=[m.model_dump() for m in conversation.messages])
        if lang in ("nl", "en"):
            turn.lang = lang
        return turn

    def _prepare(self, turn: Turn) -> None:
        """Run the steps up to and including the grounded composition."""
        try:
            for step in self.steps:
                step.run(turn)
        except StopRun as stop:
            turn.answer = stop.answer

    def _finish(self, turn: Turn) -> Answer:
        if self.output_rail:
            self.output_rail.run(turn)
        if self.audit and turn.decisions:
            self.audit.record(turn.decisions, turn.question)
        assert turn.answer is not None
        turn.answer.data_date = self.index.store.get_meta("data_date")
        turn.answer.suggestions = suggest(turn.answer, turn)
        return turn.answer

    def answer(self, messages: Any, lang: str | None = None) -> Answer:
        turn = self._turn(messages, lang)
        self._prepare(turn)
        if self.phrase and turn.answer and turn.answer.status in ("answered", "partly_withheld"):
            turn.answer = self.phrase.rephrase(turn)
        return self._finish(turn)

    def stream(self, messages: Any, lang: str | None = None) -> Iterator[tuple[str, Any]]:
        """('piece', text) events, each checked by the output rail before it is sent, then
        ('result', Answer). If a check fails, no further piece is sent and the result carries the
        rail's explanation instead."""
        turn = self._turn(messages, lang)
        self._prepare(turn)
        assert turn.answer is not None
        use_llm = self.phrase is not None and turn.answer.status in ("answered", "partly_withheld")
        pieces = self.phrase.stream(turn) if use_llm else answer_pieces(turn.answer.answer)
        sent = ""
        stopped_at = None  # the text that failed the check: never sent, handed to the rail below
        for piece in pieces:
            if self.output_rail and self.output_rail.check_text(sent + piece, turn):
                stopped_at = sent + piece
                break
            sent += piece
            yield ("piece", piece)
        if use_llm:
            turn.answer = self.phrase.finish(turn, stopped_at if stopped_at is not None else sent)
        yield ("result", self._finish(turn))

    # --- LangChain ------------------------------------------------------------------------------
    def as_runnable(self) -> Runnable:
        """A Runnable taking {"messages": [...], "lang": optional} (or a question string) and giving
        the answer dict; `stream` gives {"piece": ...} chunks and finally {"result": {...}}."""

        def _inputs(value: Any) -> tuple[Any, str | None]:
            if isinstance(value, str):
                return [{"role": "user", "content": value}], None
            return value.get("messages"), value.get("lang")

        def invoke(value: Any) -> dict:
            messages, lang = _inputs(value)
            return self.answer(messages, lang).to_dict()

        def generate(values: Iterator[Any]) -> Iterator[dict]:
            for value in values:
                messages, lang = _inputs(value)
                for kind, payload in self.stream(messages, lang):
                    yield {"piece": payload} if kind == "piece" else {"result": payload.to_dict()}

        return _StreamingRunnable(invoke, generate)

    def retriever(self, k: int = 10) -> RegisterRetriever:
        return RegisterRetriever(index=self.index, k=k)


class _StreamingRunnable(RunnableLambda):
    """RunnableLambda whose invoke answers at once and whose stream yields answer pieces."""

    def __init__(self, invoke, generate):
        super().__init__(invoke, name="algoritmewijzer")
        self._generator = RunnableGenerator(generate, name="algoritmewijzer_stream")

    def stream(self, input, config=None, **kwargs):  # noqa: A002 - LangChain's signature
        yield from self._generator.stream(input, config, **kwargs)

    async def astream(self, input, config=None, **kwargs):  # noqa: A002
        async for chunk in self._generator.astream(input, config, **kwargs):
            yield chunk

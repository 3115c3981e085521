"""The assistant: the question's path as one list of small steps, as a Python API and as
LangChain Runnables.

    input rail -> understand -> retrieve -> compose
    -> [always] (optional LLM phrasing) -> send pieces (streaming) -> output rail -> audit
       -> data date -> suggestions

`Assistant.path` is that list; one `Runner` runs it for `answer()` and `stream()`. Any step may
stop the run with an answer (StopRun, a status and a user-facing message): the steps after it are
skipped, except the ones marked `always` (the output rail and the finishing steps), which every
answer passes. When streaming, a step that speaks yields the answer's pieces; each piece is
checked by the output rail before it is sent, and a piece that fails the check is never sent.
The server keeps no conversation state: the client sends the whole conversation every time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from guardrails.audit import AuditLog
from ingest.index import RegisterIndex

log = logging.getLogger("algoritmewijzer.assistant")
WARM_UP_QUESTION = "Welke algoritmes gebruikt de gemeente Utrecht voor parkeren?"  # benign: no audit row
__all__ = ["Assistant", "Conversation", "InvalidConversation", "Runner", "Stage"]

# Statuses whose grounded answer a chat model may phrase.
PHRASED = ("answered", "partly_withheld")


class PieceGate:
    """The streamed text so far; `passes(piece)` asks the output rail's check (True: stop) about
    the text with the piece before it is sent. A piece that fails is kept as `stopped_at`, never sent."""

    def __init__(self, turn: Turn, check: Callable[[str, Turn], bool] | None):
        self.turn = turn
        self.check = check
        self.sent = ""
        self.stopped_at: str | None = None
        self.claimed = False  # a step is speaking (the grounded text is then not sent as well)

    def passes(self, piece: str) -> bool:
        if self.check is not None and self.check(self.sent + piece, self.turn):
            self.stopped_at = self.sent + piece
            return False
        self.sent += piece
        return True

    def pieces(self, source: Iterator[str]) -> Iterator[str]:
        """The pieces of `source` up to the first that fails the check."""
        for piece in source:
            if not self.passes(piece):
                return
            yield piece

    @property
    def text(self) -> str:
        """What the speaker said: the sent text, or the text that failed the check."""
        return self.stopped_at if self.stopped_at is not None else self.sent


class Phrase:
    """Optional: a chat model phrases an answered (or partly withheld) grounded answer, whichever
    step gave it (assistant/llm.py); streaming, its pieces go out through the gate."""

    name = "phrase"

    def __init__(self, phrase: PhraseWithChatModel):
        self.phrase = phrase

    def run(self, turn: Turn) -> None:
        if turn.answer is not None and turn.answer.status in PHRASED:
            turn.answer = self.phrase.rephrase(turn)

    def stream(self, turn: Turn, gate: PieceGate) -> Iterator[str]:
        if turn.answer is None or turn.answer.status not in PHRASED:
            return
        gate.claimed = True
        yield from gate.pieces(self.phrase.stream(turn))
        turn.answer = self.phrase.finish(turn, gate.text)


class SendPieces:
    """Streaming: the answer's text in pieces (unless a chat model already spoke)."""

    name = "send_pieces"

    def run(self, turn: Turn) -> None:
        return None

    def stream(self, turn: Turn, gate: PieceGate) -> Iterator[str]:
        if gate.claimed or turn.answer is None:
            return
        gate.claimed = True
        yield from gate.pieces(answer_pieces(turn.answer.answer))


class Audit:
    """The rails' decisions, with the keyed fingerprint of the question (guardrails/audit.py)."""

    name = "audit"

    def __init__(self, audit: AuditLog):
        self.audit = audit

    def run(self, turn: Turn) -> None:
        if turn.decisions and not turn.replay:
            self.audit.record(turn.decisions, turn.question)


class DataDate:
    """The date of the register data in the index."""

    name = "data_date"

    def __init__(self, index: RegisterIndex):
        self.index = index

    def run(self, turn: Turn) -> None:
        assert turn.answer is not None
        turn.answer.data_date = self.index.store.get_meta("data_date")


class Suggest:
    """Follow-up questions in the answer's language (assistant/suggest.py)."""

    name = "suggestions"

    def run(self, turn: Turn) -> None:
        assert turn.answer is not None
        turn.answer.suggestions = suggest(turn.answer, turn)


@dataclass(frozen=True)
class Stage:
    step: Step
    always: bool = False  # also runs after a step stopped the run


class Runner:
    """Runs a path of stages over a Turn. `events(turn, gate)` yields the pieces to send when
    streaming (`gate` given: steps with a `stream(turn, gate)` method speak through it)."""

    def __init__(self, path: list[Stage]):
        self.path = path

    def events(self, turn: Turn, gate: PieceGate | None = None) -> Iterator[str]:
        stopped = False
        for stage in self.path:
            if stopped and not stage.always:
                continue
            try:
                if gate is not None and hasattr(stage.step, "stream"):
                    yield from stage.step.stream(turn, gate)
                else:
                    stage.step.run(turn)
            except StopRun as stop:
                turn.answer = stop.answer
                stopped = True
        assert turn.answer is not None


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
        self.path = [
            *([Stage(self.input_rail)] if self.input_rail else []),
            Stage(Understand(self.index, replay=self._results_of)),
            Stage(Retrieve(self.index, retrieval_mode)),
            Stage(ComposeGrounded(self.index)),
            *([Stage(Phrase(self.phrase), always=True)] if self.phrase else []),  # phrases answered ones only
            Stage(SendPieces(), always=True),
            *([Stage(self.output_rail, always=True)] if self.output_rail else []),
            *([Stage(Audit(self.audit), always=True)] if self.audit else []),
            Stage(DataDate(self.index), always=True),
            Stage(Suggest(), always=True),
        ]
        self.runner = Runner(self.path)

    # --- running --------------------------------------------------------------------------------
    def _turn(self, messages: Any, lang: str | None) -> Turn:
        conversation = Conversation.parse(messages, self.settings.max_messages, self.settings.max_message_chars)
        turn = Turn(messages=[{**m.model_dump(), "results_from_links": m.results_from_links} for m in conversation.messages])
        if lang in ("nl", "en"):
            turn.lang = lang
        return turn

    def _results_of(self, messages: list[dict]) -> list[str]:
        """The entries the assistant's answer to this (earlier part of a) conversation is based on:
        the question answered again, for a client that sent an earlier answer without its results."""
        turn = self._turn(messages, None)
        turn.replay = True
        for _ in self.runner.events(turn):
            pass
        return list(turn.answer.results) if turn.answer is not None else []

    def answer(self, messages: Any, lang: str | None = None) -> Answer:
        turn = self._turn(messages, lang)
        for _ in self.runner.events(turn):
            pass
        assert turn.answer is not None
        return turn.answer

    def warm_up(self) -> None:
        """Answer one ordinary question, so the first user does not wait for what is built on first
        use (the shape classifier is fitted on its examples' embeddings: seconds)."""
        self.answer([{"role": "user", "content": WARM_UP_QUESTION}])

    def stream(self, messages: Any, lang: str | None = None) -> Iterator[tuple[str, Any]]:
        """('piece', text) events, each checked by the output rail before it is sent, then
        ('result', Answer). If a check fails, no further piece is sent and the result carries the
        rail's explanation instead."""
        turn = self._turn(messages, lang)
        gate = PieceGate(turn, self.output_rail.check_text if self.output_rail else None)
        for piece in self.runner.events(turn, gate):
            yield ("piece", piece)
        yield ("result", turn.answer)

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

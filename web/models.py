"""The API's request and response models (the OpenAPI schema is made from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.conversation import Message

Lang = Literal["nl", "en"]
AnswerStatus = Literal["answered", "no_match", "partly_withheld", "withheld", "refused", "out_of_scope"]


class ChatMessage(Message):
    """One message of the conversation. An assistant message may carry the ids of the entries its
    answer was based on (`results`, as the answer gave them); without them the server reads them
    from the register links in its text, and when the text gives more algorithms than it links
    ("12 algoritmes, bijvoorbeeld ..."), answers the question before it again to find them.
    Earlier assistant messages may be of any length; the user's own question is capped
    (`max_message_chars`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra={
        "examples": [{"role": "assistant", "content": "...", "results": ["3f1c2a9e"]}]})
    results: list[str] | None = Field(
        default=None, max_length=2000,
        description="Assistant messages only: the `results` of that answer (entry ids), for follow-ups such as 'daarvan'.")


class ChatRequest(BaseModel):
    messages: list[ChatMessage] = Field(min_length=1, description="The whole conversation, oldest first; the last one is the user's question.")
    lang: Lang | None = Field(default=None, description="Answer language; detected from the question when absent.")


class CitationOut(BaseModel):
    lars: str
    name: str
    organization: str | None
    url: str | None
    status: str | None = Field(default=None, description="The entry's status in the register (e.g. 'In gebruik').")


class WithheldOut(BaseModel):
    lars: str
    fields: list[str]
    ground: str
    legal_basis: str | None
    explanation: str | None


class AnswerOut(BaseModel):
    """An answer: the same object as `algoritmewijzer ask --json` prints (assistant.steps.Answer)."""

    status: AnswerStatus
    lang: Lang
    intent: str
    answer: str
    results: list[str] = Field(description="Ids of the entries the answer is based on; send them back with the answer as history.")
    count: int | None
    citations: list[CitationOut]
    withheld: list[WithheldOut]
    data_date: str | None = Field(default=None, description="Date of the register data in the index (YYYY-MM-DD).")
    suggestions: list[str] = Field(default_factory=list, description="Suggested follow-up questions.")


class AlgorithmSummary(BaseModel):
    lars: str
    name: str
    organization: str | None
    status: str | None
    publication_category: str | None
    impact_assessment: str
    url: str | None
    description_short: str | None = None
    has_withheld_fields: bool


class AlgorithmList(BaseModel):
    total: int
    page: int
    limit: int
    query: str | None
    items: list[AlgorithmSummary]


class AlgorithmDetail(AlgorithmSummary):
    fields: dict[str, str | list[str]]
    withheld: WithheldOut | None


class OrganizationCount(BaseModel):
    name: str
    count: int


class OrganizationList(BaseModel):
    total: int
    items: list[OrganizationCount]


class IngestRequest(BaseModel):
    sources: list[str] = Field(
        min_length=1, max_length=20,
        description="'live' (the configured register) or names of files (.json/.jsonl/.csv) in ALGORITMEWIJZER_IMPORT_DIR.")


class OfflineRequest(BaseModel):
    offline: bool
    message_nl: str | None = Field(default=None, max_length=1000)
    message_en: str | None = Field(default=None, max_length=1000)


class OfflineState(BaseModel):
    offline: bool
    message_nl: str | None
    message_en: str | None
    since: str | None


class FeedbackRequest(BaseModel):
    helpful: bool = Field(description="Whether the answer helped.")
    comment: str | None = Field(default=None, max_length=1000, description="An optional remark.")
    include_question: bool = Field(default=False, description="Store the question with the feedback (off by default).")
    question: str | None = Field(default=None, max_length=2000, description="The question; stored only with include_question.")
    results: list[str] = Field(default_factory=list, max_length=5000, description="The answer's `results` (entry ids); at most 200 are kept.")
    lang: Lang | None = None


class FeedbackReceived(BaseModel):
    received: bool = True


class FeedbackItem(BaseModel):
    id: int
    time: str
    helpful: bool
    comment: str | None
    question: str | None
    results: list[str]
    lang: str | None


class FeedbackList(BaseModel):
    count: int
    items: list[FeedbackItem]

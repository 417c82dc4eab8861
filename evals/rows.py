"""The shapes the harness reads and writes.

`AskReply` and `RetrieveReply` are the parts of the v1 API's answers the harness uses
(checked on arrival, so a URL that is not this service fails with a clear message).
`Row` is one line of results.jsonl and `Summary` is summary.json; their field names are a
file format: `python -m evals compare` reads result folders written by earlier versions.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

# pydantic validates replies into these; on Python 3.11 it needs typing_extensions.TypedDict.
from typing_extensions import TypedDict


class Message(TypedDict):
    """A conversation turn as `/v1/ask` takes it in `history`."""

    role: Literal["user", "assistant"]
    content: str


class TextSpan(TypedDict):
    """Characters `start:end` of an article's text (`GET /v1/sources/{source}/text`)."""

    source: str
    start: int
    end: int


class Citation(TextSpan):
    n: int
    title: str
    published: str | None
    quote: str
    score: float


class AskReply(TypedDict):
    answer: str
    abstained: bool
    fallback: bool
    citations: list[Citation]
    model: str
    timings_ms: dict[str, float]
    usage: dict[str, int]
    # Null for LLM answers; absent from services older than the field.
    confidence: NotRequired[float | None]
    # What was searched (the question resolved against the history); absent from services
    # older than the field.
    query: NotRequired[str | None]


class RetrievedChunk(TextSpan):
    score: float


class RetrieveReply(TypedDict):
    chunks: list[RetrievedChunk]
    query: str


class Answered(TypedDict):
    """The fields of a `Row` that come from the reply and its scores (shared by question
    rows and conversation turn rows)."""

    answer: str
    abstained: bool
    fallback: bool
    model: str | None
    citations: list[Citation]
    retrieved: list[RetrievedChunk]
    # The answerer's evidence score (what it abstains on); None for LLM answers.
    confidence: float | None
    timings_ms: dict[str, float]
    usage: dict[str, int]
    citation_valid: list[bool]
    metrics: dict[str, float]


class Row(Answered):
    """One question's answer and scores: a line of results.jsonl (the question's fields,
    then the `Answered` ones)."""

    id: str
    split: str
    tags: list[str]
    answerable: bool
    question: str
    reference: str


class TurnRow(Row):
    """One follow-up turn of a conversation (a line of results.jsonl of
    `run-conversations`): a `Row` plus what the rewrite is scored on."""

    conversation: str
    turn: int  # 1-based; the opening turn (1) is context, never a row
    standalone: str
    # What the service searched for (its rewrite of `question`).
    query: str


Aggregate = dict[str, float | int | None]


class TradeoffPoint(TypedDict):
    threshold: float
    correct_refusal: float
    false_refusal: float


class Summary(TypedDict):
    """summary.json."""

    target: str
    dataset: str
    abstain_threshold: float | None
    splits: dict[str, Aggregate]
    tags: dict[str, Aggregate]
    tradeoff: list[TradeoffPoint]
    llm_judge: NotRequired[dict[str, Any]]

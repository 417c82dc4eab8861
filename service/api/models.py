"""Request and response bodies of the v1 API (the contract clients are written against)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from service.retrieval.hits import Hit

QUESTION_EXAMPLE = "Where were the US-Ukraine talks held?"


def _well_formed(value: object) -> object:
    # JSON may carry a lone UTF-16 surrogate as an escape (`"\\ud800"`), and Python
    # decodes it into a string that no encoder, tokenizer or store accepts; refused here,
    # once, for every free-text field, instead of failing deep inside a component.
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"character {exc.start} is a lone surrogate ({value[exc.start]!r}), which is "
                "not Unicode text; send the text as valid UTF-8 (a surrogate escape such as "
                "\\ud83d must be followed by its low half, e.g. \\ude00)"
            ) from None
    return value


# Every free-text field of every request model: a string that is valid Unicode text.
Text = Annotated[str, BeforeValidator(_well_formed)]


def _date_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("expected a date as a string, YYYY-MM-DD")
    return value


# Requests are strict (a `0` is not `false`, a `"5"` not `5`): what the schema says is
# what is accepted. JSON has no date type, so a date is read from its text, only.
IsoDate = Annotated[date, BeforeValidator(_date_text), Field(strict=False)]


def _iso_time(value: object) -> object:
    # Pydantic would read "0.5" as a Unix timestamp; the schema promises ISO 8601 text.
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            "expected an ISO 8601 time such as 2026-12-01 or 2026-12-01T08:00:00Z"
        ) from None


IsoTime = Annotated[datetime, BeforeValidator(_iso_time)]
_REQUEST = ConfigDict(extra="forbid", strict=True)


class Filters(BaseModel):
    model_config = _REQUEST

    sources: list[Text] | None = Field(
        None,
        max_length=200,
        description="Only these sources (paths relative to the ingested folder).",
        examples=[["003_3192432eb868ec65.txt"]],
    )
    published_from: IsoDate | None = Field(
        None, description="Only articles published on or after this date (YYYY-MM-DD)."
    )
    published_to: IsoDate | None = Field(
        None, description="Only articles published on or before this date (YYYY-MM-DD)."
    )

    @model_validator(mode="after")
    def _range_in_order(self) -> Filters:
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ValueError("filters.published_from must not be after filters.published_to")
        return self


class HistoryMessage(BaseModel):
    model_config = _REQUEST

    role: Literal["user", "assistant"]
    content: Text = Field(max_length=8000)


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"question": QUESTION_EXAMPLE, "top_k": 5}]},
    )

    question: Text = Field(
        description="The question, in plain language or keywords (not blank; at most "
        "RAG_SERVER_MAX_QUESTION_CHARS characters).",
        # What the validator below enforces, stated in the schema for clients.
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    top_k: int | None = Field(
        None, ge=1, le=50, description="Chunks to retrieve (1-50; default RAG_RETRIEVAL_TOP_K)."
    )
    filters: Filters | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be empty")
        return value


class AskRequest(RetrieveRequest):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"question": QUESTION_EXAMPLE},
                {
                    "question": "What did Starmer say about Putin?",
                    "top_k": 8,
                    "filters": {"published_from": "2025-11-01", "published_to": "2025-11-30"},
                    "stream": False,
                },
            ]
        },
    )

    history: list[HistoryMessage] = Field(
        default_factory=list, description="Earlier turns of the conversation, oldest first."
    )
    stream: bool | None = Field(
        None,
        description="Answer as Server-Sent Events; when absent, `Accept: text/event-stream` "
        "asks for a stream too.",
    )


class CitationOut(BaseModel):
    n: int
    source: str
    title: str
    published: str | None
    start: int = Field(description="Offset of the quote in the article text.")
    end: int
    quote: str = Field(description="Exactly `article_text[start:end]`.")
    score: float = Field(description="Higher is better; comparable within one response.")


class TimingsOut(BaseModel):
    embed: float
    retrieve: float
    generate: float
    total: float


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class AskResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "The talks were held in Geneva [1].",
                    "abstained": False,
                    "fallback": False,
                    "citations": [
                        {
                            "n": 1,
                            "source": "004_f38c74b4d400aede.txt",
                            "title": "UK Prime Minister Sir Keir Starmer is set to host ...",
                            "published": None,
                            "start": 512,
                            "end": 640,
                            "quote": "...",
                            "score": 0.82,
                        }
                    ],
                    "request_id": "3f2a9c0e6b1d4e8f",
                    "model": "extractive",
                    "timings_ms": {"embed": 2.6, "retrieve": 4.1, "generate": 0.9, "total": 8.0},
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0},
                }
            ]
        }
    )

    answer: str
    abstained: bool
    fallback: bool
    citations: list[CitationOut]
    request_id: str
    model: str
    timings_ms: TimingsOut
    usage: UsageOut
    confidence: float | None = Field(
        None,
        description="The extractive evidence score (the extractive answerer abstains below "
        "RAG_ANSWER_MIN_SCORE); also given by the select mode, whose refusals weigh it; "
        "null for generative LLM answers.",
    )
    query: str | None = Field(
        None,
        description="What was searched: the question, rewritten into a standalone question "
        "when the history makes it a follow-up, spelling repaired.",
    )


class ChunkOut(BaseModel):
    source: str
    chunk_id: str
    start: int
    end: int
    text: str = Field(description="Exactly `article_text[start:end]`.")
    score: float = Field(description="Rank score (fused for hybrid search); higher is better.")
    similarity: float = Field(description="Cosine similarity of the chunk to the question.")
    title: str
    published: str | None


def chunk_out(hit: Hit) -> ChunkOut:
    c = hit.chunk
    return ChunkOut(
        source=c.source,
        chunk_id=c.id,
        start=c.start,
        end=c.end,
        text=c.text,
        score=round(hit.score, 5),
        similarity=round(hit.similarity, 4),
        title=c.title,
        published=c.published,
    )


class RetrieveResponse(BaseModel):
    chunks: list[ChunkOut]
    query: str = Field(description="What was searched: the question, spelling repaired.")
    request_id: str


class SourceOut(BaseModel):
    source: str
    title: str
    published: str | None
    chunks: int
    sha256: str
    duplicate_of: str | None = Field(
        None,
        description="Set on a near-duplicate copy: the source of the canonical article that "
        "is indexed and cited instead (the copy has no chunks).",
    )


class SourcesResponse(BaseModel):
    sources: list[SourceOut]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
    request_id: str


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str


class OpenAIErrorResponse(BaseModel):
    """OpenAI's error shape, which the OpenAI-compatible routes answer with."""

    error: OpenAIErrorBody


class Health(BaseModel):
    status: Literal["ok", "ready"]
    chunks: int | None = None


FEEDBACK_COMMENT_CHARS = 2000
FEEDBACK_EXPECTED_CHARS = 4000


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"request_id": "3f2a9c0e6b1d4e8f", "rating": "up"},
                {
                    "request_id": "3f2a9c0e6b1d4e8f",
                    "rating": "down",
                    "comment": "It cites the wrong summit.",
                    "expected_answer": "The talks were held in Geneva.",
                },
            ]
        },
    )

    request_id: str = Field(
        pattern=r"^(chatcmpl-)?[A-Za-z0-9._:-]{1,128}$",
        description="The answer's `request_id` (or `X-Request-ID`); a chat completion's "
        "`id` (`chatcmpl-...`) is accepted as well.",
    )
    rating: Literal["up", "down"] = Field(description="Thumbs up or down.")
    comment: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        None, max_length=FEEDBACK_COMMENT_CHARS, description="What was wrong, or right."
    )
    expected_answer: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        None,
        max_length=FEEDBACK_EXPECTED_CHARS,
        description="The answer the reader expected, if they know it.",
    )


class FeedbackOut(BaseModel):
    request_id: str
    rating: Literal["up", "down"]
    comment: str | None
    expected_answer: str | None
    client: Literal["widget", "slack", "api", "chat"] = Field(
        description="Where the rated answer was given."
    )
    created_at: datetime
    updated_at: datetime = Field(description="When the rating was last changed.")


class FeedbackItem(FeedbackOut):
    principal: str = Field(description="Who rated: a key's fingerprint or a Slack user.")
    question: str
    query: str | None
    answer: str
    abstained: bool
    model: str
    answered_at: datetime


class FeedbackList(BaseModel):
    items: list[FeedbackItem]
    next_offset: int | None = Field(
        description="The `offset` of the next page; null on the last page."
    )

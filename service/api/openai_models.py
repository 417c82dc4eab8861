"""OpenAI's chat-completions request, response and chunk shapes, with our extensions.

Requests accept OpenAI's other parameters (`temperature`, `max_tokens`, `user`, ...) and
ignore them: answers come from the articles, not from sampling. Responses add the answer's
`citations` (the objects `/v1/ask` returns), `abstained` and `request_id`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.models import CitationOut, Filters, Text

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    type: Text
    text: Text | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    role: Role
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    # Strict like the other requests (a `0` is not `false`); OpenAI's parameters that
    # this route ignores are let through unvalidated.
    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "model": "newsrag",
                    "messages": [
                        {"role": "user", "content": "Where were the US-Ukraine talks held?"}
                    ],
                }
            ]
        },
    )

    model: Text = Field(description="The id `/v1/models` lists (RAG_CHAT_MODEL_NAME).")
    messages: list[ChatMessageIn] = Field(
        min_length=1,
        description="The conversation, oldest first; the last message is the question and "
        "must come from the user. System messages are ignored.",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is produced.")
    # Extensions.
    sources_list: bool | None = Field(
        None, description="Append a markdown Sources list (default RAG_CHAT_SOURCES_LIST)."
    )
    top_k: int | None = Field(
        None, ge=1, le=50, description="Chunks to retrieve (1-50; default RAG_RETRIEVAL_TOP_K)."
    )
    filters: Filters | None = None


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None
    citations: list[CitationOut]
    abstained: bool


class Choice(BaseModel):
    index: int = 0
    message: ChatMessageOut
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: ChatUsage
    system_fingerprint: None = None
    abstained: bool
    fallback: bool
    request_id: str


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    system_fingerprint: None = None
    usage: ChatUsage | None = None
    # Set on the last chunk before `[DONE]`.
    citations: list[CitationOut] | None = None
    abstained: bool | None = None
    fallback: bool | None = None
    request_id: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "newsrag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str


class OpenAIError(BaseModel):
    error: OpenAIErrorBody

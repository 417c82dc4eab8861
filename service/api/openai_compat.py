"""OpenAI-compatible chat: `POST /v1/chat/completions`, `GET /v1/models`, on `/v1/ask`.

The last message is the question (it must come from the user); earlier user and assistant
messages are the history (system messages are ignored; only the most recent
RAG_SERVER_MAX_HISTORY are kept, so a long chat is trimmed, not refused). The answer text
keeps its `[n]` markers; its citations are in `choices[0].message.citations` and, when
streaming, at the top level of the last chunk before `[DONE]`.

Streaming sends only final text. OpenAI clients append deltas and cannot replace what they
showed, while an answer is final only after post-processing (markers mapped and
renumbered, a refusal turned into an abstention, a failed LLM answer replaced by the
extractive one). So the role chunk goes out at once, keep-alive comments while the answer
is made, then the final content in word-sized chunks: the deltas always add up to the
final content, sources list included.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from service.answer.base import Citation, Message
from service.api.answer_log import log_request_answer
from service.api.ask import search_filters, to_response
from service.api.deps import AskDep, ServicesDep, SettingsDep
from service.api.errors import openai_error
from service.api.models import CitationOut
from service.api.openai_models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessageOut,
    ChatUsage,
    Choice,
    ChunkChoice,
    Delta,
    ModelCard,
    ModelList,
    OpenAIError,
)
from service.api.principal import get_principal
from service.api.sse import answer_stream
from service.ask.followup import SOURCES_HEADING
from service.ask.service import AskResult, AskService
from service.core.tokens import count_tokens
from service.errors import InvalidRequest, NotFound
from service.log import request_id_var
from service.retrieval.retriever import SearchFilters
from service.settings import Settings

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], dependencies=[Depends(get_principal)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": OpenAIError} for code in (400, 404, 413, 422, 502, 503, 504)
}
QUOTE_CHARS = 200  # of each quote in the sources list
WORDS_PER_CHUNK = 4


class ModelNotFound(NotFound):
    code = "model_not_found"
    param = "model"


def _model_card(settings: Settings, created: int) -> ModelCard:
    return ModelCard(id=settings.chat.model_name, created=created)


def _check_model(model: str, settings: Settings) -> None:
    if model != settings.chat.model_name:
        raise ModelNotFound(
            f"The model {model!r} does not exist; use {settings.chat.model_name!r} "
            "(GET /v1/models lists it)."
        )


def conversation(body: ChatCompletionRequest, settings: Settings) -> tuple[str, list[Message]]:
    """The question (the last message) and the history before it, trimmed."""
    last = body.messages[-1]
    if last.role != "user":
        raise InvalidRequest(
            f"The last message has role {last.role!r}; it must come from the user "
            "(role 'user'): it is the question that is answered."
        )
    question = last.text().strip()
    if not question:
        raise InvalidRequest("The last user message is empty; put the question in it.")
    limit = settings.server.max_question_chars
    if len(question) > limit:
        raise InvalidRequest(
            f"The question is {len(question):,} characters; the limit is {limit:,}. "
            "Ask a shorter question."
        )
    history = [
        Message(m.role, m.text().split(SOURCES_HEADING, 1)[0].strip())
        for m in body.messages[:-1]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    keep = settings.server.max_history
    return question, (history[-keep:] if keep else [])


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]])", r"\\\1", " ".join(text.split()))


def sources_block(citations: Sequence[Citation]) -> str:
    """A markdown list of the citations, appended to the answer for chat clients."""
    lines = [SOURCES_HEADING]
    for c in citations:
        quote = " ".join(c.quote.split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1].rstrip() + "…"
        date = f" ({c.published})" if c.published else ""
        lines.append(f"- [{c.n}] *{_escape(c.title)}*{date}, `{c.source}`: “{_escape(quote)}”")
    return "\n".join(lines)


def content_of(result: AskResult, sources_list: bool) -> str:
    answer = result.answer
    if sources_list and answer.citations:
        return answer.text + sources_block(answer.citations)
    return answer.text


def usage_of(
    question: str, history: Sequence[Message], result: AskResult, content: str
) -> ChatUsage:
    """The LLM's own counts when it answered; otherwise tiktoken counts of what was read
    (the messages) and written (the content)."""
    usage = result.answer.usage
    prompt = usage.prompt_tokens or count_tokens(question) + sum(
        count_tokens(m.content) for m in history
    )
    completion = usage.completion_tokens or count_tokens(content)
    return ChatUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _citations(result: AskResult) -> list[CitationOut]:
    return to_response(result).citations


def pieces(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """`text` cut before every `words`-th word; the pieces join back to `text`."""
    starts = [m.start() for m in re.finditer(r"\S+", text)][::words]
    if not starts:
        return [text] if text else []
    starts[0] = 0
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@router.get("/models", response_model=ModelList, summary="The one model: the articles")
async def list_models(settings: SettingsDep, services: ServicesDep) -> ModelList:
    return ModelList(data=[_model_card(settings, int(services.started))])


@router.get(
    "/models/{model}",
    response_model=ModelCard,
    responses={404: {"model": OpenAIError}},
    summary="One model",
)
async def get_model(model: str, settings: SettingsDep, services: ServicesDep) -> ModelCard:
    _check_model(model, settings)
    return _model_card(settings, int(services.started))


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **_ERRORS,
        200: {
            "description": "A chat completion, or chunks as Server-Sent Events when `stream` "
            "is true (the last one before `[DONE]` carries `citations`).",
            "content": {"text/event-stream": {}},
        },
    },
    summary="Answer the last user message, OpenAI-style, with cited spans",
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, service: AskDep, settings: SettingsDep
) -> ChatCompletion | EventSourceResponse:
    _check_model(body.model, settings)
    chat = _chat(body, settings)
    if not body.stream:
        result = await service.ask(
            chat.question, top_k=chat.top_k, filters=chat.filters, history=chat.history
        )
        log_request_answer(request, "chat", chat.question, chat.history, result)
        return _completion(chat, result)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    events = _chat_events(chat, request, service, include_usage)
    return answer_stream(events, settings, _error_event)


@dataclass(frozen=True)
class _Chat:
    """One chat completion request: what is asked, and what its answer is labelled with."""

    question: str
    history: list[Message]
    top_k: int
    filters: SearchFilters | None
    sources_list: bool
    request_id: str
    completion_id: str
    created: int
    model: str


def _chat(body: ChatCompletionRequest, settings: Settings) -> _Chat:
    question, history = conversation(body, settings)
    request_id = request_id_var.get()
    return _Chat(
        question=question,
        history=history,
        top_k=body.top_k or settings.retrieval.top_k,
        filters=search_filters(body.filters),
        sources_list=settings.chat.sources_list if body.sources_list is None else body.sources_list,
        request_id=request_id,
        completion_id=f"chatcmpl-{request_id}",
        created=int(time.time()),
        model=settings.chat.model_name,
    )


def _completion(chat: _Chat, result: AskResult) -> ChatCompletion:
    """The whole answer as one chat completion (`stream` false)."""
    content = content_of(result, chat.sources_list)
    return ChatCompletion(
        id=chat.completion_id,
        created=chat.created,
        model=chat.model,
        choices=[
            Choice(
                message=ChatMessageOut(
                    content=content,
                    citations=_citations(result),
                    abstained=result.answer.abstained,
                )
            )
        ],
        usage=usage_of(chat.question, chat.history, result, content),
        abstained=result.answer.abstained,
        fallback=result.answer.fallback,
        request_id=chat.request_id,
    )


def _chunk(chat: _Chat, **fields: Any) -> ServerSentEvent:
    data = ChatCompletionChunk(
        id=chat.completion_id, created=chat.created, model=chat.model, **fields
    )
    return ServerSentEvent(data=json.dumps(chunk_json(data), ensure_ascii=False))


async def _chat_events(
    chat: _Chat, request: Request, service: AskService, include_usage: bool
) -> AsyncIterator[ServerSentEvent]:
    """The role chunk, the final content in pieces, the closing chunk(s), then `[DONE]`."""
    yield _chunk(chat, choices=[ChunkChoice(delta=Delta(role="assistant", content=""))])
    result = await _final_result(chat, service)
    log_request_answer(request, "chat", chat.question, chat.history, result)
    content = content_of(result, chat.sources_list)
    for piece in pieces(content):
        yield _chunk(chat, choices=[ChunkChoice(delta=Delta(content=piece))])
    final = {
        "usage": usage_of(chat.question, chat.history, result, content),
        "citations": _citations(result),
        "abstained": result.answer.abstained,
        "fallback": result.answer.fallback,
        "request_id": chat.request_id,
    }
    yield _chunk(chat, choices=[ChunkChoice(delta=Delta(), finish_reason="stop")], **final)
    if include_usage:
        yield _chunk(chat, choices=[], **final)
    yield ServerSentEvent(data="[DONE]")


async def _final_result(chat: _Chat, service: AskService) -> AskResult:
    """The answer of the ask stream (its last item); its tokens are not sent (see above)."""
    result: AskResult | None = None
    async for item in service.stream(
        chat.question, top_k=chat.top_k, filters=chat.filters, history=chat.history
    ):
        if isinstance(item, AskResult):
            result = item
    assert result is not None, "the ask stream always ends with a result"
    return result


def chunk_json(chunk: ChatCompletionChunk) -> dict[str, Any]:
    """A chunk as OpenAI sends it: unset top-level fields and delta fields left out (a
    citation's `published: null` stays)."""
    data = {k: v for k, v in chunk.model_dump(mode="json").items() if v is not None}
    for choice in data["choices"]:
        choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
    return data


def _error_event(status: int, code: str, message: str) -> ServerSentEvent:
    # OpenAI's clients raise an APIError for a data line holding `error`.
    return ServerSentEvent(data=json.dumps({"error": openai_error(status, code, message)}))

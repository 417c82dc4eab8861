"""POST /v1/ask (JSON or Server-Sent Events) and POST /v1/retrieve."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from service.answer.base import Message, Token
from service.api.answer_log import api_client, log_request_answer
from service.api.deps import AskDep, SettingsDep
from service.api.models import (
    AskRequest,
    AskResponse,
    CitationOut,
    ErrorResponse,
    Filters,
    RetrieveRequest,
    RetrieveResponse,
    TimingsOut,
    UsageOut,
    chunk_out,
)
from service.api.principal import get_principal, widget_key_allowed
from service.api.sse import answer_stream
from service.ask.service import AskResult
from service.errors import InvalidRequest
from service.log import request_id_var
from service.retrieval.retriever import SearchFilters
from service.settings import Settings

router = APIRouter(prefix="/v1", tags=["answers"], dependencies=[Depends(get_principal)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 413, 422, 429, 502, 503, 504)
}


def _check_limits(body: RetrieveRequest, settings: Settings) -> None:
    limits = settings.server
    if len(body.question) > limits.max_question_chars:
        raise InvalidRequest(
            f"question is {len(body.question):,} characters; the limit is "
            f"{limits.max_question_chars:,}. Ask a shorter question."
        )
    if isinstance(body, AskRequest) and len(body.history) > limits.max_history:
        raise InvalidRequest(
            f"history has {len(body.history)} messages; the limit is {limits.max_history}. "
            "Send only the most recent turns."
        )


def search_filters(filters: Filters | None) -> SearchFilters | None:
    """A request's `filters` (of /v1/ask, /v1/retrieve or /v1/chat/completions) as the
    retriever takes them."""
    if filters is None:
        return None
    return SearchFilters(filters.sources, filters.published_from, filters.published_to)


def to_response(result: AskResult) -> AskResponse:
    answer = result.answer
    return AskResponse(
        answer=answer.text,
        abstained=answer.abstained,
        fallback=answer.fallback,
        citations=[CitationOut(**vars(c)) for c in answer.citations],
        request_id=request_id_var.get(),
        model=answer.model,
        timings_ms=TimingsOut(**vars(result.timings)),
        usage=UsageOut(
            prompt_tokens=answer.usage.prompt_tokens,
            completion_tokens=answer.usage.completion_tokens,
        ),
        confidence=answer.confidence,
        query=result.query,
    )


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={
        **_ERRORS,
        200: {
            "description": "The answer as JSON, or as Server-Sent Events (`meta`, `token`*, "
            "`done` with this object, or `error`) when `stream` is true or the request "
            "accepts `text/event-stream`.",
            "content": {"text/event-stream": {}},
        },
    },
    summary="Answer a question with exact, cited spans of the articles",
)
@widget_key_allowed
async def ask(
    body: AskRequest, request: Request, service: AskDep, settings: SettingsDep
) -> AskResponse | EventSourceResponse:
    _check_limits(body, settings)
    top_k = body.top_k or settings.retrieval.top_k
    history = [Message(m.role, m.content) for m in body.history]
    wants_stream = body.stream
    if wants_stream is None:
        wants_stream = "text/event-stream" in request.headers.get("accept", "")
    if not wants_stream:
        result = await service.ask(
            body.question, top_k=top_k, filters=search_filters(body.filters), history=history
        )
        log_request_answer(request, api_client(request), body.question, history, result)
        return to_response(result)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield _event("meta", {"request_id": request_id_var.get(), "model": service.model})
        async for item in service.stream(
            body.question, top_k=top_k, filters=search_filters(body.filters), history=history
        ):
            if isinstance(item, Token):
                yield _event("token", {"text": item.text})
            else:
                log_request_answer(request, api_client(request), body.question, history, item)
                yield _event("done", to_response(item).model_dump(mode="json"))

    return answer_stream(events(), settings, _error_event)


def _error_event(status: int, code: str, message: str) -> ServerSentEvent:
    return _event("error", {"code": code, "message": message})


def _event(name: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event=name, data=json.dumps(data, ensure_ascii=False))


@router.post(
    "/retrieve",
    response_model=RetrieveResponse,
    responses=_ERRORS,
    summary="The chunks an answer would draw on, best first",
)
async def retrieve(
    body: RetrieveRequest, service: AskDep, settings: SettingsDep
) -> RetrieveResponse:
    _check_limits(body, settings)
    top_k = body.top_k or settings.retrieval.top_k
    retrieval = await service.retrieve(body.question, top_k, search_filters(body.filters))
    return RetrieveResponse(
        chunks=[chunk_out(h) for h in retrieval.hits],
        query=retrieval.query.text,
        request_id=request_id_var.get(),
    )

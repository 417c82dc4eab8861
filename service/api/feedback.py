"""`POST /v1/feedback` (a reader's thumbs on an answer) and `GET /v1/feedback` (the list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from service.api.answer_log import get_answer_log
from service.api.models import ErrorResponse, FeedbackItem, FeedbackList, FeedbackOut, IsoTime
from service.api.models import FeedbackRequest as FeedbackIn
from service.api.principal import Principal, get_principal, widget_key_allowed
from service.core import metrics
from service.core.feedback.store import FeedbackRecord, Rating
from service.core.feedback.writer import AnswerLog
from service.errors import Forbidden, NotFound, Unavailable
from service.log import LOGGER

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(get_principal)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 429, 503)
}
T = TypeVar("T")
CHAT_PREFIX = "chatcmpl-"
# A feedback sent right after its answer may arrive before the answer is written.
_FLUSH_S = 2.0


def _log(request: Request) -> AnswerLog:
    log = get_answer_log(request)
    if log is None:
        raise NotFound(
            "Feedback is off on this server: the answer log is disabled "
            "(RAG_FEEDBACK_RETENTION_DAYS=0) or its database was unreachable at start-up."
        )
    return log


def _out(record: FeedbackRecord) -> FeedbackOut:
    return FeedbackOut(
        request_id=record.request_id,
        rating=record.rating,
        comment=record.comment,
        expected_answer=record.expected_answer,
        client=record.answer.client,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _item(record: FeedbackRecord) -> FeedbackItem:
    a = record.answer
    return FeedbackItem(
        **_out(record).model_dump(),
        principal=record.principal,
        question=a.question,
        query=a.query,
        answer=a.answer,
        abstained=a.abstained,
        model=a.model,
        answered_at=a.created_at,
    )


async def _in_thread(call: Callable[[], T]) -> T:
    """A store call off the event loop; a database failure is a 503, never a 500."""
    try:
        return await anyio.to_thread.run_sync(call)
    except SQLAlchemyError as exc:
        LOGGER.warning("feedback store failed", extra={"fields": {"error": type(exc).__name__}})
        raise Unavailable(
            "The feedback store cannot be reached right now; try again shortly."
        ) from None


async def rate(
    log: AnswerLog,
    principal: Principal,
    request_id: str,
    rating: Rating,
    comment: str | None = None,
    expected_answer: str | None = None,
) -> tuple[FeedbackRecord, bool]:
    """Store a principal's rating of an answer (shared by the API and Slack)."""
    request_id = request_id.removeprefix(CHAT_PREFIX)
    store = log.store
    answer = await _in_thread(lambda: store.answer(request_id))
    if answer is None:
        await anyio.to_thread.run_sync(log.flush, _FLUSH_S)
        answer = await _in_thread(lambda: store.answer(request_id))
    if answer is None:
        raise NotFound(
            f"No answer with request id {request_id!r} is in the log: send the `request_id` "
            f"of an answer from the last {store.retention_days} days."
        )
    if principal.kind == "widget" and answer.client != "widget":
        raise Forbidden("A widget key may only rate answers given to a widget.")
    stored = await _in_thread(
        lambda: store.rate(request_id, principal.label, rating, comment, expected_answer)
    )
    if stored is None:  # purged in between
        raise NotFound(f"No answer with request id {request_id!r} is in the log.")
    metrics.feedback_received(rating, answer.client)
    return stored


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses={
        **_ERRORS,
        200: {"model": FeedbackOut, "description": "The caller's earlier rating, changed."},
    },
    summary="Rate an answer (thumbs up or down), by its request id",
)
@widget_key_allowed
async def send_feedback(
    body: FeedbackIn,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(get_principal)],
) -> FeedbackOut:
    record, created = await rate(
        _log(request),
        principal,
        body.request_id,
        body.rating,
        body.comment,
        body.expected_answer,
    )
    response.status_code = 201 if created else 200
    return _out(record)


@router.get(
    "/feedback",
    response_model=FeedbackList,
    responses=_ERRORS,
    summary="Readers' ratings with the answers they rate, most recent first (API keys)",
)
async def list_feedback(
    request: Request,
    rating: Annotated[Literal["up", "down"] | None, Query(description="Only this rating.")] = None,
    client: Annotated[
        Literal["widget", "slack", "api", "chat"] | None,
        Query(description="Only answers given to this client."),
    ] = None,
    since: Annotated[
        IsoTime | None,
        Query(description="Only ratings given or changed at or after this time (ISO 8601)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip (`next_offset`).")] = 0,
) -> FeedbackList:
    store = _log(request).store
    records = await _in_thread(
        lambda: store.find(
            rating=rating, client=client, since=since, limit=limit + 1, offset=offset
        )
    )
    more = len(records) > limit
    return FeedbackList(
        items=[_item(r) for r in records[:limit]],
        next_offset=offset + limit if more else None,
    )

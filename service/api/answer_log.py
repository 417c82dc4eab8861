"""Puts every answer into the answer log, after it is given (service/core/feedback)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from service.answer.base import Message
from service.answer.extractive import MODEL_NAME as EXTRACTIVE
from service.ask.service import AskResult
from service.core.feedback.store import AnswerRecord, Client, FeedbackStore
from service.core.feedback.writer import AnswerLog
from service.log import LOGGER, request_id_var
from service.settings import Settings


def build_answer_log(settings: Settings) -> AnswerLog | None:
    """The log the settings describe, its schema migrated; None when it is off or its
    database cannot be reached at start-up (answers are then given, not logged)."""
    try:
        store = FeedbackStore.build(settings)
    except Exception as exc:
        LOGGER.warning(
            "answer log unavailable; answers are not logged and feedback is refused",
            extra={"fields": {"error": type(exc).__name__, "detail": str(exc)[:300]}},
        )
        return None
    if store is None:
        return None
    mode = "select" if settings.answer.mode == "select" else "llm"
    return AnswerLog(store, queue_size=settings.feedback.queue, llm_answerer=mode)


def get_answer_log(request: Request) -> AnswerLog | None:
    log: AnswerLog | None = getattr(request.app.state, "answer_log", None)
    return log


def api_client(request: Request) -> Client:
    """`widget` for answers to a widget key, else `api`."""
    principal = str(getattr(request.state, "principal", "") or "")
    return "widget" if principal.startswith("widget:") else "api"


def log_answer(
    log: AnswerLog | None,
    *,
    client: Client,
    principal: str,
    question: str,
    history: Sequence[Message],
    result: AskResult,
    request_id: str | None = None,
) -> None:
    """Queue one answer for the log; never raises, never waits."""
    if log is None:
        return
    try:
        answer = result.answer
        log.submit(
            AnswerRecord(
                request_id=request_id or request_id_var.get(),
                client=client,
                principal=principal,
                question=question,
                query=result.query,
                history=[{"role": m.role, "content": m.content} for m in history],
                answer=answer.text,
                abstained=answer.abstained,
                fallback=answer.fallback,
                citations=[vars(c).copy() for c in answer.citations],
                answerer="extractive" if answer.model == EXTRACTIVE else log.llm_answerer,
                model=answer.model,
                timings_ms=dict(vars(result.timings)),
            )
        )
    except Exception as exc:
        LOGGER.warning("answer not logged", extra={"fields": {"error": type(exc).__name__}})


def log_request_answer(
    request: Request,
    client: Client,
    question: str,
    history: Sequence[Message],
    result: AskResult,
) -> None:
    log_answer(
        get_answer_log(request),
        client=client,
        principal=str(getattr(request.state, "principal", None) or "-"),
        question=question,
        history=history,
        result=result,
    )

"""The one Server-Sent Events response shell of the answer streams (`/v1/ask`, chat).

Both streams are finite answers, so both get the same treatment: the request id of the
request that opened them in their log lines, keep-alive comments while an answer is
made, no proxy buffering, a failure turned into the route's own error event, and on
shutdown the time to finish (RAG_SERVER_SHUTDOWN_GRACE_S) instead of being cut.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from sse_starlette import EventSourceResponse, ServerSentEvent

from service.errors import ServiceError
from service.log import LOGGER, request_id_var
from service.settings import Settings

# (status, code, message) -> the route's error event.
ErrorEvent = Callable[[int, str, str], ServerSentEvent]

INTERNAL_MESSAGE = "Internal error; see the logs."


def answer_stream(
    events: AsyncIterator[ServerSentEvent], settings: Settings, error_event: ErrorEvent
) -> EventSourceResponse:
    """`events` sent as SSE; a failure inside them ends the stream with `error_event`."""
    request_id = request_id_var.get()

    async def guarded() -> AsyncIterator[ServerSentEvent]:
        # The response runs in its own task: carry the request id into its log lines.
        token = request_id_var.set(request_id)
        try:
            async for event in events:
                yield event
        except ServiceError as exc:
            yield error_event(exc.status, exc.code, exc.message)
        except Exception as exc:
            LOGGER.error("stream failed", exc_info=exc)
            yield error_event(500, "internal_error", INTERNAL_MESSAGE)
        finally:
            request_id_var.reset(token)

    return EventSourceResponse(
        guarded(),
        ping=settings.server.heartbeat_s,
        headers={"X-Accel-Buffering": "no"},
        # sse-starlette cancels a stream as soon as the server begins to shut down
        # unless given a grace period; uvicorn itself waits the same setting for
        # in-flight responses, so an answer streaming at a restart ends with its final
        # event instead of being cut.
        shutdown_grace_period=settings.server.shutdown_grace_s,
    )

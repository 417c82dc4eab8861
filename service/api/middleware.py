"""ASGI middleware: request ids, a request-body size limit, page security headers, one
access log line and the request metrics."""

from __future__ import annotations

import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import unexpected_error_response
from service.core import metrics
from service.log import LOGGER, request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# The route label of requests that match no route (unknown paths): one value, whatever
# the path, so that scanners cannot mint label values.
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/sources/{source}/text`), never the raw path."""
    template = getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


def _too_large_message(limit: int) -> str:
    return f"Request body over {limit:,} bytes; shorten the question or history."


class _BodyTooLarge(HTTPException):
    # An HTTPException so that FastAPI's body parsing re-raises it as is (a plain
    # exception there becomes a 400) and the error handler maps it to 413.
    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


class RequestContextMiddleware:
    """Sets the request id (from `X-Request-ID` or new), echoes it, limits body size."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                # Set by a page route (service/api/security.py) for its response only.
                page = scope.get("state", {}).get("security_headers") or {}
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *((k.lower().encode(), v.encode()) for k, v in page.items()),
                ]
            await send(message)

        try:
            with metrics.request_in_progress():
                await self._limited(scope, receive, send_with_id, headers)
        except Exception as exc:
            # Handled here, not by Starlette's outermost ServerErrorMiddleware, so that the
            # 500 gets what every response gets (the request id, in the body, the header
            # and this log line; CORS; page headers) and the connection stays open.
            LOGGER.error("unhandled error", exc_info=exc)
            if responded:  # too late for an error response; the server ends it
                raise
            await unexpected_error_response(scope.get("path", ""))(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            metrics.observe_request(route_template(scope), scope["method"], status, seconds)
            LOGGER.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        # Decided by get_principal: a key's fingerprint, never the key.
                        "principal": scope.get("state", {}).get("principal"),
                        "ms": round(seconds * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        """The app, with the body limit enforced on the declared and the received size.

        Both are enforced when the route reads the body, not before routing, so that the
        413 is counted under the route it was sent to."""
        limit = self.max_body_bytes
        declared = headers.get("content-length")
        over = bool(declared and declared.isdigit() and int(declared) > limit)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if over:
                raise _BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)

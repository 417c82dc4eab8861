"""ASGI middleware: request ids, a request-body size limit, page security headers and one
access log line."""

from __future__ import annotations

import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_response
from service.log import LOGGER, request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Set by a page route (service/api/security.py) for its response only.
                page = scope.get("state", {}).get("security_headers") or {}
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *((k.lower().encode(), v.encode()) for k, v in page.items()),
                ]
            await send(message)

        try:
            declared = headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                await self._too_large(scope, receive, send_with_id)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            await self.app(scope, limited_receive, send_with_id)
        finally:
            LOGGER.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        # Decided by get_principal: a key's fingerprint, never the key.
                        "principal": scope.get("state", {}).get("principal"),
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "payload_too_large",
            _too_large_message(self.max_body_bytes),
            path=str(scope.get("path", "")),
        )
        await response(scope, receive, send)

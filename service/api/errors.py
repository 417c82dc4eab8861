"""The one place that turns errors into JSON error bodies.

Two shapes, chosen by route: the contract's `{"error": {"code", "message"}, "request_id"}`
everywhere, and OpenAI's `{"error": {"message", "type", "param", "code"}}` on the
OpenAI-compatible routes (`/v1/chat/...`, `/v1/models`), whose clients parse that shape.
Every error raised on those routes, whatever raised it (validation, a dependency such as
access control, the answerer), is shaped here, so nothing else has to know about it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service.errors import ServiceError
from service.log import LOGGER, request_id_var

# Statuses Starlette/FastAPI raise as HTTPException (unknown route, wrong method, an
# unparsable body, the body limit), plus the contract's 401/403/429 for access control.
# Our own failures are `ServiceError`s and carry their code.
_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "invalid_request",
    413: "payload_too_large",
    429: "rate_limited",
}

# Routes that speak OpenAI's API, errors included.
OPENAI_PATHS = ("/v1/chat/", "/v1/models")
# OpenAI's error `type` for a status.
_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


def is_openai_path(path: str) -> bool:
    return path.startswith(OPENAI_PATHS)


def openai_error(status: int, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error object (the value of the body's `error`)."""
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"message": message, "type": kind, "param": param, "code": code}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    path: str = "",
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    if is_openai_path(path):
        content: dict[str, Any] = {"error": openai_error(status, code, message, param)}
    else:
        content = {
            "error": {"code": code, "message": message},
            "request_id": request_id_var.get(),
        }
    return JSONResponse(status_code=status, content=content, headers=dict(headers or {}))


def describe_validation(errors: Any) -> str:
    """One readable sentence per problem: where it is, and what is expected."""
    parts = []
    for err in errors:
        where = _location(err)
        kind = err.get("type", "")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if kind == "json_invalid":
            msg = 'the body is not valid JSON; send a JSON object such as {"question": "..."}'
            where = "body"
        elif kind == "missing":
            msg = "this field is required"
        elif kind == "extra_forbidden":
            msg = "unknown field; see /docs for the accepted fields"
        elif kind == "model_attributes_type":
            msg = "expected a JSON object with Content-Type: application/json"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts) or "invalid request"


# A union's member in an error location (`list[ContentPart]`, `function-before[...]`):
# pydantic's name for the branch tried, not a field a client could find in its body.
_UNION_MEMBER = re.compile(r"[\[(]")


def _location(err: Mapping[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ()) if p != "body" and not _UNION_MEMBER.search(str(p))]
    return ".".join(loc) or "body"


def _not_found_message(request: Request) -> str:
    path = request.url.path
    bare = path.rstrip("/")
    if bare and bare != path:
        scope = {**request.scope, "path": bare}
        if any(route.matches(scope)[0] is not Match.NONE for route in request.app.routes):
            return f"No such endpoint: {request.method} {path}; use {bare} (no trailing slash)."
    return f"No such endpoint: {request.method} {path}; see /docs."


def unexpected_error_response(path: str) -> JSONResponse:
    """The 500 for an exception nothing else handled (see RequestContextMiddleware, which
    sends it, so that it carries the request id and the CORS headers)."""
    return error_response(
        500,
        "internal_error",
        "Internal error; the request id identifies it in the logs.",
        path=path,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        if exc.status >= 500:
            LOGGER.warning(
                "request failed", extra={"fields": {"code": exc.code, "error": exc.message}}
            )
        return error_response(
            exc.status,
            exc.code,
            exc.message,
            path=request.url.path,
            param=getattr(exc, "param", None),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return error_response(
            422,
            "invalid_request",
            describe_validation(errors),
            path=request.url.path,
            param=_location(errors[0]) if errors else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(
            exc.status_code, "internal_error" if exc.status_code >= 500 else "invalid_request"
        )
        message = str(exc.detail)
        if exc.status_code == 404:
            message = _not_found_message(request)
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /docs."
        # Keeps the headers the status requires, such as Allow on a 405.
        return error_response(
            exc.status_code, code, message, path=request.url.path, headers=exc.headers
        )

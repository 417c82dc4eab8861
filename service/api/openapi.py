"""The OpenAPI schema documents every error response in the contract's one error shape,
and the request limits that the settings decide.

FastAPI documents its own validation error shape for 422 and puts a route's error models
under the route's media type (text/plain for the article text). Every error this service
sends is `ErrorResponse` as JSON (service/api/errors.py), so the generated schema is
corrected here, once, for every route, including routes added later:
- each status >= 400 a route declares is `ErrorResponse` as application/json;
- every operation may answer 500; one with a body or parameters 422; one with a body 413.
The OpenAI-compatible routes answer errors in OpenAI's shape (`OpenAIErrorResponse`).
The question length and history size limits are settings, so they are written into the
schema of the app that enforces them, as is whether a key is required at all: on an open
API (no RAG_API_KEYS) the bearer key is documented as optional.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.api.errors import is_openai_path
from service.api.models import ErrorResponse, OpenAIErrorResponse
from service.settings import ServerSettings

REF = "#/components/schemas/ErrorResponse"
OPENAI_REF = "#/components/schemas/OpenAIErrorResponse"
DESCRIPTIONS = {
    400: "The request is invalid (the message says how to fix it).",
    401: "An API key is required.",
    403: "The key may not use this route.",
    404: "Not found.",
    413: "The request body is too large.",
    422: "The request does not match the schema (the message says where and how).",
    429: "Too many requests; retry later.",
    500: "Internal error; the request id identifies it in the logs.",
    502: "The LLM failed (with RAG_LLM_FALLBACK=false).",
    503: "The store is unavailable or does not match the settings.",
    504: "The LLM timed out (with RAG_LLM_FALLBACK=false).",
}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# FastAPI's own validation error models, unused once 422 is documented as ErrorResponse.
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def document_errors(app: FastAPI, limits: ServerSettings, *, keys_required: bool) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = with_limits(with_error_responses(generate()), limits)
        return schema if keys_required else with_optional_keys(schema)

    app.openapi = openapi  # type: ignore[method-assign]


def with_limits(schema: dict[str, Any], limits: ServerSettings) -> dict[str, Any]:
    components = schema.get("components", {}).get("schemas", {})
    for name in ("AskRequest", "RetrieveRequest"):
        properties = components.get(name, {}).get("properties", {})
        if "question" in properties:
            properties["question"]["maxLength"] = limits.max_question_chars
        if "history" in properties:
            properties["history"]["maxItems"] = limits.max_history
    return schema


def with_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its error responses corrected (in place; running it again is a no-op)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, shape in (
        ("ErrorResponse", ErrorResponse),
        ("OpenAIErrorResponse", OpenAIErrorResponse),
    ):
        if name not in components:
            model = shape.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(model.pop("$defs", {}))
            components[name] = model
    for path, path_item in schema.get("paths", {}).items():
        ref = OPENAI_REF if is_openai_path(path) else REF
        for method, operation in path_item.items():
            if method in _METHODS:
                _document(operation, ref)
    used = str(schema.get("paths", {}))
    for name in _FASTAPI_ERRORS:
        if f"/{name}'" not in used:
            components.pop(name, None)
    return schema


def with_optional_keys(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a bearer key may also be called without one (in place)."""
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            security = operation.get("security") if method in _METHODS else None
            if security and {} not in security:
                security.append({})
    return schema


def _document(operation: dict[str, Any], ref: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
    statuses.add(500)
    if "requestBody" in operation or operation.get("parameters"):
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    for status in sorted(statuses):
        entry = responses.setdefault(str(status), {})
        if entry.get("description") in (None, "", "Validation Error", "Successful Response"):
            entry["description"] = DESCRIPTIONS.get(status, "Error.")
        entry["content"] = {"application/json": {"schema": {"$ref": ref}}}

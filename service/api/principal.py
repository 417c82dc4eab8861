"""Who is asking: the one place where a request's principal is decided.

Every `/v1/*` router depends on `get_principal`, so authentication (API keys, the widget's
public keys) and per-principal rate limits happen here and nowhere else. Slack requests
are authenticated by their signature instead; their principal (the Slack user) is made
here too, by `slack_principal`, and spends its budget through the same `Access.admit`.

Which key may call which route is decided per route handler: `@widget_key_allowed` marks
the three that a (public) widget key may call. Every `POST /v1/*` is a question (it runs
retrieval) and spends the principal's question budget; other methods are reads, limited
only for widget keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.access import Access, Principal
from service.api.deps import get_access
from service.errors import Forbidden, Unauthorized

__all__ = ["Principal", "get_principal", "slack_principal", "widget_key_allowed"]

_WIDGET_FLAG = "__newsrag_widget_key_allowed__"
_WIDGET_ROUTES = "POST /v1/ask, POST /v1/feedback and GET /v1/sources/{source}/text"

F = TypeVar("F", bound=Callable[..., object])


def widget_key_allowed(endpoint: F) -> F:
    """Marks a route handler that a widget key may call (see the module docstring)."""
    setattr(endpoint, _WIDGET_FLAG, True)
    return endpoint


def _allows_widget(request: Request) -> bool:
    return bool(getattr(request.scope.get("endpoint"), _WIDGET_FLAG, False))


_bearer = HTTPBearer(
    auto_error=False,
    description="An API key (RAG_API_KEYS), or a widget key (RAG_WIDGET_KEYS) on the "
    "routes that accept one.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access: Annotated[Access, Depends(get_access)],
) -> Principal:
    client_ip = request.client.host if request.client else None
    if credentials is not None and access.keys.api_keys_required:
        await access.refuse_locked_out(client_ip)
    match = access.keys.match(credentials.credentials) if credentials else None
    if match is not None and match.kind == "widget" and not _allows_widget(request):
        raise Forbidden(
            f"A widget key may only call {_WIDGET_ROUTES}; use an API key for "
            f"{request.method} {request.url.path}."
        )
    if match is not None:
        principal = Principal(kind=match.kind, id=match.id, client_ip=client_ip)
    elif access.keys.api_keys_required:
        if credentials is None:
            raise Unauthorized(
                "This API needs a key: send `Authorization: Bearer KEY` with a key the "
                "operator issued (RAG_API_KEYS)."
            )
        await access.count_failed(client_ip)
        raise Unauthorized("The bearer key is not valid; check it, or ask for a new one.")
    else:
        # An open API ignores unknown bearer keys: OpenAI clients always send one.
        principal = Principal(kind="anonymous", id=client_ip or "-", client_ip=client_ip)
    request.state.principal = principal.label
    await access.admit(principal, "question" if request.method == "POST" else "read")
    return principal


def slack_principal(team_id: str, user_id: str) -> Principal:
    """A Slack user (the request's signature was verified by the Slack routes)."""
    return Principal(kind="slack", id=f"{team_id}:{user_id}", client_ip=None)

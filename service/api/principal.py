"""Who is asking: the one place where a request's principal is decided.

Every `/v1/*` router depends on `get_principal`, so authentication (API keys, the widget's
public keys) and per-principal rate limits attach here and nowhere else. Without access
control every caller is anonymous, identified only by its client address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import Request

PrincipalKind = Literal["anonymous", "api_key", "widget", "slack"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    # What budgets and logs key on: a key's id (never the key), a Slack user, or "anonymous".
    id: str
    client_ip: str | None


def get_principal(request: Request) -> Principal:
    return Principal(
        kind="anonymous",
        id="anonymous",
        client_ip=request.client.host if request.client else None,
    )

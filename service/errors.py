"""Typed errors: each carries its HTTP status and contract error code.

The API maps them to the contract's JSON error shape in one handler; the CLIs print
their message. Messages say how to fix the problem, not only what went wrong.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the response must carry (a challenge, a retry delay)."""
        return {}


class InvalidRequest(ServiceError):
    status = 400
    code = "invalid_request"


class Unauthorized(ServiceError):
    """No credentials, or credentials that match no key (or a bad Slack signature)."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str, challenge: str | None = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge} if self.challenge else {}


class Forbidden(ServiceError):
    """Valid credentials that may not use this route (a widget key outside its routes)."""

    status = 403
    code = "forbidden"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


class UpstreamError(ServiceError):
    status = 502
    code = "upstream_error"


class UpstreamTimeout(ServiceError):
    status = 504
    code = "upstream_timeout"


class ConfigurationError(ServiceError):
    """The settings and the stored index disagree, or a setting cannot work."""

    status = 503
    code = "unavailable"


class StoreWriteError(Unavailable):
    """The index cannot be written: a read-only folder, a full disk, a failing server."""

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


class InvalidRequest(ServiceError):
    status = 400
    code = "invalid_request"


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

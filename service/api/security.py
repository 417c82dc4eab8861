"""Security headers for the HTML pages this service serves.

A page route opts in with one line, `dependencies=[SECURE_PAGE]`: the dependency records
the headers on the request, and `RequestContextMiddleware` adds them to whatever response
the route returns (HTML, a file, a script). `/docs` has its own policy (`docs_csp`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from fastapi import Depends, Request

# This service's own pages: scripts and styles only from this origin (the widget is
# `/widget.js`; it styles its shadow root with constructable stylesheets, which CSP does
# not treat as inline styles), no inline script, no plugins, and nothing may frame them.
STRICT_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

# Swagger UI's assets are served by this service (service/api/docs.py), and the page is
# started by one inline script, allowed by its hash (not by 'unsafe-inline'); its
# components set inline styles, which are allowed here only.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def page_headers(csp: str = STRICT_CSP) -> dict[str, str]:
    return {"Content-Security-Policy": csp, **_COMMON}


def script_hashes(html: str) -> list[str]:
    """CSP source expressions allowing exactly the inline scripts of `html`."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_csp(html: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {' '.join(script_hashes(html))}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def set_page_headers(request: Request, headers: dict[str, str]) -> None:
    """Headers the middleware adds to this request's response."""
    request.state.security_headers = headers


def secure_page(csp: str = STRICT_CSP) -> Callable[[Request], None]:
    def mark(request: Request) -> None:
        set_page_headers(request, page_headers(csp))

    return mark


# `@router.get("/", dependencies=[SECURE_PAGE])`
SECURE_PAGE = Depends(secure_page())

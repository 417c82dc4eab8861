"""The embeddable chat widget (`GET /widget.js`) and a demo page embedding it (`GET /`).

Both are static files served as they are: no templating, so the page carries no inline
script or style and a strict Content-Security-Policy can be sent with it. They are open
to everyone: the widget calls `/v1/*`, where a request's principal is decided.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio
from fastapi import APIRouter, Request, Response

from service.api.security import SECURE_PAGE

STATIC = Path(__file__).with_name("static")
# Embedding pages load the script on every visit: cache it briefly, then revalidate by
# ETag, so that a new version reaches them within minutes.
SCRIPT_CACHE = "public, max-age=600"

router = APIRouter(tags=["widget"])


async def _static(request: Request, name: str, media_type: str, cache: str) -> Response:
    content = await anyio.Path(STATIC / name).read_bytes()
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = {"Cache-Control": cache, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


@router.get(
    "/widget.js",
    response_class=Response,
    dependencies=[SECURE_PAGE],
    responses={200: {"content": {"text/javascript": {}}}},
    summary="The chat widget: embed with <script src=/widget.js>",
)
async def widget_js(request: Request) -> Response:
    return await _static(request, "widget.js", "text/javascript; charset=utf-8", SCRIPT_CACHE)


@router.get(
    "/",
    response_class=Response,
    dependencies=[SECURE_PAGE],
    responses={200: {"content": {"text/html": {}}}},
    summary="A demo page embedding the widget",
)
async def demo_page(request: Request) -> Response:
    return await _static(request, "demo.html", "text/html; charset=utf-8", "no-cache")

"""`GET /widget.js` and `GET /`: served with the right types and caching, and written so
that a strict Content-Security-Policy can be sent with them (the browser test runs them)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import REPO

STATIC = REPO / "service" / "api" / "static"


def test_widget_script_is_javascript_cached_and_revalidated(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == (STATIC / "widget.js").read_text("utf-8")
    again = client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_demo_page_embeds_the_widget(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert re.search(r'<script src="/widget.js"[^>]*></script>', response.text)


def test_no_inline_code_anywhere() -> None:
    page = (STATIC / "demo.html").read_text("utf-8")
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    assert scripts and all(not body.strip() for body in scripts), "no inline script"
    assert not re.search(r"\son[a-z]+\s*=", page), "no event-handler attributes"
    assert "<style" not in page and "style=" not in page
    script = (STATIC / "widget.js").read_text("utf-8")
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML"):
        assert forbidden not in script, forbidden
    assert "adoptedStyleSheets" in script and "attachShadow" in script

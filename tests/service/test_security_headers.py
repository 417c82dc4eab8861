"""Security headers on HTML routes, checked in Debian's headless Chromium.

A page route opts in with `dependencies=[SECURE_PAGE]`. The strict policy is tried on a
test page shaped like the widget (a same-origin script that builds a shadow root styled
by a constructable stylesheet): that script must run, while inline script and `eval`
must not. `/docs` has its own policy: Swagger UI's assets, served by this service from a
pinned package, plus the page's one inline script, allowed by hash. Chromium resolves only
loopback here, so a page that renders shows that nothing else was needed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.testclient import TestClient

from service.api.security import SECURE_PAGE, script_hashes
from service.app import create_app
from service.settings import Settings
from tests.evals.test_report_render import chromium
from tests.service.live import serve

PAGE = """<!doctype html><html><head><title>t</title>
<script src="/t/widget.js"></script></head>
<body><div id="host"></div><script>document.body.dataset.inline = "ran";</script></body></html>"""

WIDGET_JS = """document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("host").attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync("p { color: rgb(1, 2, 3); }");
  root.adoptedStyleSheets = [sheet];
  const p = document.createElement("p");
  p.textContent = "widget";
  root.appendChild(p);
  document.body.dataset.widget = "ran";
  document.body.dataset.color = getComputedStyle(p).color;
  try { eval("1"); document.body.dataset.eval = "ran"; }
  catch (e) { document.body.dataset.eval = "blocked"; }
});"""


def pages_router(secure: bool) -> APIRouter:
    router = APIRouter(prefix="/t", dependencies=[SECURE_PAGE] if secure else [])

    @router.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @router.get("/widget.js")
    async def widget() -> Response:
        return Response(WIDGET_JS, media_type="text/javascript")

    return router


def browse(url: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """The DOM after scripts ran (stdout) and the console (stderr)."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # Nothing but loopback resolves: the test sends no traffic elsewhere.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def body_data(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1)))


def app_with_pages(indexed: Settings, secure: bool) -> FastAPI:
    app = create_app(indexed)
    app.include_router(pages_router(secure))
    return app


def test_the_strict_policy_runs_a_same_origin_widget_and_nothing_inline(
    indexed: Settings, tmp_path: Path
) -> None:
    with serve(app_with_pages(indexed, secure=True)) as url:
        done = browse(f"{url}/t/page", tmp_path / "strict")
    data = body_data(done.stdout)
    assert data.get("widget") == "ran"
    assert data.get("color") == "rgb(1, 2, 3)", "constructable stylesheets apply"
    assert data.get("eval") == "blocked"
    assert "inline" not in data
    assert "Executing inline script violates the following Content Security Policy" in done.stderr


def test_without_the_policy_the_same_page_runs_everything(
    indexed: Settings, tmp_path: Path
) -> None:
    """The control: what the strict policy blocked above does run without it."""
    with serve(app_with_pages(indexed, secure=False)) as url:
        data = body_data(browse(f"{url}/t/page", tmp_path / "open").stdout)
    assert data.get("widget") == "ran" and data.get("inline") == "ran" and data.get("eval") == "ran"


def test_page_headers_are_set_only_where_asked(indexed: Settings) -> None:
    with TestClient(app_with_pages(indexed, secure=True)) as client:
        page = client.get("/t/page")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert client.get("/t/widget.js").headers["x-content-type-options"] == "nosniff"
        for path in ("/healthz", "/v1/sources"):
            assert "content-security-policy" not in client.get(path).headers


def test_docs_render_offline_under_their_own_policy(
    client: TestClient, indexed: Settings, tmp_path: Path
) -> None:
    """Chromium reaches nothing but loopback here, so a page that renders the API's
    operations loaded Swagger UI from this service, and its policy allowed it."""
    with serve(create_app(indexed)) as url:
        done = browse(f"{url}/docs", tmp_path / "docs")
    assert "Content Security Policy" not in done.stderr, done.stderr[-2000:]
    assert "opblock" in done.stdout and "/v1/ask" in done.stdout, done.stdout[-2000:]
    docs = client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
    hashes = script_hashes(docs.text)
    assert len(hashes) == 1
    assert script_src.split()[1:] == ["'self'", *hashes]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp


def test_docs_name_no_other_host_and_their_assets_are_served(client: TestClient) -> None:
    docs = client.get("/docs")
    assert not re.findall(r"https?://", docs.text), "the page loads nothing from elsewhere"
    assert not re.findall(r"https?:|//", docs.headers["content-security-policy"])
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    assets = re.findall(r'(?:src|href)="(/docs/[^"]+)"', docs.text)
    assert {Path(a).suffix for a in assets} == set(kinds), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].startswith(kinds[Path(asset).suffix])
        assert response.headers["x-content-type-options"] == "nosniff"
        assert len(response.content) > 100
    missing = client.get("/docs/assets/index.html")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

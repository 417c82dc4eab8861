"""`GET /docs`: Swagger UI, its assets served by this service, under its own policy.

The assets come from a pinned PyPI package (`openapi-ui-bundles`), not from a CDN: the
page works offline and shows the version that was tested. Only the three files the page
needs are served, each by name.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from openapi_ui_bundles.swagger_ui import static_path

from service.api.security import docs_csp, page_headers, set_page_headers
from service.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS_PATH = "/docs/assets"
# Name -> media type: what the page loads, and nothing else from the package.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} - API docs",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
    )
    set_page_headers(request, page_headers(docs_csp(bytes(page.body).decode())))
    return page


@router.get(f"{ASSETS_PATH}/{{name}}")
async def swagger_asset(request: Request, name: str) -> FileResponse:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"No such docs asset: {name}; the docs page is /docs.")
    set_page_headers(request, page_headers())
    # The package's version is pinned, so an asset changes only with a new release.
    return FileResponse(
        static_path / name, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
    )

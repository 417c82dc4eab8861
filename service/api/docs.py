"""`GET /docs`: Swagger UI, served with its own content security policy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from service.api.security import docs_csp, page_headers, set_page_headers

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} - API docs",
    )
    set_page_headers(request, page_headers(docs_csp(bytes(page.body).decode())))
    return page

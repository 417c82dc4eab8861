"""The indexed articles and their texts (what citations point into)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from service.api.deps import IndexDep
from service.api.models import ErrorResponse, SourceOut, SourcesResponse
from service.api.principal import get_principal, widget_key_allowed
from service.errors import NotFound

router = APIRouter(
    prefix="/v1/sources",
    tags=["sources"],
    dependencies=[Depends(get_principal)],
    responses={code: {"model": ErrorResponse} for code in (401, 403, 429)},
)


@router.get(
    "",
    response_model=SourcesResponse,
    responses={503: {"model": ErrorResponse}},
    summary="List the indexed articles",
)
async def list_sources(index: IndexDep) -> SourcesResponse:
    def read() -> SourcesResponse:
        current = index.current()
        records = current.manifest() if current.is_open else {}
        return SourcesResponse(
            sources=[
                SourceOut(
                    source=r.source,
                    title=r.title,
                    published=r.published,
                    chunks=r.chunks,
                    sha256=r.sha256,
                    duplicate_of=r.duplicate_of,
                )
                for r in sorted(records.values(), key=lambda r: r.source)
            ]
        )

    return await anyio.to_thread.run_sync(read)


@router.get(
    "/{source:path}/text",
    response_class=PlainTextResponse,
    responses={
        404: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
        200: {"content": {"text/plain": {}}},
    },
    summary="The article text that citation offsets index into",
)
@widget_key_allowed
async def source_text(source: str, index: IndexDep) -> PlainTextResponse:
    def read() -> str | None:
        current = index.current()
        return current.source_text(source) if current.is_open else None

    text = await anyio.to_thread.run_sync(read)
    if text is None:
        raise NotFound(f"No source {source!r} is indexed; GET /v1/sources lists them.")
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")

"""GET /metrics: Prometheus text format, summed over every worker of this server."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import Response

from service.api.models import ErrorResponse
from service.api.principal import get_principal
from service.core import metrics


def build_router(*, require_key: bool) -> APIRouter:
    """Open by default (scrapers usually sit inside the network); with `require_key`,
    behind the same access check as `/v1/*`."""
    dependencies = [Depends(get_principal)] if require_key else []
    router = APIRouter(tags=["operations"], dependencies=dependencies)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format (see docs/operations.md).",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            500: {"model": ErrorResponse},
        },
        summary="Prometheus metrics of this server (all workers)",
    )
    async def scrape() -> Response:
        body, content_type = await anyio.to_thread.run_sync(metrics.render)
        return Response(body, media_type=content_type)

    return router

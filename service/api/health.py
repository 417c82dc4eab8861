"""Liveness and readiness."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from service.api.deps import IndexDep
from service.api.models import ErrorResponse, Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": ErrorResponse}},
    summary="The store answers and the embedder is loaded",
)
async def readyz(index: IndexDep) -> Health:
    chunks = await anyio.to_thread.run_sync(index.ping)
    return Health(status="ready", chunks=chunks)

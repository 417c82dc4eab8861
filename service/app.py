"""The application factory: `create_app(settings)`; heavy objects are built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from service.answer.base import Answerer
from service.answer.extractive import ExtractiveAnswerer
from service.answer.llm import LLMAnswerer
from service.answer.llm import build_client as build_llm_client
from service.api import ask, health, sources
from service.api import metrics as metrics_api
from service.api.deps import Services
from service.api.errors import install_error_handlers
from service.api.middleware import RequestContextMiddleware
from service.api.openapi import document_errors
from service.ask.service import AskService
from service.core import metrics
from service.core.embedder import build_embedder
from service.core.offline import configure_offline
from service.core.store import build_client, build_index
from service.evidence.sentences import warm_up
from service.log import LOGGER, configure_logging
from service.retrieval.live_index import LiveIndex
from service.retrieval.retriever import Retriever
from service.settings import Settings

DESCRIPTION = """Answers questions about the ingested news articles. Every claim is cited
to an exact span of an article (`source`, `start`, `end`, `quote`), and the service says so
plainly when the articles do not hold the answer (`abstained: true`)."""


def build_services(settings: Settings) -> Services:
    """Load the embedder and connect the store: once per process."""
    configure_offline()
    embedder = build_embedder(settings.embed, settings.llm)
    warm_up()
    live = LiveIndex(
        lambda: build_client(settings.chroma),
        lambda client: build_index(settings, embedder, client),
        embedded=settings.chroma.host is None,
    )
    llm: Answerer | None = None
    if settings.use_llm:
        llm = LLMAnswerer(settings.llm, build_llm_client(settings.llm))
    retriever = Retriever(embedder, live, settings.retrieval)
    service = AskService(
        retriever,
        ExtractiveAnswerer(settings.answer),
        llm,
        fallback=settings.llm.fallback,
        neighbours=settings.llm.neighbours,
    )
    return Services(
        settings=settings, embedder=embedder, index=live, retriever=retriever, ask=service
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.server.log_level)
        metrics.worker_started()
        services = await anyio.to_thread.run_sync(build_services, settings)
        app.state.services = services
        try:
            await anyio.to_thread.run_sync(services.ask.warm)
        except Exception as exc:  # reported by /readyz; the process still serves /healthz
            LOGGER.warning("index not ready at start-up", extra={"fields": {"error": str(exc)}})
        LOGGER.info("ready", extra={"fields": {"model": services.ask.model}})
        try:
            yield
        finally:
            await services.ask.aclose()
            metrics.worker_stopped()

    app = FastAPI(
        title="newsrag",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.server.max_body_bytes)
    install_error_handlers(app)
    app.include_router(ask.router)
    app.include_router(sources.router)
    app.include_router(health.router)
    app.include_router(metrics_api.build_router(require_key=settings.metrics.require_key))
    document_errors(app, settings.server)
    return app

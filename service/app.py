"""The application factory: `create_app(settings)`; heavy objects are built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from service.answer.base import Answerer
from service.answer.extractive import ExtractiveAnswerer
from service.answer.llm import ChatModel, LLMAnswerer
from service.answer.llm import build_client as build_llm_client
from service.answer.select import SelectAnswerer
from service.answer.wording import WordVectors
from service.api import ask, docs, feedback, health, openai_compat, sources, widget
from service.api import metrics as metrics_api
from service.api.access import Access
from service.api.answer_log import build_answer_log
from service.api.deps import Services
from service.api.errors import install_error_handlers
from service.api.keys import KeyRing
from service.api.limiter import Limiter
from service.api.middleware import RequestContextMiddleware
from service.api.openapi import document_errors
from service.api.slack import routes as slack_routes
from service.api.slack.bot import SlackBot
from service.api.slack.dedupe import Once
from service.ask.resolver import FollowUpResolver, LLMCondenser
from service.ask.service import AskService
from service.core import metrics, nlp, places
from service.core.embedder import build_embedder
from service.core.heap import long_lived_heap
from service.core.offline import configure_offline
from service.core.store import build_client, build_index
from service.errors import ConfigurationError
from service.evidence.sentences import warm_up
from service.lexical.store import LexicalStore
from service.log import LOGGER, configure_logging
from service.retrieval.lexical_view import LexicalView
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
    # The language pipeline that parses each question: loaded here, not on a request.
    nlp.warm_up()
    # The names of places (WordNet), which a question's names are matched through.
    places.warm_up()
    live = LiveIndex(
        lambda: build_client(settings.chroma),
        lambda client: build_index(settings, embedder, client),
        embedded=settings.chroma.host is None,
    )
    llm: Answerer | None = None
    if settings.use_llm:
        chat = ChatModel(settings.llm, build_llm_client(settings.llm))
        if settings.answer.mode == "select":
            llm = SelectAnswerer(chat, settings.llm.context_tokens, settings.answer)
        else:
            vectors = WordVectors(embedder.embed)
            llm = LLMAnswerer(chat, settings.llm, settings.answer, vectors)
    lexical = LexicalView(
        live,
        LexicalStore(settings.lexical_dir, settings.collection),
        enabled=settings.retrieval.mode != "dense",
    )
    lead = settings.answer.min_score if settings.retrieval.lead_with_answer else None
    retriever = Retriever(
        embedder, live, settings.retrieval, lexical, nlp.base_forms, answer_min_score=lead
    )
    service = AskService(
        retriever,
        ExtractiveAnswerer(settings.answer),
        llm,
        fallback=settings.llm.fallback,
        neighbours=settings.llm.neighbours,
        resolver=build_resolver(settings),
    )
    return Services(
        settings=settings,
        embedder=embedder,
        index=live,
        lexical=lexical,
        retriever=retriever,
        ask=service,
    )


def build_redis(settings: Settings) -> Redis | None:
    """The shared store of rate limits and Slack de-duplication; connects lazily."""
    url = settings.access.redis_url
    if url is None:
        return None
    # Short timeouts and one retry: an unreachable Redis must cost a request little (it
    # then fails open or is refused, RAG_RATE_LIMIT_ON_REDIS_ERROR).
    return Redis.from_url(
        url.get_secret_value(),
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 1),
    )


def build_access(settings: Settings, redis: Redis | None) -> Access:
    keys = KeyRing(
        (k.get_secret_value() for k in settings.access.api_keys),
        (k.get_secret_value() for k in settings.access.widget_keys),
    )
    limiter = Limiter.build(
        redis, refuse_without_storage=settings.rate_limit.on_redis_error == "refuse"
    )
    return Access(keys, limiter, settings.rate_limit)


def build_resolver(settings: Settings) -> FollowUpResolver:
    mode = settings.followup_mode
    if mode != "llm":
        return FollowUpResolver(mode)
    if not settings.llm.model:
        raise ConfigurationError("RAG_FOLLOWUP_MODE=llm needs RAG_LLM_MODEL.")
    condenser = LLMCondenser(
        build_llm_client(settings.llm),
        settings.llm.model,
        timeout_s=settings.followup.timeout_s,
        messages=settings.followup.messages,
    )
    return FollowUpResolver("llm", condenser)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="newsrag",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan(settings),
        # /docs is served by service/api/docs.py with its own security headers; one docs
        # page is enough, so there is no /redoc.
        docs_url=None,
        redoc_url=None,
        # Starlette's redirect to the path without its trailing slash is absolute, built
        # from the Host header; the 404 names the right path instead (service/api/errors.py).
        redirect_slashes=False,
    )
    _add_middleware(app, settings)
    install_error_handlers(app)
    _include_routers(app, settings)
    document_errors(app, settings.server, keys_required=bool(settings.access.api_keys))
    return app


def lifespan(settings: Settings) -> Lifespan:
    """The app's lifespan: the heavy objects are built once at start-up, closed at exit."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.server.log_level)
        metrics.worker_started()
        services, redis, slack = await _start(app, settings)
        try:
            with long_lived_heap():
                yield
        finally:
            services.lexical.stop()
            services.retriever.close()
            if slack is not None:
                await slack.aclose()
            await services.ask.aclose()
            if app.state.answer_log is not None:
                await anyio.to_thread.run_sync(app.state.answer_log.close)
            if redis is not None:
                await redis.aclose()
            metrics.worker_stopped()

    return run


async def _start(
    app: FastAPI, settings: Settings
) -> tuple[Services, Redis | None, SlackBot | None]:
    """Build the services, access and Slack bot onto `app.state`, warm the index, start the
    lexical reloads."""
    services = await anyio.to_thread.run_sync(build_services, settings)
    app.state.services = services
    redis = build_redis(settings)
    app.state.access = build_access(settings, redis)
    app.state.answer_log = await anyio.to_thread.run_sync(build_answer_log, settings)
    slack: SlackBot | None = None
    if settings.slack.signing_secret is not None:
        once = Once(redis, settings.slack.dedupe_ttl_s)
        slack = SlackBot(settings, services.ask, app.state.access, once, app.state.answer_log)
    app.state.slack = slack
    try:
        await anyio.to_thread.run_sync(services.ask.warm)
    except Exception as exc:  # reported by /readyz; the process still serves /healthz
        LOGGER.warning("index not ready at start-up", extra={"fields": {"error": str(exc)}})
    # Reloads after an ingest happen in the background (in dense mode too).
    services.lexical.start()
    LOGGER.info(
        "ready",
        extra={
            "fields": {
                "model": services.ask.model,
                "api_keys": len(settings.access.api_keys),
                "widget_keys": len(settings.access.widget_keys),
                "redis": redis is not None,
                "slack": slack is not None,
            }
        },
    )
    return services, redis, slack


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.server.max_body_bytes)
    # Outermost, so that every response (errors included) carries the CORS headers. No
    # credentials: keys travel in the Authorization header, never in cookies.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors.origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
        expose_headers=["Retry-After", "X-Request-ID"],
        max_age=600,
    )
    if settings.server.forwarded_allow_ips:
        # Outermost, so that the client address every later layer sees is the real one;
        # only these proxies may set it (python -m service turns uvicorn's own off).
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(settings.server.forwarded_allow_ips)
        )


def _include_routers(app: FastAPI, settings: Settings) -> None:
    app.include_router(ask.router)
    app.include_router(feedback.router)
    app.include_router(openai_compat.router)
    app.include_router(sources.router)
    app.include_router(health.router)
    app.include_router(slack_routes.router)
    app.include_router(docs.router)
    app.include_router(widget.router)
    app.include_router(metrics_api.build_router(require_key=settings.metrics.require_key))

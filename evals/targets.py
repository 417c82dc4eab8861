"""What the harness evaluates: the service's v1 API, as a client sees it.

There is one client; only its transport differs. `--target URL` talks HTTP to a running
service. In-process, the app `python -m service` would serve (`create_app`) runs inside
this process behind httpx's ASGI transport, with its lifespan run here, on a temporary
index of `--corpus` (or on the index the settings name). Every metric is therefore
computed from the same JSON whichever target answered.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
from pydantic import TypeAdapter, ValidationError

from evals.rows import AskReply, Message, RetrieveReply
from ingest.pipeline import IngestJob
from service.app import create_app
from service.core.embedder import Embedder, build_embedder
from service.core.store import build_index
from service.settings import ChromaSettings, Settings

_ASK = TypeAdapter(AskReply)
_RETRIEVE = TypeAdapter(RetrieveReply)


class TargetError(RuntimeError):
    """The service did not answer as the v1 API does (or refused the harness)."""


class Target:
    """The v1 API through `client` (whose base URL is the service's)."""

    def __init__(self, client: httpx.AsyncClient, label: str) -> None:
        self._client = client
        self._label = label
        self._model: str | None = None

    @property
    def name(self) -> str:
        """Where the answers came from, and the model that gave them (once one has)."""
        return f"{self._label} ({self._model})" if self._model else self._label

    async def _post(self, path: str, body: dict[str, Any], shape: TypeAdapter[Any]) -> Any:
        response = await self._client.post(path, json=body)
        if response.status_code == 401:
            raise TargetError(
                f"{path} answered 401: the service requires a key; set RAG_EVAL_API_KEY to "
                "one of its RAG_API_KEYS"
            )
        if response.status_code != 200:
            raise TargetError(f"{path} answered {response.status_code}: {response.text[:300]}")
        try:
            return shape.validate_json(response.content)
        except ValidationError as exc:
            raise TargetError(f"{path} did not answer as the v1 API does: {exc}") from exc

    async def ask(self, question: str, history: Sequence[Message] = ()) -> AskReply:
        body: dict[str, Any] = {"question": question, "stream": False}
        if history:
            body["history"] = list(history)
        reply: AskReply = await self._post("/v1/ask", body, _ASK)
        # A fallback answer names the extractive answerer, not the configured model.
        if self._model is None and not reply["fallback"]:
            self._model = reply["model"]
        return reply

    async def retrieve(self, question: str, top_k: int) -> RetrieveReply:
        reply: RetrieveReply = await self._post(
            "/v1/retrieve", {"question": question, "top_k": top_k}, _RETRIEVE
        )
        return reply

    async def article_text(self, source: str) -> str | None:
        response = await self._client.get(f"/v1/sources/{quote(source)}/text")
        return response.text if response.status_code == 200 else None


@asynccontextmanager
async def http_target(
    base_url: str, api_key: str | None = None, timeout_s: float = 120.0
) -> AsyncIterator[Target]:
    """A running service; `api_key` for one that requires keys (RAG_API_KEYS)."""
    base_url = base_url.rstrip("/")
    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout_s, headers=_bearer(api_key)
    ) as client:
        yield Target(client, base_url)


@asynccontextmanager
async def in_process_target(
    corpus: Path | None,
    settings: Settings,
    timeout_s: float = 120.0,
    ingest_embedder: Embedder | None = None,
) -> AsyncIterator[Target]:
    """The service's app in this process; on a fresh index of `corpus` unless it is None.

    `ingest_embedder` embeds the corpus (default: a new one, dropped after the ingest)."""
    with tempfile.TemporaryDirectory(prefix="evals-", ignore_cleanup_errors=True) as tmp:
        if corpus is not None:
            chroma = ChromaSettings(path=Path(tmp) / "chroma")
            settings = settings.model_copy(update={"chroma": chroma})
            await anyio.to_thread.run_sync(_index, corpus, settings, ingest_embedder)
        if "log_level" not in settings.server.model_fields_set:
            # A JSON line per request would bury the progress bar; ask for them explicitly
            # (RAG_SERVER_LOG_LEVEL=info) when they are wanted.
            server = settings.server.model_copy(update={"log_level": "warning"})
            settings = settings.model_copy(update={"server": server})
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        keys = settings.access.api_keys
        key = keys[0].get_secret_value() if keys else None
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=transport,
                base_url="http://evals",
                timeout=timeout_s,
                headers=_bearer(key),
            ) as client,
        ):
            yield Target(client, "in-process")


def _bearer(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _index(corpus: Path, settings: Settings, embedder: Embedder | None) -> None:
    # This embedder is dropped afterwards: the app loads its own in its lifespan, as it
    # does when served.
    embedder = embedder or build_embedder(settings.embed, settings.llm)
    IngestJob(settings, embedder, build_index(settings, embedder)).run(corpus)

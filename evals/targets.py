"""What the harness evaluates: the service in this process, or one running over HTTP.

Both speak the contract's JSON, so every metric is computed the same way for both.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

import anyio
import httpx

from service.api.ask import to_response
from service.api.deps import Services
from service.api.models import chunk_out
from service.app import build_services
from service.ask.service import AskService
from service.settings import ChromaSettings, Settings


class Target(Protocol):
    @property
    def name(self) -> str: ...

    async def ask(self, question: str) -> dict[str, Any]: ...

    async def retrieve(self, question: str, top_k: int) -> dict[str, Any]:
        """The /v1/retrieve response: `chunks` and the `query` searched."""
        ...

    async def article_text(self, source: str) -> str | None: ...

    async def aclose(self) -> None: ...


class InProcessTarget:
    """The service's own objects, on a fresh index of `corpus` in a temporary directory."""

    def __init__(self, settings: Settings, services: Services, tmp: Path | None) -> None:
        self.settings = settings
        self._services = services
        self._ask: AskService = services.ask
        self._tmp = tmp

    @property
    def name(self) -> str:
        return f"in-process ({self._ask.model})"

    @classmethod
    def build(cls, corpus: Path | None, settings: Settings | None = None) -> InProcessTarget:
        from ingest.pipeline import IngestJob  # evals may use ingest; the service never does
        from service.core.store import build_index

        settings = settings or Settings()
        tmp: Path | None = None
        if corpus is not None:
            tmp = Path(tempfile.mkdtemp(prefix="evals-"))
            settings = settings.model_copy(update={"chroma": ChromaSettings(path=tmp / "chroma")})
            services = build_services(settings)
            IngestJob(settings, services.embedder, build_index(settings, services.embedder)).run(
                corpus
            )
        else:
            services = build_services(settings)
        return cls(settings, services, tmp)

    async def ask(self, question: str) -> dict[str, Any]:
        result = await self._ask.ask(question, top_k=self.settings.retrieval.top_k)
        return to_response(result).model_dump(mode="json")

    async def retrieve(self, question: str, top_k: int) -> dict[str, Any]:
        retrieval = await self._ask.retrieve(question, top_k)
        chunks = [chunk_out(h).model_dump() for h in retrieval.hits]
        return {"chunks": chunks, "query": retrieval.query.text}

    async def article_text(self, source: str) -> str | None:
        index = self._services.index.current()
        return await anyio.to_thread.run_sync(index.source_text, source)

    async def aclose(self) -> None:
        await self._ask.aclose()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


class HttpTarget:
    """A running service, through the contract API."""

    def __init__(self, base_url: str, timeout_s: float = 120.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._base_url = base_url

    @property
    def name(self) -> str:
        return self._base_url

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._client.post(path, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        data: dict[str, Any] = response.json()
        return data

    async def ask(self, question: str) -> dict[str, Any]:
        return await self._post("/v1/ask", {"question": question, "stream": False})

    async def retrieve(self, question: str, top_k: int) -> dict[str, Any]:
        return await self._post("/v1/retrieve", {"question": question, "top_k": top_k})

    async def article_text(self, source: str) -> str | None:
        response = await self._client.get(f"/v1/sources/{source}/text")
        return response.text if response.status_code == 200 else None

    async def aclose(self) -> None:
        await self._client.aclose()

"""Benchmark sections for the answer service and the plain-LlamaIndex baseline.

Used by scripts/bench.py. Every request goes to 127.0.0.1; every load loop is bounded by
a request count and a deadline.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from evals.dataset import Question, load_dataset
from evals.metrics import hit_at, mrr_at

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "evals" / "datasets" / "articles.jsonl"
SAMPLES = REPO / "data" / "articles"
PASSES = 3  # times each question is asked for the latency figures
LOAD_REQUESTS = 64  # requests per concurrency level
LOAD_DEADLINE_S = 120.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def questions() -> list[Question]:
    return load_dataset(DATASET)


def in_process_latency(settings: Any) -> dict[str, list[float]]:
    """Milliseconds per call of the service objects (no HTTP), after a warm-up pass."""
    from service.app import build_services

    services = build_services(settings)
    services.ask.warm()
    qs = [q.question for q in questions()]
    timings: dict[str, list[float]] = {"ask": [], "retrieve": []}

    async def go() -> None:
        for q in qs:  # warm caches (sentence splitting, terms) like a running service
            await services.ask.ask(q, top_k=settings.retrieval.top_k)
        for _ in range(PASSES):
            for q in qs:
                t = time.perf_counter()
                await services.ask.ask(q, top_k=settings.retrieval.top_k)
                timings["ask"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await services.ask.retrieve(q, settings.retrieval.top_k)
                timings["retrieve"].append((time.perf_counter() - t) * 1000)

    asyncio.run(go())
    return timings


class ServiceProcess:
    """`python -m service` on a free loopback port, serving `chroma_path`."""

    def __init__(self, chroma_path: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env["RAG_CHROMA_PATH"] = str(chroma_path)
        env["RAG_SERVER_LOG_LEVEL"] = "warning"
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("the service did not become ready")
            time.sleep(0.3)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def http_latency(url: str) -> dict[str, list[float]]:
    qs = [q.question for q in questions()]
    timings: dict[str, list[float]] = {"ask": [], "retrieve": []}
    with httpx.Client(base_url=url, timeout=30) as client:
        for q in qs:
            client.post("/v1/ask", json={"question": q})
        for _ in range(PASSES):
            for q in qs:
                for name in ("ask", "retrieve"):
                    t = time.perf_counter()
                    response = client.post(f"/v1/{name}", json={"question": q})
                    timings[name].append((time.perf_counter() - t) * 1000)
                    response.raise_for_status()
    return timings


def throughput(url: str, clients: int) -> tuple[float, float, int]:
    """Requests/s and p95 ms with `clients` concurrent clients, LOAD_REQUESTS in all."""
    qs = [q.question for q in questions()]
    latencies: list[float] = []
    errors = 0

    async def go() -> float:
        nonlocal errors
        queue: asyncio.Queue[str] = asyncio.Queue()
        for i in range(LOAD_REQUESTS):
            queue.put_nowait(qs[i % len(qs)])
        deadline = time.monotonic() + LOAD_DEADLINE_S

        async def client(http: httpx.AsyncClient) -> None:
            nonlocal errors
            while not queue.empty() and time.monotonic() < deadline:
                q = queue.get_nowait()
                t = time.perf_counter()
                response = await http.post("/v1/ask", json={"question": q})
                latencies.append((time.perf_counter() - t) * 1000)
                errors += response.status_code != 200

        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            started = time.perf_counter()
            await asyncio.gather(*(client(http) for _ in range(clients)))
            return time.perf_counter() - started

    seconds = asyncio.run(go())
    return len(latencies) / seconds, percentile(latencies, 95), errors


# -- the baseline a user would otherwise write -------------------------------------------


def llama_index_baseline(
    embed: Callable[[list[str]], Any], chroma_path: Path, k: int = 10
) -> dict[str, Any]:
    """VectorStoreIndex over Chroma, default SentenceSplitter, the same embedder."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core import Settings as LISettings
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    class SameEmbedder(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embed([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in embed([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in v] for v in embed(texts)]

    LISettings.embed_model = SameEmbedder(model_name="same")
    LISettings.llm = None
    client = chromadb.PersistentClient(
        path=str(chroma_path), settings=ChromaClientSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("baseline", embedding_function=None)
    documents = [
        Document(
            text=p.read_bytes().decode("utf-8").removeprefix("\ufeff"),
            metadata={"source": p.name},
        )
        for p in sorted(SAMPLES.glob("*.txt"))
    ]
    started = time.perf_counter()
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        ),
    )
    build_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=k)
    answerable = [q for q in questions() if q.answerable]
    latencies: list[float] = []
    ranked: dict[str, list[str]] = {}
    for q in answerable:
        retriever.retrieve(q.question)
    for q in answerable:
        t = time.perf_counter()
        nodes = retriever.retrieve(q.question)
        latencies.append((time.perf_counter() - t) * 1000)
        ranked[q.id] = [str(n.node.metadata["source"]) for n in nodes]
    return {
        "build_s": build_s,
        "chunks": collection.count(),
        "latencies": latencies,
        **retrieval_scores(answerable, ranked),
    }


def retrieval_scores(
    answerable: Sequence[Question], ranked: dict[str, list[str]]
) -> dict[str, float]:
    return {
        "hit@1": statistics.fmean(hit_at(ranked[q.id], set(q.sources), 1) for q in answerable),
        "hit@5": statistics.fmean(hit_at(ranked[q.id], set(q.sources), 5) for q in answerable),
        "mrr@10": statistics.fmean(mrr_at(ranked[q.id], set(q.sources), 10) for q in answerable),
    }


def our_retrieval(settings: Any, k: int = 10) -> dict[str, Any]:
    from service.app import build_services

    services = build_services(settings)
    services.ask.warm()
    answerable = [q for q in questions() if q.answerable]
    ranked: dict[str, list[str]] = {}
    latencies: list[float] = []
    for q in answerable:
        services.retriever.retrieve(q.question, k)
    for q in answerable:
        t = time.perf_counter()
        hits = services.retriever.retrieve(q.question, k).hits
        latencies.append((time.perf_counter() - t) * 1000)
        ranked[q.id] = [h.chunk.source for h in hits]
    return {"latencies": latencies, **retrieval_scores(answerable, ranked)}

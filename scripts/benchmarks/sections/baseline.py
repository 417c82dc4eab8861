"""Retrieval quality and latency: ours beside the plain LlamaIndex way over the same Chroma."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.context import SAMPLE_DIR, Bench, questions
from benchmarks.rows import Row, row
from devtools.contract import article_text
from evals.metrics import hit_at, mrr_at, percentile
from evals.questions.dataset import Question
from service.app import build_services
from service.settings import Settings

K = 10


def llama_index_baseline(
    embed: Callable[[list[str]], Any], chroma_path: Path, k: int = K
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
        Document(text=article_text(p), metadata={"source": p.name})
        for p in sorted(SAMPLE_DIR.glob("*.txt"))
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


def our_retrieval(settings: Settings, k: int = K) -> dict[str, Any]:
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


def run(bench: Bench) -> list[Row]:
    ours = our_retrieval(bench.sample_store())
    base = llama_index_baseline(bench.embedder.embed, bench.workdir / "baseline")
    p = percentile
    rows = [
        row("plain LlamaIndex: chunks (default SentenceSplitter)", base["chunks"], "chunks"),
        row("plain LlamaIndex: index build", base["build_s"], "s"),
    ]
    for name in ("hit@1", "hit@5", "mrr@10"):
        rows.append(row(f"file {name}: ours", ours[name], ""))
        rows.append(row(f"file {name}: plain LlamaIndex", base[name], ""))
    rows += [
        row("retrieve p50: ours (hybrid + re-rank)", p(ours["latencies"], 50), "ms"),
        row("retrieve p50: plain LlamaIndex (top-10)", p(base["latencies"], 50), "ms"),
        row("retrieve p95: ours", p(ours["latencies"], 95), "ms"),
        row("retrieve p95: plain LlamaIndex", p(base["latencies"], 95), "ms"),
    ]
    return rows

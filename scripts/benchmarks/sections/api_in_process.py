"""/v1/ask and /v1/retrieve latency of the service objects, without HTTP."""

from __future__ import annotations

import asyncio
import time

from benchmarks.context import Bench, questions
from benchmarks.rows import Row, Target, row
from evals.metrics import percentile
from service.app import build_services
from service.settings import Settings

PASSES = 3  # times each question is asked


def latencies(settings: Settings) -> dict[str, list[float]]:
    """Milliseconds per call of the service objects (no HTTP), after a warm-up pass."""
    services = build_services(settings)
    services.ask.warm()
    qs = [q.question for q in questions()]
    timings: dict[str, list[float]] = {"ask": [], "retrieve": []}
    top_k = settings.retrieval.top_k

    async def go() -> None:
        for q in qs:  # warm caches (sentence splitting, terms) like a running service
            await services.ask.ask(q, top_k=top_k)
        for _ in range(PASSES):
            for q in qs:
                t = time.perf_counter()
                await services.ask.ask(q, top_k=top_k)
                timings["ask"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await services.ask.retrieve(q, top_k)
                timings["retrieve"].append((time.perf_counter() - t) * 1000)

    asyncio.run(go())
    return timings


def run(bench: Bench) -> list[Row]:
    timings = latencies(bench.sample_store())
    ask, ret = timings["ask"], timings["retrieve"]
    p = percentile
    return [
        row(f"/v1/ask in-process p50 ({len(ask)} calls)", p(ask, 50), "ms", Target("<=", 25)),
        row("/v1/ask in-process p95", p(ask, 95), "ms", Target("<=", 50)),
        row("/v1/retrieve in-process p50", p(ret, 50), "ms"),
        row("/v1/retrieve in-process p95", p(ret, 95), "ms"),
    ]

"""A real `python -m service` on loopback: latency with one client, then bounded loads."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from benchmarks.context import Bench, questions
from benchmarks.rows import Row, Target, row
from devtools.servers import service_run
from evals.metrics import percentile

PASSES = 3  # times each question is asked for the latency figures
LOAD_REQUESTS = 64  # requests per concurrency level
LOAD_DEADLINE_S = 120.0
CLIENTS = (1, 8, 32)


def latencies(url: str) -> dict[str, list[float]]:
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


def throughput(url: str, clients: int) -> tuple[float, float | None, int]:
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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(bench: Bench) -> list[Row]:
    settings = bench.sample_store()
    env = {"RAG_CHROMA_PATH": str(settings.chroma.path), "RAG_SERVER_LOG_LEVEL": "warning"}
    p = percentile
    with service_run(env) as server:
        timings = latencies(server.url)
        rows = [
            row("/v1/ask over HTTP p50 (loopback, 1 client)", p(timings["ask"], 50), "ms"),
            row("/v1/ask over HTTP p95", p(timings["ask"], 95), "ms"),
            row("/v1/retrieve over HTTP p50", p(timings["retrieve"], 50), "ms"),
            row("/v1/retrieve over HTTP p95", p(timings["retrieve"], 95), "ms"),
        ]
        for clients in CLIENTS:
            rps, p95, errors = throughput(server.url, clients)
            rows.append(row(f"/v1/ask throughput, {clients} concurrent clients", rps, "req/s"))
            rows.append(row(f"  p95 latency at {clients} clients", p95, "ms"))
            rows.append(row(f"  errors at {clients} clients", errors, "requests", Target("==", 0)))
        rows.append(row("service RSS after the load", rss_mb(server.pid), "MB"))
    return rows

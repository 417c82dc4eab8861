"""Real service processes for the scale and throughput sections: the ingest CLI, a
`python -m service` worker (or several) with its start-up time and memory, loads on it.

Every request goes to 127.0.0.1; every load loop is bounded by a request count and a
deadline.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.context import ROOT
from devtools.procs import clean_env
from devtools.servers import service_run
from evals.metrics import percentile

# A first start on 50k articles loads its vector index before /readyz answers (and builds
# the lexical index when no ingest saved it).
READY_TIMEOUT_S = 900.0
INGEST_TIMEOUT_S = 3 * 3600
LOAD_DEADLINE_S = 300.0


def env(**settings: str) -> dict[str, str]:
    return clean_env(RAG_SERVER_LOG_LEVEL="warning", **settings)


@dataclass(frozen=True)
class Worker:
    url: str
    pid: int
    ready_s: float

    def memory_mb(self) -> dict[str, float]:
        """RSS, USS and PSS of the worker processes (the parent too with --workers)."""
        import psutil

        parent = psutil.Process(self.pid)
        totals = {"rss": 0.0, "uss": 0.0, "pss": 0.0}
        for process in [parent, *parent.children(recursive=True)]:
            info = process.memory_full_info()
            totals["rss"] += info.rss / 2**20
            totals["uss"] += info.uss / 2**20
            totals["pss"] += getattr(info, "pss", 0) / 2**20
        return totals


@contextmanager
def worker(settings: Mapping[str, str], workers: int = 1) -> Iterator[Worker]:
    """`python -m service` until /readyz answers; `ready_s` is how long that took."""
    args = ["--workers", str(workers)] if workers > 1 else []
    started = time.perf_counter()
    with service_run(settings, args=args, timeout_s=READY_TIMEOUT_S) as server:
        yield Worker(server.url, server.pid, time.perf_counter() - started)


def ingest(
    folder: Path, settings: Mapping[str, str], metrics: Path | None = None
) -> tuple[float, str]:
    """Seconds of `python -m ingest folder`, and its summary line; `metrics`: where the run
    writes its counters (`--metrics-file`)."""
    started = time.perf_counter()
    extra = ["--metrics-file", str(metrics)] if metrics is not None else []
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder), *extra],
        cwd=ROOT,
        env=dict(settings),
        capture_output=True,
        text=True,
        timeout=INGEST_TIMEOUT_S,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed: {done.stderr[-2000:]}")
    return seconds, done.stdout.strip()


def ask_latencies(url: str, questions: Sequence[str]) -> list[float]:
    """Milliseconds of each question, one at a time, after 20 warm-up questions."""
    latencies = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for q in questions[:20]:
            client.post("/v1/ask", json={"question": q}).raise_for_status()
        for q in questions:
            started = time.perf_counter()
            client.post("/v1/ask", json={"question": q}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p95_ms: float | None
    errors: int
    requests: int


def load(url: str, questions: Sequence[str], clients: int) -> Load:
    """Each question once, `clients` at a time, stopping at LOAD_DEADLINE_S."""
    latencies: list[float] = []
    errors = 0

    async def go() -> float:
        nonlocal errors
        queue: asyncio.Queue[str] = asyncio.Queue()
        for q in questions:
            queue.put_nowait(q)
        deadline = time.monotonic() + LOAD_DEADLINE_S

        async def client(http: httpx.AsyncClient) -> None:
            nonlocal errors
            while not queue.empty() and time.monotonic() < deadline:
                q = queue.get_nowait()
                t = time.perf_counter()
                try:
                    response = await http.post("/v1/ask", json={"question": q})
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t) * 1000)

        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            started = time.perf_counter()
            await asyncio.gather(*(client(http) for _ in range(clients)))
            return time.perf_counter() - started

    seconds = asyncio.run(go())
    return Load(len(latencies) / seconds, percentile(latencies, 95), errors, len(latencies))

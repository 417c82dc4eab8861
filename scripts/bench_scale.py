"""The `scale` and `throughput` sections of scripts/bench.py.

scale: for synthetic corpora of 1k, 10k and 50k articles (scripts/synth_corpus.py),
ingested through the instant embeddings endpoint (scripts/instant_embedder.py, a stand-in
for a fast embedding model, so that only our own costs show): ingest rate, worker start-up
to ready (first start, which builds the lexical index, and a restart, which maps the saved
one), RSS / USS / PSS of the worker, `/v1/ask` p50 / p95 (plus the bundled embedder's
measured query time, which the instant endpoint does not cost), a one-file re-ingest, the
first query after it and how long until a word only that file has is found.

throughput: `/v1/ask` requests per second at 32 concurrent clients over 1,200 distinct
questions (no answer cache exists), a single process beside `--workers 2`, both on one
`chroma run` server holding the 1k corpus.

Every request goes to 127.0.0.1; every load loop is bounded by a request count and a
deadline; the whole scale section stops starting new corpus sizes once its time budget
(`SCALE_BUDGET_S`) would be exceeded, and reports the sizes it skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import synth_corpus

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
SIZES = (1_000, 10_000, 50_000)
SCALE_BUDGET_S = 30 * 60
SEED = 42
LATENCY_QUESTIONS = 200
# The new word the one-file re-ingest adds, and how long to wait for it at most.
MARKER = "Quorvexian"
MARKER_WAIT_S = 120.0
THROUGHPUT_CLIENTS = 32
THROUGHPUT_QUESTIONS = 1_200
THROUGHPUT_DEADLINE_S = 300.0
READY_TIMEOUT_S = 900.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | {"RAG_SERVER_LOG_LEVEL": "warning"} | settings


@contextmanager
def instant_embedder() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "instant_embedder.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[-1])
        yield {
            "RAG_EMBED_BACKEND": "openai",
            "RAG_EMBED_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "RAG_EMBED_MODEL": "instant-hash",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def chroma_server(path: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> float:
    """Seconds until `url` answers 200; raises if `proc` dies or time runs out."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not become ready")
        time.sleep(0.05)


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    url: str
    ready_s: float

    def memory_mb(self) -> dict[str, float]:
        """RSS, USS and PSS of the worker processes (the parent too with --workers)."""
        import psutil

        parent = psutil.Process(self.proc.pid)
        totals = {"rss": 0.0, "uss": 0.0, "pss": 0.0}
        processes = [parent, *parent.children(recursive=True)]
        for process in processes:
            info = process.memory_full_info()
            totals["rss"] += info.rss / 2**20
            totals["uss"] += info.uss / 2**20
            totals["pss"] += getattr(info, "pss", 0) / 2**20
        return totals

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextmanager
def service(env: dict[str, str], workers: int = 1) -> Iterator[Service]:
    port = free_port()
    args = [sys.executable, "-m", "service", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        ready_s = wait_ready(f"{url}/readyz", proc, READY_TIMEOUT_S)
        yield Service(proc, url, ready_s)
    finally:
        Service(proc, url, 0).stop()


def ingest(folder: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed: {done.stderr[-2000:]}")
    return seconds, done.stdout.strip()


def ask_latencies(url: str, questions: Sequence[str]) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for q in questions[:20]:  # warm-up
            client.post("/v1/ask", json={"question": q}).raise_for_status()
        for q in questions:
            started = time.perf_counter()
            client.post("/v1/ask", json={"question": q}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def bundled_query_ms() -> float:
    """Median time of one question through the bundled ONNX embedder, in this process."""
    from service.core.embedder import build_embedder
    from service.settings import Settings

    settings = Settings()
    embedder = build_embedder(settings.embed, settings.llm)
    questions = synth_corpus.questions(50, seed=5)
    for q in questions[:10]:
        embedder.embed([q])
    times = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed([q])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def until_found(url: str, source: str, timeout_s: float) -> tuple[float, float]:
    """(ms of the first query, seconds until the marker's file is cited)."""
    question = f"What did the {MARKER} committee decide?"
    started = time.perf_counter()
    first_ms = -1.0
    while True:
        t = time.perf_counter()
        body = httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=60).json()
        if first_ms < 0:
            first_ms = (time.perf_counter() - t) * 1000
        if source in {c["source"] for c in body.get("citations", [])}:
            return first_ms, time.perf_counter() - started
        if time.perf_counter() - started > timeout_s:
            return first_ms, float("inf")
        time.sleep(0.1)


Row = tuple[str, float, str, str | None]  # name, value, unit, target ("<= 5")


def scale_size(n: int, workdir: Path, embed_env: dict[str, str], query_ms: float) -> list[Row]:
    folder = workdir / f"corpus-{n}"
    synth_corpus.generate(folder, n, SEED)
    env = base_env(RAG_CHROMA_PATH=str(workdir / f"chroma-{n}"), **embed_env)
    ingest_s, line = ingest(folder, env)
    rows: list[Row] = [
        (f"{n}: ingest ({line.split(';')[1].strip()})", ingest_s, "s", None),
        (f"{n}: ingest rate, instant embedder", n / ingest_s, "articles/s", ">= 150"),
    ]
    questions = synth_corpus.questions(LATENCY_QUESTIONS, seed=17)
    with service(env) as first:
        rows.append(
            (f"{n}: first start to ready (builds the lexical index)", first.ready_s, "s", None)
        )
    with service(env) as svc:
        memory = svc.memory_mb()
        rows.append(
            (f"{n}: worker start to ready (maps the saved index)", svc.ready_s, "s", "<= 5")
        )
        latencies = ask_latencies(svc.url, questions)
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        rows += [
            (f"{n}: /v1/ask p50 (instant embedder)", p50, "ms", None),
            (f"{n}: /v1/ask p95 (instant embedder)", p95, "ms", None),
            (f"{n}: /v1/ask p50 + bundled query embedding", p50 + query_ms, "ms", "<= 25"),
            (f"{n}: /v1/ask p95 + bundled query embedding", p95 + query_ms, "ms", None),
        ]
        memory = {k: max(v, memory[k]) for k, v in svc.memory_mb().items()}
        rows += [
            (f"{n}: worker RSS", memory["rss"], "MB", "<= 600"),
            (f"{n}: worker USS", memory["uss"], "MB", None),
            (f"{n}: worker PSS", memory["pss"], "MB", None),
        ]
        target = sorted(folder.iterdir())[n // 2]
        target.write_text(
            target.read_text("utf-8")
            + f"\nThe {MARKER} committee decided to publish its findings in Lisbon.\n",
            "utf-8",
        )
        reingest_s, _ = ingest(folder, env)
        first_ms, found_s = until_found(svc.url, target.name, MARKER_WAIT_S)
        rows += [
            (f"{n}: one-file re-ingest", reingest_s, "s", "<= 3"),
            (f"{n}: first /v1/ask after it", first_ms, "ms", f"<= {p95:.0f} (p95)"),
            (f"{n}: until the new word is found", found_s, "s", "<= 10"),
        ]
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def scale_rows(
    workdir: Path, log: Callable[[str], None], sizes: Sequence[int] = SIZES
) -> list[Row]:
    started = time.monotonic()
    query_ms = bundled_query_ms()
    rows: list[Row] = [("bundled embedder, one question (median)", query_ms, "ms", None)]
    seconds_per_article: float | None = None
    with instant_embedder() as embed_env:
        for n in sizes:
            spent = time.monotonic() - started
            if (
                seconds_per_article is not None
                and spent + n * seconds_per_article * 1.5 > SCALE_BUDGET_S
            ):
                rows.append(
                    (f"{n}: not run (the {SCALE_BUDGET_S // 60}-minute budget)", 0, "", None)
                )
                continue
            log(f"  scale: {n} articles ...")
            t = time.monotonic()
            rows += scale_size(n, workdir, embed_env, query_ms)
            seconds_per_article = (time.monotonic() - t) / n
    return rows


# -- throughput ----------------------------------------------------------------------------


def distinct_questions(n: int) -> list[str]:
    seen: dict[str, None] = {}
    seed = 101
    while len(seen) < n:
        for q in synth_corpus.questions(n, seed=seed):
            seen.setdefault(q)
        seed += 1
    return list(seen)[:n]


def load(url: str, questions: Sequence[str], clients: int) -> tuple[float, float, int, int]:
    """(requests/s, p95 ms, errors, requests) with `clients` concurrent clients."""
    latencies: list[float] = []
    errors = 0

    async def go() -> float:
        nonlocal errors
        queue: asyncio.Queue[str] = asyncio.Queue()
        for q in questions:
            queue.put_nowait(q)
        deadline = time.monotonic() + THROUGHPUT_DEADLINE_S

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
    return len(latencies) / seconds, percentile(latencies, 95), errors, len(latencies)


def throughput_rows(workdir: Path, log: Callable[[str], None], articles: int = 1_000) -> list[Row]:
    folder = workdir / "throughput-corpus"
    synth_corpus.generate(folder, articles, SEED)
    questions = distinct_questions(THROUGHPUT_QUESTIONS)
    rows: list[Row] = []
    with instant_embedder() as embed_env, chroma_server(workdir / "throughput-server") as port:
        env = base_env(
            RAG_CHROMA_HOST="127.0.0.1",
            RAG_CHROMA_PORT=str(port),
            RAG_LEXICAL_DIR=str(workdir / "throughput-lexical"),
            **embed_env,
        )
        ingest(folder, env)
        for workers in (1, 2):
            log(f"  throughput: {workers} worker(s) ...")
            with service(env, workers) as svc:
                load(svc.url, questions[:100], THROUGHPUT_CLIENTS)  # warm every worker
                rps, p95, errors, count = load(svc.url, questions, THROUGHPUT_CLIENTS)
                memory = svc.memory_mb()
            label = "single process" if workers == 1 else f"--workers {workers}"
            rows += [
                (
                    f"{label}: /v1/ask, {THROUGHPUT_CLIENTS} clients, {count} distinct questions",
                    rps,
                    "req/s",
                    ">= 100",
                ),
                (f"{label}: p95", p95, "ms", None),
                (f"{label}: errors", errors, "requests", "== 0"),
                (f"{label}: PSS of all processes", memory["pss"], "MB", None),
            ]
    return rows

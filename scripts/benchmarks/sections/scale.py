"""Synthetic corpora of 1k, 10k and 50k articles served by a real worker.

Each corpus (scripts/synth_corpus.py) is ingested through the instant embeddings endpoint
(scripts/instant_embedder.py, a stand-in for a fast embedding model, so that only our own
costs show). Figures: ingest rate, worker start-up to ready (a first start and a restart;
both map the lexical index the ingest saved), RSS / USS / PSS of the worker,
`/v1/ask` p50 / p95 (plus the bundled embedder's measured query time, which the instant
endpoint does not cost), a one-file re-ingest, the first query after it and how long
until a word only that file has is found, by a fresh `python -m ingest` and by a watching
one (`--watch`, as in the watch section). Sizes that would overrun SCALE_BUDGET_S are
skipped and reported. With `--scale-store server` each size is held by its own `chroma run`
server, as a deployment that outgrew one machine holds it: the worker's memory is then its
own, the server's is reported beside it, and requests per second at 32 clients are
measured with `--workers 2` as the throughput section does at 1k.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import synth_corpus

from benchmarks.context import Bench
from benchmarks.rows import Row, Target, row
from benchmarks.sections import watch
from benchmarks.sections.throughput import QUESTIONS, distinct_questions, load_rows
from benchmarks.workers import ask_latencies, env, ingest, worker
from devtools.servers import chroma_run, instant_embedder
from evals.metrics import percentile

# The 5-article corpus is the base of the per-question ratio target.
SIZES = (5, 1_000, 10_000, 50_000)
BASE = 5
SCALE_BUDGET_S = 30 * 60
# /v1/ask p50 at any size, as a multiple of the 5-article p50 of the same run.
P50_RATIO = 1.5
SEED = 42
LATENCY_QUESTIONS = 200
# The new word the one-file re-ingest adds, and how long to wait for it at most.
MARKER = "Quorvexian"
MARKER_WAIT_S = 120.0


def bundled_query_ms(bench: Bench) -> float:
    """Median time of one question through the bundled embedder, in this process."""
    questions = synth_corpus.questions(50, seed=5)
    for q in questions[:10]:
        bench.embedder.embed([q])
    times = []
    for q in questions:
        started = time.perf_counter()
        bench.embedder.embed([q])
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


@contextmanager
def store(n: int, workdir: Path, kind: str) -> Iterator[tuple[dict[str, str], int | None]]:
    """The settings that point a worker and the ingest job at the size's store, and the
    pid of the `chroma run` server holding it (None for the embedded store)."""
    if kind == "embedded":
        yield {"RAG_CHROMA_PATH": str(workdir / f"chroma-{n}")}, None
        return
    with chroma_run(workdir / f"server-{n}") as db:
        yield (
            {
                "RAG_CHROMA_HOST": "127.0.0.1",
                "RAG_CHROMA_PORT": str(db.port),
                "RAG_LEXICAL_DIR": str(workdir / f"lexical-{n}"),
            },
            db.pid,
        )


def server_rows(n: int, settings: Mapping[str, str], server_pid: int) -> list[Row]:
    """Requests per second with two workers on the size's server, and the server's memory."""
    rows = load_rows(settings, 2, f"{n}: --workers 2", distinct_questions(QUESTIONS))
    server_rss = psutil.Process(server_pid).memory_info().rss / 2**20
    return [*rows, row(f"{n}: chroma run server RSS", server_rss, "MB")]


def one_size(
    n: int, workdir: Path, embed_env: dict[str, str], query_ms: float, kind: str
) -> tuple[list[Row], float]:
    """The size's rows and its /v1/ask p50 (instant embedder)."""
    folder = workdir / f"corpus-{n}"
    synth_corpus.generate(folder, n, SEED)
    with store(n, workdir, kind) as (where, server_pid):
        settings = env(**where, **embed_env)
        rows, p50 = measure(n, folder, settings, query_ms)
        if server_pid is not None:
            rows += server_rows(n, settings, server_pid)
    shutil.rmtree(folder, ignore_errors=True)
    return rows, p50


def measure(
    n: int, folder: Path, settings: Mapping[str, str], query_ms: float
) -> tuple[list[Row], float]:
    ingest_s, line = ingest(folder, settings)
    rows = [
        row(f"{n}: ingest ({line.split(';')[1].strip()})", ingest_s, "s"),
        row(f"{n}: ingest rate, instant embedder", n / ingest_s, "articles/s", Target(">=", 150)),
    ]
    questions = synth_corpus.questions(LATENCY_QUESTIONS, seed=17)
    with worker(settings) as first:
        rows.append(row(f"{n}: first start to ready", first.ready_s, "s"))
    with worker(settings) as svc:
        memory = svc.memory_mb()
        rows.append(
            row(
                f"{n}: worker start to ready (again)",
                svc.ready_s,
                "s",
                Target("<=", 5),
            )
        )
        latencies = ask_latencies(svc.url, questions)
        p50, p95 = percentile(latencies, 50) or 0.0, percentile(latencies, 95) or 0.0
        rows += [
            row(f"{n}: /v1/ask p50 (instant embedder)", p50, "ms"),
            row(f"{n}: /v1/ask p95 (instant embedder)", p95, "ms"),
            row(
                f"{n}: /v1/ask p50 + bundled query embedding",
                p50 + query_ms,
                "ms",
                Target("<=", 25),
            ),
            row(f"{n}: /v1/ask p95 + bundled query embedding", p95 + query_ms, "ms"),
        ]
        memory = {k: max(v, memory[k]) for k, v in svc.memory_mb().items()}
        rows += [
            row(f"{n}: worker RSS", memory["rss"], "MB", Target("<=", 600)),
            row(f"{n}: worker USS", memory["uss"], "MB"),
            row(f"{n}: worker PSS", memory["pss"], "MB"),
        ]
        target = sorted(folder.iterdir())[n // 2]
        target.write_text(
            target.read_text("utf-8")
            + f"\nThe {MARKER} committee decided to publish its findings in Lisbon.\n",
            "utf-8",
        )
        reingest_s, _ = ingest(folder, settings)
        first_ms, found_s = until_found(svc.url, target.name, MARKER_WAIT_S)
        rows += [
            row(f"{n}: one-file re-ingest", reingest_s, "s", Target("<=", 3)),
            # Its target is this run's p95: a re-ingest must not slow the next question.
            row(f"{n}: first /v1/ask after it (target: p95)", first_ms, "ms", Target("<=", p95)),
            row(f"{n}: until the new word is found", found_s, "s", Target("<=", 10)),
        ]
        # The same change picked up by a watching ingest, which keeps its models loaded.
        files = sorted(folder.iterdir())
        targets = [files[(n // 2 + 1 + i) % n] for i in range(watch.ROUNDS)]
        watched = watch.watched_rounds(
            folder, settings, svc.url, targets, watch.MARKERS[watch.ROUNDS :]
        )
        rows += [
            row(
                f"{n}: watcher (--interval {watch.INTERVAL_S:g}): file written -> run done "
                f"(median of {len(watched)})",
                statistics.median(done for done, _ in watched),
                "s",
                Target("<=", 3),
            ),
            row(
                f"{n}: watcher: file written -> new word found",
                statistics.median(found for _, found in watched),
                "s",
                Target("<=", 10),
            ),
        ]
    return rows, p50


def run(bench: Bench) -> list[Row]:
    started = time.monotonic()
    sizes = bench.scale_sizes or SIZES
    budget_s = bench.scale_budget_s or SCALE_BUDGET_S
    query_ms = bundled_query_ms(bench)
    rows = [row("bundled embedder, one question (median)", query_ms, "ms")]
    seconds_per_article: float | None = None
    base_p50: float | None = None
    with instant_embedder() as embed_env:
        for n in sizes:
            spent = time.monotonic() - started
            if seconds_per_article is not None and spent + n * seconds_per_article * 1.5 > budget_s:
                rows.append(row(f"{n}: not run (the {budget_s / 60:.0f}-minute budget)", None, ""))
                continue
            bench.log.print(f"  scale: {n} articles ...")
            t = time.monotonic()
            size_rows, p50 = one_size(n, bench.workdir, embed_env, query_ms, bench.scale_store)
            rows += size_rows
            if n == BASE:
                base_p50 = p50
            elif base_p50:
                rows.append(
                    row(
                        f"{n}: /v1/ask p50 / the {BASE}-article p50",
                        p50 / base_p50,
                        "x",
                        Target("<=", P50_RATIO),
                    )
                )
            if n > BASE:  # the tiny corpus says nothing of the cost per article
                seconds_per_article = (time.monotonic() - t) / n
    return rows

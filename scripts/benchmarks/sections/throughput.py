"""`/v1/ask` requests per second at 32 concurrent clients over 1,200 distinct questions
(no answer cache exists): a single process beside `--workers 2`, both on one `chroma run`
server holding 1,000 synthetic articles embedded by the instant embeddings endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import synth_corpus

from benchmarks.context import Bench
from benchmarks.rows import Row, Target, row
from benchmarks.workers import env, ingest, load, worker
from devtools.servers import chroma_run, instant_embedder

ARTICLES = 1_000
SEED = 42
CLIENTS = 32
QUESTIONS = 1_200


def distinct_questions(n: int) -> list[str]:
    seen: dict[str, None] = {}
    seed = 101
    while len(seen) < n:
        for q in synth_corpus.questions(n, seed=seed):
            seen.setdefault(q)
        seed += 1
    return list(seen)[:n]


def load_rows(
    settings: Mapping[str, str], workers: int, label: str, questions: Sequence[str]
) -> list[Row]:
    """Requests per second, p95, errors and memory of `workers` worker processes under
    CLIENTS concurrent clients asking `questions`, after a warm-up of every worker."""
    with worker(settings, workers) as svc:
        load(svc.url, questions[:100], CLIENTS)  # warm every worker
        measured = load(svc.url, questions, CLIENTS)
        memory = svc.memory_mb()
    return [
        row(
            f"{label}: /v1/ask, {CLIENTS} clients, {measured.requests} distinct questions",
            measured.requests_per_s,
            "req/s",
            Target(">=", 100),
        ),
        row(f"{label}: p95", measured.p95_ms, "ms"),
        row(f"{label}: errors", measured.errors, "requests", Target("==", 0)),
        row(f"{label}: PSS of all processes", memory["pss"], "MB"),
    ]


def run(bench: Bench) -> list[Row]:
    folder = bench.workdir / "throughput-corpus"
    synth_corpus.generate(folder, ARTICLES, SEED)
    questions = distinct_questions(QUESTIONS)
    rows: list[Row] = []
    with instant_embedder() as embed_env, chroma_run(bench.workdir / "throughput-server") as db:
        settings = env(
            RAG_CHROMA_HOST="127.0.0.1",
            RAG_CHROMA_PORT=str(db.port),
            RAG_LEXICAL_DIR=str(bench.workdir / "throughput-lexical"),
            **embed_env,
        )
        ingest(folder, settings)
        for workers in (1, 2):
            bench.log.print(f"  throughput: {workers} worker(s) ...")
            label = "single process" if workers == 1 else f"--workers {workers}"
            rows += load_rows(settings, workers, label, questions)
    return rows

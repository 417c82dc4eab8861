"""The embedder alone: batch throughput and single-question latency."""

from __future__ import annotations

import statistics
import time

import synth_corpus

from benchmarks.context import Bench
from benchmarks.rows import Row, Target, row

EMBED_SENTENCES = 512
EMBED_REPEATS = 3
QUERY_CALLS = 200


def run(bench: Bench) -> list[Row]:
    embedder = bench.embedder
    texts = synth_corpus.sentences(EMBED_SENTENCES)
    words = statistics.mean(len(t.split()) for t in texts)
    pieces = sum(embedder.count_tokens(t) for t in texts)
    embedder.embed(texts[:64])  # warm-up: first runs allocate and pick kernels
    best = float("inf")
    for _ in range(EMBED_REPEATS):
        started = time.perf_counter()
        embedder.embed(texts)
        best = min(best, time.perf_counter() - started)

    questions = synth_corpus.questions(20)
    for question in questions:
        embedder.embed([question])
    latencies: list[float] = []
    for i in range(QUERY_CALLS):
        batch = [questions[i % len(questions)]]
        started = time.perf_counter()
        embedder.embed(batch)
        latencies.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]

    batch_size = bench.settings.embed.batch_size
    rows: list[Row] = []
    if bench.embedder_load_s is not None:
        rows.append(row(f"model load ({embedder.identity})", bench.embedder_load_s, "s"))
    return [
        *rows,
        row(
            f"throughput: {EMBED_SENTENCES} sentences of ~{words:.0f} words, "
            f"batch {batch_size}, best of {EMBED_REPEATS}",
            EMBED_SENTENCES / best,
            "sentences/s",
            Target(">=", 150),
        ),
        row("  same run in word-pieces", pieces / best, "tokens/s"),
        row("  word-pieces per sentence", pieces / EMBED_SENTENCES, "tokens"),
        row(
            f"query latency median ({QUERY_CALLS} x embed([question]))",
            statistics.median(latencies),
            "ms",
            Target("<=", 4),
        ),
        row("query latency p95", p95, "ms"),
    ]

"""The language pipeline's cost per article beside the bundled embedder's, one process each.

Synthetic articles are chunked as ingest chunks them; the sentences of their chunks are
annotated as an ingest worker annotates them (`service.evidence.annotate.annotate`, one
process), and the same chunks are embedded with the bundled embedder in ingest-sized calls.
The target is the issue's: annotating an article costs no more than embedding it.
"""

from __future__ import annotations

import random
import time

import synth_corpus

from benchmarks.context import Bench
from benchmarks.rows import Row, Target, row
from benchmarks.sections.ingest_1000 import CHUNKS_PER_FILE
from ingest.chunker import chunk_text
from service.evidence.annotate import annotate
from service.evidence.sentences import sentence_spans

ARTICLES = 200
SEED = 3


def run(bench: Bench) -> list[Row]:
    rng = random.Random(SEED)
    articles = [synth_corpus.article(rng) for _ in range(ARTICLES)]
    embedder = bench.embedder
    chunk = bench.settings.chunk
    chunks = [
        c.text
        for text in articles
        for c in chunk_text(
            text, chunk.size, chunk.overlap, embedder.max_tokens, embedder.count_tokens
        )
    ]
    work = [(text, sentence_spans(text), None) for text in chunks]
    # Warm-up: the pipeline's and the model's first calls load and allocate.
    annotate(work[:20], processes=1)
    embedder.embed(chunks[:20])

    started = time.perf_counter()
    annotate(work, processes=1)
    annotate_s = time.perf_counter() - started
    started = time.perf_counter()
    # Texts per `embed` call: about one ingest group's worth, as in `ingest_1000`.
    per_call = bench.settings.ingest.group_files * CHUNKS_PER_FILE
    for begin in range(0, len(chunks), per_call):
        embedder.embed(chunks[begin : begin + per_call])
    embed_s = time.perf_counter() - started

    per_article = 1000 / ARTICLES
    return [
        row(
            f"{ARTICLES} articles, {len(chunks)} chunks: annotation per article",
            annotate_s * per_article,
            "ms",
        ),
        row("  bundled embedder per article (same chunks)", embed_s * per_article, "ms"),
        row("  annotation / embedding", annotate_s / embed_s, "x", Target("<=", 1)),
    ]

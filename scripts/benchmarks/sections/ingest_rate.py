"""The ingest rate apart from embedding: 1,000 synthetic articles, one process against a pool.

`python -m ingest` over scripts/synth_corpus.py's articles with the instant embeddings
endpoint (scripts/instant_embedder.py), into a fresh embedded store each time, with
RAG_INGEST_PROCESSES=1 (everything in the ingest process) and 0 (one worker per CPU), with
the language pipeline's annotation off and on. Each figure is the run's own time from its
summary line (process start and imports excluded), the part of it spent waiting on the
embedder (the run's `--metrics-file`), and the whole process's wall time. The target is
the rate apart from embedding, as docs/performance.md states it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import synth_corpus
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.context import Bench
from benchmarks.rows import Row, Target, row
from benchmarks.workers import env, ingest
from devtools.servers import instant_embedder

ARTICLES = 1000
SEED = 42


def run(bench: Bench) -> list[Row]:
    folder = bench.workdir / "corpus-rate"
    synth_corpus.generate(folder, ARTICLES, SEED)
    rows: list[Row] = []
    with instant_embedder() as embed_env:
        for annotate in ("false", "true"):
            own: dict[str, float] = {}
            for processes in ("1", "0"):
                store = bench.workdir / f"chroma-rate-{annotate}-{processes}"
                settings = env(
                    RAG_CHROMA_PATH=str(store),
                    RAG_INGEST_ANNOTATE=annotate,
                    RAG_INGEST_PROCESSES=processes,
                    **embed_env,
                )
                bench.log.print(f"  annotate={annotate} processes={processes} ...")
                metrics = bench.workdir / "ingest-rate.prom"
                wall, line = ingest(folder, settings, metrics)
                seconds = float(line.rsplit(";", 1)[1].strip().removesuffix(" s"))
                embedding = _gauge(metrics, "newsrag_ingest_last_run_embedding_seconds")
                own[processes] = seconds
                label = "1 process" if processes == "1" else f"{os.cpu_count()} workers"
                what = "annotated" if annotate == "true" else "not annotated"
                rows += [
                    row(f"{what}, {label}: run", seconds, "s"),
                    row(f"{what}, {label}: of which waiting on the embedder", embedding, "s"),
                    row(f"{what}, {label}: process wall", wall, "s"),
                    row(f"{what}, {label}: rate", ARTICLES / seconds, "articles/s"),
                    row(
                        f"{what}, {label}: rate apart from embedding",
                        ARTICLES / (seconds - embedding),
                        "articles/s",
                        Target(">=", 100) if annotate == "false" else None,
                    ),
                ]
                shutil.rmtree(store, ignore_errors=True)
            rows.append(
                row(
                    f"{'annotated' if annotate == 'true' else 'not annotated'}: speed-up",
                    own["1"] / own["0"],
                    "x",
                )
            )
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def _gauge(path: Path, name: str) -> float:
    """A gauge's value from the run's Prometheus textfile."""
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise RuntimeError(f"{name} missing from {path}")

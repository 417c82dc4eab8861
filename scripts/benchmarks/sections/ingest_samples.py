"""The ingest job on the bundled sample articles, into a fresh store."""

from __future__ import annotations

from benchmarks.context import SAMPLE_DIR, Bench, timed_ingest
from benchmarks.rows import Row, Target, row


def run(bench: Bench) -> list[Row]:
    files = sorted(p for p in SAMPLE_DIR.iterdir() if p.is_file())
    bench.warm_ingest()
    job, _ = bench.ingest_job(bench.fresh_settings("chroma-samples"))
    summary, seconds = timed_ingest(job, SAMPLE_DIR)
    return [
        row(
            f"ingest data/articles, {len(files)} files, fresh store "
            "(excl. model load, splitter/nltk/datasketch imports)",
            seconds,
            "s",
            Target("<", 3),
        ),
        row("  chunks written", summary.chunks_written, "chunks"),
    ]

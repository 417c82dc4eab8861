"""The ingest run's counters as a Prometheus textfile (node_exporter's textfile collector).

A run is a batch job: it is gone before any scrape, so it leaves its figures in a file
that node_exporter (`--collector.textfile.directory`) serves. Each run replaces the file
atomically; values are the last run's, so they are gauges.
"""

from __future__ import annotations

import time
from pathlib import Path

from ingest.summary import Summary

PREFIX = "newsrag_ingest"
OUTCOMES = ("added", "updated", "unchanged", "removed", "failed")


def write_textfile(path: Path, summary: Summary | None, *, started: float) -> None:
    """Write the run's figures; `summary` is None when the run stopped with an error."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()

    def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{PREFIX}_{name}", help_text, labels, registry=registry)

    finished = time.time()
    gauge("last_run_timestamp_seconds", "When the last ingest run ended (Unix time).").set(finished)
    ok = summary is not None and summary.failed == 0
    gauge(
        "last_run_success",
        "1 if the last run indexed every file, 0 if a file failed or the run stopped.",
    ).set(1 if ok else 0)
    gauge("last_run_duration_seconds", "Duration of the last run.").set(finished - started)
    if summary is not None:
        files = gauge("last_run_files", "Files of the last run, by outcome.", ("outcome",))
        for outcome in OUTCOMES:
            files.labels(outcome).set(getattr(summary, outcome))
        figures = {
            "duplicates": ("Files recorded as near-duplicate copies.", summary.duplicates),
            "chunks_written": ("Chunks written to the collection.", summary.chunks_written),
            "chunks_deleted": ("Chunks deleted from the collection.", summary.chunks_deleted),
            "embedded_texts": ("Texts sent to the embedder.", summary.embedded_texts),
            "embedded_tokens": ("Tokens of the texts sent to the embedder.", summary.tokens),
            "embedding_seconds": (
                "Seconds of the run spent waiting on the embedder.",
                summary.embedding_seconds,
            ),
        }
        for name, (help_text, figure) in figures.items():
            gauge(f"last_run_{name}", f"{help_text} (last run)").set(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)

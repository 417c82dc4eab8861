"""The registry: a section is a module with `run(Bench) -> list[Row]` and one line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.context import Bench
from benchmarks.rows import Row
from benchmarks.sections import (
    annotation,
    api_http,
    api_in_process,
    baseline,
    embedder,
    ingest_1000,
    ingest_rate,
    ingest_samples,
    scale,
    throughput,
    watch,
)


@dataclass(frozen=True)
class Section:
    name: str
    run: Callable[[Bench], list[Row]]


# In running order; `--only` picks by name and keeps this order.
SECTIONS: list[Section] = [
    Section("embedder", embedder.run),
    Section("ingest_samples", ingest_samples.run),
    Section("ingest_1000", ingest_1000.run),
    Section("ingest_rate", ingest_rate.run),
    Section("annotation", annotation.run),
    Section("api_in_process", api_in_process.run),
    Section("api_http", api_http.run),
    Section("baseline", baseline.run),
    Section("throughput", throughput.run),
    Section("scale", scale.run),
    Section("watch", watch.run),
]

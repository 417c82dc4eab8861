"""The run's summary: derived from the plan and from what the write step did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from ingest.plan import IngestPlan
from ingest.write import WriteResult


@dataclass(frozen=True)
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_written: int = 0
    # Files this run recorded as near-duplicate copies (also counted as added/updated).
    duplicates: int = 0
    chunks_deleted: int = 0
    embedded_texts: int = 0
    tokens: int = 0
    # Of `seconds`, the time spent waiting on the embedder.
    embedding_seconds: float = 0.0
    seconds: float = 0.0
    dry_run: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        prefix = "dry run (nothing written): " if self.dry_run else ""
        chunks = "chunks to write" if self.dry_run else "chunks written"
        duplicates = ""
        if self.duplicates:
            noun = "duplicate" if self.duplicates == 1 else "duplicates"
            duplicates = f"; {self.duplicates} {noun} not indexed"
        return (
            f"{prefix}{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed; {self.chunks_written} {chunks}"
            f"{duplicates}; {self.seconds:.2f} s"
        )


def summarise(
    plan: IngestPlan,
    result: WriteResult,
    *,
    skipped: Sequence[str],
    dry_run: bool,
    seconds: float,
) -> Summary:
    """The plan's counts less the writes that failed while writing, plus the write work."""
    return Summary(
        **asdict(plan.counts(dropped=result.dropped)),
        chunks_written=result.chunks_written,
        chunks_deleted=result.chunks_deleted,
        embedded_texts=result.embedded_texts,
        tokens=result.tokens,
        embedding_seconds=result.embedding_seconds,
        seconds=seconds,
        dry_run=dry_run,
        failures=[*plan.failures, *result.failures],
        skipped=list(skipped),
    )

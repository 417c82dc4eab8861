"""The summary: derived from the plan and the write step's result; its printed line."""

from __future__ import annotations

from ingest.plan import Failure, IngestPlan, Refresh, Write
from ingest.summary import Summary, summarise
from ingest.write import WriteResult
from service.core.schema import SourceState
from service.core.store import SourceRecord


def record(source: str, duplicate_of: str | None = None) -> SourceRecord:
    return SourceRecord(source, "0" * 64, source, None, None, 0, SourceState.DONE, duplicate_of)


def write(source: str, *, new: bool, duplicate_of: str | None = None) -> Write:
    return Write(source, "1" * 64, "", duplicate_of, None if new else record(source))


def test_line_formats() -> None:
    plain = Summary(added=5, chunks_written=35, seconds=1.2)
    assert plain.line() == (
        "5 added, 0 updated, 0 unchanged, 0 removed, 0 failed; 35 chunks written; 1.20 s"
    )
    assert Summary(added=6, chunks_written=31, duplicates=1, seconds=1.2).line() == (
        "6 added, 0 updated, 0 unchanged, 0 removed, 0 failed; 31 chunks written; "
        "1 duplicate not indexed; 1.20 s"
    )
    assert Summary(updated=1, unchanged=4, removed=2, failed=1, duplicates=2).line() == (
        "0 added, 1 updated, 4 unchanged, 2 removed, 1 failed; 0 chunks written; "
        "2 duplicates not indexed; 0.00 s"
    )
    dry = Summary(added=5, chunks_written=35, seconds=1.2, dry_run=True)
    assert dry.line() == (
        "dry run (nothing written): 5 added, 0 updated, 0 unchanged, 0 removed, 0 failed; "
        "35 chunks to write; 1.20 s"
    )


def test_summary_is_the_plan_less_the_writes_that_failed_plus_the_write_work() -> None:
    plan = IngestPlan(
        writes=(
            write("a.txt", new=True),
            write("b.txt", new=False),
            write("c.txt", new=True, duplicate_of="a.txt"),
            write("d.txt", new=True, duplicate_of="a.txt"),
        ),
        refreshes=(
            Refresh(record("e.txt", duplicate_of="a.txt"), repointed=True),
            Refresh(record("f.txt"), repointed=False),
        ),
        removals=(record("gone.txt"),),
        unchanged=("f.txt", "g.txt"),
        failures=(Failure("bad.txt", "binary content"),),
    )
    result = WriteResult(
        failures=(Failure("d.txt", "changed while being ingested"),),
        chunks_written=12,
        chunks_deleted=3,
        embedded_texts=12,
        tokens=900,
        embedding_seconds=0.25,
    )
    summary = summarise(plan, result, skipped=["x.pdf"], dry_run=False, seconds=0.5)
    assert summary == Summary(
        added=2,
        updated=2,
        unchanged=2,
        removed=1,
        failed=2,
        chunks_written=12,
        duplicates=2,
        chunks_deleted=3,
        embedded_texts=12,
        tokens=900,
        embedding_seconds=0.25,
        seconds=0.5,
        dry_run=False,
        failures=[("bad.txt", "binary content"), ("d.txt", "changed while being ingested")],
        skipped=["x.pdf"],
    )

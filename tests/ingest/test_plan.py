"""The ingest plan, decided from a manifest and an in-memory folder: no Chroma, no files."""

from __future__ import annotations

import dataclasses

import pytest

from devtools.contract import article_text
from ingest.dedupe import decode, encode, signature
from ingest.plan import Failure, IngestPlan, Refresh, Write, plan_ingest
from ingest.reader import Article, UnreadableFile, file_sha256
from service.core.schema import SourceState
from service.core.store import SourceRecord
from tests.conftest import SAMPLE_DIR, SAMPLES

A, B, C = SAMPLES[:3]
THRESHOLD = 0.8


def text(name: str) -> str:
    return article_text(SAMPLE_DIR / name)


def copy_of(original: str) -> str:
    """A syndicated copy: the same article under another headline."""
    return "The same story under another headline\n" + original.split("\n", 1)[1]


def make_article(source: str, body: str) -> Article:
    return Article(
        source=source,
        text=body,
        title=body.split("\n", 1)[0],
        published=None,
        url=None,
        sha256=file_sha256(body.encode()),
    )


def entry(
    source: str,
    body: str,
    *,
    state: str = SourceState.DONE,
    duplicate_of: str | None = None,
    signed: bool = True,
) -> SourceRecord:
    """The manifest entry of `body` indexed as `source`."""
    return SourceRecord(
        source=source,
        sha256=file_sha256(body.encode()),
        title=body.split("\n", 1)[0],
        published=None,
        url=None,
        chunks=0 if duplicate_of else 7,
        state=state,
        duplicate_of=duplicate_of,
        minhash=encode(signature(body)) if signed else None,
    )


class Folder:
    """Files by source: a text, or the error reading it raises. Records every read."""

    def __init__(self, files: dict[str, str | Exception]) -> None:
        self.files = files
        self.reads: list[str] = []

    def read(self, source: str) -> Article:
        self.reads.append(source)
        content = self.files[source]
        if isinstance(content, Exception):
            raise content
        return make_article(source, content)

    def plan(self, *entries: SourceRecord, threshold: float = THRESHOLD) -> IngestPlan:
        manifest = {e.source: e for e in entries}
        return plan_ingest(manifest, sorted(self.files), self.read, threshold)


def test_new_files_are_added_each_read_once() -> None:
    folder = Folder({A: text(A), B: text(B), C: text(C)})
    plan = folder.plan()
    assert folder.reads == [A, B, C]
    assert [(w.source, w.known, w.duplicate_of, w.stored_text) for w in plan.writes] == [
        (A, None, None, False),
        (B, None, None, False),
        (C, None, None, False),
    ]
    assert plan.writes[0].sha256 == file_sha256(text(A).encode())
    stored = decode(plan.writes[0].minhash)
    assert stored is not None and (stored == signature(text(A))).all()
    assert (plan.refreshes, plan.removals, plan.unchanged, plan.failures) == ((), (), (), ())
    counts = plan.counts()
    assert (counts.added, counts.updated, counts.unchanged, counts.duplicates) == (3, 0, 0, 0)


def test_changed_and_pending_entries_are_updated_and_done_ones_unchanged() -> None:
    done = entry(A, text(A))
    changed = entry(B, "an older version")
    pending = entry(C, text(C), state=SourceState.PENDING)
    plan = Folder({A: text(A), B: text(B), C: text(C)}).plan(done, changed, pending)
    assert plan.unchanged == (A,)
    assert [(w.source, w.known) for w in plan.writes] == [(B, changed), (C, pending)]
    assert plan.refreshes == ()
    counts = plan.counts()
    assert (counts.added, counts.updated, counts.unchanged) == (0, 2, 1)


def test_a_file_gone_is_removed_and_an_unreadable_one_keeps_its_entry() -> None:
    kept, gone = entry(A, text(A)), entry(B, text(B))
    folder = Folder({A: UnreadableFile("binary content"), C: text(C)})
    plan = folder.plan(kept, gone)
    assert plan.failures == (Failure(A, "binary content"),)
    assert plan.removals == (gone,)
    assert [w.source for w in plan.writes] == [C]
    assert plan.unchanged == ()
    counts = plan.counts()
    assert (counts.added, counts.removed, counts.failed, counts.unchanged) == (1, 1, 1, 0)


def test_an_entry_without_a_signature_gets_one_and_stays_unchanged() -> None:
    unsigned = entry(A, text(A), signed=False)
    plan = Folder({A: text(A)}).plan(unsigned)
    signed = dataclasses.replace(unsigned, minhash=encode(signature(text(A))))
    assert plan.refreshes == (Refresh(signed, repointed=False),)
    assert (plan.writes, plan.unchanged) == ((), (A,))
    assert plan.counts().updated == 0


def test_a_new_copy_of_an_indexed_article_is_written_as_a_copy() -> None:
    original = entry(A, text(A))
    plan = Folder({A: text(A), "z_copy.txt": copy_of(text(A))}).plan(original)
    assert [(w.source, w.duplicate_of) for w in plan.writes] == [("z_copy.txt", A)]
    counts = plan.counts()
    assert (counts.added, counts.duplicates, counts.unchanged) == (1, 1, 1)
    # Detection off: the same file is written as a canonical article.
    off = Folder({A: text(A), "z_copy.txt": copy_of(text(A))}).plan(original, threshold=0)
    assert [(w.source, w.duplicate_of) for w in off.writes] == [("z_copy.txt", None)]


def test_the_copy_of_a_removed_article_is_indexed_from_its_stored_text() -> None:
    original = entry(A, text(A))
    copy = entry("z_copy.txt", copy_of(text(A)), duplicate_of=A)
    plan = Folder({"z_copy.txt": copy_of(text(A))}).plan(original, copy)
    assert plan.writes == (
        Write(
            source="z_copy.txt",
            sha256=copy.sha256,
            minhash=copy.minhash or "",
            duplicate_of=None,
            known=copy,
            stored_text=True,
        ),
    )
    assert (plan.removals, plan.unchanged, plan.refreshes) == ((original,), (), ())
    counts = plan.counts()
    assert (counts.updated, counts.removed, counts.unchanged, counts.duplicates) == (1, 1, 0, 0)


def test_the_other_copies_follow_the_new_canonical_in_one_manifest_update() -> None:
    original = entry(A, text(A))
    first = entry("x_copy.txt", copy_of(text(A)), duplicate_of=A)
    # Recorded before signatures were kept: its refresh also carries its signature.
    second = entry("y_copy.txt", copy_of(text(A)) + "\n", duplicate_of=A, signed=False)
    folder = Folder({"x_copy.txt": copy_of(text(A)), "y_copy.txt": copy_of(text(A)) + "\n"})
    plan = folder.plan(original, first, second)
    assert [(w.source, w.stored_text) for w in plan.writes] == [("x_copy.txt", True)]
    repointed = dataclasses.replace(
        second, duplicate_of="x_copy.txt", minhash=encode(signature(copy_of(text(A)) + "\n"))
    )
    assert plan.refreshes == (Refresh(repointed, repointed=True),)
    assert plan.unchanged == ()
    counts = plan.counts()
    assert (counts.updated, counts.duplicates, counts.removed, counts.unchanged) == (2, 1, 1, 0)


def test_an_unreadable_copy_of_a_removed_article_is_indexed_from_its_stored_text() -> None:
    original = entry(A, text(A))
    copy = entry("z_copy.txt", copy_of(text(A)), duplicate_of=A)
    plan = Folder({"z_copy.txt": OSError("permission denied")}).plan(original, copy)
    assert [(w.source, w.stored_text) for w in plan.writes] == [("z_copy.txt", True)]
    counts = plan.counts()
    assert (counts.failed, counts.updated) == (1, 1)


def test_counts_leave_out_the_writes_that_failed_while_writing() -> None:
    plan = Folder({A: text(A), "z_copy.txt": copy_of(text(A)), C: text(C)}).plan()
    assert plan.counts().duplicates == 1
    counts = plan.counts(dropped={"z_copy.txt", C})
    assert (counts.added, counts.failed, counts.duplicates) == (1, 2, 0)


def test_the_plan_is_immutable() -> None:
    plan = Folder({A: text(A)}).plan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.writes = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.writes[0].duplicate_of = B  # type: ignore[misc]
    assert all(type(getattr(plan, f.name)) is tuple for f in dataclasses.fields(plan))


def test_a_done_entry_with_the_file_stat_is_unchanged_without_a_read() -> None:
    D, E = SAMPLES[3:5]
    files = {s: text(s) for s in (A, B, C, D, E)}
    stats = {s: (len(files[s]), 1_000 + i) for i, s in enumerate(files)}
    kept = {
        A: dataclasses.replace(entry(A, text(A)), stat=stats[A]),
        B: dataclasses.replace(entry(B, text(B), state=SourceState.PENDING), stat=stats[B]),
        C: dataclasses.replace(entry(C, text(C), signed=False), stat=stats[C]),
        D: dataclasses.replace(entry(D, text(D)), stat=(stats[D][0], 1)),  # touched
        E: dataclasses.replace(entry(E, "an older version"), stat=(stats[E][0], 1)),
    }
    folder = Folder(files)
    plan = plan_ingest(kept, sorted(files), folder.read, THRESHOLD, stats.__getitem__)
    assert folder.reads == [B, C, D, E]
    assert plan.unchanged == (A, C, D)
    assert [(w.source, w.stat) for w in plan.writes] == [(B, stats[B]), (E, stats[E])]
    assert [r.record for r in plan.refreshes] == [
        dataclasses.replace(kept[C], minhash=encode(signature(text(C)))),
        dataclasses.replace(kept[D], stat=stats[D]),
    ]
    assert not any(r.repointed for r in plan.refreshes)
    counts = plan.counts()
    assert (counts.added, counts.updated, counts.unchanged) == (0, 2, 3)


def test_a_file_that_cannot_be_statted_is_read() -> None:
    def missing(source: str) -> tuple[int, int]:
        raise FileNotFoundError(source)

    folder = Folder({A: text(A)})
    known = dataclasses.replace(entry(A, text(A)), stat=(len(text(A)), 1))
    plan = plan_ingest({A: known}, [A], folder.read, THRESHOLD, missing)
    assert folder.reads == [A]
    assert (plan.unchanged, plan.refreshes) == ((A,), ())

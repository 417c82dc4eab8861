"""A re-run reads only the files whose size or modification time differ from the manifest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ingest.pipeline
from ingest.pipeline import IngestJob
from ingest.reader import Article
from service.core.embedder import Embedder
from service.core.schema import SourceKey
from service.core.store import ArticleIndex, SourceRecord
from service.settings import Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import snapshot


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources the ingest job reads, in order (plan and write step alike)."""
    seen: list[str] = []
    real = ingest.pipeline.read_article

    def counting(folder: Path, path: Path, max_bytes: int) -> Article:
        seen.append(path.relative_to(folder).as_posix())
        return real(folder, path, max_bytes)

    monkeypatch.setattr(ingest.pipeline, "read_article", counting)
    return seen


def run(settings: Settings, embedder: Embedder, index: ArticleIndex, folder: Path) -> IngestJob:
    job = IngestJob(settings, embedder, index)
    job.run(folder)
    return job


def stat_of(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


def bump_mtime(path: Path, seconds: int = 5) -> None:
    mtime_ns = path.stat().st_mtime_ns + seconds * 10**9
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_manifest_keeps_each_file_stat(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    run(settings, embedder, index, corpus)
    manifest = snapshot(index)["manifest"]
    assert {s: r.stat for s, r in manifest.items()} == {s: stat_of(corpus / s) for s in SAMPLES}


def test_unchanged_folder_is_not_read(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path, reads: list[str]
) -> None:
    run(settings, embedder, index, corpus)
    reads.clear()
    summary = IngestJob(settings, embedder, index).run(corpus)
    assert (summary.unchanged, summary.added, summary.updated) == (5, 0, 0)
    assert reads == []


def test_same_size_new_content_and_later_mtime_is_read_and_updated(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path, reads: list[str]
) -> None:
    run(settings, embedder, index, corpus)
    target = corpus / SAMPLES[2]
    data = target.read_bytes()
    at = data.index(b"e")
    target.write_bytes(data[:at] + b"E" + data[at + 1 :])  # same size
    bump_mtime(target)
    reads.clear()
    summary = IngestJob(settings, embedder, index).run(corpus)
    assert (summary.updated, summary.unchanged) == (1, 4)
    assert summary.embedded_texts > 0
    # Read once to plan and once to write; the four others not at all.
    assert reads == [SAMPLES[2], SAMPLES[2]]
    entry = snapshot(index)["manifest"][SAMPLES[2]]
    assert entry.stat == stat_of(target)
    assert entry.stat[0] == len(data)


def test_touched_file_is_read_once_and_only_its_stat_refreshed(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path, reads: list[str]
) -> None:
    run(settings, embedder, index, corpus)
    before, generation = snapshot(index), index.generation
    target = corpus / SAMPLES[1]
    bump_mtime(target)
    reads.clear()
    summary = IngestJob(settings, embedder, index).run(corpus)
    assert (summary.unchanged, summary.updated, summary.added) == (5, 0, 0)
    assert summary.chunks_written == summary.embedded_texts == 0
    assert reads == [SAMPLES[1]]  # hashed, not chunked or embedded
    after = snapshot(index)
    assert after["chunks"] == before["chunks"]
    assert after["manifest"][SAMPLES[1]].stat == stat_of(target)
    assert index.generation == generation
    reads.clear()
    IngestJob(settings, embedder, index).run(corpus)
    assert reads == []


def test_manifest_without_stat_is_read_once_then_skipped(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A manifest written before the stat was kept: no size or mtime keys at all.
    written = SourceRecord.metadata

    def without_stat(record: SourceRecord) -> dict[str, str | int]:
        meta = written(record)
        del meta[SourceKey.SIZE], meta[SourceKey.MTIME_NS]
        return meta

    with monkeypatch.context() as patch:
        patch.setattr(SourceRecord, "metadata", without_stat)
        run(settings, embedder, index, corpus)
    # Nor the copy of the manifest that runs save now.
    shutil.rmtree(settings.lexical_dir / ".manifests")
    before = snapshot(index)
    assert all(r.stat is None for r in before["manifest"].values())
    reads.clear()
    summary = IngestJob(settings, embedder, index).run(corpus)
    assert (summary.unchanged, summary.updated, summary.added) == (5, 0, 0)
    assert summary.embedded_texts == 0
    assert sorted(reads) == SAMPLES
    after = snapshot(index)
    assert after["chunks"] == before["chunks"]
    assert {s: r.stat for s, r in after["manifest"].items()} == {
        s: stat_of(corpus / s) for s in SAMPLES
    }
    reads.clear()
    IngestJob(settings, embedder, index).run(corpus)
    assert reads == []

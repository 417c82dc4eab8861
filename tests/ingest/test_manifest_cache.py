"""A re-run reads from Chroma only the manifest entries of files that changed, came or went,
taking the others from the manifest the previous run saved; the result is the same."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from ingest.manifest_cache import ManifestCache
from ingest.pipeline import IngestJob
from service.core.embedder import Embedder
from service.core.store import ArticleIndex, SourceRecord
from service.settings import Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import snapshot
from tests.ingest.test_lexical_publish import assert_mirrors_chroma, published


def ingest(settings: Settings, embedder: Embedder, index: ArticleIndex, folder: Path) -> None:
    summary = IngestJob(settings, embedder, index).run(folder)
    assert summary.failed == 0


def saved(settings: Settings, index: ArticleIndex) -> dict[str, SourceRecord] | None:
    return ManifestCache(settings.lexical_dir / ".manifests", index.name).load(index)


class Reads:
    """Which manifest reads a run makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.whole = 0
        self.entries: list[str] = []
        whole, entries = ArticleIndex.manifest, ArticleIndex.entries

        def manifest(index: ArticleIndex) -> dict[str, SourceRecord]:
            self.whole += 1
            return whole(index)

        def some(index: ArticleIndex, sources: Sequence[str]) -> dict[str, SourceRecord]:
            self.entries += sources
            return entries(index, sources)

        monkeypatch.setattr(ArticleIndex, "manifest", manifest)
        monkeypatch.setattr(ArticleIndex, "entries", some)


def test_each_run_leaves_the_manifest_chroma_holds(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    assert saved(settings, index) == index.manifest()
    (corpus / SAMPLES[1]).write_text("Rewritten: the council met on Monday.\n", "utf-8")
    (corpus / SAMPLES[2]).unlink()
    (corpus / "zz_new.txt").write_text("A new article about the harbour budget.\n", "utf-8")
    ingest(settings, embedder, index, corpus)
    assert saved(settings, index) == index.manifest()


def test_a_rerun_reads_only_the_entries_of_changed_files(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(settings, embedder, index, corpus)
    before = snapshot(index)["manifest"]
    reads = Reads(monkeypatch)
    ingest(settings, embedder, index, corpus)
    assert (reads.whole, reads.entries) == (0, [])
    target = corpus / SAMPLES[3]
    target.write_text(target.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    (corpus / SAMPLES[0]).unlink()
    (corpus / "zz_new.txt").write_text("A new article about the harbour budget.\n", "utf-8")
    ingest(settings, embedder, index, corpus)
    assert reads.whole == 0
    assert sorted(reads.entries) == sorted([SAMPLES[3], SAMPLES[0], "zz_new.txt"])
    after = index.manifest()
    assert sorted(after) == sorted([*SAMPLES[1:], "zz_new.txt"])
    assert after[SAMPLES[3]].sha256 != before[SAMPLES[3]].sha256
    assert saved(settings, index) == after


def test_after_an_interrupted_run_the_whole_manifest_is_read(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(settings, embedder, index, corpus)
    index.set_writing(True)
    assert saved(settings, index) is None
    reads = Reads(monkeypatch)
    ingest(settings, embedder, index, corpus)
    assert reads.whole == 1
    assert saved(settings, index) == index.manifest()


def test_a_copy_of_another_generation_is_not_used(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    index.bump_generation()  # another writer published since
    assert saved(settings, index) is None


def test_one_job_run_twice_saves_each_run_s_manifest(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job = IngestJob(settings, embedder, index)
    job.run(corpus)
    (corpus / SAMPLES[4]).unlink()
    job.run(corpus)
    assert saved(settings, index) == index.manifest()
    assert SAMPLES[4] not in index.manifest()
    assert_mirrors_chroma(published(settings, index), index)


def test_a_watching_job_takes_its_own_last_manifest_unless_another_writer_came_since(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = IngestJob(settings, embedder, index, watching=True)
    job.run(corpus)
    cache = ManifestCache(settings.lexical_dir / ".manifests", index.name)
    reads = Reads(monkeypatch)
    # The job's own copy, kept in memory: the saved file is not needed to skip the read.
    cache.wait()
    cache.path.unlink()
    target = corpus / SAMPLES[3]
    target.write_text(target.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    job.run(corpus)
    assert (reads.whole, reads.entries) == (0, [SAMPLES[3]])
    # Another writer published since: the job's copy no longer describes the collection.
    ingest(settings, embedder, index, corpus)
    (corpus / SAMPLES[0]).unlink()
    IngestJob(settings, embedder, index).run(corpus)
    target.write_text(target.read_text("utf-8") + "\nAnd another.\n", "utf-8")
    cache.wait()
    cache.path.unlink()
    reads.whole = 0
    job.run(corpus)
    assert reads.whole == 1
    assert SAMPLES[0] not in index.manifest()
    assert saved(settings, index) == index.manifest()


def test_a_copy_still_being_written_is_waited_for(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A watching job's run is done once it has published; its copy is written after.
    release = threading.Event()
    write = ManifestCache._write

    def held(cache: ManifestCache, key: tuple[str, int], manifest: dict[str, SourceRecord]) -> None:
        release.wait(10)
        write(cache, key, manifest)

    monkeypatch.setattr(ManifestCache, "_write", held)
    IngestJob(settings, embedder, index, watching=True).run(corpus)
    assert not (settings.lexical_dir / ".manifests" / f"{index.name}.json").exists()
    threading.Timer(0.2, release.set).start()
    # Another reader in this process (the next job) waits for the copy.
    assert saved(settings, index) == index.manifest()

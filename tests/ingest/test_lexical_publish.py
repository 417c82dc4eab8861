"""The ingest job saves the lexical index of each generation it publishes, derived from
the previous one by difference, and it always equals the index built from Chroma."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from ingest.pipeline import IngestJob
from service.core.embedder import Embedder
from service.core.store import ArticleIndex
from service.lexical.index import IndexKey, LexicalIndex
from service.lexical.store import KEEP, LexicalStore
from service.settings import Settings
from tests.conftest import SAMPLES

MARKER = "Quorvexian"
QUESTIONS = (
    "peace talks in Geneva",
    "minerals deal with Kyiv",
    f"What did the {MARKER} committee decide?",
    "security plan for Europe",
)


def ingest(settings: Settings, embedder: Embedder, index: ArticleIndex, folder: Path) -> None:
    summary = IngestJob(settings, embedder, index).run(folder)
    assert summary.failed == 0


def store(settings: Settings, index: ArticleIndex) -> LexicalStore:
    return LexicalStore(settings.lexical_dir, index.name)


def published(settings: Settings, index: ArticleIndex) -> LexicalIndex:
    """The index saved for the collection's current generation."""
    generation = index.generation
    assert generation is not None
    saved = store(settings, index).load(IndexKey(index.collection_id, generation), derivation=True)
    assert saved is not None, "no lexical index saved for the published generation"
    return saved


def assert_mirrors_chroma(saved: LexicalIndex, index: ArticleIndex) -> None:
    """Same rows, statistics, vocabulary and BM25 scores as an index built from Chroma."""
    fresh = LexicalIndex.build(None, index.all_chunks())
    assert sorted(saved.rows.ids.tolist()) == sorted(fresh.rows.ids.tolist())
    assert saved.stats == fresh.stats
    assert saved.vocabulary == fresh.vocabulary
    for question in QUESTIONS:
        got = {h.chunk_id: h.score for h in saved.search(question, 100)}
        assert got == {h.chunk_id: h.score for h in fresh.search(question, 100)}


def test_a_first_run_saves_the_index_of_the_generation_it_publishes(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    saved = published(settings, index)
    assert_mirrors_chroma(saved, index)
    # Written in the order Chroma returns the chunks: ties in BM25 scores, settled by row,
    # come out as in an index a worker builds.
    assert saved.rows.ids.tolist() == LexicalIndex.build(None, index.all_chunks()).rows.ids.tolist()


def test_a_changed_file_replaces_its_rows_and_its_new_word_is_found(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    before = published(settings, index)
    target = corpus / SAMPLES[2]
    target.write_text(
        target.read_text("utf-8") + f"\nThe {MARKER} committee decided to meet again.\n",
        "utf-8",
    )
    ingest(settings, embedder, index, corpus)
    after = published(settings, index)
    assert after.key != before.key
    assert_mirrors_chroma(after, index)
    code = after.rows.sources.index(SAMPLES[2])
    hits = after.search(f"{MARKER} committee", 5)
    assert hits and hits[0].chunk_id.encode() in set(after.rows.ids[after.rows.source == code])
    old_rows = set(before.rows.ids[before.rows.source == before.rows.sources.index(SAMPLES[2])])
    assert not old_rows & set(after.rows.ids.tolist())


def test_a_removed_file_leaves_the_index_with_its_words(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    extra = corpus / "zz_extra.txt"
    extra.write_text(f"A {MARKER} delegation visited the harbour on Monday.\n", "utf-8")
    ingest(settings, embedder, index, corpus)
    assert MARKER.casefold() in published(settings, index).vocabulary
    extra.unlink()
    ingest(settings, embedder, index, corpus)
    after = published(settings, index)
    assert "zz_extra.txt" not in after.rows.sources
    assert MARKER.casefold() not in after.vocabulary
    assert not after.search(MARKER, 5)
    assert_mirrors_chroma(after, index)


def test_without_a_saved_base_the_index_is_built_from_chroma(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    shutil.rmtree(settings.lexical_dir)
    (corpus / SAMPLES[0]).unlink()
    ingest(settings, embedder, index, corpus)
    assert_mirrors_chroma(published(settings, index), index)


def test_after_an_interrupted_run_the_saved_index_is_no_base(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    # What a run killed after changing chunks leaves: chunks gone that the index of the
    # current generation still holds, and the collection marked as being written.
    index.set_writing(True)
    index.delete_source(index.manifest()[SAMPLES[1]])
    (corpus / SAMPLES[4]).unlink()
    ingest(settings, embedder, index, corpus)
    assert not index.writing
    saved = published(settings, index)
    assert SAMPLES[1] in saved.rows.sources  # the run re-indexed the file it found missing
    assert_mirrors_chroma(saved, index)


def test_a_run_that_changes_nothing_saves_nothing_new(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    folders = sorted(p.name for p in store(settings, index).folder.iterdir())
    ingest(settings, embedder, index, corpus)
    assert sorted(p.name for p in store(settings, index).folder.iterdir()) == folders
    assert not index.writing


def test_a_near_duplicate_copy_has_no_rows(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    copy = corpus / "zz_copy.txt"
    copy.write_text((corpus / SAMPLES[0]).read_text("utf-8") + "\nShared by a wire.\n", "utf-8")
    ingest(settings, embedder, index, corpus)
    assert index.manifest()["zz_copy.txt"].duplicate_of == SAMPLES[0]
    saved = published(settings, index)
    assert "zz_copy.txt" not in saved.rows.sources
    assert_mirrors_chroma(saved, index)


def test_dense_only_retrieval_saves_no_index(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    dense = settings.model_copy(
        update={"retrieval": settings.retrieval.model_copy(update={"mode": "dense"})}
    )
    ingest(dense, embedder, index, corpus)
    assert not (settings.lexical_dir / index.name).exists()


def test_a_run_killed_before_publishing_is_published_by_the_next(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    ingest(settings, embedder, index, corpus)
    generation = index.generation
    index.set_writing(True)  # its chunks are all written, but no generation was bumped
    ingest(settings, embedder, index, corpus)
    assert index.generation == (generation or 0) + 1
    assert not index.writing
    assert_mirrors_chroma(published(settings, index), index)


def test_a_job_run_again_after_another_writer_derives_from_that_writer_s_index(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job = IngestJob(settings, embedder, index)
    job.run(corpus)
    target = corpus / SAMPLES[2]
    target.write_text(target.read_text("utf-8") + f"\nThe {MARKER} committee met.\n", "utf-8")
    job.run(corpus)
    assert_mirrors_chroma(published(settings, index), index)
    # Another job changes the collection; the first one's next run must start from the
    # index that job saved, not from the one it saved itself.
    (corpus / SAMPLES[0]).unlink()
    IngestJob(settings, embedder, index).run(corpus)
    target.write_text(target.read_text("utf-8") + "\nIt meets again in May.\n", "utf-8")
    job.run(corpus)
    saved = published(settings, index)
    assert SAMPLES[0] not in saved.rows.sources
    assert_mirrors_chroma(saved, index)


def test_only_the_newest_saved_states_are_kept(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job = IngestJob(settings, embedder, index)
    target = corpus / SAMPLES[2]
    for run in range(KEEP + 2):
        target.write_text(target.read_text("utf-8") + f"\nRun {run} added this.\n", "utf-8")
        job.run(corpus)
    folders = sorted(p.name for p in store(settings, index).folder.iterdir() if p.is_dir())
    assert len(folders) == KEEP
    assert IndexKey(index.collection_id, index.generation or 0).folder_name in folders


def test_a_watching_job_removes_older_states_after_its_run(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    release.set()
    prune = LexicalStore.prune

    def held(self: LexicalStore) -> None:
        assert release.wait(timeout=30)
        prune(self)

    monkeypatch.setattr(LexicalStore, "prune", held)
    job = IngestJob(settings, embedder, index, watching=True)
    target = corpus / SAMPLES[2]

    def change_and_run(run: int) -> None:
        target.write_text(target.read_text("utf-8") + f"\nRun {run} added this.\n", "utf-8")
        job.run(corpus)

    def folders() -> list[str]:
        return sorted(p.name for p in store(settings, index).folder.iterdir() if p.is_dir())

    for run in range(KEEP + 1):
        change_and_run(run)
    job.wait()
    assert len(folders()) == KEEP
    # The run is done, and its generation published, before the older state is removed.
    release.clear()
    change_and_run(KEEP + 1)
    newest = IndexKey(index.collection_id, index.generation or 0).folder_name
    assert len(folders()) == KEEP + 1 and newest in folders()
    threading.Timer(0.2, release.set).start()
    # The next run waits for it before it takes its base.
    change_and_run(KEEP + 2)
    job.wait()
    assert len(folders()) == KEEP
    assert_mirrors_chroma(published(settings, index), index)

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devtools.contract import article_text
from ingest.pipeline import IngestJob, IngestUsageError
from ingest.reader import file_sha256
from service.core.embedder import Embedder
from service.core.schema import SourceState
from service.core.store import ArticleIndex, build_index
from service.errors import ConfigurationError
from service.settings import ChunkingSettings, Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import snapshot


def job(settings: Settings, embedder: Embedder, index: ArticleIndex) -> IngestJob:
    return IngestJob(settings, embedder, index)


def test_first_run_indexes_every_sample_with_exact_spans(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.added, summary.failed, summary.removed) == (5, 0, 0)
    assert summary.chunks_written == index.count() > 5
    state = snapshot(index)
    assert sorted(state["manifest"]) == SAMPLES
    assert all(r.state == SourceState.DONE for r in state["manifest"].values())
    for chunk in state["chunks"].values():
        text = article_text(corpus / chunk.source)
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.file_sha256 == state["manifest"][chunk.source].sha256
    for source, text in state["texts"].items():
        assert text == article_text(corpus / source)
    dated = {c.source: c.published for c in state["chunks"].values()}
    assert dated["003_3192432eb868ec65.txt"] == "2025-11-25"


def test_rerun_is_idempotent_and_embeds_nothing(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    before, generation = snapshot(index), index.generation
    again = job(settings, embedder, index).run(corpus)
    assert (again.unchanged, again.added, again.updated) == (5, 0, 0)
    assert again.chunks_written == again.embedded_texts == 0
    assert snapshot(index) == before
    assert index.generation == generation  # nothing changed: readers need not reload


def test_changed_file_replaces_its_chunks(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    old_chunks = snapshot(index)["manifest"][SAMPLES[3]].chunks
    target = corpus / SAMPLES[3]
    closing = "A closing line that no sample article has."
    target.write_text(f"{article_text(target)}\n{closing}\n", "utf-8")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.updated, summary.unchanged) == (1, 4)
    state = snapshot(index)
    chunks = [c for c in state["chunks"].values() if c.source == SAMPLES[3]]
    assert any(closing in c.text for c in chunks)
    # Chunk ids include the file's hash: every chunk of the old version is gone.
    assert {c.file_sha256 for c in chunks} == {file_sha256(target.read_bytes())}
    assert summary.chunks_deleted == old_chunks
    new_text = article_text(target)
    assert all(new_text[c.start : c.end] == c.text for c in chunks)
    assert len(chunks) == state["manifest"][SAMPLES[3]].chunks == summary.chunks_written


def test_deleted_file_is_removed(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    (corpus / SAMPLES[0]).unlink()
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.removed, summary.unchanged) == (1, 4)
    state = snapshot(index)
    assert SAMPLES[0] not in state["manifest"]
    assert all(c.source != SAMPLES[0] for c in state["chunks"].values())


def test_other_folder_needs_replace(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path, tmp_path: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus / SAMPLES[1], other / "only.txt")
    with pytest.raises(IngestUsageError, match="--replace"):
        job(settings, embedder, index).run(other)
    assert sorted(snapshot(index)["manifest"]) == SAMPLES  # nothing lost
    summary = job(settings, embedder, index).run(other, replace=True)
    assert (summary.added, summary.removed) == (1, 5)
    assert sorted(snapshot(index)["manifest"]) == ["only.txt"]


def test_other_chunking_settings_are_refused_until_full(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    default_chunks = index.count()
    changed = settings.model_copy(update={"chunk": ChunkingSettings(size=96, overlap=8)})
    other_index = build_index(changed, embedder)
    with pytest.raises(ConfigurationError, match="--full"):
        job(changed, embedder, other_index).run(corpus)
    summary = job(changed, embedder, other_index).run(corpus, full=True)
    assert summary.added == 5
    # Smaller chunks than the default: more of them, all rebuilt with the new profile.
    assert other_index.count() > default_chunks


def test_embedder_mismatch_is_refused(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)

    class OtherModel:
        identity = "onnx:some-other-model"
        dimensions = 384
        max_tokens = 256

    other = build_index(settings, OtherModel())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"embedder.*--full"):
        other.open(create=False)


def test_bad_files_are_reported_and_the_run_goes_on(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    (corpus / "binary.txt").write_bytes(b"\x00\xff\x00")
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.added, summary.failed) == (5, 3)
    assert sorted(s for s, _ in summary.failures) == ["binary.txt", "empty.md", "latin1.txt"]
    assert summary.skipped == ["notes.pdf"]


def test_a_file_that_fails_to_read_keeps_its_indexed_version(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    before = snapshot(index)
    (corpus / SAMPLES[1]).write_bytes(b"\x00 saved badly")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.failed, summary.unchanged, summary.updated, summary.removed) == (1, 4, 0, 0)
    assert [s for s, _ in summary.failures] == [SAMPLES[1]]
    assert snapshot(index) == before


def test_dry_run_writes_nothing(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    summary = job(settings, embedder, index).run(corpus, dry_run=True)
    assert summary.added == 5 and summary.embedded_texts == 0
    assert not index.exists()


def test_dry_run_on_an_index_reports_the_changes_and_writes_nothing(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    before, generation = snapshot(index), index.generation
    target = corpus / SAMPLES[3]
    target.write_text(article_text(target) + "\nA closing line added later.\n", "utf-8")
    (corpus / SAMPLES[0]).unlink()
    dry = job(settings, embedder, index).run(corpus, dry_run=True)
    assert dry.line().startswith(
        "dry run (nothing written): 0 added, 1 updated, 3 unchanged, 1 removed, 0 failed; "
    )
    assert dry.embedded_texts == dry.chunks_deleted == 0
    assert snapshot(index) == before and index.generation == generation
    real = job(settings, embedder, index).run(corpus)
    assert (real.updated, real.removed, real.unchanged) == (1, 1, 3)
    assert dry.chunks_written == real.chunks_written > 0


def test_a_dropped_date_does_not_linger(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    dated = corpus / "003_3192432eb868ec65.txt"
    job(settings, embedder, index).run(corpus)
    dated.write_text(article_text(dated).replace(" date 2025-11-25 ", "", 1), "utf-8")
    job(settings, embedder, index).run(corpus)
    state = snapshot(index)
    assert state["manifest"][dated.name].published is None
    chunks = [c for c in state["chunks"].values() if c.source == dated.name]
    assert chunks and all(c.published is None for c in chunks)

"""Sentence spans are computed at ingest, stored with each chunk, and backfilled (a
metadata update, no re-embedding) when the splitter's version changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import IngestJob
from service.core.embedder import Embedder
from service.core.schema import ChunkKey
from service.core.store import ArticleIndex
from service.evidence import sentences
from service.evidence.sentences import SPLITTER_VERSION, encode_spans, sentence_spans, spans_of
from service.settings import Settings


def stored(index: ArticleIndex) -> dict[str, str | None]:
    return {c.id: c.sentences for c in index.all_chunks()}


def test_ingest_stores_current_spans(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    chunks = list(index.all_chunks())
    assert chunks
    for chunk in chunks:
        assert chunk.sentences == encode_spans(sentence_spans(chunk.text))
        assert spans_of(chunk.text, chunk.sentences) == sentence_spans(chunk.text)
    assert index.sentences_version == SPLITTER_VERSION


def test_a_new_splitter_version_is_backfilled_without_reembedding(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    before = stored(index)
    monkeypatch.setattr(sentences, "SPLITTER_VERSION", SPLITTER_VERSION + 1)
    monkeypatch.setattr("ingest.write.SPLITTER_VERSION", SPLITTER_VERSION + 1)
    # Stored under the old version: ignored and computed per query until backfilled.
    chunk = next(iter(index.all_chunks()))
    assert sentences.stored_spans(chunk.text, chunk.sentences) is None
    assert spans_of(chunk.text, chunk.sentences) == sentence_spans(chunk.text)

    summary = IngestJob(settings, embedder, index).run(corpus)
    assert summary.embedded_texts == 0 and summary.updated == 0
    after = stored(index)
    assert after.keys() == before.keys()
    assert all(v is not None and v.startswith(f"{SPLITTER_VERSION + 1}:") for v in after.values())
    assert index.sentences_version == SPLITTER_VERSION + 1


def test_spans_missing_from_old_chunks_are_backfilled(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    # As written before spans were stored: no key (Chroma merges metadata on upsert, so
    # the records are written anew), and no collection marker.
    chunks, _ = index._require()
    got = chunks.get(include=["documents", "metadatas", "embeddings"])
    metadatas = [
        {k: v for k, v in (m or {}).items() if k != ChunkKey.SENTENCES}
        for m in got["metadatas"] or []
    ]
    chunks.delete(ids=got["ids"])
    chunks.add(
        ids=got["ids"],
        embeddings=got["embeddings"],
        documents=got["documents"],
        metadatas=metadatas,
    )
    index.set_sentences_version(0)
    assert all(v is None for v in stored(index).values())
    IngestJob(settings, embedder, index).run(corpus)
    assert all(c.sentences == encode_spans(sentence_spans(c.text)) for c in index.all_chunks())


def test_ingest_stores_what_the_language_pipeline_read_in_each_sentence(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    from service.evidence.annotate import decode

    IngestJob(settings, embedder, index).run(corpus)
    for chunk in index.all_chunks():
        notes = decode(chunk.text, chunk.annotations)
        assert sorted(notes) == [s for s, _ in spans_of(chunk.text, chunk.sentences)]
    assert any(
        n.entities for c in index.all_chunks() for n in decode(c.text, c.annotations).values()
    )


def test_an_older_annotation_format_is_backfilled_without_reembedding(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.evidence import annotate
    from service.evidence.annotate import ANNOTATION_VERSION, decode

    IngestJob(settings, embedder, index).run(corpus)
    assert index.annotations_version == ANNOTATION_VERSION
    ids = set(stored(index))
    newer = ANNOTATION_VERSION + 1
    monkeypatch.setattr(annotate, "ANNOTATION_VERSION", newer)
    monkeypatch.setattr("ingest.write.ANNOTATION_VERSION", newer)
    # Stored in the older format: read as none until backfilled.
    chunk = next(iter(index.all_chunks()))
    decode.cache_clear()
    assert decode(chunk.text, chunk.annotations) == {}

    summary = IngestJob(settings, embedder, index).run(corpus)
    assert summary.embedded_texts == 0 and summary.updated == 0
    chunks = list(index.all_chunks())
    assert {c.id for c in chunks} == ids
    for chunk in chunks:
        assert (chunk.annotations or "").startswith(f"{newer}:")
        notes = decode(chunk.text, chunk.annotations)
        assert sorted(notes) == [s for s, _ in spans_of(chunk.text, chunk.sentences)]
    assert index.annotations_version == newer


def test_annotation_switched_on_again_annotates_what_was_written_without(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    from service.evidence.annotate import ANNOTATION_VERSION

    IngestJob(unannotated(settings), embedder, index).run(corpus)
    assert all(c.annotations is None for c in index.all_chunks())
    assert index.annotations_version != ANNOTATION_VERSION

    summary = IngestJob(settings, embedder, index).run(corpus)
    assert summary.embedded_texts == 0
    assert all(
        (c.annotations or "").startswith(f"{ANNOTATION_VERSION}:") for c in index.all_chunks()
    )
    assert index.annotations_version == ANNOTATION_VERSION


def unannotated(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"annotate": False})}
    )


def test_annotation_can_be_switched_off(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(unannotated(settings), embedder, index).run(corpus)
    assert all(c.annotations is None for c in index.all_chunks())

"""Where the texts are kept in Chroma: in metadata, not as documents (no full-text index
is built for them), and stores written the earlier way still read."""

from __future__ import annotations

from pathlib import Path

from devtools.contract import article_text
from ingest.pipeline import IngestJob
from service.core.embedder import Embedder
from service.core.schema import (
    ChunkKey,
    SourceKey,
    SourceState,
    source_id,
    sources_collection_name,
    texts_collection_name,
)
from service.core.store import ArticleIndex
from service.settings import Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import snapshot


def test_texts_are_metadata_and_no_document_is_written(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    client = index._client
    chunks = client.get_collection(settings.collection).get(include=["documents", "metadatas"])
    assert chunks["ids"] and all(d is None for d in chunks["documents"] or [])
    for meta in chunks["metadatas"] or []:
        text = article_text(corpus / str(meta[ChunkKey.SOURCE]))
        assert meta[ChunkKey.TEXT] == text[int(meta[ChunkKey.START]) : int(meta[ChunkKey.END])]
    sources = client.get_collection(sources_collection_name(settings.collection))
    got = sources.get(include=["documents", "metadatas"])
    assert all(d is None for d in got["documents"] or [])
    assert all(SourceKey.TEXT not in (m or {}) for m in got["metadatas"] or [])
    texts = client.get_collection(texts_collection_name(settings.collection))
    assert texts.count() == len(SAMPLES)
    for source in SAMPLES:
        assert index.source_text(source) == article_text(corpus / source)


def test_a_store_written_with_documents_still_reads(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    before = snapshot(index)
    # Rewrite the records as the earlier format kept them: the chunk text and the article
    # text as Chroma documents, no text in metadata, no texts collection.
    client = index._client
    chunks = client.get_collection(settings.collection)
    got = chunks.get(include=["metadatas", "embeddings"])
    metas = [dict(m or {}) for m in got["metadatas"] or []]
    documents = [str(m.pop(ChunkKey.TEXT)) for m in metas]
    chunks.delete(ids=got["ids"])
    chunks.add(ids=got["ids"], embeddings=got["embeddings"], documents=documents, metadatas=metas)
    sources = client.get_collection(sources_collection_name(settings.collection))
    entries = sources.get(include=["metadatas", "embeddings"])
    sources.delete(ids=entries["ids"])
    sources.add(
        ids=entries["ids"],
        embeddings=entries["embeddings"],
        documents=[article_text(corpus / str(m[SourceKey.SOURCE])) for m in entries["metadatas"]],
        metadatas=entries["metadatas"],
    )
    client.delete_collection(texts_collection_name(settings.collection))
    reader = ArticleIndex(client, settings.collection, index.profile)
    assert snapshot(reader) == before
    # An unchanged re-run leaves them as they are; a changed file is written the new way,
    # and its text read from there, not from the stale document.
    changed = corpus / SAMPLES[0]
    changed.write_text(article_text(changed) + "\nA closing line added later.\n", "utf-8")
    IngestJob(settings, embedder, reader).run(corpus)
    assert reader.source_text(SAMPLES[0]) == article_text(changed)
    assert snapshot(reader)["texts"][SAMPLES[1]] == before["texts"][SAMPLES[1]]


def test_removing_an_article_removes_its_text(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    (corpus / SAMPLES[0]).unlink()
    IngestJob(settings, embedder, index).run(corpus)
    texts = index._client.get_collection(texts_collection_name(settings.collection))
    assert texts.get(ids=[source_id(SAMPLES[0])])["ids"] == []
    assert index.source_text(SAMPLES[0]) is None
    index.drop()
    names = {c.name for c in index._client.list_collections()}
    assert texts_collection_name(settings.collection) not in names


def test_the_done_flip_keeps_every_other_field_of_the_entry(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    # Entries are written PENDING with all their fields, then only their state is sent.
    IngestJob(settings, embedder, index).run(corpus)
    sources = index._client.get_collection(sources_collection_name(settings.collection))
    got = sources.get(ids=[source_id(s) for s in SAMPLES], include=["metadatas"])
    for meta in got["metadatas"] or []:
        assert meta is not None and meta[SourceKey.STATE] == SourceState.DONE
        assert (
            meta[SourceKey.SHA256] and meta[SourceKey.MINHASH] and int(meta[SourceKey.CHUNKS]) > 0
        )
        assert meta[SourceKey.TITLE] and SourceKey.DUPLICATE_OF in meta
    records = index.manifest()
    assert {r.source for r in records.values() if r.state == SourceState.DONE} == set(SAMPLES)
    assert all(r.stat is not None for r in records.values())

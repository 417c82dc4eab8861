"""The index schema: collection names, metadata keys and chunk ids, defined once.

Three Chroma collections make an index:
- `<name>`: one record per chunk; its metadata holds the chunk text, exactly
  `article_text[start:end]`, with where it stands; the collection metadata records how it
  was built.
- `<name>__sources`: one record per article; the metadata is the ingest manifest
  (sha256, state).
- `<name>__texts`: one record per article; the metadata holds the whole article text
  (apart from the manifest, so that listing the manifest does not read every article).
Keeping it all in Chroma makes Chroma the single source of truth, so a Chroma server
serves any number of stateless workers. Texts are kept in metadata, not as Chroma's
documents: the local store builds a trigram full-text index of every document, which
nothing here searches (lexical search is the service's own BM25 index) and which was over
half the time of writing (docs/performance.md). Stores written before kept the texts as
documents of the first two collections; readers take either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Final

SCHEMA_VERSION: Final = 1
SOURCES_SUFFIX: Final = "__sources"
TEXTS_SUFFIX: Final = "__texts"


class ChunkKey:
    SOURCE: Final = "source"
    TITLE: Final = "title"
    PUBLISHED: Final = "published"
    # Chroma's range operators take numbers only, so dates are also stored as YYYYMMDD.
    PUBLISHED_INT: Final = "published_int"
    URL: Final = "url"
    CHUNK_INDEX: Final = "chunk_index"
    START: Final = "start"
    END: Final = "end"
    FILE_SHA256: Final = "file_sha256"
    TOKENS: Final = "tokens"
    # The chunk's sentence spans computed at ingest, "<splitter version>:s-e,s-e,..."
    # (service/evidence/sentences.py reads and writes them).
    SENTENCES: Final = "sentences"
    # What the language pipeline read in each of those sentences at ingest: entities,
    # lemmas, dates, numbers, relations ("<version>:<json>"; service/evidence/annotate.py).
    ANNOTATIONS: Final = "annotations"
    # The chunk's text (see the module's docstring for why not the document).
    TEXT: Final = "text"


class SourceKey:
    SOURCE: Final = "source"
    SHA256: Final = "sha256"
    TITLE: Final = "title"
    PUBLISHED: Final = "published"
    PUBLISHED_INT: Final = "published_int"
    URL: Final = "url"
    CHUNKS: Final = "chunks"
    STATE: Final = "state"
    # Near-duplicates (ingest/dedupe.py): the MinHash signature, base64 of its uint32
    # values, and for a copy the source of the canonical article ("" when canonical).
    MINHASH: Final = "minhash"
    DUPLICATE_OF: Final = "duplicate_of"
    # The file's size and modification time (st_size, st_mtime_ns) when it was read: a
    # file whose stat still matches is unchanged without being read again.
    SIZE: Final = "size"
    MTIME_NS: Final = "mtime_ns"
    # The whole article text, in the `__texts` collection's record of the article.
    TEXT: Final = "text"


class SourceState:
    # Written before a file's chunks and flipped to DONE after them: a PENDING record
    # tells the next run that a crash interrupted this file.
    PENDING: Final = "pending"
    DONE: Final = "done"


class CollectionKey:
    SCHEMA: Final = "schema_version"
    EMBEDDER: Final = "embedder"
    DIMENSIONS: Final = "dimensions"
    CHUNK_SIZE: Final = "chunk_size"
    CHUNK_OVERLAP: Final = "chunk_overlap"
    FOLDER: Final = "folder"
    GENERATION: Final = "generation"
    # The sentence splitter version every chunk's SENTENCES has been brought up to.
    SENTENCES_VERSION: Final = "sentences_version"
    # The annotation format every chunk's ANNOTATIONS has been brought up to (absent: a
    # collection written without annotation, or before this key).
    ANNOTATIONS_VERSION: Final = "annotations_version"
    # 1 while an ingest run has changed chunks it has not yet published as a generation:
    # the lexical index saved for the current generation is then no base for the next.
    WRITING: Final = "writing"


def sources_collection_name(collection: str) -> str:
    return collection + SOURCES_SUFFIX


def texts_collection_name(collection: str) -> str:
    return collection + TEXTS_SUFFIX


def chunk_id(source: str, file_sha256: str, start: int, text: str) -> str:
    """Stable id from source, file content, position and chunk text.

    Equal passages at two places differ. The file's hash is part of it because Chroma
    merges metadata on upsert: a key a new version drops (its date, say) would survive
    on a record that kept its id. A changed file is re-embedded whole anyway."""
    digest = hashlib.sha256(f"{source}\x00{file_sha256}\x00{start}\x00{text}".encode()).hexdigest()
    return digest[:32]


def source_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def date_to_int(value: date | str) -> int:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.year * 10_000 + value.month * 100 + value.day


@dataclass(frozen=True)
class IndexProfile:
    """What must match between the vectors in a collection and the code querying it."""

    embedder: str
    dimensions: int
    chunk_size: int
    chunk_overlap: int

    def to_metadata(self) -> dict[str, str | int]:
        return {
            CollectionKey.SCHEMA: SCHEMA_VERSION,
            CollectionKey.EMBEDDER: self.embedder,
            CollectionKey.DIMENSIONS: self.dimensions,
            CollectionKey.CHUNK_SIZE: self.chunk_size,
            CollectionKey.CHUNK_OVERLAP: self.chunk_overlap,
        }

    def differences(self, stored: dict[str, object]) -> list[str]:
        """Human-readable list of what differs from a collection's stored metadata."""
        wanted = self.to_metadata()
        return [
            f"{key}: index has {stored.get(key)!r}, settings say {value!r}"
            for key, value in wanted.items()
            if stored.get(key) != value
        ]

"""Chroma access: the one place that builds a client and reads or writes the index."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

import numpy as np

from service.core.embedder import Embedder, Vectors
from service.core.offline import configure_offline
from service.core.schema import (
    ChunkKey,
    CollectionKey,
    IndexProfile,
    SourceKey,
    SourceState,
    date_to_int,
    source_id,
    sources_collection_name,
    texts_collection_name,
)
from service.errors import ConfigurationError, ServiceError, StoreWriteError, Unavailable
from service.settings import ChromaSettings, Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, Metadata, Where

_T = TypeVar("_T")
_P = ParamSpec("_P")

# Chroma's `get` and `delete` calls take at most this many ids or rows comfortably.
_PAGE = 5000
# Searches repeated, each asking for more, when found chunks turn out deleted meanwhile.
_VANISHED_RETRIES = 4


def build_client(settings: ChromaSettings, *, timeout_s: float | None = None) -> ClientAPI:
    """An embedded PersistentClient, or a client of the server when a host is configured.

    Each call to a server waits at most `timeout_s` (default `settings.timeout_s`), so a
    server that is down or hung turns into a quick `Unavailable` (503), not a hang."""
    configure_offline()
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    try:
        if settings.host:
            seconds = timeout_s or settings.timeout_s
            _heartbeat(settings.host, settings.port, seconds)
            client = chromadb.HttpClient(
                host=settings.host,
                port=settings.port,
                settings=ChromaClientSettings(anonymized_telemetry=False),
            )
            _bound_calls(client, seconds)
            return client
        settings.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(settings.path), settings=ChromaClientSettings(anonymized_telemetry=False)
        )
    except Exception as exc:  # chromadb raises plain exceptions for connection failures
        where = f"{settings.host}:{settings.port}" if settings.host else str(settings.path)
        if not settings.host and _cannot_write(exc, settings.path):
            raise StoreWriteError(
                f"Cannot open the Chroma store at {where} for writing: {exc}. Make sure "
                "it is writable by this user and its disk has free space (or set "
                "RAG_CHROMA_PATH to another folder), then run the command again."
            ) from exc
        raise Unavailable(
            f"Cannot open the Chroma store at {where}: {exc}. Check RAG_CHROMA_HOST/"
            "RAG_CHROMA_PORT (is `chroma run` up?) or RAG_CHROMA_PATH."
        ) from exc


# Connecting to a reachable host takes milliseconds; waiting longer only delays the 503.
_CONNECT_TIMEOUT_S = 3.0


def _heartbeat(host: str, port: int, seconds: float) -> None:
    """Fail fast when the server is down or hung: the client's constructor makes its own
    first calls without any timeout."""
    import httpx

    httpx.get(
        f"http://{host}:{port}/api/v2/heartbeat",
        timeout=httpx.Timeout(seconds, connect=min(seconds, _CONNECT_TIMEOUT_S)),
    ).raise_for_status()


def _bound_calls(client: ClientAPI, seconds: float) -> None:
    """chromadb's HTTP client gives its httpx session no timeout, so a hung server would
    hang every request of the service; bound each call (each client has its own session)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, _CONNECT_TIMEOUT_S))


# How sqlite and the OS word it when a store cannot be written.
_UNWRITABLE = ("readonly", "read-only", "disk is full", "no space left", "permission denied")


def _cannot_write(exc: Exception, path: Path) -> bool:
    message = str(exc).casefold()
    return (
        isinstance(exc, OSError)
        or any(marker in message for marker in _UNWRITABLE)
        or not os.access(path, os.W_OK)
    )


@dataclass(frozen=True)
class Chunk:
    """A stored chunk: `text == article_text[start:end]`."""

    id: str
    text: str
    source: str
    start: int
    end: int
    chunk_index: int
    title: str
    published: str | None
    url: str | None
    file_sha256: str
    tokens: int
    # Sentence spans within `text` as stored at ingest (see ChunkKey.SENTENCES).
    sentences: str | None = None
    # What the language pipeline read in those sentences (see ChunkKey.ANNOTATIONS).
    annotations: str | None = None

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {
            ChunkKey.SOURCE: self.source,
            ChunkKey.TITLE: self.title,
            ChunkKey.CHUNK_INDEX: self.chunk_index,
            ChunkKey.START: self.start,
            ChunkKey.END: self.end,
            ChunkKey.FILE_SHA256: self.file_sha256,
            ChunkKey.TOKENS: self.tokens,
        }
        if self.published:
            meta[ChunkKey.PUBLISHED] = self.published
            meta[ChunkKey.PUBLISHED_INT] = date_to_int(self.published)
        if self.url:
            meta[ChunkKey.URL] = self.url
        if self.sentences is not None:
            meta[ChunkKey.SENTENCES] = self.sentences
        if self.annotations is not None:
            meta[ChunkKey.ANNOTATIONS] = self.annotations
        meta[ChunkKey.TEXT] = self.text
        return meta

    @classmethod
    def from_record(cls, record_id: str, document: str | None, meta: Metadata) -> Chunk:
        text = meta.get(ChunkKey.TEXT)
        return cls(
            id=record_id,
            text=str(text) if text is not None else document or "",
            source=str(meta[ChunkKey.SOURCE]),
            start=int(str(meta[ChunkKey.START])),
            end=int(str(meta[ChunkKey.END])),
            chunk_index=int(str(meta[ChunkKey.CHUNK_INDEX])),
            title=str(meta.get(ChunkKey.TITLE, "")),
            published=_optional_str(meta.get(ChunkKey.PUBLISHED)),
            url=_optional_str(meta.get(ChunkKey.URL)),
            file_sha256=str(meta.get(ChunkKey.FILE_SHA256, "")),
            tokens=int(str(meta.get(ChunkKey.TOKENS, 0))),
            sentences=_optional_str(meta.get(ChunkKey.SENTENCES)),
            annotations=_optional_str(meta.get(ChunkKey.ANNOTATIONS)),
        )


@dataclass(frozen=True)
class SourceRecord:
    """The manifest entry of one article."""

    source: str
    sha256: str
    title: str
    published: str | None
    url: str | None
    chunks: int
    state: str
    # A near-duplicate copy names its canonical article here; it has no chunks.
    duplicate_of: str | None = None
    # The article's MinHash signature (ingest/dedupe.py), kept so re-runs stay incremental.
    minhash: str | None = None
    # The file's (st_size, st_mtime_ns) when it was read; None in entries written before.
    stat: tuple[int, int] | None = None

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {
            SourceKey.SOURCE: self.source,
            SourceKey.SHA256: self.sha256,
            SourceKey.TITLE: self.title,
            SourceKey.CHUNKS: self.chunks,
            SourceKey.STATE: self.state,
            # Always written: Chroma merges metadata on update, so an absent key would
            # leave a promoted copy still naming its old canonical.
            SourceKey.DUPLICATE_OF: self.duplicate_of or "",
        }
        if self.minhash:
            meta[SourceKey.MINHASH] = self.minhash
        # Always written (-1 when unknown): an update must not leave a previous version's
        # stat on an entry, or a changed file could pass for unchanged.
        meta[SourceKey.SIZE], meta[SourceKey.MTIME_NS] = self.stat or (-1, -1)
        # Always written ("" when absent): Chroma merges metadata on update, so a key
        # left out would keep the previous version's value.
        meta[SourceKey.PUBLISHED] = self.published or ""
        meta[SourceKey.PUBLISHED_INT] = date_to_int(self.published) if self.published else 0
        meta[SourceKey.URL] = self.url or ""
        return meta

    @classmethod
    def from_metadata(cls, meta: Metadata) -> SourceRecord:
        return cls(
            source=str(meta[SourceKey.SOURCE]),
            sha256=str(meta[SourceKey.SHA256]),
            title=str(meta.get(SourceKey.TITLE, "")),
            published=str(meta.get(SourceKey.PUBLISHED) or "") or None,
            url=str(meta.get(SourceKey.URL) or "") or None,
            chunks=int(str(meta.get(SourceKey.CHUNKS, 0))),
            state=str(meta.get(SourceKey.STATE, SourceState.PENDING)),
            duplicate_of=str(meta.get(SourceKey.DUPLICATE_OF) or "") or None,
            minhash=str(meta.get(SourceKey.MINHASH) or "") or None,
            stat=_stat(meta),
        )


def _stat(meta: Metadata) -> tuple[int, int] | None:
    size, mtime_ns = meta.get(SourceKey.SIZE), meta.get(SourceKey.MTIME_NS)
    if not isinstance(size, int) or not isinstance(mtime_ns, int) or size < 0:
        return None
    return size, mtime_ns


@dataclass(frozen=True)
class ChunkMatch:
    """A chunk found by vector search, with its cosine similarity to the query vector."""

    chunk: Chunk
    similarity: float


def build_where(
    sources: Sequence[str] | None = None,
    published_from: int | None = None,
    published_to: int | None = None,
) -> Where | None:
    """A Chroma `where` filter; an absent date never matches a date range."""
    clauses: list[dict[str, Any]] = []
    if sources:
        clauses.append({ChunkKey.SOURCE: {"$in": list(sources)}})
    if published_from is not None:
        clauses.append({ChunkKey.PUBLISHED_INT: {"$gte": published_from}})
    if published_to is not None:
        clauses.append({ChunkKey.PUBLISHED_INT: {"$lte": published_to}})
    if not clauses:
        return None
    return _where(clauses[0] if len(clauses) == 1 else {"$and": clauses})


def _writes(
    method: Callable[Concatenate[ArticleIndex, _P], _T],
) -> Callable[Concatenate[ArticleIndex, _P], _T]:
    """A write to the store: any failure becomes a `StoreWriteError` saying what to do."""

    def wrapper(self: ArticleIndex, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except ServiceError:
            raise
        except Exception as exc:  # sqlite, the Rust bindings and the HTTP client differ
            raise StoreWriteError(
                f"Cannot write to the Chroma store at {self.where}: {exc}. Make sure it is "
                "writable by this user and its disk has free space (or that the Chroma "
                "server is up and can write its own path), then run the ingest again: it "
                "completes whatever this run left unfinished."
            ) from exc

    functools.update_wrapper(wrapper, method)
    return wrapper


class ArticleIndex:
    """The chunk collection and its source manifest, read and written together."""

    def __init__(
        self, client: ClientAPI, name: str, profile: IndexProfile, where: str = "?"
    ) -> None:
        self._client = client
        self.name = name
        self.profile = profile
        # The store's path or server address, for error messages.
        self.where = where
        self._chunks: Collection | None = None
        self._sources: Collection | None = None
        # Absent in stores written before it (their texts are the sources' documents).
        self._texts: Collection | None = None

    # -- opening -----------------------------------------------------------------------

    def _get(self, name: str) -> Collection | None:
        try:
            return self._client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise Unavailable(f"Chroma failed to open collection {name!r}: {exc}") from exc

    @_writes
    def _create(self) -> Collection:
        return self._client.get_or_create_collection(
            self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=self.profile.to_metadata(),
        )

    @_writes
    def _create_sources(self) -> Collection:
        return self._client.get_or_create_collection(
            sources_collection_name(self.name), embedding_function=None
        )

    @_writes
    def _create_texts(self) -> Collection:
        return self._client.get_or_create_collection(
            texts_collection_name(self.name), embedding_function=None
        )

    def exists(self) -> bool:
        return self._get(self.name) is not None

    def open(self, *, create: bool) -> bool:
        """Bind the collections; False when absent and not created. Checks the profile."""
        chunks = self._get(self.name)
        if chunks is None:
            if not create:
                self._chunks = self._sources = self._texts = None
                return False
            chunks = self._create()
        diffs = self.profile.differences(dict(chunks.metadata or {}))
        if diffs:
            raise ConfigurationError(
                f"Collection {self.name!r} was built with other settings ("
                + "; ".join(diffs)
                + "). Re-ingest with `python -m ingest PATH --full`, or restore the settings."
            )
        sources_name = sources_collection_name(self.name)
        # Readers must not write: only `create=True` (the ingest job) may add the manifest.
        sources = self._create_sources() if create else self._get(sources_name)
        if sources is None:
            self._chunks = self._sources = self._texts = None
            return False
        self._chunks, self._sources = chunks, sources
        self._texts = (
            self._create_texts() if create else self._get(texts_collection_name(self.name))
        )
        return True

    @property
    def generation(self) -> int | None:
        """Bumped by every ingest run that changed something; readers reload on change.
        None while the collection does not exist."""
        chunks = self._get(self.name)
        if chunks is None:
            return None
        return int((chunks.metadata or {}).get(CollectionKey.GENERATION, 0))

    @_writes
    def bump_generation(self) -> None:
        """Publish the chunks written since the last bump (and end `begin_writing`)."""
        chunks, _ = self._require()
        metadata = dict(chunks.metadata or {})
        metadata[CollectionKey.GENERATION] = int(metadata.get(CollectionKey.GENERATION, 0)) + 1
        metadata[CollectionKey.WRITING] = 0
        chunks.modify(metadata=metadata)

    @property
    def writing(self) -> bool:
        """An ingest run changed chunks and did not publish them (it may have been killed)."""
        chunks, _ = self._require()
        return bool((chunks.metadata or {}).get(CollectionKey.WRITING, 0))

    @_writes
    def set_writing(self, writing: bool) -> None:
        chunks, _ = self._require()
        metadata = dict(chunks.metadata or {})
        if bool(metadata.get(CollectionKey.WRITING, 0)) != writing:
            metadata[CollectionKey.WRITING] = int(writing)
            chunks.modify(metadata=metadata)

    @_writes
    def drop(self) -> None:
        names = (self.name, sources_collection_name(self.name), texts_collection_name(self.name))
        for name in names:
            if self._get(name) is not None:
                self._client.delete_collection(name)
        self._chunks = self._sources = self._texts = None

    def heartbeat(self) -> None:
        """Raise `Unavailable` if the store does not answer."""
        try:
            self._client.heartbeat()
        except Exception as exc:
            raise Unavailable(f"Chroma does not answer: {exc}") from exc

    @property
    def collection_id(self) -> str:
        """Chroma's id of the chunk collection: a `--full` run creates a new one."""
        chunks, _ = self._require()
        return str(chunks.id)

    @property
    def is_open(self) -> bool:
        return self._chunks is not None

    def _require(self) -> tuple[Collection, Collection]:
        if self._chunks is None or self._sources is None:
            raise Unavailable(
                f"Collection {self.name!r} does not exist yet: run `python -m ingest PATH`."
            )
        return self._chunks, self._sources

    # -- collection metadata -----------------------------------------------------------

    @property
    def folder(self) -> str | None:
        chunks, _ = self._require()
        value = (chunks.metadata or {}).get(CollectionKey.FOLDER)
        return str(value) if value is not None else None

    @property
    def sentences_version(self) -> int | None:
        return self._version(CollectionKey.SENTENCES_VERSION)

    @property
    def annotations_version(self) -> int | None:
        return self._version(CollectionKey.ANNOTATIONS_VERSION)

    def _version(self, key: str) -> int | None:
        chunks, _ = self._require()
        value = (chunks.metadata or {}).get(key)
        return int(str(value)) if value is not None else None

    def set_sentences_version(self, version: int) -> None:
        self._set_version(CollectionKey.SENTENCES_VERSION, version)

    def set_annotations_version(self, version: int) -> None:
        self._set_version(CollectionKey.ANNOTATIONS_VERSION, version)

    @_writes
    def _set_version(self, key: str, version: int) -> None:
        chunks, _ = self._require()
        metadata = dict(chunks.metadata or {})
        metadata[key] = version
        chunks.modify(metadata=metadata)

    def backfill_sentences(self, version: int, encode: Callable[[str], str]) -> int:
        """Store `encode(text)` with every chunk whose stored spans are not of `version`:
        a metadata update, no re-embedding. Returns the number of chunks updated."""
        prefix = f"{version}:"
        updated = self._backfill(
            ChunkKey.SENTENCES,
            lambda chunk: not (chunk.sentences or "").startswith(prefix),
            lambda stale: [encode(chunk.text) for chunk in stale],
        )
        self.set_sentences_version(version)
        return updated

    def backfill_annotations(
        self, version: int, encode: Callable[[Sequence[Chunk]], Sequence[str]]
    ) -> int:
        """Store `encode(chunks)` (one annotation each) with every chunk whose stored
        annotations are not of `version`: a metadata update, no re-embedding. Returns the
        number of chunks updated."""
        prefix = f"{version}:"
        updated = self._backfill(
            ChunkKey.ANNOTATIONS,
            lambda chunk: not (chunk.annotations or "").startswith(prefix),
            encode,
        )
        self.set_annotations_version(version)
        return updated

    def _backfill(
        self,
        key: str,
        stale: Callable[[Chunk], bool],
        encode: Callable[[Sequence[Chunk]], Sequence[str]],
    ) -> int:
        """The stale chunks are all found before the first update, so that no update
        can move a record within the paging; their old annotations are not kept."""
        found = [replace(c, annotations=None) for c in self.all_chunks() if stale(c)]
        for begin in range(0, len(found), _PAGE):
            part = found[begin : begin + _PAGE]
            self._update_key(key, part, encode(part))
        return len(found)

    @_writes
    def _update_key(self, key: str, part: Sequence[Chunk], values: Sequence[str]) -> None:
        chunks, _ = self._require()
        # Chroma merges metadata on update: only this key changes.
        chunks.update(ids=[c.id for c in part], metadatas=[{key: v} for v in values])

    @_writes
    def set_folder(self, folder: str) -> None:
        chunks, _ = self._require()
        metadata = dict(chunks.metadata or {})
        metadata[CollectionKey.FOLDER] = folder
        chunks.modify(metadata=metadata)

    # -- manifest ----------------------------------------------------------------------

    def manifest(self) -> dict[str, SourceRecord]:
        _, sources = self._require()
        records: dict[str, SourceRecord] = {}
        for meta in _paged_metadatas(sources):
            record = SourceRecord.from_metadata(meta)
            records[record.source] = record
        return records

    def entries(self, sources_: Sequence[str]) -> dict[str, SourceRecord]:
        """The manifest entries of these sources that exist."""
        _, sources = self._require()
        records: dict[str, SourceRecord] = {}
        for begin in range(0, len(sources_), _PAGE):
            ids = [source_id(s) for s in sources_[begin : begin + _PAGE]]
            got = sources.get(ids=ids, include=["metadatas"])
            for meta in _present(got["metadatas"]):
                record = SourceRecord.from_metadata(meta)
                records[record.source] = record
        return records

    def source_text(self, source: str) -> str | None:
        _, sources = self._require()
        ids = [source_id(source)]
        if self._texts is not None:
            got = self._texts.get(ids=ids, include=["metadatas"])
            for meta in got.get("metadatas") or []:
                text = (meta or {}).get(SourceKey.TEXT)
                if text is not None:
                    return str(text)
        # A store written before the texts had a collection of their own.
        got = sources.get(ids=ids, include=["documents"])
        docs = got.get("documents") or []
        return str(docs[0]) if docs and docs[0] is not None else None

    @_writes
    def begin_sources(self, records: Sequence[SourceRecord], texts: Sequence[str]) -> None:
        """Write manifest entries (state PENDING), with their articles' texts, before any
        of their chunks are written."""
        _, sources = self._require()
        if self._texts is None:
            self._texts = self._create_texts()
        ids = [source_id(r.source) for r in records]
        # Chroma needs a vector per record; neither is ever searched by vector.
        zeros = np.zeros((len(records), 1), dtype=np.float32)
        self._texts.upsert(
            ids=ids, embeddings=zeros, metadatas=[{SourceKey.TEXT: t} for t in texts]
        )
        sources.upsert(ids=ids, embeddings=zeros, metadatas=[r.metadata() for r in records])

    @_writes
    def finish_sources(self, records: Sequence[SourceRecord]) -> None:
        _, sources = self._require()
        sources.update(
            ids=[source_id(r.source) for r in records], metadatas=[r.metadata() for r in records]
        )

    @_writes
    def mark_done(self, sources_: Sequence[str]) -> None:
        """Flip entries written by `begin_sources` to DONE. Chroma merges metadata on
        update, so only the state is sent: a third of the cost of rewriting the entries."""
        _, sources = self._require()
        sources.update(
            ids=[source_id(s) for s in sources_],
            metadatas=[{SourceKey.STATE: SourceState.DONE} for _ in sources_],
        )

    @_writes
    def delete_source(self, record: SourceRecord) -> None:
        chunks, sources = self._require()
        # PENDING first: if this is interrupted and the file comes back unchanged, the next
        # run sees PENDING and re-indexes it instead of trusting a half-deleted entry.
        self.finish_sources([replace(record, state=SourceState.PENDING)])
        chunks.delete(where={ChunkKey.SOURCE: record.source})
        if self._texts is not None:
            self._texts.delete(ids=[source_id(record.source)])
        sources.delete(ids=[source_id(record.source)])

    # -- chunks ------------------------------------------------------------------------

    @_writes
    def upsert_chunks(self, chunks_: Sequence[Chunk], vectors: Vectors) -> None:
        chunks, _ = self._require()
        for begin in range(0, len(chunks_), _PAGE):
            part = chunks_[begin : begin + _PAGE]
            chunks.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[begin : begin + _PAGE],
                metadatas=[c.metadata() for c in part],
            )

    @_writes
    def delete_stale_chunks(self, sources_: Sequence[str], keep_ids: set[str]) -> int:
        """Delete the chunks of these sources whose ids are not in `keep_ids`."""
        chunks, _ = self._require()
        stale: list[str] = []
        for begin in range(0, len(sources_), _PAGE):
            where = _where({ChunkKey.SOURCE: {"$in": list(sources_[begin : begin + _PAGE])}})
            got = chunks.get(where=where, include=[])
            stale.extend(i for i in got["ids"] if i not in keep_ids)
        for begin in range(0, len(stale), _PAGE):
            chunks.delete(ids=stale[begin : begin + _PAGE])
        return len(stale)

    def all_chunks(self) -> Iterator[Chunk]:
        chunks, _ = self._require()
        offset = 0
        while True:
            got = chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield from _chunks_of(got)
            offset += len(got["ids"])

    def count(self) -> int:
        chunks, _ = self._require()
        return int(chunks.count())

    def warm(self) -> None:
        """Load the vector index now (Chroma loads it on the first search), not on the
        first request; nothing to do before the collection exists."""
        if self._chunks is None or not self.count():
            return
        vector = np.full((1, self.profile.dimensions), self.profile.dimensions**-0.5)
        self._chunks.query(query_embeddings=vector.astype(np.float32), n_results=1, include=[])

    def query(
        self, vector: Sequence[float], k: int, where: Where | None = None
    ) -> list[ChunkMatch]:
        """The `k` nearest chunks that still exist.

        An embedded client searches the vector index it loaded, while the records come
        from SQLite, which another process (an ingest run) may have changed since: a
        record deleted there comes back without document and metadata. Such a chunk is
        gone, so it is skipped, and the search asks for more until `k` are found or the
        collection has no more (docs/concurrency.md)."""
        chunks, _ = self._require()
        vectors = np.asarray([vector], dtype=np.float32)
        want = k
        for _ in range(_VANISHED_RETRIES):
            got = chunks.query(
                query_embeddings=vectors,
                n_results=want,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            ids = got["ids"][0]
            matches: list[ChunkMatch] = []
            for rid, doc, meta, dist in zip(
                ids,
                _present(got["documents"])[0],
                _present(got["metadatas"])[0],
                _present(got["distances"])[0],
                strict=True,
            ):
                if meta is None:
                    continue
                # Cosine distance in [0, 2]: 1 - distance is the cosine similarity.
                matches.append(ChunkMatch(Chunk.from_record(rid, doc, meta), 1.0 - float(dist)))
            vanished = len(ids) - len(matches)
            if vanished == 0 or len(ids) < want or len(matches) >= k:
                break
            want = k + 2 * (want - len(matches))
        return matches[:k]

    def neighbours(self, chunk: Chunk, window: int) -> list[Chunk]:
        """The chunks up to `window` positions before and after `chunk` in its article."""
        chunks, _ = self._require()
        got = chunks.get(
            where=_where(
                {
                    "$and": [
                        {ChunkKey.SOURCE: chunk.source},
                        {ChunkKey.CHUNK_INDEX: {"$gte": chunk.chunk_index - window}},
                        {ChunkKey.CHUNK_INDEX: {"$lte": chunk.chunk_index + window}},
                    ]
                }
            ),
            include=["documents", "metadatas"],
        )
        return sorted(_chunks_of(got), key=lambda c: c.chunk_index)

    def nearest(
        self, vector: Sequence[float], k: int, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """The ids of the `k` nearest chunks with their cosine similarity, best first,
        without their records: reading documents and metadata costs more than the search,
        so the caller reads (`fetch`) only those it keeps. With an embedded client a chunk
        deleted since the vector index was loaded can be among them; `fetch` leaves it out."""
        chunks, _ = self._require()
        got = chunks.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=k,
            where=where,
            include=["distances"],
        )
        distances = _present(got["distances"])[0]
        # Cosine distance in [0, 2]: 1 - distance is the cosine similarity.
        return [(rid, 1.0 - float(d)) for rid, d in zip(got["ids"][0], distances, strict=True)]

    def fetch(
        self,
        ids: Sequence[str],
        vector: Sequence[float],
        known: Mapping[str, float] | None = None,
    ) -> dict[str, ChunkMatch]:
        """The chunks with these ids that still exist, in one read, with their cosine
        similarity to `vector`: the one in `known` (from the search that found them) or
        else computed from the stored vector (stored vectors are unit length)."""
        if not ids:
            return {}
        chunks, _ = self._require()
        known = known or {}
        # Stored vectors are read only when a similarity is missing: they cost more to
        # read than the documents.
        vectors = any(i not in known for i in ids)
        got = chunks.get(
            ids=list(ids),
            include=["documents", "metadatas", "embeddings"]
            if vectors
            else ["documents", "metadatas"],
        )
        query = np.asarray(vector, dtype=np.float32)
        stored: list[Any] = list(_present(got["embeddings"])) if vectors else [None] * len(ids)
        out: dict[str, ChunkMatch] = {}
        for rid, doc, meta, row in zip(
            got["ids"], _present(got["documents"]), _present(got["metadatas"]), stored, strict=False
        ):
            similarity = known.get(rid)
            if similarity is None:
                similarity = float(np.dot(np.asarray(row, dtype=np.float32), query))
            out[rid] = ChunkMatch(Chunk.from_record(rid, doc, meta), similarity)
        return out


def _paged_metadatas(collection: Collection) -> Iterator[Metadata]:
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        if not got["ids"]:
            return
        yield from _present(got["metadatas"])
        offset += len(got["ids"])


def _where(clause: dict[str, Any]) -> Where:
    # Chroma types `where` as nested Literal-keyed dicts that literals cannot be inferred as.
    return cast("Where", clause)


def _present(value: _T | None) -> _T:
    """A field of a Chroma result that the call's `include` asked for."""
    if value is None:
        raise Unavailable("Chroma returned a result without a requested field.")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _chunks_of(got: GetResult) -> list[Chunk]:
    return [
        Chunk.from_record(rid, doc, meta)
        for rid, doc, meta in zip(
            got["ids"], _present(got["documents"]), _present(got["metadatas"]), strict=True
        )
    ]


def _is_not_found(exc: Exception) -> bool:
    name = type(exc).__name__
    return name in {"NotFoundError", "InvalidCollectionException"} or "does not exist" in str(exc)


def build_index(
    settings: Settings, embedder: Embedder, client: ClientAPI | None = None
) -> ArticleIndex:
    """The index named by the settings, profiled by the embedder and chunking in use."""
    profile = IndexProfile(
        embedder=embedder.identity,
        dimensions=embedder.dimensions,
        chunk_size=settings.chunk.size,
        chunk_overlap=settings.chunk.overlap,
    )
    chroma = settings.chroma
    where = f"{chroma.host}:{chroma.port}" if chroma.host else str(chroma.path)
    return ArticleIndex(client or build_client(chroma), settings.collection, profile, where=where)

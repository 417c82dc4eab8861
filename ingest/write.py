"""The write step: execute an ingest plan against the index, crash-safely.

Write order per group of files (so embedding and Chroma calls are batched):
1. manifest entries upserted with state PENDING (with the new sha256 and article text);
2. chunk records upserted (ids derived from source, position and content);
3. chunks of those sources that are not in the new set deleted;
4. manifest entries flipped to DONE.
A file is skipped only when its manifest entry is DONE with the same sha256, so a run
killed anywhere leaves PENDING entries (or none) that the next run redoes; upserts with
stable ids make redoing idempotent. A near-duplicate copy goes through the same order with
no chunks. Then the manifest-only refreshes are written (each entry one atomic update), and
each removal marks the entry PENDING, deletes the chunks, then the entry. When anything
changed, the lexical index of the next generation is saved (ingest/lexical.py) and then
the generation is bumped, so readers reload.

A checkpoint callback is called after each of these steps; the entry point may inject one
(tests kill the process there), by default it does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, TypeVar, get_args

from ingest.lexical import LexicalPublisher
from ingest.manifest_cache import ManifestCache
from ingest.plan import Failure, IngestPlan, Reader, Write
from ingest.prepare import Item, Prepared, Preparer, annotate_chunks, config_of
from ingest.reader import Article, UnreadableFile
from service.core.embedder import Embedder
from service.core.schema import SourceState
from service.core.store import ArticleIndex, SourceRecord
from service.evidence.annotate import ANNOTATION_VERSION
from service.evidence.sentences import SPLITTER_VERSION, encode_spans, sentence_spans
from service.settings import Settings

Checkpoint = Literal["begun", "upserted", "pruned", "finished", "removed"]
CHECKPOINTS: tuple[Checkpoint, ...] = get_args(Checkpoint)
CheckpointHook = Callable[[Checkpoint], None]
_T = TypeVar("_T")


def no_checkpoint(name: Checkpoint) -> None:
    """The default checkpoint: nothing happens between the write steps."""


@dataclass(frozen=True)
class WriteResult:
    """What the write step did (in a dry run: would do) beyond what the plan says."""

    # Writes that failed here (a file changed since it was read, or cannot be chunked).
    failures: tuple[Failure, ...] = ()
    # In a dry run: the chunks that would be written.
    chunks_written: int = 0
    chunks_deleted: int = 0
    embedded_texts: int = 0
    tokens: int = 0
    # Time spent waiting on the embedder, so that a run's rate can be told apart from it.
    embedding_seconds: float = 0.0

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            failures=self.failures + other.failures,
            chunks_written=self.chunks_written + other.chunks_written,
            chunks_deleted=self.chunks_deleted + other.chunks_deleted,
            embedded_texts=self.embedded_texts + other.embedded_texts,
            tokens=self.tokens + other.tokens,
            embedding_seconds=self.embedding_seconds + other.embedding_seconds,
        )

    @property
    def dropped(self) -> frozenset[str]:
        """The sources whose writes failed here."""
        return frozenset(f.source for f in self.failures)


def backfill_sentences(index: ArticleIndex) -> int:
    """Give every chunk the spans of the current sentence splitter (a metadata update,
    no re-embedding): once after the splitter's version changed, then never again."""
    if index.sentences_version == SPLITTER_VERSION:
        return 0
    return index.backfill_sentences(
        SPLITTER_VERSION, lambda text: encode_spans(sentence_spans(text))
    )


def backfill_annotations(index: ArticleIndex, processes: int) -> int:
    """Give every chunk what the current language pipeline and annotation format read
    in its sentences (a metadata update, no re-embedding): once after the format's
    version changed, or annotation was switched on, then never again. Until then the
    answer checks read such chunks as unannotated."""
    if index.annotations_version == ANNOTATION_VERSION:
        return 0
    return index.backfill_annotations(
        ANNOTATION_VERSION, lambda chunks: annotate_chunks(chunks, processes)
    )


def _groups(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


class PlanWriter:
    """Executes plans against one index with one embedder."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: ArticleIndex,
        checkpoint: CheckpointHook = no_checkpoint,
        lexical: LexicalPublisher | None = None,
        cache: ManifestCache | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._index = index
        self._checkpoint = checkpoint
        self._lexical = lexical
        self._cache = cache
        # The entries this run wrote as DONE, for the saved manifest.
        self._stored: dict[str, SourceRecord] = {}

    def write(
        self,
        plan: IngestPlan,
        read: Reader,
        *,
        dry_run: bool,
        advance: Callable[[int], None] = lambda files: None,
        manifest: Mapping[str, SourceRecord] | None = None,
        preparer: Preparer | None = None,
    ) -> WriteResult:
        """Read, chunk and (unless `dry_run`) write the plan; `advance` counts files done.

        `manifest` is the one the plan was made from; with it the manifest this run
        leaves is saved for the next run (ingest/manifest_cache.py). `preparer` does the
        per-file work (ingest/prepare.py; default: here, with `read` and the embedder's
        token count)."""
        result = WriteResult()
        self._stored = {}
        lexical = self._lexical
        if lexical is not None:
            lexical.reset()
        # A run killed after changing chunks left them unpublished: this run publishes them.
        recovering = not dry_run and self._index.is_open and self._index.writing
        work = plan.writes or plan.removals or plan.refreshes or recovering
        if lexical is not None and not dry_run and work:
            lexical.begin()
        groups = list(_groups(plan.writes, self._settings.ingest.group_files))
        if preparer is None:
            # In this process: `read` knows the folder.
            window = self._embedder.max_tokens
            config = config_of(self._settings, Path(), window, annotate=not dry_run)
            preparer = Preparer(
                config,
                read,
                self._embedder.count_tokens,
                nlp_processes=self._settings.ingest.nlp_processes,
            )
        done = preparer.groups([self._items(g) for g in groups], len(plan.writes))
        for group, got in zip(groups, done, strict=True):
            prepared = got.prepared
            result += WriteResult(
                failures=got.failures,
                chunks_written=sum(len(p.chunks) for p in prepared),
                tokens=sum(c.tokens for p in prepared for c in p.chunks),
            )
            if prepared and not dry_run:
                result += self._store(prepared)
            advance(len(group))
        if dry_run:
            return result
        index = self._index
        if plan.refreshes:
            index.finish_sources([r.record for r in plan.refreshes])
        for record in plan.removals:
            if lexical is not None:
                lexical.removed(record.source)
            index.delete_source(record)
            self._checkpoint("removed")
        backfill_sentences(index)
        if self._settings.ingest.annotate:
            backfill_annotations(index, self._settings.ingest.nlp_processes)
        elif result.chunks_written:
            # Chunks without annotations: a run that annotates again gives them theirs.
            index.set_annotations_version(0)
        counts = plan.counts(dropped=result.dropped)
        generation = index.generation or 0
        # Readers reload on a new generation; a signature added to an entry is not theirs.
        if counts.added or counts.updated or counts.removed or recovering:
            if lexical is not None:
                lexical.publish()
            index.bump_generation()
            # After the bump, so that readers see the change without waiting for these;
            # an interruption in between leaves a copy of the manifest of the older
            # generation, which the next run does not trust, and older lexical indexes,
            # which the next run removes.
            self._save_manifest(manifest, plan, generation + 1)
            if lexical is not None:
                lexical.published()
        else:
            if lexical is not None:
                lexical.abandon()
            if not index.writing:
                self._save_manifest(manifest, plan, generation)
        return result

    def _save_manifest(
        self, manifest: Mapping[str, SourceRecord] | None, plan: IngestPlan, generation: int
    ) -> None:
        """Save the manifest this run leaves, as the collection's at `generation`."""
        if self._cache is None or manifest is None:
            return
        final = dict(manifest)
        for record in plan.removals:
            final.pop(record.source, None)
        for refresh in plan.refreshes:
            final[refresh.record.source] = refresh.record
        final.update(self._stored)
        self._cache.save(self._index, final, generation)

    def _items(self, group: Sequence[Write]) -> Callable[[], list[Item]]:
        """The group's writes, with the stored text of those whose text is the stored one
        (read from the index here, when the group is sent: workers have no index)."""

        def items() -> list[Item]:
            return [(w, self._stored_article(w) if w.stored_text else None) for w in group]

        return items

    def _stored_article(self, write: Write) -> Article | UnreadableFile:
        known = write.known
        text = self._index.source_text(write.source) if known else None
        if known is None or text is None:
            return UnreadableFile("its stored text is missing; re-save the file to index it")
        return Article(
            source=write.source,
            text=text,
            title=known.title,
            published=known.published,
            url=known.url,
            sha256=known.sha256,
        )

    def _store(self, prepared: Sequence[Prepared]) -> WriteResult:
        """Write one group in the crash-safe order; returns the embedding and pruning work."""
        chunks = [c for p in prepared for c in p.chunks]
        embedding = time.perf_counter()
        vectors = self._embedder.embed([c.text for c in chunks])
        embedding = time.perf_counter() - embedding
        records = [
            SourceRecord(
                source=p.article.source,
                sha256=p.article.sha256,
                title=p.article.title,
                published=p.article.published,
                url=p.article.url,
                chunks=len(p.chunks),
                state=SourceState.PENDING,
                duplicate_of=p.write.duplicate_of,
                minhash=p.write.minhash,
                stat=p.write.stat,
            )
            for p in prepared
        ]
        index = self._index
        index.begin_sources(records, [p.article.text for p in prepared])
        self._checkpoint("begun")
        index.upsert_chunks(chunks, vectors)
        self._checkpoint("upserted")
        redo = [p.article.source for p in prepared if not p.write.is_new]
        deleted = index.delete_stale_chunks(redo, {c.id for c in chunks}) if redo else 0
        self._checkpoint("pruned")
        index.mark_done([r.source for r in records])
        done = [replace(r, state=SourceState.DONE) for r in records]
        self._stored.update((r.source, r) for r in done)
        if self._lexical is not None:
            self._lexical.written([r.source for r in records], chunks)
        self._checkpoint("finished")
        return WriteResult(
            chunks_deleted=deleted, embedded_texts=len(chunks), embedding_seconds=embedding
        )

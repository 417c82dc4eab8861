"""The ingest job: make a collection mirror a folder, incrementally and crash-safely.

Write order per file (in groups, so embedding and Chroma calls are batched):
1. manifest entry upserted with state PENDING (with the new sha256 and article text);
2. chunk records upserted (ids derived from source, position and content);
3. chunks of the source that are not in the new set deleted;
4. manifest entry flipped to DONE.
A file is skipped only when its manifest entry is DONE with the same sha256, so a run
killed anywhere leaves PENDING entries (or none) that the next run redoes; upserts with
stable ids make redoing idempotent. Removal marks the entry PENDING, deletes the chunks,
then the entry.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.chunker import ChunkingError, chunk_text
from ingest.reader import Article, UnreadableFile, discover, read_article, source_name
from service.core.embedder import Embedder
from service.core.schema import SourceState, chunk_id
from service.core.store import ArticleIndex, Chunk, SourceRecord
from service.settings import Settings

# Test hook: `RAG_TEST_KILL_AT=<checkpoint>:<n>` SIGKILLs this process at the n-th pass of
# a checkpoint, so tests can crash a real ingest at exact points of the write order.
_KILL_AT_ENV = "RAG_TEST_KILL_AT"
_passes: dict[str, int] = {}


def _checkpoint(name: str) -> None:
    wanted = os.environ.get(_KILL_AT_ENV)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


class IngestUsageError(Exception):
    """The command cannot run as asked; the message says what to do instead."""


@dataclass
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_written: int = 0
    chunks_deleted: int = 0
    embedded_texts: int = 0
    tokens: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        prefix = "dry run (nothing written): " if self.dry_run else ""
        chunks = "chunks to write" if self.dry_run else "chunks written"
        return (
            f"{prefix}{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed; {self.chunks_written} {chunks}; "
            f"{self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class _Planned:
    article: Article
    chunks: list[Chunk]
    is_new: bool


def _groups(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


class IngestJob:
    """Builds nothing itself: the embedder and the index come from the caller."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: ArticleIndex,
        console: Console | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._index = index
        self._console = console or Console(stderr=True)

    def run(
        self,
        folder: Path,
        *,
        full: bool = False,
        replace: bool = False,
        dry_run: bool = False,
    ) -> Summary:
        started = time.perf_counter()
        folder = folder.resolve()
        if not folder.is_dir():
            raise IngestUsageError(f"{folder} is not a folder: pass the folder of articles.")
        summary = Summary(dry_run=dry_run)
        index = self._index
        if full and not dry_run:
            index.drop()
        opened = index.open(create=not dry_run) if not (full and dry_run) else False
        if opened:
            mirrored = index.folder
            if mirrored is not None and mirrored != str(folder) and not replace:
                raise IngestUsageError(
                    f"Collection {index.name!r} mirrors {mirrored}, not {folder}. Ingesting "
                    "it would remove the articles of that folder from the index. Pass "
                    "--replace to make the collection mirror this folder instead, or use "
                    "--collection NAME to build a separate index."
                )
            if not dry_run and mirrored != str(folder):
                index.set_folder(str(folder))
        manifest = index.manifest() if opened else {}

        files, skipped = discover(folder)
        summary.skipped = [source_name(folder, p) for p in skipped]
        present = {source_name(folder, p) for p in files}

        with self._progress(len(files)) as progress:
            task = progress.add_task("ingest", total=len(files))
            for group in _groups(files, self._settings.ingest.group_files):
                planned = self._plan(folder, group, manifest, summary)
                if planned:
                    self._write(planned, summary, dry_run=dry_run)
                progress.advance(task, len(group))

        for source, record in sorted(manifest.items()):
            if source not in present:
                if not dry_run:
                    index.delete_source(record)
                    _checkpoint("removed")
                summary.removed += 1
        if not dry_run and (summary.added or summary.updated or summary.removed):
            index.bump_generation()
        summary.seconds = time.perf_counter() - started
        return summary

    def _progress(self, total: int) -> Progress:
        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
            disable=not self._console.is_terminal or total == 0,
        )

    def _plan(
        self,
        folder: Path,
        paths: Sequence[Path],
        manifest: dict[str, SourceRecord],
        summary: Summary,
    ) -> list[_Planned]:
        planned: list[_Planned] = []
        chunking = self._settings.chunk
        for path in paths:
            source = source_name(folder, path)
            try:
                article = read_article(folder, path, self._settings.ingest.max_file_bytes)
                known = manifest.get(source)
                if known and known.sha256 == article.sha256 and known.state == SourceState.DONE:
                    summary.unchanged += 1
                    continue
                pieces = chunk_text(
                    article.text,
                    chunking.size,
                    chunking.overlap,
                    self._embedder.max_tokens,
                    self._embedder.count_tokens,
                )
            except (OSError, UnreadableFile, ChunkingError) as exc:
                # A failed file keeps whatever version of it is already indexed.
                summary.failed += 1
                summary.failures.append((source, str(exc)))
                continue
            chunks = [
                Chunk(
                    id=chunk_id(source, piece.start, piece.text),
                    text=piece.text,
                    source=source,
                    start=piece.start,
                    end=piece.end,
                    chunk_index=i,
                    title=article.title,
                    published=article.published,
                    url=article.url,
                    file_sha256=article.sha256,
                    tokens=piece.tokens,
                )
                for i, piece in enumerate(pieces)
            ]
            planned.append(_Planned(article, chunks, is_new=known is None))
        return planned

    def _write(self, planned: list[_Planned], summary: Summary, *, dry_run: bool) -> None:
        chunks = [c for p in planned for c in p.chunks]
        for p in planned:
            if p.is_new:
                summary.added += 1
            else:
                summary.updated += 1
        summary.chunks_written += len(chunks)
        summary.tokens += sum(c.tokens for c in chunks)
        if dry_run:
            return
        vectors = self._embedder.embed([c.text for c in chunks])
        summary.embedded_texts += len(chunks)
        records = [
            SourceRecord(
                source=p.article.source,
                sha256=p.article.sha256,
                title=p.article.title,
                published=p.article.published,
                url=p.article.url,
                chunks=len(p.chunks),
                state=SourceState.PENDING,
            )
            for p in planned
        ]
        index = self._index
        index.begin_sources(records, [p.article.text for p in planned])
        _checkpoint("begun")
        index.upsert_chunks(chunks, vectors)
        _checkpoint("upserted")
        redo = [p.article.source for p in planned if not p.is_new]
        if redo:
            summary.chunks_deleted += index.delete_stale_chunks(redo, {c.id for c in chunks})
        _checkpoint("pruned")
        index.finish_sources([replace(r, state=SourceState.DONE) for r in records])
        _checkpoint("finished")

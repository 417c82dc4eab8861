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

Near-duplicates (ingest/dedupe.py): every file read gets a MinHash signature, kept in its
manifest entry. Before anything is written, the new and changed files (and the copies
recorded earlier) are decided canonical or copy against the canonical articles already
indexed. A copy goes through the same write order with no chunks: its entry names the
canonical (`duplicate_of`), so it is listed but never retrieved or cited.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.chunker import ChunkingError, chunk_text
from ingest.dedupe import Candidate, Signature, assign, decode, encode, signature
from ingest.reader import Article, UnreadableFile, discover, read_article, source_name
from service.core.embedder import Embedder
from service.core.schema import SourceState, chunk_id
from service.core.store import ArticleIndex, Chunk, SourceRecord
from service.settings import Settings

# Test hook: `RAG_TEST_KILL_AT=<checkpoint>:<n>` SIGKILLs this process at the n-th pass of
# a checkpoint, so tests can crash a real ingest at exact points of the write order.
_KILL_AT_ENV = "RAG_TEST_KILL_AT"
_passes: dict[str, int] = {}
_T = TypeVar("_T")


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
    # Files this run recorded as near-duplicate copies (also counted as added/updated).
    duplicates: int = 0
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
        duplicates = ""
        if self.duplicates:
            noun = "duplicate" if self.duplicates == 1 else "duplicates"
            duplicates = f"; {self.duplicates} {noun} not indexed"
        return (
            f"{prefix}{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed; {self.chunks_written} {chunks}"
            f"{duplicates}; {self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class _Scanned:
    """A new or changed file: what the canonical choice needs (not its text)."""

    source: str
    path: Path
    sha256: str
    published: str | None
    signature: Signature
    known: SourceRecord | None


@dataclass(frozen=True)
class _Pending:
    """A file to write in this run, already decided canonical or copy."""

    source: str
    # None: an unchanged copy becoming canonical; its text is the one stored in the manifest.
    path: Path | None
    sha256: str
    minhash: str
    duplicate_of: str | None
    known: SourceRecord | None


@dataclass(frozen=True)
class _Planned:
    article: Article
    chunks: list[Chunk]
    is_new: bool
    duplicate_of: str | None
    minhash: str


def _groups(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
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
            reading = progress.add_task("read", total=len(files))
            changed, signatures, refresh = self._scan(
                folder, files, manifest, summary, lambda: progress.advance(reading)
            )
            work = self._decide(manifest, present, changed, signatures, refresh, summary)
            task = progress.add_task("ingest", total=len(work))
            for group in _groups(work, self._settings.ingest.group_files):
                planned = self._plan(folder, group, summary)
                if planned:
                    self._write(planned, summary, dry_run=dry_run)
                progress.advance(task, len(group))
        if refresh and not dry_run:
            # Manifest-only changes: signatures of entries written before they were kept,
            # and copies whose canonical changed to another one. Each is one atomic update.
            index.finish_sources([refresh[source] for source in sorted(refresh)])

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

    def _scan(
        self,
        folder: Path,
        files: Sequence[Path],
        manifest: dict[str, SourceRecord],
        summary: Summary,
        advance: Callable[[], None],
    ) -> tuple[list[_Scanned], dict[str, Signature], dict[str, SourceRecord]]:
        """Read every file once: the new and changed ones, and the signatures of the others.

        Returns the changed files, the signatures of the unchanged ones, and manifest entries
        to update in place (unchanged entries that had no signature yet).
        """
        changed: list[_Scanned] = []
        signatures: dict[str, Signature] = {}
        refresh: dict[str, SourceRecord] = {}
        for path in files:
            source = source_name(folder, path)
            known = manifest.get(source)
            try:
                article = read_article(folder, path, self._settings.ingest.max_file_bytes)
            except (OSError, UnreadableFile) as exc:
                # A failed file keeps whatever version of it is already indexed.
                summary.failed += 1
                summary.failures.append((source, str(exc)))
                advance()
                continue
            if known and known.sha256 == article.sha256 and known.state == SourceState.DONE:
                summary.unchanged += 1
                values = decode(known.minhash)
                if values is None:  # indexed before signatures were kept
                    values = signature(article.text)
                    refresh[source] = replace(known, minhash=encode(values))
                signatures[source] = values
            else:
                changed.append(
                    _Scanned(
                        source=source,
                        path=path,
                        sha256=article.sha256,
                        published=article.published,
                        signature=signature(article.text),
                        known=known,
                    )
                )
            advance()
        return changed, signatures, refresh

    def _decide(
        self,
        manifest: dict[str, SourceRecord],
        present: set[str],
        changed: list[_Scanned],
        signatures: dict[str, Signature],
        refresh: dict[str, SourceRecord],
        summary: Summary,
    ) -> list[_Pending]:
        """Decide canonical or copy for the changed files and re-evaluate recorded copies.

        Canonical articles that are indexed and untouched by this run stay canonical. A
        recorded copy keeps its canonical while that still matches; otherwise it is copied
        from another canonical (a manifest-only change, added to `refresh`) or becomes
        canonical and is indexed from the text stored in the manifest.
        """
        rescanned = {s.source for s in changed}
        settled: dict[str, Signature] = {}
        copies: dict[str, SourceRecord] = {}
        candidates: list[Candidate] = []
        for source, record in manifest.items():
            if source not in present or source in rescanned or record.state != SourceState.DONE:
                continue
            # An entry whose file failed to read keeps its stored signature.
            values = signatures.get(source)
            if values is None:
                values = decode(record.minhash)
            if values is None:
                continue
            if record.duplicate_of is None:
                settled[source] = values
            else:
                copies[source] = record
                candidates.append(
                    Candidate(source, values, record.published, duplicate_of=record.duplicate_of)
                )
        for scanned in changed:
            known = scanned.known
            candidates.append(
                Candidate(
                    scanned.source,
                    scanned.signature,
                    scanned.published,
                    was_canonical=known is not None and known.duplicate_of is None,
                    duplicate_of=known.duplicate_of if known else None,
                )
            )
        decided = assign(settled, candidates, self._settings.ingest.dedupe_threshold)

        work = [
            _Pending(
                source=s.source,
                path=s.path,
                sha256=s.sha256,
                minhash=encode(s.signature),
                duplicate_of=decided[s.source],
                known=s.known,
            )
            for s in changed
        ]
        for source, record in sorted(copies.items()):
            target = decided[source]
            if target == record.duplicate_of:
                continue
            if source in signatures:  # counted unchanged by the scan; its entry changes now
                summary.unchanged -= 1
            current = refresh.get(source, record)
            if target is None:
                work.append(
                    _Pending(
                        source=source,
                        path=None,
                        sha256=record.sha256,
                        minhash=current.minhash or "",
                        duplicate_of=None,
                        known=current,
                    )
                )
                refresh.pop(source, None)
            else:
                refresh[source] = replace(current, duplicate_of=target)
                summary.updated += 1
                summary.duplicates += 1
        return sorted(work, key=lambda w: w.source)

    def _plan(
        self,
        folder: Path,
        work: Sequence[_Pending],
        summary: Summary,
    ) -> list[_Planned]:
        planned: list[_Planned] = []
        chunking = self._settings.chunk
        for item in work:
            source = item.source
            try:
                article = self._article(folder, item)
                pieces = (
                    []
                    if item.duplicate_of
                    else chunk_text(
                        article.text,
                        chunking.size,
                        chunking.overlap,
                        self._embedder.max_tokens,
                        self._embedder.count_tokens,
                    )
                )
            except (OSError, UnreadableFile, ChunkingError) as exc:
                # A failed file keeps whatever version of it is already indexed.
                summary.failed += 1
                summary.failures.append((source, str(exc)))
                continue
            chunks = [
                Chunk(
                    id=chunk_id(source, article.sha256, piece.start, piece.text),
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
            planned.append(
                _Planned(
                    article,
                    chunks,
                    is_new=item.known is None,
                    duplicate_of=item.duplicate_of,
                    minhash=item.minhash,
                )
            )
        return planned

    def _article(self, folder: Path, item: _Pending) -> Article:
        """The article to write: read again (the scan kept no text) or the stored text."""
        if item.path is not None:
            article = read_article(folder, item.path, self._settings.ingest.max_file_bytes)
            if article.sha256 != item.sha256:
                raise UnreadableFile("changed while being ingested; run the ingest again")
            return article
        known = item.known
        text = self._index.source_text(item.source) if known else None
        if known is None or text is None:
            raise UnreadableFile("its stored text is missing; re-save the file to index it")
        return Article(
            source=item.source,
            text=text,
            title=known.title,
            published=known.published,
            url=known.url,
            sha256=known.sha256,
        )

    def _write(self, planned: list[_Planned], summary: Summary, *, dry_run: bool) -> None:
        chunks = [c for p in planned for c in p.chunks]
        for p in planned:
            if p.is_new:
                summary.added += 1
            else:
                summary.updated += 1
            if p.duplicate_of:
                summary.duplicates += 1
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
                duplicate_of=p.duplicate_of,
                minhash=p.minhash,
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

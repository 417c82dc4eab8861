"""The ingest job: make a collection mirror a folder, incrementally and crash-safely.

A run opens the index, plans, then writes:
- ingest/plan.py decides everything first, from the manifest, the size and modification
  time of every file and one read of each file whose stat differs from its entry: added,
  updated, unchanged, removed, failed to read, and for new and changed files (and the
  copies recorded earlier) canonical or near-duplicate copy (ingest/dedupe.py);
- ingest/write.py executes that plan in the crash-safe write order it documents;
- ingest/summary.py derives the summary from both.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.lexical import LexicalPublisher
from ingest.manifest_cache import ManifestCache
from ingest.plan import Reader, Stat, plan_ingest, to_read
from ingest.prepare import Preparer, config_of, processes_of
from ingest.reader import Article, Listing, discover_sources, read_article
from ingest.summary import Summary, summarise
from ingest.write import CheckpointHook, PlanWriter, no_checkpoint
from service.core.embedder import Embedder
from service.core.schema import SourceState
from service.core.store import ArticleIndex, SourceRecord
from service.evidence.annotate import ANNOTATION_VERSION
from service.evidence.sentences import SPLITTER_VERSION
from service.lexical.store import LexicalStore
from service.settings import Settings

__all__ = ["IngestJob", "IngestUsageError", "Summary"]


class IngestUsageError(Exception):
    """The command cannot run as asked; the message says what to do instead."""


class IngestJob:
    """Builds nothing itself: the embedder and the index come from the caller."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: ArticleIndex,
        console: Console | None = None,
        *,
        checkpoint: CheckpointHook = no_checkpoint,
        watching: bool = False,
    ) -> None:
        """`watching`: the job runs again and again in this process (`--watch`)."""
        self._settings = settings
        self._embedder = embedder
        self._index = index
        self._console = console or Console(stderr=True)
        self._lexical = LexicalPublisher(
            None
            if settings.retrieval.mode == "dense"
            else LexicalStore(settings.lexical_dir, index.name),
            index,
            lambda message: self._console.print(f"[yellow]warning:[/] {message}"),
            background=watching,
        )
        # Beside the lexical indexes: both are derived from the collection, per generation.
        self._cache = ManifestCache(
            settings.lexical_dir / ".manifests", index.name, background=watching
        )
        self._writer = PlanWriter(settings, embedder, index, checkpoint, self._lexical, self._cache)

    def run(
        self,
        folder: Path,
        *,
        full: bool = False,
        replace: bool = False,
        dry_run: bool = False,
        listing: Listing | None = None,
    ) -> Summary:
        """`listing`: the folder as just listed (`list_folder`; a watcher's poll), which
        the run then starts from instead of listing and stat-ing every file again."""
        started = time.perf_counter()
        folder = folder.resolve()
        if not folder.is_dir():
            raise IngestUsageError(f"{folder} is not a folder: pass the folder of articles.")
        manifest, cached = self._manifest(folder, full=full, replace=replace, dry_run=dry_run)
        # One stat per file and run, taken at its first use (before any read): the
        # manifest check, the plan and the scan all compare the same figures.
        stats: dict[str, tuple[int, int]] = {}
        if listing is None:
            sources, skipped = discover_sources(folder)
        else:
            sources = [source for source, _, _ in listing.files]
            skipped = list(listing.skipped)
            stats = {source: (size, mtime) for source, size, mtime in listing.files}
        max_bytes = self._settings.ingest.max_file_bytes

        def read(source: str) -> Article:
            return read_article(folder, folder / source, max_bytes)

        def stat(source: str) -> tuple[int, int]:
            known = stats.get(source)
            if known is None:
                found = os.stat(os.path.join(folder, source))
                known = stats[source] = (found.st_size, found.st_mtime_ns)
            return known

        if cached:
            manifest = self._current(manifest, sources, stat)

        with (
            self._progress(len(sources)) as progress,
            self._preparer(folder, read, dry_run) as prep,
        ):
            reading = progress.add_task("read", total=len(sources))
            scanner = prep.scanner(to_read(manifest, sources, stat))
            plan = plan_ingest(
                manifest,
                sources,
                _advancing(scanner.read, lambda: progress.advance(reading)),
                self._settings.ingest.dedupe_threshold,
                stat,
                scanner.sign,
            )
            writing = progress.add_task("ingest", total=len(plan.writes))
            result = self._writer.write(
                plan,
                read,
                dry_run=dry_run,
                advance=lambda n: progress.advance(writing, n),
                manifest=manifest,
                preparer=prep,
            )
        return summarise(
            plan,
            result,
            skipped=skipped,
            dry_run=dry_run,
            seconds=time.perf_counter() - started,
        )

    def wait(self) -> None:
        """Until what a watching job's last run left to the background (the manifest copy,
        removing older lexical indexes) is done; its next run, and the exit, wait too."""
        self._cache.wait()
        self._lexical.wait()

    def _preparer(self, folder: Path, read: Reader, dry_run: bool) -> Preparer:
        """The per-file work of a run: in worker processes for a large run, unless
        RAG_INGEST_PROCESSES is 1 (ingest/prepare.py)."""
        settings = self._settings
        processes = processes_of(settings)
        # Workers count the embedder's tokens with a counter built from the same settings.
        config = config_of(settings, folder, self._embedder.max_tokens, annotate=not dry_run)
        return Preparer(
            config,
            read,
            self._embedder.count_tokens,
            processes=processes,
            nlp_processes=settings.ingest.nlp_processes,
            pool_from=settings.ingest.pool_min_files,
        )

    def _manifest(
        self, folder: Path, *, full: bool, replace: bool, dry_run: bool
    ) -> tuple[dict[str, SourceRecord], bool]:
        """Open the index for this folder (dropped first by `full`); its manifest, and
        whether it is the saved copy (whose entries of changed files are still to read)."""
        index = self._index
        if full and not dry_run:
            index.drop()
        fresh = not dry_run and not index.exists()
        opened = index.open(create=not dry_run) if not (full and dry_run) else False
        if not opened:
            return {}, False
        if fresh:
            # Every chunk of a new collection is written with current sentence spans,
            # and annotations when the run annotates.
            index.set_sentences_version(SPLITTER_VERSION)
            if self._settings.ingest.annotate:
                index.set_annotations_version(ANNOTATION_VERSION)
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
        saved = self._cache.load(index)
        if saved is not None:
            return saved, True
        return index.manifest(), False

    def _current(
        self, saved: dict[str, SourceRecord], sources: Sequence[str], stat: Stat
    ) -> dict[str, SourceRecord]:
        """The saved manifest with the entries of every file it may not describe read
        from Chroma: new files, files whose stat differs, entries not done, files gone."""
        present = set(sources)
        suspects = [s for s in sources if _differs(saved.get(s), s, stat)]
        suspects += [s for s in saved if s not in present]
        if not suspects:
            return saved
        current = dict(saved)
        read = self._index.entries(suspects)
        for source in suspects:
            if source in read:
                current[source] = read[source]
            else:
                current.pop(source, None)
        return current

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


def _differs(record: SourceRecord | None, source: str, stat: Stat) -> bool:
    if record is None or record.state != SourceState.DONE or record.stat is None:
        return True
    try:
        return stat(source) != record.stat
    except OSError:
        return True


def _advancing(read: Reader, advance: Callable[[], None]) -> Reader:
    """`read`, calling `advance` after each file whether it could be read or not."""

    def reading(source: str) -> Article:
        try:
            return read(source)
        finally:
            advance()

    return reading

"""The per-file work of a run, in the ingest process or in a pool of worker processes.

Reading a file (decoding, cleaning HTML), its MinHash signature, chunking it (LlamaIndex's
splitter), the sentence spans of its chunks and what the language pipeline reads in them
are CPU-bound Python that holds the interpreter lock. With RAG_INGEST_PROCESSES above 1
and more than one group of files to do, that work goes to worker processes (spawned: the
ingest process has Chroma's and onnxruntime's threads running, which a fork would copy
mid-flight), each loading the splitter, the token counter and the pipeline once, while the
ingest process embeds and writes the groups before. Results come back in the order they
were asked for, and a group is prepared by the same function in either place, so the
records written and the order of the writes are the same. At most a few groups are in
flight at once, so memory stays bounded by the group size, not the corpus.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType

from ingest.chunker import ChunkingError, chunk_text, warm_up
from ingest.dedupe import Signature, signature
from ingest.plan import Failure, Reader, Write
from ingest.reader import Article, UnreadableFile, read_article
from service.core import nlp
from service.core.embedder import token_counter
from service.core.offline import configure_offline
from service.core.schema import chunk_id
from service.core.store import Chunk
from service.evidence.annotate import annotate
from service.evidence.sentences import encode_spans, sentence_spans, spans_of
from service.settings import EmbedderSettings, Settings

# A write, with its article when its text is the stored one (or why that is missing).
Item = tuple[Write, Article | UnreadableFile | None]
TokenCounter = Callable[[str], int]
# Files read ahead of the plan, per worker: small jobs, so several keep a worker busy.
SCAN_AHEAD_PER_WORKER = 16
# How often a worker checks that the ingest process is still there.
PARENT_CHECK_S = 0.2


@dataclass(frozen=True)
class Prepared:
    write: Write
    article: Article
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class GroupResult:
    prepared: tuple[Prepared, ...]
    # Writes that cannot be done (the file changed since the plan read it, or cannot be
    # chunked), in the group's order; they keep their indexed version.
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class Config:
    """What a worker needs to read, chunk and annotate like the ingest process."""

    folder: Path
    max_bytes: int
    chunk_size: int
    chunk_overlap: int
    # The embedder's window, in its own tokens (counted by `token_counter(embed)`).
    window: int
    embed: EmbedderSettings
    annotate: bool


def config_of(settings: Settings, folder: Path, window: int, *, annotate: bool) -> Config:
    return Config(
        folder=folder,
        max_bytes=settings.ingest.max_file_bytes,
        chunk_size=settings.chunk.size,
        chunk_overlap=settings.chunk.overlap,
        window=window,
        embed=settings.embed,
        annotate=annotate and settings.ingest.annotate,
    )


def processes_of(settings: Settings) -> int:
    """The processes a run may use: the setting, 0 meaning one per CPU."""
    return settings.ingest.processes or os.cpu_count() or 1


Scanned = tuple[Article, Signature] | OSError | UnreadableFile


def scan_file(read: Reader, source: str) -> Scanned:
    """A file as the plan reads it: its article and signature, or why it cannot be read."""
    try:
        article = read(source)
    except (OSError, UnreadableFile) as exc:
        return exc
    return article, signature(article.text)


def prepare_group(
    items: Sequence[Item],
    read: Reader,
    count: TokenCounter,
    config: Config,
    nlp_processes: int = 1,
) -> GroupResult:
    """The group's articles and chunks (with their sentence spans and, when `config`
    says so, annotations); the files that fail are reported, in order."""
    prepared: list[Prepared] = []
    failures: list[Failure] = []
    for write, stored in items:
        try:
            article = _article(write, stored, read)
            pieces = (
                []
                if write.duplicate_of
                else chunk_text(
                    article.text, config.chunk_size, config.chunk_overlap, config.window, count
                )
            )
        except (OSError, UnreadableFile, ChunkingError) as exc:
            failures.append(Failure(write.source, str(exc)))
            continue
        chunks = tuple(
            Chunk(
                id=chunk_id(write.source, article.sha256, piece.start, piece.text),
                text=piece.text,
                source=write.source,
                start=piece.start,
                end=piece.end,
                chunk_index=i,
                title=article.title,
                published=article.published,
                url=article.url,
                file_sha256=article.sha256,
                tokens=piece.tokens,
                # Split once here rather than on every query that retrieves the chunk.
                sentences=encode_spans(sentence_spans(piece.text)),
            )
            for i, piece in enumerate(pieces)
        )
        prepared.append(Prepared(write, article, chunks))
    if config.annotate:
        prepared = _annotated(prepared, nlp_processes)
    return GroupResult(tuple(prepared), tuple(failures))


def _article(write: Write, stored: Article | UnreadableFile | None, read: Reader) -> Article:
    """The article to write: read again (the plan kept no text) or the stored text."""
    if write.stored_text:
        if isinstance(stored, UnreadableFile):
            raise stored
        if stored is None:
            raise UnreadableFile("its stored text is missing; re-save the file to index it")
        return stored
    article = read(write.source)
    if article.sha256 != write.sha256:
        raise UnreadableFile("changed while being ingested; run the ingest again")
    return article


def _annotated(prepared: Sequence[Prepared], processes: int) -> list[Prepared]:
    """The chunks with what the language pipeline reads in their sentences (once, here,
    so that no request parses them); the whole group in one call, as the pipeline
    batches its sentences."""
    chunks = [c for p in prepared for c in p.chunks]
    if not chunks:
        return list(prepared)
    notes = iter(annotate_chunks(chunks, processes))
    return [
        replace(p, chunks=tuple(replace(c, annotations=next(notes)) for c in p.chunks))
        for p in prepared
    ]


def annotate_chunks(chunks: Sequence[Chunk], processes: int) -> list[str]:
    """The encoded annotations of each chunk's stored sentences, relative times read
    against its article's date."""
    return annotate(
        [
            (
                c.text,
                spans_of(c.text, c.sentences),
                date.fromisoformat(c.published) if c.published else None,
            )
            for c in chunks
        ],
        processes=processes,
    )


def load(config: Config) -> None:
    """Load now what preparing a file needs (the splitter and its tokenizer, the MinHash
    library and, with annotation, the language pipeline) rather than at the first file:
    a worker's start, a watching ingest process's."""
    configure_offline()
    warm_up(config.chunk_size, config.chunk_overlap)
    sentence_spans("Loaded. Once.")
    signature("")
    if config.annotate:
        nlp.warm_up()


class Preparer:
    """Runs the per-file work of one run; the pool starts on first need and is shut down
    by `close` (or leaving the `with` block)."""

    def __init__(
        self,
        config: Config,
        read: Reader,
        count: TokenCounter,
        *,
        processes: int = 1,
        nlp_processes: int = 1,
        pool_from: int = 1,
    ) -> None:
        """`read` and `count` serve the in-process work; a pool of `processes` is started
        for at least `pool_from` files to read, or to write in more than one group."""
        self._config = config
        self._read = read
        self._count = count
        self._processes = processes
        self._nlp_processes = nlp_processes
        self._pool_from = pool_from
        self._pool: ProcessPoolExecutor | None = None
        self._started: list[Future[None]] = []

    def __enter__(self) -> Preparer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def pooled(self) -> bool:
        """Whether a pool was started (for the tests and the benchmark)."""
        return self._pool is not None

    def scanner(self, sources: Sequence[str]) -> Scanner:
        """Reads `sources` (the files the plan will read, in its order) ahead of it."""
        pool = self._pool_for(len(sources) >= self._pool_from)
        ahead = self._processes * SCAN_AHEAD_PER_WORKER
        return Scanner(self._read, pool, sources, ahead, self._ready)

    def groups(
        self, groups: Sequence[Callable[[], Sequence[Item]]], files: int
    ) -> Iterator[GroupResult]:
        """Each group prepared, in order (`files` in all). A group's items are made when
        it is sent (its stored texts read then), a few groups ahead of the one written."""
        pool = self._pool_for(len(groups) > 1 and files >= self._pool_from)
        if pool is None:
            for make in groups:
                yield prepare_group(
                    make(), self._read, self._count, self._config, self._nlp_processes
                )
            return
        ahead: deque[Future[GroupResult]] = deque()
        pending = iter(groups)
        for make in pending:
            ahead.append(pool.submit(_work_group, make()))
            if len(ahead) > self._processes:
                break
        while ahead:
            result = ahead.popleft().result()
            following = next(pending, None)
            if following is not None:
                ahead.append(pool.submit(_work_group, following()))
            yield result

    def _pool_for(self, worth_it: bool) -> ProcessPoolExecutor | None:
        """The pool, started now if `worth_it` (the workers' start costs seconds)."""
        if self._processes <= 1 or (self._pool is None and not worth_it):
            return None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._config,),
            )
            # One call per worker starts them all now (the pool starts one per call
            # otherwise); any of them answering means a worker has loaded everything.
            self._started = [self._pool.submit(_ready) for _ in range(self._processes)]
        return self._pool

    def start(self) -> None:
        """Start the workers now and wait until every one has loaded everything."""
        self._pool_for(True)
        for started in self._started:
            started.result()

    def _ready(self) -> bool:
        return any(f.done() for f in self._started)


class Scanner:
    """The plan's reader and signer: the files it reads are read (and signed) ahead of it
    by the workers once they are ready; until then, and for any other file, here."""

    def __init__(
        self,
        read: Reader,
        pool: ProcessPoolExecutor | None,
        sources: Sequence[str],
        ahead: int,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._read_here = read
        self._pool = pool
        self._sources = sources
        # The next of `sources` neither sent to a worker nor read here.
        self._next = 0
        self._ahead = ahead
        self._ready = ready
        self._futures: dict[str, Future[Scanned]] = {}
        self._signatures: dict[str, tuple[str, Signature]] = {}
        # Files a worker read (the rest were read here).
        self.from_workers = 0
        self._fill()

    def read(self, source: str) -> Article:
        future = self._futures.pop(source, None)
        upcoming = self._next < len(self._sources) and self._sources[self._next] == source
        if future is None and upcoming:
            self._next += 1
        self._fill()
        if future is None:
            return self._read_here(source)
        scanned = future.result()
        self.from_workers += 1
        if isinstance(scanned, Exception):
            raise scanned
        article, values = scanned
        self._signatures[source] = (article.sha256, values)
        return article

    def sign(self, article: Article) -> Signature:
        known = self._signatures.pop(article.source, None)
        if known is not None and known[0] == article.sha256:
            return known[1]
        return signature(article.text)

    def _fill(self) -> None:
        # Workers still loading would keep the plan waiting: it reads on meanwhile.
        if self._pool is None or not self._ready():
            return
        while len(self._futures) < self._ahead and self._next < len(self._sources):
            source = self._sources[self._next]
            self._next += 1
            self._futures[source] = self._pool.submit(_work_scan, source)


# The worker's own state, set once by its initializer.
_worker: tuple[Config, TokenCounter] | None = None


def _start_worker(config: Config) -> None:
    global _worker
    # Ctrl-C reaches the whole process group: the ingest process handles it and shuts the
    # pool down, so a worker must not die half-way through sending a result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    load(config)
    _worker = (config, token_counter(config.embed))


def _exit_with_parent(parent: int) -> None:
    """End this worker once the ingest process is gone (killed: it could not shut the pool
    down). A worker holds both ends of its task queue, so it would otherwise wait forever,
    and with it anything reading its inherited output."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _worker_state() -> tuple[Config, TokenCounter]:
    if _worker is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("the ingest worker was not initialised")
    return _worker


def _worker_read(source: str) -> Article:
    config, _ = _worker_state()
    return read_article(config.folder, config.folder / source, config.max_bytes)


def _ready() -> None:
    """Nothing: answered once a worker has run its initializer."""


def _work_scan(source: str) -> Scanned:
    return scan_file(_worker_read, source)


def _work_group(items: Sequence[Item]) -> GroupResult:
    config, count = _worker_state()
    return prepare_group(items, _worker_read, count, config)

"""Each worker's lexical index, kept current off the request path and shared on disk.

Requests read `LexicalView.current()`, which never waits: it is whatever index was loaded
last. A background thread (`start()`) compares it, twice a second, with the collection
state the service sees (`LiveIndex`: the collection's id and generation). When they
differ it swaps in the index saved for the new state, or, when none is saved yet, takes
the store's file lock, looks again (another worker or process may have just built it),
and otherwise builds it from Chroma and saves it. So with a Chroma server and several
workers an index is built once per collection generation, not once per worker, and every
worker memory-maps the same files. A missing, unreadable or stale folder is rebuilt:
Chroma is the source of truth, the folder a cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from service.core import metrics
from service.lexical.index import IndexKey, LexicalIndex
from service.lexical.store import LexicalStore
from service.log import LOGGER
from service.retrieval.live_index import LiveIndex


class LexicalView:
    """The lexical index a worker serves from, swapped atomically when a newer one is ready."""

    def __init__(
        self,
        live: LiveIndex,
        store: LexicalStore | None,
        *,
        enabled: bool = True,
        check_interval_s: float = 0.5,
    ) -> None:
        self._live = live
        # False in dense-only retrieval: the thread then only keeps the view current.
        self._enabled = enabled
        self._store = store
        self._interval = check_interval_s
        self._index: LexicalIndex | None = None
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Read by monitoring: the generation served and how long the last build took.
        self.generation: int | None = None
        self.last_build_s: float | None = None
        self.builds = 0
        self.swaps = 0
        self.on_swap: list[Callable[[LexicalIndex], None]] = []

    def current(self) -> LexicalIndex:
        """The index to search now; only the very first call (at start-up) may wait."""
        index = self._index
        if index is None:
            self.refresh()
            index = self._index
        return index if index is not None else LexicalIndex.empty()

    def refresh(self) -> bool:
        """Bring the index up to the collection state the service sees; True if swapped."""
        with self._refresh_lock:
            key = self._key()
            if self._index is not None and self._index.key == key:
                return False
            index = self._obtain(key)
            self._index = index
            self.generation = key.generation if key else None
            self.swaps += 1
        for callback in self.on_swap:
            callback(index)
        return True

    def start(self) -> None:
        """Check for changes in a background thread, for the collection view too."""
        self._live.serve_in_background()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lexical-index", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                # The collection view first, then the lexical index of what it shows.
                self._live.refresh()
                if self._enabled:
                    self.refresh()
            except Exception as exc:  # Chroma down, disk full: serve the old one, retry
                LOGGER.log(
                    logging.WARNING,
                    "lexical index refresh failed",
                    extra={"fields": {"error": str(exc)}},
                )

    def _key(self) -> IndexKey | None:
        index = self._live.current()
        generation = self._live.generation
        if not index.is_open or generation is None:
            return None
        return IndexKey(index.collection_id, generation)

    def _obtain(self, key: IndexKey | None) -> LexicalIndex:
        if key is None:
            return LexicalIndex.empty()
        started = time.perf_counter()
        index = self._load_or_build(key)
        metrics.lexical_index_built(key.generation, time.perf_counter() - started, len(index))
        return index

    def _load_or_build(self, key: IndexKey) -> LexicalIndex:
        if self._store is not None:
            saved = self._store.load(key)
            if saved is not None:
                return saved
            try:
                return self._store.build(key, lambda: self._build(key))
            except OSError as exc:
                # An unwritable folder must not stop the service: build it in memory.
                LOGGER.warning(
                    "lexical index not saved",
                    extra={"fields": {"folder": str(self._store.folder), "error": str(exc)}},
                )
        return self._build(key)

    def _build(self, key: IndexKey) -> LexicalIndex:
        started = time.perf_counter()
        index = LexicalIndex.build(key, self._live.current().all_chunks())
        self.last_build_s = time.perf_counter() - started
        self.builds += 1
        LOGGER.info(
            "lexical index built",
            extra={
                "fields": {
                    "generation": key.generation,
                    "chunks": len(index),
                    "seconds": round(self.last_build_s, 3),
                }
            },
        )
        return index

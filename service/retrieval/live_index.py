"""Keeps the service's view of the index current while ingest runs elsewhere.

Ingest bumps a generation number in the collection metadata after each run that changed
something. Readers check it at most once per `check_interval_s`. On a change:
- server mode: re-resolve the collections by name (a `--full` run replaced them);
- embedded mode: open a fresh client, because an embedded client keeps its vector index
  in memory and does not see vectors another process wrote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from service.core.store import ArticleIndex
from service.errors import ServiceError, Unavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

ClientFactory = Callable[[], "ClientAPI"]
IndexFactory = Callable[["ClientAPI"], ArticleIndex]


class LiveIndex:
    def __init__(
        self,
        client_factory: ClientFactory,
        index_factory: IndexFactory,
        *,
        embedded: bool,
        check_interval_s: float = 1.0,
    ) -> None:
        self._client_factory = client_factory
        self._index_factory = index_factory
        self._embedded = embedded
        self._interval = check_interval_s
        self._lock = threading.Lock()
        self._index: ArticleIndex | None = None
        self._error: ServiceError | None = None
        # The stored generation the open view reflects (None: no collection yet).
        self._generation: int | None = None
        self._version = 0
        self._checked = -float("inf")

    def current(self) -> ArticleIndex:
        """The index to read from; reloaded if an ingest changed it since the last look.

        Raises the `ServiceError` that keeps it from opening (store down, settings that do
        not match the stored vectors); it is retried on the next check.
        """
        now = time.monotonic()
        if now - self._checked >= self._interval:
            with self._lock:
                if now - self._checked >= self._interval:
                    self._checked = now
                    self._check()
        if self._index is None:
            assert self._error is not None
            raise self._error
        return self._index

    @property
    def version(self) -> int:
        """Changes whenever the view was (re)opened: state derived from it is stale then.

        Derived state must follow this, not the stored generation: an embedded client
        only sees another process's writes after the reload that bumps this."""
        return self._version

    @property
    def generation(self) -> int | None:
        """The stored generation the open view reflects (None: no collection yet)."""
        return self._generation

    def invalidate(self) -> None:
        """Look again on the next `current()` call (after a failed query, say)."""
        self._checked = -float("inf")

    def _check(self) -> None:
        try:
            fresh = self._index is None
            if self._index is None:
                self._index = self._index_factory(self._client_factory())
            generation = self._index.generation
            if fresh or generation != self._generation or not self._index.is_open:
                if self._embedded and not fresh:
                    _forget_cached_system()
                    self._index = self._index_factory(self._client_factory())
                self._index.open(create=False)
                self._generation = generation
                self._version += 1
            self._error = None
        except ServiceError as exc:
            self._index, self._error = None, exc
        except Exception as exc:  # the Chroma client raises untyped errors
            self._index = None
            self._error = Unavailable(f"The Chroma store failed: {exc}")

    def ping(self) -> int:
        """Chunk count; raises `ServiceError` if the store cannot be reached."""
        index = self.current()
        index.heartbeat()
        return index.count() if index.is_open else 0


def _forget_cached_system() -> None:
    # Chroma shares one System per path inside a process; a new client for the same path
    # would get the stale one back. Requests still holding the old collections keep working.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()

"""The lexical index of the generation an ingest run publishes, saved before it publishes.

Workers swap in the lexical index saved for a new generation as soon as they see it
(service/retrieval/lexical_view.py); when none is saved they build it from Chroma, which
costs CPU in proportion to the whole corpus, beside the requests they serve. So the run
that changes the collection derives the next index itself, from the one saved for the
current generation: the rows of every source it rewrote or removed are dropped, the
chunks it wrote are appended, and the weights are recomputed (LexicalIndex.updated); then
it saves it under the next generation's key and only then bumps the generation.

The saved index is a base only when it reflects the chunks in Chroma: a run marks the
collection as being written (`ArticleIndex.set_writing`) before its first change and the
bump clears the mark, so after an interrupted run the next one builds the index from
Chroma instead. Without a saved base (a store from before, a folder deleted) it builds it
from Chroma too, once. A failure to save is reported and leaves the building to workers,
as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from ingest.background import Deferred
from service.core.store import ArticleIndex, Chunk
from service.lexical.index import IndexKey, LexicalIndex
from service.lexical.store import LexicalStore


class LexicalPublisher:
    """Collects what one run changes and derives the next generation's index from it."""

    def __init__(
        self,
        store: LexicalStore | None,
        index: ArticleIndex,
        warn: Callable[[str], None],
        *,
        background: bool = False,
    ) -> None:
        """`background`: older indexes are removed in a thread after a run is published
        (a watching job: the next run, and the process's exit, wait for it)."""
        # None: nothing reads a lexical index (dense-only retrieval).
        self._store = store
        self._index = index
        self._warn = warn
        self._background = background
        self._pruning = Deferred("lexical-prune")
        self.reset()

    def reset(self) -> None:
        """Forget the previous run (a job may run more than once)."""
        self._base: LexicalIndex | None = None
        self._base_generation: int | None = None
        self._dropped: set[str] = set()
        self._added: list[Chunk] = []
        self._begun = False
        # Seconds the last `publish` took.
        self.seconds = 0.0

    def begin(self) -> None:
        """Before the run's first change: take the base and mark the collection."""
        if self._begun:
            return
        self._begun = True
        self.wait()
        index = self._index
        generation = index.generation or 0
        self._base_generation = generation
        if self._store is not None:
            if index.count() == 0:
                self._base = LexicalIndex.empty()
            elif not index.writing:
                # Memory-mapped: only the pages the derivation reads are read, and a
                # watcher that saved them a moment ago finds them in the page cache.
                key = IndexKey(index.collection_id, generation)
                self._base = self._store.load(key, derivation=True)
        index.set_writing(True)

    def written(self, sources: Sequence[str], chunks: Sequence[Chunk]) -> None:
        """The chunks of `sources` are now these (none for a copy)."""
        self._dropped.update(sources)
        # Only what the lexical index reads is kept until the run ends.
        self._added += [replace(c, annotations=None, sentences=None) for c in chunks]

    def removed(self, source: str) -> None:
        self._dropped.add(source)

    def publish(self) -> None:
        """Save the index of the generation the run is about to publish."""
        if self._store is None or not self._begun:
            return
        started = time.perf_counter()
        index = self._index
        generation = index.generation or 0
        key = IndexKey(index.collection_id, generation + 1)
        try:
            base = self._base if generation == self._base_generation else None
            if base is not None:
                derived = base.updated(key, self._dropped, self._added)
            else:
                derived = LexicalIndex.build(key, index.all_chunks())
            self._store.publish(derived)
        except (OSError, ValueError) as exc:
            self._warn(f"the lexical index was not saved ({exc}); workers will build it")
        self.seconds = time.perf_counter() - started

    def published(self) -> None:
        """After the generation is bumped: remove the states no worker needs any more.
        Deleting a large folder takes a while (at 50k articles, 0.4 s for the few hundred
        MB of an index), so readers do not wait for it, nor, in the background, the run."""
        if self._store is None or not self._begun:
            return
        if not self._background:
            self._prune()
            return
        self._pruning.start(self._prune)

    def wait(self) -> None:
        """Until older indexes being removed in the background are removed."""
        self._pruning.wait()

    def _prune(self) -> None:
        assert self._store is not None
        try:
            self._store.prune()
        except OSError as exc:
            self._warn(f"older lexical indexes were not removed ({exc})")

    def abandon(self) -> None:
        """The run changed no chunks after all: the saved index still reflects Chroma."""
        if self._begun and not self._dropped:
            self._index.set_writing(False)

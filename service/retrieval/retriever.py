"""Dense retrieval: embed the question, top-k from Chroma with metadata filters."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.core.embedder import Embedder
from service.core.schema import date_to_int
from service.core.store import Hit, build_where
from service.errors import Unavailable
from service.retrieval.live_index import LiveIndex


@dataclass(frozen=True)
class SearchFilters:
    sources: Sequence[str] | None = None
    published_from: date | None = None
    published_to: date | None = None


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    embed_ms: float
    retrieve_ms: float


class Retriever:
    def __init__(self, embedder: Embedder, index: LiveIndex) -> None:
        self._embedder = embedder
        self._index = index

    def retrieve(self, query: str, top_k: int, filters: SearchFilters | None = None) -> Retrieval:
        filters = filters or SearchFilters()
        t0 = time.perf_counter()
        vector = self._embedder.embed([query])[0]
        t1 = time.perf_counter()
        where = build_where(
            filters.sources,
            date_to_int(filters.published_from) if filters.published_from else None,
            date_to_int(filters.published_to) if filters.published_to else None,
        )
        hits: list[Hit] = []
        for attempt in range(2):
            index = self._index.current()
            if not index.is_open:
                break  # nothing ingested yet: no hits, so the answer abstains
            try:
                hits = index.query(vector.tolist(), top_k, where)
                break
            except Exception as exc:
                # A `--full` re-ingest may have replaced the collection under us.
                self._index.invalidate()
                if attempt:
                    raise Unavailable(f"The Chroma query failed: {exc}") from exc
        t2 = time.perf_counter()
        return Retrieval(hits=hits, embed_ms=(t1 - t0) * 1000, retrieve_ms=(t2 - t1) * 1000)

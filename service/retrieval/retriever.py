"""Retrieval: dense (Chroma) and BM25 (derived from Chroma) fused by reciprocal rank.

Hybrid search finds both the paraphrase (dense) and the exact name or keyword (BM25);
reciprocal rank fusion needs no score calibration between the two (see docs/retrieval.md
for the measured comparison). A date named in the question adds a third ranking of the
chunks that match it, so "what happened on 25 November?" favours those articles.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from service.core import metrics
from service.core.embedder import Embedder
from service.core.schema import date_to_int
from service.core.store import ArticleIndex, Chunk, build_where
from service.errors import Unavailable
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.stats import TermStats
from service.retrieval.dates import DateMention, dates_in
from service.retrieval.hits import Hit
from service.retrieval.lexical_index import LexicalHit, LexicalIndex
from service.retrieval.live_index import LiveIndex
from service.settings import RetrievalSettings

RRF_K = 60
# In re-ranking, how much the fused retrieval rank counts beside the best sentence.
RANK_WEIGHT = 0.2


@dataclass(frozen=True)
class SearchFilters:
    sources: Sequence[str] | None = None
    published_from: date | None = None
    published_to: date | None = None

    def keep(self) -> Callable[[Chunk], bool] | None:
        """The same filter as the Chroma `where`, for results found outside Chroma."""
        if not (self.sources or self.published_from or self.published_to):
            return None
        sources = set(self.sources or ())
        low = date_to_int(self.published_from) if self.published_from else None
        high = date_to_int(self.published_to) if self.published_to else None

        def keep(chunk: Chunk) -> bool:
            if sources and chunk.source not in sources:
                return False
            if low is None and high is None:
                return True
            if not chunk.published:
                return False
            value = date_to_int(chunk.published)
            return (low is None or value >= low) and (high is None or value <= high)

        return keep


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    # What was searched (spelling repaired), with the corpus-wide idf of its terms when
    # the corpus statistics are kept (not in dense-only mode).
    query: QueryTerms
    embed_ms: float
    retrieve_ms: float


@dataclass(frozen=True)
class Corpus:
    """What is derived from all chunks of one view of the collection."""

    lexical: LexicalIndex
    stats: TermStats

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> Corpus:
        return cls(LexicalIndex(chunks), TermStats.from_texts(c.text for c in chunks))


def rrf(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum over rankings of weight / (k + rank)."""
    fused: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights else 1.0
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class Retriever:
    def __init__(self, embedder: Embedder, index: LiveIndex, settings: RetrievalSettings) -> None:
        self._embedder = embedder
        self._index = index
        self._settings = settings
        self._corpus: Corpus | None = None
        self._corpus_version: int | None = None
        self._lock = threading.Lock()

    def corpus(self, index: ArticleIndex) -> Corpus:
        """BM25 and term statistics of the current collection state, rebuilt after each
        ingest."""
        version = self._index.version
        if self._corpus is None or version != self._corpus_version:
            with self._lock:
                if self._corpus is None or version != self._corpus_version:
                    started = time.perf_counter()
                    chunks = list(index.all_chunks()) if index.is_open else []
                    self._corpus = Corpus.build(chunks)
                    self._corpus_version = version
                    metrics.lexical_index_built(
                        self._index.generation or 0, time.perf_counter() - started, len(chunks)
                    )
        return self._corpus

    def warm(self) -> None:
        """Build the BM25 index and run the model once now, not on the first request."""
        self._embedder.embed(["warm up"])
        if self._settings.mode != "dense":
            self.corpus(self._index.current())

    def retrieve(self, query: str, top_k: int, filters: SearchFilters | None = None) -> Retrieval:
        filters = filters or SearchFilters()
        mode = self._settings.mode
        t0 = time.perf_counter()
        index = self._index.current()
        corpus = self.corpus(index) if mode != "dense" else None
        if corpus is not None and self._settings.repair_spelling:
            query = corpus.lexical.repair(query)
        vector = self._embedder.embed([query])[0].tolist()
        t1 = time.perf_counter()
        terms = corpus.stats.query(query) if corpus is not None else QueryTerms(query)
        hits: list[Hit] = []
        if index.is_open:
            lexical = corpus.lexical if corpus is not None else None
            hits = self._search(index, lexical, terms, vector, top_k, filters)
        t2 = time.perf_counter()
        return Retrieval(hits, terms, (t1 - t0) * 1000, (t2 - t1) * 1000)

    def with_neighbours(self, hits: Sequence[Hit], window: int) -> list[Hit]:
        """Each hit preceded and followed by its neighbouring chunks (context for an LLM).

        Neighbours keep the hit's score so that passages stay grouped by relevance."""
        if window <= 0 or not hits:
            return list(hits)
        index = self._index.current()
        out: dict[str, Hit] = {}
        for hit in hits:
            for chunk in index.neighbours(hit.chunk, window):
                if chunk.id not in out:
                    out[chunk.id] = hit if chunk.id == hit.chunk.id else Hit(chunk, hit.score, 0.0)
        return list(out.values())

    def _search(
        self,
        index: ArticleIndex,
        lexical: LexicalIndex | None,
        terms: QueryTerms,
        vector: list[float],
        top_k: int,
        filters: SearchFilters,
    ) -> list[Hit]:
        query = terms.text
        mode = self._settings.mode
        depth = max(top_k, self._settings.candidates)
        dense = self._dense(index, vector, depth if mode != "bm25" else 0, filters)
        if mode == "dense":
            return dense[:top_k]
        assert lexical is not None
        keep = filters.keep()
        bm25 = lexical.search(query, depth, keep)
        by_id = {h.chunk.id: h.chunk for h in dense} | {h.chunk.id: h.chunk for h in bm25}
        rankings = [[h.chunk.id for h in bm25]]
        rank_weights = [1.0]
        if mode == "hybrid":
            rankings.append([h.chunk.id for h in dense])
            rank_weights.append(self._settings.dense_weight)
        mentions = dates_in(query)
        if mentions:
            rankings.append(_date_ranking(mentions, dense, bm25))
            rank_weights.append(1.0)
        fused = rrf(rankings, rank_weights)
        pool = sorted(fused, key=lambda i: (-fused[i], i))[: max(top_k, self._settings.rerank)]
        similarity = {h.chunk.id: h.similarity for h in dense}
        missing = [i for i in pool if i not in similarity]
        try:
            similarity |= index.similarities(missing, vector)
        except Exception:
            # Chroma changed under this view (an ingest just finished): rank without
            # those similarities now; the next request sees the reloaded view.
            self._index.invalidate()
        hits = [Hit(by_id[i], fused[i], similarity.get(i, 0.0)) for i in pool]
        if self._settings.rerank:
            hits = rerank(terms, hits)
        return hits[:top_k]

    def _dense(
        self, index: ArticleIndex, vector: list[float], depth: int, filters: SearchFilters
    ) -> list[Hit]:
        if depth == 0:
            return []
        where = build_where(
            filters.sources,
            date_to_int(filters.published_from) if filters.published_from else None,
            date_to_int(filters.published_to) if filters.published_to else None,
        )
        for attempt in range(2):
            try:
                matches = index.query(vector, depth, where)
                return [Hit(m.chunk, m.similarity, m.similarity) for m in matches]
            except Exception as exc:
                # A `--full` re-ingest may have replaced the collection under us.
                self._index.invalidate()
                if attempt:
                    raise Unavailable(f"The Chroma query failed: {exc}") from exc
                index = self._index.current()
        return []


def rerank(query: QueryTerms, hits: Sequence[Hit]) -> list[Hit]:
    """Order chunks by their best sentence's evidence score: the chunk that holds the
    sentence answering the question comes first, not merely the most similar one."""
    top = max((h.score for h in hits), default=1.0) or 1.0
    best: dict[str, float] = {}
    for ev in score_evidence(query, hits):
        # Overlapping chunks share sentences: credit every chunk that contains this one.
        for h in hits:
            c = h.chunk
            if c.source == ev.source and c.start <= ev.start and ev.end <= c.end:
                best[c.id] = max(best.get(c.id, 0.0), ev.score)
    final = {h.chunk.id: best.get(h.chunk.id, 0.0) + RANK_WEIGHT * h.score / top for h in hits}
    ranked = sorted(hits, key=lambda h: -final[h.chunk.id])
    return [Hit(h.chunk, round(final[h.chunk.id], 5), h.similarity) for h in ranked]


def _date_ranking(mentions: Sequence[DateMention], *lists: Sequence[Hit | LexicalHit]) -> list[str]:
    seen: dict[str, None] = {}
    for hits in lists:
        for hit in hits:
            if any(m.matches(hit.chunk) for m in mentions):
                seen.setdefault(hit.chunk.id)
    return list(seen)

"""Retrieval: dense (Chroma) and BM25 (derived from Chroma) fused by reciprocal rank.

Hybrid search finds both the paraphrase (dense) and the exact name or keyword (BM25);
reciprocal rank fusion needs no score calibration between the two (see docs/retrieval.md
for the measured comparison). A date named in the question adds a third ranking of the
chunks that match it, so "what happened on 25 November?" favours those articles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from service.core.embedder import Embedder
from service.core.schema import date_to_int
from service.core.store import ArticleIndex, Chunk, ChunkMatch, build_where
from service.errors import Unavailable
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.support import Answers, rank_answers
from service.lexical.index import LexicalIndex
from service.retrieval.dates import Mention, dates_in
from service.retrieval.hits import Hit
from service.retrieval.lexical_view import LexicalView
from service.retrieval.live_index import LiveIndex
from service.settings import RetrievalSettings

_T = TypeVar("_T")

RRF_K = 60
# Chroma reads in flight beside requests, at most.
READERS = 16
# In re-ranking, how much the fused retrieval rank counts beside the best sentence.
RANK_WEIGHT = 0.2


@dataclass(frozen=True)
class SearchFilters:
    sources: Sequence[str] | None = None
    published_from: date | None = None
    published_to: date | None = None

    def date_range(self) -> tuple[int | None, int | None]:
        """The date range as YYYYMMDD integers."""
        return (
            date_to_int(self.published_from) if self.published_from else None,
            date_to_int(self.published_to) if self.published_to else None,
        )


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    # What was searched (spelling repaired), with the corpus-wide idf of its terms when
    # the corpus statistics are kept (not in dense-only mode).
    query: QueryTerms
    embed_ms: float
    retrieve_ms: float
    # The candidate answers of `hits` for `query`, when re-ranking read them (see
    # `lead_with_answer`): the extractive answer of the same query reads them again.
    answers: Answers[Hit] | None = None


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
    def __init__(
        self,
        embedder: Embedder,
        index: LiveIndex,
        settings: RetrievalSettings,
        lexical: LexicalView | None = None,
        base_forms: Callable[[str], AbstractSet[str]] | None = None,
        *,
        answer_min_score: float | None = None,
    ) -> None:
        self._embedder = embedder
        # The answer score from which the answer's own chunk leads (None: it does not).
        self._answer_min_score = answer_min_score
        # What English has as a word's base: the spelling repair leaves English words be.
        self._base_forms = base_forms
        self._index = index
        self._settings = settings
        # BM25, document frequencies and vocabulary; kept current in the background.
        self._lexical = lexical if settings.mode != "dense" else None
        # Reads Chroma beside a request's own work (see `_search`).
        self._reader = ThreadPoolExecutor(READERS, thread_name_prefix="chroma-read")

    def close(self) -> None:
        self._reader.shutdown(wait=True)

    def warm(self) -> None:
        """Load (or build) the lexical index and run the model once now, not on the first
        request."""
        self._embedder.embed(["warm up"])
        if self._lexical is not None:
            self._lexical.current()

    def retrieve(
        self,
        query: str,
        top_k: int,
        filters: SearchFilters | None = None,
        *,
        asked: str | None = None,
        carried: AbstractSet[str] = frozenset(),
    ) -> Retrieval:
        """The best `top_k` passages for `query`. A follow-up's `query` carries words of
        the earlier turns: they are searched with, but the passages are re-ranked by
        `asked` (the question alone) with the `carried` terms weighing less, as the
        answer is chosen."""
        filters = filters or SearchFilters()
        t0 = time.perf_counter()
        index = self._index.current()
        lexical = self._lexical.current() if self._lexical is not None else None
        if lexical is not None and self._settings.repair_spelling:
            query = lexical.repair(query, self._base_forms)
        vector = self._embedder.embed([query])[0].tolist()
        t1 = time.perf_counter()
        terms = lexical.stats.query(query) if lexical is not None else QueryTerms(query)
        if asked is not None:
            terms = terms.following(asked, carried)
        hits: list[Hit] = []
        answers = None
        if index.is_open:
            hits = self._search(index, lexical, terms, vector, top_k, filters)
            reranked = lexical is not None and self._settings.rerank
            if reranked and self._answer_min_score is not None and hits:
                hits, answers = lead_with_answer(terms, hits, self._answer_min_score)
        t2 = time.perf_counter()
        return Retrieval(hits, terms, (t1 - t0) * 1000, (t2 - t1) * 1000, answers)

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
        if mode == "dense":
            return self._dense(index, vector, depth, filters)[:top_k]
        assert lexical is not None
        # Both rankings are fused by id; only the chunks that survive fusion are read
        # from Chroma, in one batch, with the similarity the vector search found.
        nearest = dict(self._nearest(index, vector, depth if mode != "bm25" else 0, filters))
        mask = lexical.rows.mask(filters.sources, *filters.date_range())
        found = lexical.search(query, depth, mask)
        rankings = [[h.chunk_id for h in found]]
        rank_weights = [1.0]
        if mode == "hybrid":
            rankings.append(list(nearest))
            rank_weights.append(self._settings.dense_weight)
        size = max(top_k, self._settings.rerank)
        # The pool as fused without a date ranking is read in the background while the
        # question is parsed for dates: Chroma's read leaves the interpreter lock free, and
        # a question naming no date keeps exactly this pool.
        reading = self._reader.submit(
            self._fetch, index, _pool(rrf(rankings, rank_weights), size), vector, nearest
        )
        mentions = dates_in(query)
        by_id = reading.result()
        if mentions:
            # Ranking by the date reads every candidate's date and text.
            candidates = [*rankings[0], *nearest]
            by_id.update(
                self._fetch(index, [i for i in candidates if i not in by_id], vector, nearest)
            )
            rankings = [[i for i in r if i in by_id] for r in rankings]
            dense = [by_id[i].chunk for i in nearest if i in by_id]
            bm25 = [by_id[i].chunk for i in rankings[0]]
            rankings.append(_date_ranking(mentions, dense, bm25))
            rank_weights.append(1.0)
        fused = rrf(rankings, rank_weights)
        pool = _pool(fused, size)
        missing = [i for i in pool if i not in by_id]
        if missing:
            by_id.update(self._fetch(index, missing, vector, nearest))
        # A chunk deleted since the index or the search saw it is not read: it is dropped.
        hits = [Hit(by_id[i].chunk, fused[i], by_id[i].similarity) for i in pool if i in by_id]
        if self._settings.rerank:
            hits = rerank(terms, hits)
        return hits[:top_k]

    def _fetch(
        self,
        index: ArticleIndex,
        ids: Sequence[str],
        vector: list[float],
        known: dict[str, float],
    ) -> dict[str, ChunkMatch]:
        unique = list(dict.fromkeys(ids))
        return self._read(index, "Reading from Chroma", lambda i: i.fetch(unique, vector, known))

    def _nearest(
        self, index: ArticleIndex, vector: list[float], depth: int, filters: SearchFilters
    ) -> list[tuple[str, float]]:
        if depth == 0:
            return []
        where = build_where(filters.sources, *filters.date_range())
        return self._read(index, "The Chroma query", lambda i: i.nearest(vector, depth, where))

    def _dense(
        self, index: ArticleIndex, vector: list[float], depth: int, filters: SearchFilters
    ) -> list[Hit]:
        if depth == 0:
            return []
        where = build_where(filters.sources, *filters.date_range())
        matches = self._read(index, "The Chroma query", lambda i: i.query(vector, depth, where))
        return [Hit(m.chunk, m.similarity, m.similarity) for m in matches]

    def _read(self, index: ArticleIndex, what: str, read: Callable[[ArticleIndex], _T]) -> _T:
        """`read` from the index, once more from a reloaded one if it fails: a `--full`
        re-ingest may have replaced the collection under this view."""
        try:
            return read(index)
        except Exception:
            self._index.invalidate()
        try:
            return read(self._index.current())
        except Exception as exc:
            self._index.invalidate()
            raise Unavailable(f"{what} failed: {exc}") from exc


def _pool(fused: dict[str, float], size: int) -> list[str]:
    return sorted(fused, key=lambda i: (-fused[i], i))[:size]


def rerank(query: QueryTerms, hits: Sequence[Hit]) -> list[Hit]:
    """Order chunks by their best sentence's evidence score: the chunk that holds the
    sentence answering the question comes first, not merely the most similar one."""
    top = max((h.score for h in hits), default=1.0) or 1.0
    best: dict[str, float] = {}
    of_source: dict[str, list[Chunk]] = {}
    for h in hits:
        of_source.setdefault(h.chunk.source, []).append(h.chunk)
    for ev in score_evidence(query, hits):
        # Overlapping chunks share sentences: credit every chunk that contains this one
        # (only the chunks of its article can: not every sentence against every hit).
        score = ev.score
        for c in of_source[ev.source]:
            if c.start <= ev.start and ev.end <= c.end and score > best.get(c.id, 0.0):
                best[c.id] = score
    final = {h.chunk.id: best.get(h.chunk.id, 0.0) + RANK_WEIGHT * h.score / top for h in hits}
    ranked = sorted(hits, key=lambda h: -final[h.chunk.id])
    return [Hit(h.chunk, round(final[h.chunk.id], 5), h.similarity) for h in ranked]


def lead_with_answer(
    query: QueryTerms, hits: Sequence[Hit], min_score: float
) -> tuple[list[Hit], Answers[Hit]]:
    """`hits` with the chunk whose sentence the extractive answer quotes first leading,
    when the answer checks pass (an answer score of `min_score` or more), and the
    candidate answers they were read from. A chunk's best sentence by words can be about
    another year or a former holder; the answer checks rule those out, so the chunk that
    answers is the one to read first, for a person scanning the sources and a model alike."""
    answers = rank_answers(query, score_evidence(query, hits), hits)
    if not answers.candidates or answers.confidence < min_score:
        return list(hits), answers
    lead = answers.candidates[0].evidence.passage
    if lead is hits[0]:
        return list(hits), answers
    # Scores stay best first: the top score plus the answer's own.
    top = max(h.score for h in hits)
    led = Hit(lead.chunk, round(top + answers.confidence, 5), lead.similarity)
    return [led, *(h for h in hits if h is not lead)], answers


def _date_ranking(mentions: Sequence[Mention], *lists: Sequence[Chunk]) -> list[str]:
    seen: dict[str, None] = {}
    every: set[str] = set()
    for chunks in lists:
        for chunk in chunks:
            every.add(chunk.id)
            if any(m.matches(chunk) for m in mentions):
                seen.setdefault(chunk.id)
    # A date every candidate matches (the year all the articles are from) tells none apart:
    # as a ranking it would only count the others' order twice.
    return list(seen) if len(seen) < len(every) else []

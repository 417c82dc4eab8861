"""Per-question work: the candidates' records are read once, for the fused pool only,
sentences scored while re-ranking are not scored again when answering, and BM25 chooses its
best rows among those holding a query term."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import numpy as np
import pytest

import service.evidence.scoring as scoring
from devtools.procs import free_port
from service.answer.base import Message
from service.app import build_services
from service.core.store import ArticleIndex, Chunk, ChunkMatch
from service.evidence.scoring import QueryTerms, score_evidence
from service.lexical.index import LexicalIndex, _tokens
from service.retrieval.hits import Hit
from service.retrieval.retriever import lead_with_answer, rerank, rrf
from service.settings import AnswerSettings, LLMSettings, Settings


def reference_hits(settings: Settings, question: str, top_k: int) -> list[Hit]:
    """Hybrid retrieval as it was before the records were read lazily: every dense and
    BM25 candidate read from Chroma, then fused, pooled, re-ranked and led by the answer's
    chunk."""
    services = build_services(settings)
    retriever = services.retriever
    retrieval = retriever.retrieve(question, top_k)
    index = retriever._index.current()
    lexical = retriever._lexical.current() if retriever._lexical else None
    assert lexical is not None
    opts = settings.retrieval
    depth = max(top_k, opts.candidates)
    vector = services.embedder.embed([retrieval.query.text])[0].tolist()
    dense = index.query(vector, depth)
    by_id = {m.chunk.id: m for m in dense}
    found = lexical.search(retrieval.query.text, depth)
    by_id.update(index.fetch([h.chunk_id for h in found if h.chunk_id not in by_id], vector))
    bm25 = [h.chunk_id for h in found if h.chunk_id in by_id]
    fused = rrf([bm25, [m.chunk.id for m in dense]], [1.0, opts.dense_weight])
    pool = sorted(fused, key=lambda i: (-fused[i], i))[: max(top_k, opts.rerank)]
    hits = [Hit(by_id[i].chunk, fused[i], by_id[i].similarity) for i in pool]
    reranked = rerank(retrieval.query, hits)[:top_k]
    return lead_with_answer(retrieval.query, reranked, settings.answer.min_score)[0]


@pytest.mark.parametrize(
    "question", ["Where were the Geneva talks held?", "What did Starmer say to Zelensky?"]
)
def test_hybrid_hits_match_reading_every_candidate(indexed: Settings, question: str) -> None:
    got = build_services(indexed).retriever.retrieve(question, 8).hits
    want = reference_hits(indexed, question, 8)
    assert [(h.chunk.id, h.score) for h in got] == [(h.chunk.id, h.score) for h in want]
    assert [h.similarity for h in got] == pytest.approx([h.similarity for h in want], abs=1e-6)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The records each Chroma read of the test asks for."""
    asked: list[list[str]] = []
    original = ArticleIndex.fetch

    def counted(self: ArticleIndex, ids: Sequence[str], *args: Any) -> dict[str, ChunkMatch]:
        asked.append(list(ids))
        return original(self, ids, *args)

    monkeypatch.setattr(ArticleIndex, "fetch", counted)
    return asked


def test_records_are_read_once_for_the_pool_only(indexed: Settings, reads: list[list[str]]) -> None:
    settings = indexed.model_copy(
        update={"retrieval": indexed.retrieval.model_copy(update={"candidates": 12, "rerank": 6})}
    )
    retriever = build_services(settings).retriever
    hits = retriever.retrieve("Where were the Geneva talks held?", 4).hits
    assert hits
    # Up to 24 candidates (12 from each ranking); only the 6 fused best are read, at once.
    assert [len(r) for r in reads] == [6]


def test_a_date_question_reads_each_candidate_once(
    indexed: Settings, reads: list[list[str]]
) -> None:
    settings = indexed.model_copy(
        update={"retrieval": indexed.retrieval.model_copy(update={"candidates": 12, "rerank": 6})}
    )
    retriever = build_services(settings).retriever
    assert retriever.retrieve("What happened on 25 November 2025?", 3).hits
    # The pool as fused without the date is read while the question is parsed; the date
    # ranking then needs every other candidate's date; the final pool adds nothing unread.
    assert len(reads) == 2 and len(reads[0]) == 6 and reads[1]
    every = [i for r in reads for i in r]
    assert len(every) == len(set(every))


@dataclass(frozen=True)
class Passage:
    text: str
    source: str = "a.txt"
    start: int = 0
    similarity: float = 0.4
    title: str = "Talks"
    published: str | None = None


PASSAGES = [
    Passage("Talks were held in Geneva on Sunday. Officials met for six hours."),
    Passage("Officials met for six hours. The next round is in Vienna.", start=37),
    Passage("Ministers spoke in Rome.", source="b.txt", similarity=0.2),
]


def test_answering_reuses_the_scores_of_re_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    query = QueryTerms("Where were the talks held?", {"talk": 2.0, "held": 1.0, "where": 0.1})
    first = score_evidence(query, PASSAGES)
    assert len(query.scored) == len({(e.source, e.start, e.end) for e in first})
    calls: list[str] = []
    original = scoring.coverage

    def counted(weights: Any, found: Any) -> float:
        calls.append("coverage")
        return original(weights, found)

    monkeypatch.setattr(scoring, "coverage", counted)
    asked = query.asking("Where?")
    again = score_evidence(asked, PASSAGES[1:])
    assert calls == []
    fresh = score_evidence(QueryTerms(query.text, query.weights), PASSAGES[1:])
    assert [(e.start, e.end, e.score, e.typed) for e in again] == [
        (e.start, e.end, e.score, e.typed) for e in fresh
    ]


def test_other_weights_or_no_weights_are_scored_afresh() -> None:
    query = QueryTerms("Where were the talks held?", {"talk": 2.0, "held": 1.0})
    score_evidence(query, PASSAGES)
    other = QueryTerms(query.text, {"talk": 0.1, "held": 5.0})
    assert other.scored == {}
    # Without corpus weights the idf comes from the candidates, so nothing is kept.
    unweighted = QueryTerms(query.text)
    score_evidence(unweighted, PASSAGES)
    assert unweighted.scored == {}
    # A copy that changes the weights must not see the scores of the old ones.
    from dataclasses import replace

    assert replace(query, weights={"talk": 1.0}).scored == {}


def lexical_index(texts: list[str]) -> LexicalIndex:
    chunks = [
        Chunk(f"{i:032d}", t, f"{i % 3}.txt", 0, len(t), 0, "", None, None, "", 0)
        for i, t in enumerate(texts)
    ]
    return LexicalIndex.build(None, chunks)


TEXTS = [
    "Talks were held in Geneva.",
    "Talks were held in Vienna.",
    "Geneva hosted the talks again, and Geneva welcomed them.",
    "Ministers met in Rome.",
    "Talks were held in Geneva.",
    "Nothing here matches.",
    "Officials said the Geneva talks went well.",
]


@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_bm25_best_rows_are_chosen_among_those_holding_a_term(k: int) -> None:
    index = lexical_index(TEXTS)
    tokens = _tokens(["Geneva talks"])[0]
    scores = index._bm25.get_scores(tokens)
    # Every row with a positive score, best first, equal scores in row order.
    ranked = sorted((r for r in range(len(TEXTS)) if scores[r] > 0), key=lambda r: (-scores[r], r))
    hits = index.search("Geneva talks", k)
    assert [h.chunk_id for h in hits] == [f"{r:032d}" for r in ranked[:k]]
    assert [h.score for h in hits] == pytest.approx([float(scores[r]) for r in ranked[:k]])
    # Rows 0 and 4 hold the same text: the earlier row comes first.
    assert [h.chunk_id for h in hits if h.chunk_id in {f"{0:032d}", f"{4:032d}"}] == [
        f"{r:032d}" for r in (0, 4) if r in ranked[:k]
    ]


def test_bm25_search_keeps_only_the_masked_rows() -> None:
    index = lexical_index(TEXTS)
    mask = np.array([1.0 if i % 3 == 1 else 0.0 for i in range(len(TEXTS))], dtype=np.float32)
    hits = index.search("Geneva talks", 10, mask)
    assert hits and {int(h.chunk_id) % 3 for h in hits} == {1}
    assert index.search("unrelated words", 10) == []


@pytest.fixture
def rankings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The questions whose candidate answers are ranked, one entry per ranking."""
    import service.answer.candidates as candidates
    import service.retrieval.retriever as retriever

    ranked: list[str] = []
    for module in (candidates, retriever):
        original = module.rank_answers

        def counted(query: QueryTerms, *args: Any, _original: Any = original) -> Any:
            ranked.append(query.text)
            return _original(query, *args)

        monkeypatch.setattr(module, "rank_answers", counted)
    return ranked


def test_the_extractive_answer_reads_the_candidates_re_ranking_ranked(
    indexed: Settings, rankings: list[str]
) -> None:
    # Retrieval ranked the candidate answers of its hits to lead with the answer's chunk;
    # answering the same question ranks them no second time, and answers as afresh.
    services = build_services(indexed)
    question = "Who is the UK defence secretary?"
    result = anyio.run(lambda: services.ask.ask(question, top_k=8))
    assert rankings == [question]
    retrieval = services.retriever.retrieve(question, 8)
    afresh = services.ask._extractive.answer(retrieval.query, retrieval.hits)
    assert result.answer.text == afresh.text and "Healey" in afresh.text
    assert result.answer.citations == afresh.citations


def test_the_select_mode_and_its_fallback_read_that_ranking_too(
    indexed: Settings, rankings: list[str]
) -> None:
    # No server listens: the select answerer picks its candidates from retrieval's
    # ranking, the model call fails, and the extractive fallback answers from it too.
    nowhere = f"http://127.0.0.1:{free_port()}/v1"
    llm = LLMSettings(base_url=nowhere, model="any", fallback=True, max_retries=0)
    settings = indexed.model_copy(update={"llm": llm, "answer": AnswerSettings(mode="select")})
    services = build_services(settings)
    question = "Who is the UK defence secretary?"
    result = anyio.run(lambda: services.ask.ask(question, top_k=8))
    anyio.run(services.ask.aclose)
    assert result.answer.fallback and "Healey" in result.answer.text
    assert rankings == [question]


def test_a_follow_up_is_re_ranked_as_it_is_answered(indexed: Settings, rankings: list[str]) -> None:
    # The resolved follow-up carries words of the earlier turn in brackets: they are
    # searched with, but re-ranking weighs them as the answerer does (less than the
    # question's own), so the candidates it ranked are the answer's, ranked once.
    services = build_services(indexed)
    history = [
        Message("user", "Which officials will travel to Kyiv?"),
        Message("assistant", "Senior military officials from the UK, France and Germany [1]."),
    ]
    question = "What will they devise there?"
    result = anyio.run(lambda: services.ask.ask(question, top_k=8, history=history))
    assert len(rankings) == 1 and rankings[0] == result.query != question
    assert "security plan" in result.answer.text

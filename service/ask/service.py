"""The ask use case: retrieve, then answer (LLM or extractive), with per-stage timings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import cast

import anyio

from service.answer.base import Answer, Answerer, AnswerPassage, Message, Token
from service.answer.extractive import ExtractiveAnswerer
from service.ask.followup import Resolution
from service.ask.resolver import FollowUpResolver
from service.core import metrics
from service.errors import UpstreamError, UpstreamTimeout
from service.evidence.scoring import QueryTerms
from service.evidence.support import Answers
from service.retrieval.retriever import Retrieval, Retriever, SearchFilters


@dataclass(frozen=True)
class Timings:
    embed: float
    retrieve: float
    generate: float
    total: float


@dataclass(frozen=True)
class AskResult:
    answer: Answer
    timings: Timings
    # What was searched: the question (resolved against the history), spelling repaired.
    query: str


class AskService:
    def __init__(
        self,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        llm: Answerer | None,
        *,
        fallback: bool,
        neighbours: int = 0,
        resolver: FollowUpResolver | None = None,
    ) -> None:
        self._resolver = resolver or FollowUpResolver()
        self._neighbours = neighbours
        self._retriever = retriever
        self._extractive = extractive
        self._llm = llm
        self._fallback = fallback

    @property
    def model(self) -> str:
        return self._llm.model if self._llm else self._extractive.model

    def warm(self) -> None:
        self._retriever.warm()

    async def aclose(self) -> None:
        close = getattr(self._llm, "aclose", None)
        if close is not None:
            await close()
        await self._resolver.aclose()

    async def retrieve(
        self,
        query: str,
        top_k: int,
        filters: SearchFilters | None = None,
        resolution: Resolution | None = None,
    ) -> Retrieval:
        """The passages for `query`; for a follow-up (`resolution`), re-ranked by the
        question's own words before those the earlier turns supplied, as it is answered."""
        retrieve = partial(
            self._retriever.retrieve,
            asked=resolution.asked if resolution else None,
            carried=resolution.carried_terms if resolution else frozenset(),
        )
        retrieval = await anyio.to_thread.run_sync(retrieve, query, top_k, filters)
        metrics.observe_stage("embed", retrieval.embed_ms / 1000)
        metrics.observe_stage("retrieve", retrieval.retrieve_ms / 1000)
        return retrieval

    async def stream(
        self,
        question: str,
        *,
        top_k: int,
        filters: SearchFilters | None = None,
        history: Sequence[Message] = (),
    ) -> AsyncIterator[Token | AskResult]:
        """Provisional tokens, then one `AskResult` (the final, post-processed answer)."""
        started = time.perf_counter()
        resolution = await self._resolver.resolve(question, history)
        retrieval = await self.retrieve(resolution.question, top_k, filters, resolution)
        generate_start = time.perf_counter()
        answer: Answer | None = None
        async for item in self._answer(question, retrieval, history):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        assert answer is not None, "answerers always end with an Answer"
        done = time.perf_counter()
        metrics.observe_stage("generate", done - generate_start)
        metrics.answer_completed(abstained=answer.abstained, fallback=answer.fallback)
        yield AskResult(
            answer=answer,
            query=retrieval.query.text,
            timings=Timings(
                embed=round(retrieval.embed_ms, 2),
                retrieve=round(retrieval.retrieve_ms, 2),
                generate=round((done - generate_start) * 1000, 2),
                total=round((done - started) * 1000, 2),
            ),
        )

    async def ask(
        self,
        question: str,
        *,
        top_k: int,
        filters: SearchFilters | None = None,
        history: Sequence[Message] = (),
    ) -> AskResult:
        async for item in self.stream(question, top_k=top_k, filters=filters, history=history):
            if isinstance(item, AskResult):
                return item
        raise AssertionError("stream ended without a result")

    async def _answer(
        self,
        question: str,
        retrieval: Retrieval,
        history: Sequence[Message],
    ) -> AsyncIterator[Token | Answer]:
        """The extractive answerer matches sentences against what was searched (spelling
        repaired, a follow-up resolved); the LLM reads the question and the history."""
        hits = retrieval.hits
        # What was re-ranked by: the searched terms, for a follow-up with those carried
        # over from earlier turns weighing less than the question's own.
        query = retrieval.query
        ranked = None
        if retrieval.answers is not None:
            # Re-ranking read the candidate answers of these hits for this query.
            # A hit is an answer passage; `Answers` is invariant in its passage type.
            ranked = cast("Answers[AnswerPassage]", retrieval.answers)
        if self._llm is None or not hits:
            # No passages: nothing for an LLM to ground an answer in.
            answer = self._extractive_answer(query, hits, ranked)
            yield Token(answer.text)
            yield answer
            return
        streamed = False
        context = await anyio.to_thread.run_sync(
            self._retriever.with_neighbours, hits, self._neighbours
        )
        try:
            async for item in self._llm.stream(
                question, history, hits, query=query, context=context, ranked=ranked
            ):
                streamed = streamed or isinstance(item, Token)
                yield item
        except (UpstreamError, UpstreamTimeout):
            if not self._fallback:
                raise
            answer = self._extractive_answer(query, hits, ranked)
            fallback = replace(answer, fallback=True)
            if not streamed:
                yield Token(fallback.text)
            yield fallback

    def _extractive_answer(
        self,
        query: QueryTerms,
        hits: Sequence[AnswerPassage],
        ranked: Answers[AnswerPassage] | None,
    ) -> Answer:
        if ranked is None:
            return self._extractive.answer(query, hits)
        return self._extractive.ranked(ranked, query, hits)

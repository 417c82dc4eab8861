"""Run a dataset against a target and score every answer."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from evals import metrics as m
from evals import names as n
from evals.judges.frozen_text import sentence_spans
from evals.judges.lexical import LexicalJudge, SupportJudge
from evals.negatives.dataset import Negative
from evals.questions.dataset import Question, Span
from evals.rows import Answered, AskReply, Citation, RetrievedChunk, Row
from evals.targets import Target

RETRIEVE_K = 10
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")

Ranking = Callable[[Sequence[str], set[str], int], float]


class Gold(Protocol):
    """What an answer is scored against: a dataset question or a conversation turn."""

    @property
    def answerable(self) -> bool: ...

    @property
    def sources(self) -> list[str]: ...

    @property
    def facts(self) -> list[list[str]]: ...

    @property
    def answer(self) -> str: ...

    @property
    def spans(self) -> list[Span]: ...


# (metric, formula, k) over the ranked files, and over the ranked gold spans.
FILE_RANKING: tuple[tuple[str, Ranking, int], ...] = (
    (n.FILE_HIT_1, m.hit_at, 1),
    (n.FILE_HIT_3, m.hit_at, 3),
    (n.FILE_HIT_5, m.hit_at, 5),
    (n.FILE_MRR_10, m.mrr_at, 10),
    (n.FILE_RECALL_5, m.recall_at, 5),
    (n.FILE_RECALL_10, m.recall_at, 10),
    (n.FILE_NDCG_10, m.ndcg_at, 10),
)
SPAN_RANKING: tuple[tuple[str, Ranking, int], ...] = (
    (n.SPAN_HIT_1, m.hit_at, 1),
    (n.SPAN_HIT_5, m.hit_at, 5),
    (n.SPAN_MRR_10, m.mrr_at, 10),
    (n.SPAN_RECALL_10, m.recall_at, 10),
)


def claims_with_citations(answer: str) -> list[tuple[str, list[int]]]:
    """Each answer sentence (markers removed) with the citation numbers inside it."""
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        # Markers opening a sentence ("Geneva. [2] Next ...") belong to the claim before.
        lead = _LEADING_MARKERS.match(sentence)
        if lead and out:
            out[-1][1].extend(int(x) for x in re.findall(r"\d+", lead.group(0)))
            sentence = sentence[lead.end() :]
        numbers = [int(x) for x in re.findall(r"\[(\d+)\]", sentence)]
        plain = m.strip_markers(sentence)
        if plain:
            out.append((plain, numbers))
    return out


def alce(
    answer: str, quotes: dict[int, str], judge: SupportJudge
) -> tuple[float | None, float | None]:
    """ALCE citation recall and precision of one answer (None when not applicable)."""
    claims = claims_with_citations(answer)
    if not claims:
        return None, None
    supported = 0
    relevant = 0
    total = 0
    for claim, numbers in claims:
        cited = [quotes[i] for i in dict.fromkeys(numbers) if i in quotes]
        if cited and judge.supports(claim, " ".join(cited)):
            supported += 1
        for i, quote in enumerate(cited):
            total += 1
            others = " ".join(q for j, q in enumerate(cited) if j != i)
            alone = judge.supports(claim, quote)
            rest = bool(others) and judge.supports(claim, others)
            relevant += 0 if (not alone and rest) else 1
    return supported / len(claims), (relevant / total if total else None)


def _ranked_spans(question: Gold, chunks: Sequence[RetrievedChunk]) -> list[str]:
    """Each chunk as the gold span it overlaps, or as a miss of its own."""
    ranked = []
    for c in chunks:
        matched = next(
            (
                f"{s.source}:{s.start}"
                for s in question.spans
                if s.source == c["source"] and m.overlaps(s.start, s.end, c["start"], c["end"])
            ),
            f"miss:{c['source']}:{c['start']}",
        )
        ranked.append(matched)
    return ranked


def _retrieval_scores(question: Gold, chunks: Sequence[RetrievedChunk]) -> dict[str, float]:
    files, gold = [c["source"] for c in chunks], set(question.sources)
    scores = {name: formula(files, gold, k) for name, formula, k in FILE_RANKING}
    if question.spans:
        ranked = _ranked_spans(question, chunks)
        spans = {f"{s.source}:{s.start}" for s in question.spans}
        scores |= {name: formula(ranked, spans, k) for name, formula, k in SPAN_RANKING}
    return scores


def _answer_scores(question: Gold, reply: AskReply, judge: SupportJudge) -> dict[str, float | None]:
    if reply["abstained"]:
        return {n.FALSE_REFUSAL: 1.0, n.FACT_RECALL: 0.0}
    answer, citations, gold = reply["answer"], reply["citations"], set(question.sources)
    scores: dict[str, float | None] = {
        n.FALSE_REFUSAL: 0.0,
        n.FACT_RECALL: m.fact_recall(answer, question.facts),
        n.TOKEN_F1: m.token_f1(answer, question.answer),
        n.WORDS: float(m.word_count(answer)),
    }
    cited = [c["source"] for c in citations]
    if cited:
        scores[n.SOURCE_PRECISION] = sum(s in gold for s in cited) / len(cited)
        scores[n.SOURCE_RECALL] = len(set(cited) & gold) / len(gold)
    recall, precision = alce(answer, {c["n"]: c["quote"] for c in citations}, judge)
    scores[n.ALCE_RECALL] = recall
    scores[n.ALCE_PRECISION] = precision
    return scores


async def valid_citations(
    citations: Sequence[Citation], target: Target, texts: dict[str, str | None]
) -> list[bool]:
    """Whether each citation's quote is exactly its span of the article text."""
    for c in citations:
        if c["source"] not in texts:
            texts[c["source"]] = await target.article_text(c["source"])
    return [(texts[c["source"]] or "\0")[c["start"] : c["end"]] == c["quote"] for c in citations]


def score(
    gold: Gold | Negative,
    reply: AskReply,
    chunks: Sequence[RetrievedChunk],
    valid: Sequence[bool],
    judge: SupportJudge,
) -> dict[str, float | None]:
    """Retrieval, answer, citation and abstention metrics of one answer."""
    scores: dict[str, float | None] = {}
    if not isinstance(gold, Negative) and gold.answerable:
        scores |= _retrieval_scores(gold, chunks)
        scores |= _answer_scores(gold, reply, judge)
    else:
        scores[n.CORRECT_REFUSAL] = 1.0 if reply["abstained"] else 0.0
    if valid:
        scores[n.VALIDITY] = sum(valid) / len(valid)
    return scores


def answered(
    reply: AskReply,
    chunks: list[RetrievedChunk],
    valid: list[bool],
    scores: dict[str, float | None],
    wall_ms: float,
) -> Answered:
    """A row's reply fields, shared by question rows and conversation turn rows."""
    return Answered(
        answer=reply["answer"],
        abstained=reply["abstained"],
        fallback=reply["fallback"],
        model=reply["model"],
        citations=reply["citations"],
        retrieved=chunks,
        # Set by the extractive answerer (what it abstains on); null for LLM answers.
        confidence=reply.get("confidence"),
        timings_ms={**reply["timings_ms"], "wall": round(wall_ms, 2)},
        usage=reply["usage"],
        citation_valid=valid,
        metrics={k: v for k, v in scores.items() if v is not None},
    )


async def evaluate(
    question: Question | Negative,
    target: Target,
    texts: dict[str, str | None],
    judge: SupportJudge,
) -> Row:
    """One question's row. A negative (`evals/negatives/dataset.py`) is scored as an unanswerable
    question: its only right answer is a refusal."""
    started = time.perf_counter()
    reply = await target.ask(question.question)
    wall_ms = (time.perf_counter() - started) * 1000
    chunks = (await target.retrieve(question.question, RETRIEVE_K))["chunks"]
    valid = await valid_citations(reply["citations"], target, texts)
    scores = score(question, reply, chunks, valid, judge)
    return Row(
        id=question.id,
        split=question.split,
        tags=list(question.tags),
        answerable=question.answerable,
        question=question.question,
        reference=question.answer if isinstance(question, Question) else "",
        **answered(reply, chunks, valid, scores, wall_ms),
    )


async def run(
    questions: Sequence[Question | Negative],
    target: Target,
    *,
    concurrency: int = 1,
    judge: SupportJudge | None = None,
    progress: Callable[[], None] | None = None,
) -> list[Row]:
    judge = judge or LexicalJudge()
    texts: dict[str, str | None] = {}
    semaphore = asyncio.Semaphore(max(1, concurrency))
    rows: list[Row | None] = [None] * len(questions)

    async def one(i: int, q: Question | Negative) -> None:
        async with semaphore:
            rows[i] = await evaluate(q, target, texts, judge)
            if progress:
                progress()

    await asyncio.gather(*(one(i, q) for i, q in enumerate(questions)))
    return [r for r in rows if r is not None]

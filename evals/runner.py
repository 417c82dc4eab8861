"""Run a dataset against a target and score every answer."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from evals import metrics as m
from evals.dataset import Question
from evals.judge import LexicalJudge, SupportJudge
from evals.targets import Target
from service.core.store import Chunk
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.sentences import sentence_spans
from service.retrieval.hits import Hit

RETRIEVE_K = 10
CONFIDENCE_K = 8
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")


def _hits(chunks: Sequence[dict[str, Any]]) -> list[Hit]:
    return [
        Hit(
            Chunk(
                id=c["chunk_id"],
                text=c["text"],
                source=c["source"],
                start=c["start"],
                end=c["end"],
                chunk_index=0,
                title=c.get("title") or "",
                published=c.get("published"),
                url=None,
                file_sha256="",
                tokens=0,
            ),
            float(c["score"]),
            float(c.get("similarity", c["score"])),
        )
        for c in chunks
    ]


def confidence(question: str, chunks: Sequence[dict[str, Any]]) -> float:
    """The extractive answerer's evidence score: what its abstention threshold is set on."""
    evidence = score_evidence(QueryTerms(question), _hits(chunks[:CONFIDENCE_K]))
    return evidence[0].score if evidence else 0.0


def claims_with_citations(answer: str) -> list[tuple[str, list[int]]]:
    """Each answer sentence (markers removed) with the citation numbers inside it."""
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        # Markers opening a sentence ("Geneva. [2] Next ...") belong to the claim before.
        lead = _LEADING_MARKERS.match(sentence)
        if lead and out:
            out[-1][1].extend(int(n) for n in re.findall(r"\d+", lead.group(0)))
            sentence = sentence[lead.end() :]
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
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
        cited = [quotes[n] for n in dict.fromkeys(numbers) if n in quotes]
        if cited and judge.supports(claim, " ".join(cited)):
            supported += 1
        for i, quote in enumerate(cited):
            total += 1
            others = " ".join(q for j, q in enumerate(cited) if j != i)
            alone = judge.supports(claim, quote)
            rest = bool(others) and judge.supports(claim, others)
            relevant += 0 if (not alone and rest) else 1
    return supported / len(claims), (relevant / total if total else None)


async def evaluate(
    question: Question,
    target: Target,
    texts: dict[str, str | None],
    judge: SupportJudge,
) -> dict[str, Any]:
    started = time.perf_counter()
    response = await target.ask(question.question)
    wall_ms = (time.perf_counter() - started) * 1000
    retrieved = await target.retrieve(question.question, RETRIEVE_K)
    chunks: list[dict[str, Any]] = retrieved["chunks"]
    searched = str(retrieved.get("query") or question.question)

    citations = response["citations"]
    for c in citations:
        if c["source"] not in texts:
            texts[c["source"]] = await target.article_text(c["source"])
    valid = [
        (texts.get(c["source"]) or "\0")[c["start"] : c["end"]] == c["quote"] for c in citations
    ]
    gold = set(question.sources)
    files = [c["source"] for c in chunks]
    row: dict[str, Any] = {
        "id": question.id,
        "split": question.split,
        "tags": list(question.tags),
        "answerable": question.answerable,
        "question": question.question,
        "reference": question.answer,
        "answer": response["answer"],
        "abstained": response["abstained"],
        "fallback": response.get("fallback", False),
        "model": response.get("model"),
        "citations": citations,
        "retrieved": [{k: c[k] for k in ("source", "start", "end", "score")} for c in chunks],
        "confidence": (
            response["confidence"]
            if response.get("confidence") is not None
            else round(confidence(searched, chunks), 4)
        ),
        "timings_ms": {**response["timings_ms"], "wall": round(wall_ms, 2)},
        "usage": response.get("usage", {}),
        "citation_valid": valid,
        "metrics": {},
    }
    scores: dict[str, float | None] = {}
    if question.answerable:
        for k in (1, 3, 5):
            scores[f"retrieval.file.hit@{k}"] = m.hit_at(files, gold, k)
        scores["retrieval.file.mrr@10"] = m.mrr_at(files, gold, 10)
        scores["retrieval.file.recall@5"] = m.recall_at(files, gold, 5)
        scores["retrieval.file.recall@10"] = m.recall_at(files, gold, 10)
        scores["retrieval.file.ndcg@10"] = m.ndcg_at(files, gold, 10)
        if question.spans:
            span_ids = [f"{s.source}:{s.start}" for s in question.spans]
            ranked = []
            for c in chunks:
                matched = next(
                    (
                        f"{s.source}:{s.start}"
                        for s in question.spans
                        if s.source == c["source"]
                        and m.overlaps(s.start, s.end, c["start"], c["end"])
                    ),
                    f"miss:{c['source']}:{c['start']}",
                )
                ranked.append(matched)
            gold_spans = set(span_ids)
            scores["retrieval.span.hit@1"] = m.hit_at(ranked, gold_spans, 1)
            scores["retrieval.span.hit@5"] = m.hit_at(ranked, gold_spans, 5)
            scores["retrieval.span.mrr@10"] = m.mrr_at(ranked, gold_spans, 10)
            scores["retrieval.span.recall@10"] = m.recall_at(ranked, gold_spans, 10)
        scores["abstention.false_refusal"] = 1.0 if response["abstained"] else 0.0
        if not response["abstained"]:
            scores["answers.fact_recall"] = m.fact_recall(response["answer"], question.facts)
            scores["answers.token_f1"] = m.token_f1(response["answer"], question.answer)
            scores["answers.words"] = float(m.word_count(response["answer"]))
            cited = [c["source"] for c in citations]
            if cited:
                scores["citations.source_precision"] = sum(s in gold for s in cited) / len(cited)
                scores["citations.source_recall"] = len(set(cited) & gold) / len(gold)
            quotes = {c["n"]: c["quote"] for c in citations}
            recall, precision = alce(response["answer"], quotes, judge)
            scores["citations.alce_recall"] = recall
            scores["citations.alce_precision"] = precision
        else:
            scores["answers.fact_recall"] = 0.0
    else:
        scores["abstention.correct_refusal"] = 1.0 if response["abstained"] else 0.0
    if valid:
        scores["citations.validity"] = sum(valid) / len(valid)
    row["metrics"] = {k: v for k, v in scores.items() if v is not None}
    return row


async def run(
    questions: Sequence[Question],
    target: Target,
    *,
    concurrency: int = 1,
    judge: SupportJudge | None = None,
    progress: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    judge = judge or LexicalJudge()
    texts: dict[str, str | None] = {}
    semaphore = asyncio.Semaphore(max(1, concurrency))
    rows: list[dict[str, Any] | None] = [None] * len(questions)

    async def one(i: int, q: Question) -> None:
        async with semaphore:
            rows[i] = await evaluate(q, target, texts, judge)
            if progress:
                progress()

    await asyncio.gather(*(one(i, q) for i, q in enumerate(questions)))
    return [r for r in rows if r is not None]

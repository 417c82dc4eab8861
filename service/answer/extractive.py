"""The default answerer: sentences taken verbatim from the retrieved passages.

Deterministic and offline. The best sentences by evidence score (service/evidence)
become the answer, each cited by its exact span. When even the best sentence is weak
evidence the answerer abstains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from service.answer.base import Answer, AnswerPassage, Citation
from service.evidence.scoring import Evidence, QueryTerms, score_evidence
from service.evidence.text import fold_whitespace
from service.settings import AnswerSettings

MODEL_NAME = "extractive"


def select(
    evidence: Sequence[Evidence[AnswerPassage]], max_sentences: int, keep_ratio: float
) -> list[Evidence[AnswerPassage]]:
    """The best sentence, plus close runners-up that add question terms it lacks."""
    if not evidence:
        return []
    best = evidence[0]
    chosen = [best]
    covered = set(best.terms)
    for ev in evidence[1:]:
        if len(chosen) >= max_sentences or ev.score < keep_ratio * best.score:
            break
        if ev.terms - covered and ev.quote not in {c.quote for c in chosen}:
            chosen.append(ev)
            covered |= ev.terms
    return chosen


def with_marker(sentence: str, n: int) -> str:
    """`Talks were held in Geneva [1].`: the marker goes before a final full stop."""
    if sentence.endswith((".", "!", "?")) and not sentence.endswith(".."):
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings) -> None:
        self._settings = settings

    @property
    def model(self) -> str:
        return MODEL_NAME

    def answer(self, query: QueryTerms, passages: Sequence[AnswerPassage]) -> Answer:
        evidence = score_evidence(query, passages)
        confidence = round(evidence[0].score, 4) if evidence else 0.0
        if not evidence or evidence[0].score < self._settings.min_score:
            return replace(Answer.abstain(MODEL_NAME), confidence=confidence)
        chosen = select(evidence, self._settings.max_sentences, self._settings.keep_ratio)
        parts: list[str] = []
        citations: list[Citation] = []
        for n, ev in enumerate(chosen, start=1):
            parts.append(with_marker(fold_whitespace(ev.quote), n))
            citations.append(
                Citation(
                    n=n,
                    source=ev.source,
                    title=ev.passage.title,
                    published=ev.passage.published,
                    start=ev.start,
                    end=ev.end,
                    quote=ev.quote,
                    score=round(ev.score, 4),
                )
            )
        return Answer(
            text=" ".join(parts),
            abstained=False,
            citations=citations,
            model=MODEL_NAME,
            confidence=confidence,
        )

"""The default answerer: sentences taken verbatim from the retrieved chunks.

Deterministic and offline. Each candidate sentence is scored by how much of the
question's (idf-weighted) content it contains and by the dense score of its chunk; the
best sentences become the answer, each cited by its exact span. When even the best
sentence is weak evidence the answerer abstains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from service.answer.answer_type import expected_answer_type, has_answer_type
from service.answer.base import Answer, Citation
from service.answer.lexical import coverage, idf_weights, terms
from service.answer.sentences import sentence_spans
from service.core.store import Hit
from service.settings import AnswerSettings

MODEL_NAME = "extractive"
# How much of the score comes from the sentence's own words versus its chunk's vector.
LEXICAL_WEIGHT = 0.6
# Evidence lacking the kind of answer asked for (a number, a date) counts this much.
TYPE_MISMATCH_FACTOR = 0.5


@dataclass(frozen=True)
class Evidence:
    source: str
    title: str
    published: str | None
    start: int
    end: int
    quote: str
    dense: float
    lexical: float
    terms: frozenset[str]
    typed: bool = True

    @property
    def score(self) -> float:
        value = LEXICAL_WEIGHT * self.lexical + (1 - LEXICAL_WEIGHT) * max(self.dense, 0.0)
        # "How many ...?" answered by a sentence without a number is not an answer.
        return value if self.typed else value * TYPE_MISMATCH_FACTOR


def candidate_sentences(hits: Sequence[Hit]) -> list[tuple[Hit, int, int, frozenset[str]]]:
    """Every sentence of the hits once (overlapping chunks repeat sentences)."""
    seen: dict[tuple[str, int, int], int] = {}
    out: list[tuple[Hit, int, int, frozenset[str]]] = []
    for hit in hits:
        chunk = hit.chunk
        for s, e in sentence_spans(chunk.text):
            key = (chunk.source, chunk.start + s, chunk.start + e)
            if key in seen:
                continue
            seen[key] = len(out)
            out.append((hit, s, e, frozenset(terms(chunk.text[s:e]))))
    return out


def score_evidence(
    question: str, hits: Sequence[Hit], weights: Mapping[str, float] | None = None
) -> list[Evidence]:
    """Candidate sentences with their scores, best first.

    `weights`: corpus-wide idf of the question's terms; without it, idf is taken over
    the candidate sentences alone."""
    query_terms = terms(question)
    candidates = candidate_sentences(hits)
    if not query_terms or not candidates:
        return []
    if weights is None:
        weights = idf_weights(query_terms, [c[3] for c in candidates])
    else:
        weights = {t: weights[t] for t in set(query_terms) if t in weights}
    wanted = expected_answer_type(question)
    evidence = [
        Evidence(
            source=hit.chunk.source,
            title=hit.chunk.title,
            published=hit.chunk.published,
            start=hit.chunk.start + s,
            end=hit.chunk.start + e,
            quote=hit.chunk.text[s:e],
            dense=hit.similarity,
            lexical=coverage(weights, sentence_terms),
            terms=sentence_terms,
            typed=has_answer_type(hit.chunk.text[s:e], wanted, question),
        )
        for hit, s, e, sentence_terms in candidates
    ]
    evidence.sort(key=lambda ev: (-ev.score, ev.source, ev.start))
    return evidence


def select(evidence: Sequence[Evidence], max_sentences: int, keep_ratio: float) -> list[Evidence]:
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

    def answer(
        self, question: str, hits: Sequence[Hit], weights: Mapping[str, float] | None = None
    ) -> Answer:
        evidence = score_evidence(question, hits, weights)
        confidence = round(evidence[0].score, 4) if evidence else 0.0
        if not evidence or evidence[0].score < self._settings.min_score:
            return replace(Answer.abstain(MODEL_NAME), confidence=confidence)
        chosen = select(evidence, self._settings.max_sentences, self._settings.keep_ratio)
        parts: list[str] = []
        citations: list[Citation] = []
        for n, ev in enumerate(chosen, start=1):
            parts.append(with_marker(" ".join(ev.quote.split()), n))
            citations.append(
                Citation(
                    n=n,
                    source=ev.source,
                    title=ev.title,
                    published=ev.published,
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

"""Sentence evidence: how well each sentence of some passages answers a question.

Each candidate sentence is scored by how much of the question's (idf-weighted) content it
contains and by the dense similarity of its passage; retrieval re-ranks chunks by their
best sentence and the extractive answerer quotes the best sentences. Passages are any
objects with a source, an article offset, a text and a similarity (`Passage`), so this
layer knows nothing of chunks, hits or answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from service.evidence.answer_type import expected_answer_type, has_answer_type
from service.evidence.sentences import spans_of
from service.evidence.text import coverage, idf_weights, terms

# ` date 2025-11-25 Headline`: the marker ingest reads an article's date from (ingest/reader.py).
DATE_MARKER = re.compile(r"\A\s*date[:\s][ \t]*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
# How much of the score comes from the sentence's own words versus its passage's vector.
LEXICAL_WEIGHT = 0.6
# Evidence lacking the kind of answer asked for (a number, a date) counts this much.
TYPE_MISMATCH_FACTOR = 0.5


class Passage(Protocol):
    """A piece of an article: `text == article_text[start:start + len(text)]`."""

    @property
    def source(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def similarity(self) -> float:
        """Cosine similarity of the passage to the question."""
        ...

    @property
    def title(self) -> str: ...

    @property
    def published(self) -> str | None:
        """The article's date, YYYY-MM-DD, when known."""
        ...


P = TypeVar("P", bound=Passage)


@dataclass(frozen=True)
class QueryTerms:
    """What is matched against sentences: the text and, when known, the corpus-wide idf
    of its terms (without it, idf is taken over the candidate sentences alone)."""

    text: str
    weights: Mapping[str, float] | None = None
    # The question alone, when `text` also carries context from earlier turns: the answer
    # checks read what is asked from it, so that the context is searched with but is not
    # something every answer must mention.
    asked: str | None = None


@dataclass(frozen=True)
class Evidence(Generic[P]):
    """One sentence of `passage`, at article offsets `start:end`."""

    passage: P
    start: int
    end: int
    quote: str
    dense: float
    lexical: float
    terms: frozenset[str]
    typed: bool = True

    @property
    def source(self) -> str:
        return self.passage.source

    @property
    def score(self) -> float:
        value = LEXICAL_WEIGHT * self.lexical + (1 - LEXICAL_WEIGHT) * max(self.dense, 0.0)
        # "How many ...?" answered by a sentence without a number is not an answer.
        return value if self.typed else value * TYPE_MISMATCH_FACTOR


def _marker(passage: Passage) -> re.Match[str] | None:
    # The marker ingest read is the one whose date is the article's (a chunk may start
    # after the article's leading white space, so its offset need not be 0).
    found = DATE_MARKER.match(passage.text)
    return found if found and found.group(1) == passage.published else None


def date_marker(passage: Passage) -> tuple[int, int, str] | None:
    """Passage offsets and value of the article's `date YYYY-MM-DD` marker: the start of
    its first non-blank line (what ingest reads the article's date from)."""
    found = _marker(passage)
    return (found.start(1), found.end(1), found.group(1)) if found else None


def text_spans(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences, without a leading date marker: the marker is metadata, so
    the headline it precedes starts after it (a marker alone on its line is dropped)."""
    spans = list(spans_of(passage.text, getattr(passage, "sentences", None)))
    found = _marker(passage)
    if found is None:
        return spans
    cut = found.end()
    return [(max(s, cut), e) for s, e in spans if e > cut]


def candidate_sentences(passages: Sequence[P]) -> list[tuple[P, int, int, frozenset[str]]]:
    """Every sentence of the passages once (overlapping chunks repeat sentences)."""
    seen: set[tuple[str, int, int]] = set()
    out: list[tuple[P, int, int, frozenset[str]]] = []
    for passage in passages:
        text = passage.text
        # Chunks carry the spans computed at ingest (`sentences`); other passages do not.
        for s, e in text_spans(passage):
            key = (passage.source, passage.start + s, passage.start + e)
            if key in seen:
                continue
            seen.add(key)
            out.append((passage, s, e, frozenset(terms(text[s:e]))))
    return out


def score_evidence(query: QueryTerms, passages: Sequence[P]) -> list[Evidence[P]]:
    """Candidate sentences with their scores, best first."""
    question = query.text
    query_terms = terms(question)
    candidates = candidate_sentences(passages)
    if not query_terms or not candidates:
        return []
    weights: Mapping[str, float]
    if query.weights is None:
        weights = idf_weights(query_terms, [c[3] for c in candidates])
    else:
        weights = {t: query.weights[t] for t in set(query_terms) if t in query.weights}
    wanted = expected_answer_type(question)
    evidence = [
        Evidence(
            passage=passage,
            start=passage.start + s,
            end=passage.start + e,
            quote=passage.text[s:e],
            dense=passage.similarity,
            lexical=coverage(weights, sentence_terms),
            terms=sentence_terms,
            typed=has_answer_type(passage.text[s:e], wanted, question),
        )
        for passage, s, e, sentence_terms in candidates
    ]
    evidence.sort(key=lambda ev: (-ev.score, ev.source, ev.start))
    return evidence

"""What every answerer returns, and the interface they share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from service.evidence.scoring import Passage, QueryTerms
from service.evidence.support import Answers

ABSTAIN_TEXT = "The articles do not answer this question."


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Citation:
    """An exact article span: `article_text[start:end] == quote`."""

    n: int
    source: str
    title: str
    published: str | None
    start: int
    end: int
    quote: str
    score: float


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    citations: list[Citation]
    model: str
    fallback: bool = False
    usage: Usage = field(default_factory=Usage)
    # The extractive answerer's best evidence score (what abstention compares against).
    confidence: float | None = None

    @classmethod
    def abstain(cls, model: str, text: str = ABSTAIN_TEXT, usage: Usage | None = None) -> Answer:
        return cls(text=text, abstained=True, citations=[], model=model, usage=usage or Usage())


class AnswerPassage(Passage, Protocol):
    """A retrieved passage as answerers see it: evidence plus what a citation names."""

    @property
    def end(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def published(self) -> str | None: ...

    @property
    def score(self) -> float:
        """Rank score within one retrieval; higher is better."""
        ...


@dataclass(frozen=True)
class Token:
    """Provisional display text streamed before the final answer."""

    text: str


class Answerer(Protocol):
    @property
    def model(self) -> str: ...

    def stream(
        self,
        question: str,
        history: Sequence[Message],
        passages: Sequence[AnswerPassage],
        *,
        query: QueryTerms,
        context: Sequence[AnswerPassage] = (),
        ranked: Answers[AnswerPassage] | None = None,
    ) -> AsyncIterator[Token | Answer]:
        """Yield provisional tokens, then exactly one final `Answer`.

        `passages`: the retrieved hits, whose sentences are ranked against `query` (what
        was searched, as the extractive answerer matches it); `context`: the hits with the
        chunks around them, where an evidence sentence is completed; `ranked`: that
        ranking, when retrieval already made it."""
        ...

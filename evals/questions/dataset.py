"""Schema, loader and text normalisation for the question-answering evaluation dataset.

The dataset is a JSON Lines file: one `Question` object per line. Facts are lists of
acceptable alternative strings; a fact counts as present in a text when any alternative
occurs in it after both sides have gone through `normalise`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.feedback.candidates import labelled_or_skipped
from evals.jsonl import load_jsonl

Split = Literal["dev", "test"]

Tag = Literal[
    "single-fact",
    "multi-fact",
    "cross-article",
    "date",
    "keyword",
    "paraphrase",
    "lowercase",
    "misspelled",
    "unanswerable-on-topic",
    "unanswerable-off-topic",
    "who",
    "where",
    "number",
]

UNANSWERABLE_TAGS: frozenset[str] = frozenset({"unanswerable-on-topic", "unanswerable-off-topic"})

# News copy mixes typographic and ASCII punctuation for the same words, so a fact
# written with straight quotes must still match an article that uses curly ones.
_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark / apostrophe
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u2032": "'",  # prime, sometimes typed for an apostrophe
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u2033": '"',  # double prime
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
    }
)

_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold `text` into the form used for fact matching.

    Casefolding rather than lower() so that matching is also caseless outside ASCII;
    whitespace is collapsed because line breaks inside articles are layout, not content.
    """
    folded = text.casefold().translate(_PUNCTUATION)
    return _WHITESPACE.sub(" ", folded).strip()


class Span(BaseModel):
    """Character offsets of a sentence, in one article, that holds a fact.

    Offsets index the article decoded as UTF-8 with any BOM removed and newlines left
    as they are, so a consumer can slice the text without re-deriving them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _non_empty(self) -> Span:
        # An empty or inverted span cannot hold a fact, so it is always a data error.
        if self.end <= self.start:
            raise ValueError(f"span end ({self.end}) must be greater than start ({self.start})")
        return self


def check_gold(sources: list[str], facts: list[list[str]], spans: list[Span]) -> None:
    """Raise ValueError unless the gold answer fields agree with one another.

    Shared by single-turn questions and conversation turns, which are scored alike.
    """
    for index, fact in enumerate(facts):
        if not fact or any(not alternative.strip() for alternative in fact):
            raise ValueError(f"fact {index} must list at least one non-blank alternative")
    if len(set(sources)) != len(sources):
        raise ValueError("sources must not repeat")
    stray = {span.source for span in spans} - set(sources)
    if stray:
        raise ValueError(f"spans point at files that are not gold sources: {sorted(stray)}")


class Question(BaseModel):
    """One evaluation question with its gold sources, key facts and reference answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    sources: list[str]
    facts: list[list[str]]
    answer: str = Field(min_length=1)
    spans: list[Span] = Field(default_factory=list)
    tags: list[Tag] = Field(min_length=1)
    split: Split

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        # Scoring relies on these invariants, so a violating line is rejected at load
        # time rather than silently skewing retrieval or answer metrics.
        unanswerable_tags = UNANSWERABLE_TAGS.intersection(self.tags)
        if self.answerable:
            if not self.sources:
                raise ValueError("an answerable question needs at least one source")
            if not self.facts:
                raise ValueError("an answerable question needs at least one fact")
            if unanswerable_tags:
                raise ValueError(
                    f"an answerable question cannot be tagged {sorted(unanswerable_tags)}"
                )
        else:
            if self.sources or self.facts or self.spans:
                raise ValueError("an unanswerable question must have no sources, facts or spans")
            if len(unanswerable_tags) != 1:
                raise ValueError(
                    "an unanswerable question needs exactly one of "
                    f"{sorted(UNANSWERABLE_TAGS)} among its tags"
                )
        check_gold(self.sources, self.facts, self.spans)
        return self


def load_dataset(path: str | Path) -> list[Question]:
    """Parse and validate a JSON Lines dataset; see `load_jsonl` for the errors raised.

    Rows made from readers' feedback (evals/feedback) are skipped while `unlabelled`."""
    rows = load_jsonl(
        path, lambda raw: labelled_or_skipped(raw, Question.model_validate), "question"
    )
    return [row for row in rows if isinstance(row, Question)]

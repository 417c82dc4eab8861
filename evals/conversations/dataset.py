"""Schema and loader for the multi-turn conversation evaluation set.

The set is a JSON Lines file: one `Conversation` per line. A conversation is two to four
user turns; every turn after the first may lean on earlier turns (pronouns, "that call",
"and when?"), and its `standalone` field is the question a careful reader would write with
that context resolved, so a follow-up rewriter can be scored against it. Each turn carries
the same answer fields as a single-turn `evals.questions.dataset.Question`, with facts matched the
same way (any alternative, after `normalise`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.jsonl import load_jsonl
from evals.questions.dataset import Span, Split, check_gold, normalise

ConversationTag = Literal[
    "pronoun",
    "definite-reference",
    "ellipsis",
    "entity-carry",
    "topic-switch",
    "unanswerable-follow-up",
    "answer-reference",
]

CONVERSATION_TAGS: tuple[str, ...] = get_args(ConversationTag)


class Turn(BaseModel):
    """One user turn: what was typed, its resolved form and the gold answer fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1)
    standalone: str = Field(min_length=1)
    answerable: bool
    sources: list[str]
    facts: list[list[str]]
    answer: str = Field(min_length=1)
    spans: list[Span] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Turn:
        # The same invariants as a single-turn question: scoring a turn relies on them.
        if self.answerable:
            if not self.sources:
                raise ValueError("an answerable turn needs at least one source")
            if not self.facts:
                raise ValueError("an answerable turn needs at least one fact")
        elif self.sources or self.facts or self.spans:
            raise ValueError("an unanswerable turn must have no sources, facts or spans")
        check_gold(self.sources, self.facts, self.spans)
        return self

    @property
    def needs_context(self) -> bool:
        """Whether the typed question differs from its resolved form."""
        return normalise(self.question) != normalise(self.standalone)


class Conversation(BaseModel):
    """A short dialogue whose later turns are follow-ups to earlier ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    split: Split
    tags: list[ConversationTag] = Field(min_length=1)
    turns: list[Turn] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _consistent(self) -> Conversation:
        if len(set(self.tags)) != len(self.tags):
            raise ValueError("tags must not repeat")
        first, follow_ups = self.turns[0], self.turns[1:]
        # The opening turn has nothing to lean on, so its resolved form is itself.
        if first.standalone != first.question:
            raise ValueError("the first turn's standalone must equal its question")
        # Follow-ups resolve against what came before; an unanswered opener gives them
        # nothing to resolve against.
        if not first.answerable:
            raise ValueError("the first turn must be answerable")
        if not any(turn.needs_context for turn in follow_ups):
            raise ValueError("at least one later turn must need context (standalone != question)")
        # Per-tag reports are only meaningful if the tags agree with the turns.
        has_unanswerable = any(not turn.answerable for turn in follow_ups)
        if has_unanswerable != ("unanswerable-follow-up" in self.tags):
            raise ValueError(
                "tag 'unanswerable-follow-up' must be present exactly when a later turn "
                "is unanswerable"
            )
        # A later turn that needs no rewriting starts a new topic; keeping the two in step
        # lets a scorer find the topic-switch turns, where nothing may be carried over.
        has_self_contained = not all(turn.needs_context for turn in follow_ups)
        if has_self_contained != ("topic-switch" in self.tags):
            raise ValueError(
                "tag 'topic-switch' must be present exactly when a later turn stands alone "
                "(standalone == question)"
            )
        return self


def load_conversations(path: str | Path) -> list[Conversation]:
    """Parse and validate a JSON Lines conversation set; see `load_jsonl` for the errors."""
    return load_jsonl(path, Conversation.model_validate, "conversation")

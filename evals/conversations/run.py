"""Run the multi-turn conversation set: every follow-up turn, asked with its history.

A turn's history is the conversation's earlier user questions, each followed by its
reference answer: deterministic, so a turn's score does not depend on how the service
answered the turn before (that is the single-turn set's job), and the turns of a
conversation can be asked in any order. The opening turn is only context; each later turn
is one row, scored like a single-turn question (`evals.questions.run.score`) plus how well what
the service searched for (the `query` of `/v1/ask`) matches the turn's `standalone`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable, Sequence

from evals import metrics as m
from evals import names as n
from evals.conversations.dataset import Conversation
from evals.judges.lexical import LexicalJudge, SupportJudge
from evals.questions.dataset import normalise
from evals.questions.run import RETRIEVE_K, answered, score, valid_citations
from evals.rows import Message, TurnRow
from evals.targets import Target

FOLLOW_UP = "follow-up"  # a turn that needs the earlier turns (standalone != question)
SELF_CONTAINED = "self-contained"  # a later turn that starts a new topic

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")


def _word(token: str) -> str:
    return normalise(token).removesuffix("'s")


def words(text: str) -> set[str]:
    """Casefolded words of `text`, possessive endings dropped ("Nordhav's" -> "nordhav")."""
    return {_word(t) for t in _TOKEN.findall(text)}


def entity_words(text: str) -> list[str]:
    """Names and numbers: capitalised words after the first, and digits."""
    tokens = _TOKEN.findall(text)
    return [_word(t) for i, t in enumerate(tokens) if t[0].isdigit() or (i and t[0].isupper())]


def history(conversation: Conversation, index: int) -> list[Message]:
    """The turns before `index`: each user question and its reference answer."""
    out: list[Message] = []
    for turn in conversation.turns[:index]:
        out.append(Message(role="user", content=turn.question))
        out.append(Message(role="assistant", content=turn.answer))
    return out


def gold_entities(conversation: Conversation, index: int) -> set[str]:
    """Entity words of the turn's standalone that a rewriter could know: those in the
    turn's question or in an earlier question or reference answer. (An annotator's
    additions from world knowledge, such as a year nobody mentioned, are not counted.)"""
    turn = conversation.turns[index]
    context: set[str] = words(turn.question)
    for message in history(conversation, index):
        context |= words(message["content"])
    return {w for w in entity_words(turn.standalone) if w in context}


def rewrite_scores(standalone: str, query: str, entities: Iterable[str]) -> dict[str, float]:
    """Token F1 of the query against the standalone, and which gold entities it kept."""
    scores = {n.REWRITE_F1: m.token_f1(query, standalone)}
    gold = set(entities)
    if gold:
        found = gold & words(query)
        scores[n.REWRITE_ENTITY_RECALL] = len(found) / len(gold)
        scores[n.REWRITE_ENTITIES_ALL] = 1.0 if found == gold else 0.0
    return scores


async def evaluate_turn(
    conversation: Conversation,
    index: int,
    target: Target,
    texts: dict[str, str | None],
    judge: SupportJudge,
) -> TurnRow:
    turn = conversation.turns[index]
    started = time.perf_counter()
    reply = await target.ask(turn.question, history(conversation, index))
    wall_ms = (time.perf_counter() - started) * 1000
    # What the answer drew on: the service's own rewrite, searched again (a service
    # without the `query` field searched the question as typed).
    query = reply.get("query") or turn.question
    chunks = (await target.retrieve(query, RETRIEVE_K))["chunks"]
    valid = await valid_citations(reply["citations"], target, texts)
    scores = score(turn, reply, chunks, valid, judge)
    scores |= rewrite_scores(turn.standalone, query, gold_entities(conversation, index))
    kind = FOLLOW_UP if turn.needs_context else SELF_CONTAINED
    return TurnRow(
        id=f"{conversation.id}.{index + 1}",
        conversation=conversation.id,
        turn=index + 1,
        split=conversation.split,
        tags=[*conversation.tags, kind],
        answerable=turn.answerable,
        question=turn.question,
        standalone=turn.standalone,
        query=query,
        reference=turn.answer,
        **answered(reply, chunks, valid, scores, wall_ms),
    )


async def run_conversations(
    conversations: Sequence[Conversation],
    target: Target,
    *,
    concurrency: int = 1,
    judge: SupportJudge | None = None,
    progress: Callable[[], None] | None = None,
) -> list[TurnRow]:
    """One row per later turn, in dataset order."""
    judge = judge or LexicalJudge()
    texts: dict[str, str | None] = {}
    semaphore = asyncio.Semaphore(max(1, concurrency))
    work = [(c, i) for c in conversations for i in range(1, len(c.turns))]
    rows: list[TurnRow | None] = [None] * len(work)

    async def one(slot: int, conversation: Conversation, index: int) -> None:
        async with semaphore:
            rows[slot] = await evaluate_turn(conversation, index, target, texts, judge)
            if progress:
                progress()

    await asyncio.gather(*(one(s, c, i) for s, (c, i) in enumerate(work)))
    return [r for r in rows if r is not None]


def turns_to_run(conversations: Sequence[Conversation]) -> int:
    return sum(len(c.turns) - 1 for c in conversations)

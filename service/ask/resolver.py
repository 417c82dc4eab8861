"""Which standalone question a turn is searched as: the offline rewrite, or the LLM's.

With an LLM configured, a follow-up (as the offline resolver detects it: a question that
starts a new topic is never sent) is condensed by the LLM with a short prompt at
temperature 0. A failure, a timeout or an unusable reply falls back to the offline
rewrite, so a follow-up always gets an answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Literal, Protocol

import openai

from service.answer.base import Message

# Assistant turns are cut to ANSWER_CHARS characters in the prompt: their first sentences
# hold what a follow-up refers to, and the prompt stays short.
from service.ask.followup import ANSWER_CHARS, Resolution, clean_answer, resolve
from service.evidence.text import terms
from service.log import LOGGER

FollowUpMode = Literal["offline", "llm", "none"]

CONDENSE_PROMPT = """You rewrite the last question of a conversation about news articles \
as one standalone question that someone who has not seen the conversation understands.
Replace pronouns and references such as "he", "it", "there" or "that call" with the \
people, places, dates and events they mean, taken from the conversation. Keep the \
question's own words otherwise. Do not answer it and do not add anything else.
Reply with the standalone question only, on one line."""

_PREFIX = re.compile(r"^\s*(?:standalone question|question|rewritten)\s*:\s*", re.IGNORECASE)


class CondenseFailed(Exception):
    """The LLM gave no usable standalone question."""


class Condenser(Protocol):
    async def condense(self, question: str, history: Sequence[Message]) -> str:
        """The standalone question, or CondenseFailed."""
        ...

    async def aclose(self) -> None: ...


class LLMCondenser:
    """Asks an OpenAI-compatible chat endpoint for the standalone question."""

    def __init__(
        self, client: openai.AsyncOpenAI, model: str, *, timeout_s: float, messages: int
    ) -> None:
        self._client = client
        self._model = model
        self._timeout_s = timeout_s
        self._messages = messages

    async def aclose(self) -> None:
        await self._client.close()

    def prompt(self, question: str, history: Sequence[Message]) -> list[dict[str, str]]:
        lines = []
        for m in history[-self._messages :]:
            if m.role == "user":
                lines.append(f"User: {m.content.strip()}")
            else:
                lines.append(f"Assistant: {clean_answer(m.content)[:ANSWER_CHARS]}")
        conversation = "\n".join(lines)
        return [
            {"role": "system", "content": CONDENSE_PROMPT},
            {
                "role": "user",
                "content": f"Conversation:\n{conversation}\n\nLast question: {question}\n\n"
                "Standalone question:",
            },
        ]

    async def condense(self, question: str, history: Sequence[Message]) -> str:
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.chat.completions.create(
                    model=self._model,
                    messages=self.prompt(question, history),  # type: ignore[arg-type]
                    temperature=0.0,
                    max_tokens=96,
                )
        except (TimeoutError, openai.OpenAIError) as exc:
            raise CondenseFailed(f"{type(exc).__name__}: {exc}") from exc
        text = (response.choices[0].message.content or "") if response.choices else ""
        return usable(text, question)


def usable(text: str, question: str) -> str:
    """The reply's first line, if it is a rewrite of `question`: a question of at most 400
    characters keeping at least half of the question's own content words. A model that
    answers instead, or asks something else, fails (CondenseFailed)."""
    line = next((x for x in text.strip().splitlines() if x.strip()), "")
    line = _PREFIX.sub("", line).strip().strip('"“”').strip()
    if not 3 <= len(line) <= 400 or not line.endswith("?"):
        raise CondenseFailed(f"not a question: {text[:80]!r}")
    own = set(terms(question))
    if own and len(own & set(terms(line))) * 2 < len(own):
        raise CondenseFailed(f"does not keep the question's words: {line[:80]!r}")
    return line


class FollowUpResolver:
    """Resolves a question against the conversation so far (oldest message first)."""

    def __init__(self, mode: FollowUpMode = "offline", condenser: Condenser | None = None):
        if mode == "llm" and condenser is None:
            raise ValueError("the llm mode needs a condenser")
        self._mode = mode
        self._condenser = condenser

    @property
    def mode(self) -> FollowUpMode:
        return self._mode

    async def aclose(self) -> None:
        if self._condenser is not None:
            await self._condenser.aclose()

    async def resolve(self, question: str, history: Sequence[Message]) -> Resolution:
        if not history or self._mode == "none":
            return Resolution.unchanged(question)
        offline = resolve(question, history)
        if not offline.follow_up or self._mode != "llm" or self._condenser is None:
            return offline
        try:
            condensed = await self._condenser.condense(question, history)
        except CondenseFailed as exc:
            LOGGER.warning(
                "follow-up condensation failed; using the offline rewrite",
                extra={"fields": {"error": str(exc)}},
            )
            return offline
        return Resolution(condensed, question, follow_up=True, method="llm")

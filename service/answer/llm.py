"""The LLM answerer: any OpenAI-compatible chat endpoint, async and streaming.

Retries happen only before the first token: once text has streamed to a client, a retry
would show it a different answer. Timeouts: one for the first token, one for the whole
answer. Failures raise `UpstreamError` / `UpstreamTimeout`; the caller decides whether to
fall back to the extractive answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import openai
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from service.answer.base import Answer, AnswerPassage, Message, Token, Usage
from service.answer.candidates import as_passage, evidence_parts, rank
from service.answer.extractive import ExtractiveAnswerer
from service.answer.postprocess import MalformedOutput, Unverified, finalize
from service.answer.prompt import Numbered, build_messages, fit_passages
from service.answer.wording import WordVectors
from service.core import metrics
from service.core.tokens import count_tokens
from service.errors import ConfigurationError, UpstreamError, UpstreamTimeout
from service.evidence.scoring import QueryTerms
from service.evidence.support import Answers
from service.settings import AnswerSettings, LLMSettings

# How many candidate sentences a prompt shows (each with its article's title and date).
PROMPT_SENTENCES = 8

_RETRYABLE = (
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.RateLimitError,
    openai.InternalServerError,
)


@dataclass(frozen=True)
class Alternatives:
    """The tokens the model weighed for the first token of its reply, with their log
    probabilities (the OpenAI `top_logprobs`), as far as the server reports them."""

    logprobs: Mapping[str, float]


def build_client(settings: LLMSettings) -> openai.AsyncOpenAI:
    if not settings.base_url:
        raise ConfigurationError("RAG_ANSWER_MODE=llm or select needs RAG_LLM_BASE_URL.")
    key = settings.api_key.get_secret_value() if settings.api_key else "unused"
    # Our own loop retries (only before the first token), so the SDK's retries are off.
    return openai.AsyncOpenAI(
        base_url=settings.base_url, api_key=key, max_retries=0, timeout=settings.timeout_s
    )


class ChatModel:
    """One OpenAI-compatible chat model: streamed completions with retries before the
    first token, the two timeouts, and failures as typed, counted errors."""

    def __init__(self, settings: LLMSettings, client: openai.AsyncOpenAI) -> None:
        if not settings.model:
            raise ConfigurationError(
                "RAG_LLM_BASE_URL is set but RAG_LLM_MODEL is not: name the model to use."
            )
        self._settings = settings
        self._client = client
        self.name: str = settings.model
        # Cleared when the server refuses a request asking for log probabilities.
        self._logprobs = True

    async def aclose(self) -> None:
        await self._client.close()

    async def _open_stream(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float, top: int
    ) -> tuple[Any, Any, Any]:
        """Start the completion and wait for its first chunk, retrying only until then."""
        settings = self._settings
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.max_retries + 1),
            wait=wait_exponential(multiplier=0.5, max=2.0),
            retry=retry_if_exception_type((TimeoutError, *_RETRYABLE)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._first_chunk(messages, max_tokens, temperature, top)
        except StopAsyncIteration as exc:
            metrics.llm_failed("empty")
            raise UpstreamError("The LLM closed the stream without an answer.") from exc
        except (TimeoutError, *_RETRYABLE) as exc:
            raise _upstream(exc, first_token=True) from exc
        except openai.APIStatusError as exc:
            if top and exc.status_code in (400, 422):
                # A server that does not report log probabilities: the plain reply it is.
                self._logprobs = False
                return await self._open_stream(messages, max_tokens, temperature, 0)
            raise _upstream(exc) from exc
        raise AssertionError("tenacity either returns or re-raises")

    async def _first_chunk(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float, top: int
    ) -> tuple[Any, Any, Any]:
        extra: dict[str, Any] = {"logprobs": True, "top_logprobs": top} if top else {}
        async with asyncio.timeout(self._settings.first_token_timeout_s):
            stream = await self._client.chat.completions.create(
                model=self.name,
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                temperature=temperature,
                max_tokens=max_tokens,
                **extra,
            )
            iterator = cast(openai.AsyncStream[Any], stream).__aiter__()
            return stream, iterator, await iterator.__anext__()

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        alternatives: int = 0,
    ) -> AsyncIterator[str | Alternatives | Usage]:
        """The reply's text pieces as they stream, then its `Usage` (counted here when the
        server reports none). With `alternatives`, the server is asked for that many
        likeliest tokens at each step, and the first token's come as `Alternatives`
        before its text; a server that reports none, or refuses the request, gives the
        plain reply."""
        metrics.llm_requested()
        deadline = time.monotonic() + self._settings.timeout_s
        top = alternatives if self._logprobs else 0
        stream, iterator, chunk = await self._open_stream(messages, max_tokens, temperature, top)
        parts: list[str] = []
        usage: Usage | None = None
        try:
            while True:
                if chunk.choices:
                    delta = chunk.choices[0].delta.content or ""
                    if delta and not parts and top:
                        first = first_alternatives(chunk.choices[0])
                        if first is not None:
                            yield first
                    if delta:
                        parts.append(delta)
                        yield delta
                if getattr(chunk, "usage", None):
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                async with asyncio.timeout(remaining):
                    chunk = await iterator.__anext__()
        except StopAsyncIteration:
            pass
        except (TimeoutError, openai.OpenAIError) as exc:
            raise _upstream(exc) from exc
        finally:
            # Also when the client went away: stop the server generating for nobody.
            await stream.close()
        if usage is None:
            prompt = sum(count_tokens(m["content"]) for m in messages)
            usage = Usage(prompt, count_tokens("".join(parts)))
        metrics.llm_tokens_used(usage.prompt_tokens, usage.completion_tokens)
        yield usage


def first_alternatives(choice: Any) -> Alternatives | None:
    """The first token's `top_logprobs` in a streamed chunk's choice, if it has any."""
    logprobs = getattr(choice, "logprobs", None)
    content = getattr(logprobs, "content", None) or []
    if not content:
        return None
    top = getattr(content[0], "top_logprobs", None) or []
    found = {str(t.token): float(t.logprob) for t in top if t.logprob is not None}
    return Alternatives(found) if found else None


class ModelAnswerer:
    """What the answerers that call a chat model share: its name and its closing."""

    def __init__(self, llm: ChatModel) -> None:
        self._llm = llm

    @property
    def model(self) -> str:
        return self._llm.name

    async def aclose(self) -> None:
        await self._llm.aclose()


class LLMAnswerer(ModelAnswerer):
    """The generative answerer: the model writes the answer from the numbered evidence
    sentences; every claim is then checked against them (service/answer/postprocess.py).

    The evidence decides refusal, as it does for the extractive answerer: where no
    candidate sentence passes the answer checks, the model is not asked (it would write
    the neighbouring fact it was shown); where they pass, a claim of the model's stands
    only if a sentence that passes them states it, and when none does, the answer is the
    evidence's own sentences."""

    def __init__(
        self,
        llm: ChatModel,
        settings: LLMSettings,
        answer: AnswerSettings,
        vectors: WordVectors | None = None,
    ) -> None:
        super().__init__(llm)
        self._settings = settings
        self._extractive = ExtractiveAnswerer(answer)
        self._min_score = answer.min_score
        # Lets the claim check keep a claim that says a sentence's word in another word.
        self._vectors = vectors

    async def stream(
        self,
        question: str,
        history: Sequence[Message],
        passages: Sequence[AnswerPassage],
        *,
        query: QueryTerms,
        context: Sequence[AnswerPassage] = (),
        ranked: Answers[AnswerPassage] | None = None,
    ) -> AsyncIterator[Token | Answer]:
        answers = rank(query, passages) if ranked is None else ranked
        evidence = replace(self._extractive.ranked(answers, query, passages), model=self.model)
        if evidence.abstained:
            yield evidence
            return
        shown = prompt_evidence(
            answers, context or passages, self._settings.context_tokens, self._min_score
        )
        messages = build_messages(question, history, shown.sentences)
        pieces: list[str] = []
        usage = Usage()
        settings = self._settings
        async for item in self._llm.chat(
            messages, max_tokens=settings.max_tokens, temperature=settings.temperature
        ):
            if isinstance(item, Usage):
                usage = item
            elif isinstance(item, str):
                pieces.append(item)
                yield Token(item)
        # The claim check reads the question as it was searched: misspelt names repaired
        # ("Mohn" is the article's "Moen"), a follow-up made standalone.
        understood = query.asked or query.text
        try:
            answer = finalize(
                "".join(pieces),
                shown.sentences,
                self.model,
                usage,
                understood,
                self._vectors,
                strict=True,
                answering=shown.answering,
            )
        except MalformedOutput as exc:
            metrics.llm_failed("malformed")
            raise UpstreamError(f"The LLM's answer was unusable: {exc}.") from exc
        except Unverified:
            # The model said it in words no sentence states: the sentences that do answer.
            metrics.llm_failed("unverified")
            answer = replace(evidence, usage=usage)
        yield replace(answer, confidence=evidence.confidence)


@dataclass(frozen=True)
class PromptEvidence:
    """What the model is shown, and which of it answers."""

    sentences: list[Numbered]
    # The numbers of the sentences that answer: a candidate in them passes the answer
    # checks with a score of `RAG_ANSWER_MIN_SCORE` or more, as the extractive answer's own
    # sentence must. Only these may state a claim of the answer.
    answering: frozenset[int]


def prompt_evidence(
    answers: Answers[AnswerPassage],
    context: Sequence[AnswerPassage],
    budget_tokens: int,
    min_score: float,
) -> PromptEvidence:
    """The best candidate sentences of `answers` (completed from `context`, the passages
    perhaps with their neighbours), numbered in rank order, as many as fit the token
    budget (at least one)."""
    parts = evidence_parts(answers, PROMPT_SENTENCES, context)
    answers_at = [
        (c.evidence.source, c.evidence.start)
        for c in answers.candidates
        if c.passes and c.score >= min_score
    ]
    answering = frozenset(
        n
        for n, part in enumerate(parts, 1)
        if any(src == part.passage.source and part.start <= at < part.end for src, at in answers_at)
    )
    sentences = fit_passages([as_passage(p) for p in parts], budget_tokens)
    return PromptEvidence(sentences, answering)


def _upstream(exc: BaseException, *, first_token: bool = False) -> UpstreamError | UpstreamTimeout:
    """The typed error for a failed LLM call, counted by kind."""
    error, kind = _classify(exc, first_token=first_token)
    metrics.llm_failed(kind)
    return error


def _classify(
    exc: BaseException, *, first_token: bool
) -> tuple[UpstreamError | UpstreamTimeout, metrics.LLMErrorKind]:
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        setting = "RAG_LLM_FIRST_TOKEN_TIMEOUT_S" if first_token else "RAG_LLM_TIMEOUT_S"
        message = f"The LLM did not answer in time; try again or raise {setting}."
        return UpstreamTimeout(message), "timeout"
    if isinstance(exc, openai.APIConnectionError):
        message = "Cannot reach the LLM at RAG_LLM_BASE_URL; check that the server is running."
        return UpstreamError(message), "connection"
    if isinstance(exc, openai.APIStatusError):
        return UpstreamError(f"The LLM answered HTTP {exc.status_code}: {exc.message}"), "status"
    return UpstreamError(f"The LLM failed: {exc}"), "other"

"""The select answerer: the model judges which extractive candidates answer the question.

The best candidate sentences (service/answer/candidates.py) are shown to the model,
numbered with their article's title and date; it replies with the numbers of those that
answer, or 0. No word of the answer comes from the model: it is article sentences, each
cited to its exact span as the extractive answerer cites. The evidence decides with the
model: where the extractive evidence would answer, the answer is the extractive one, the
model's chosen sentence added when it lacks it, and the model refuses only by a likely
"0"; where the evidence is weak, the answer is refused unless the model is nearly sure of
a sentence, which is then the answer. The model's own probabilities (the first token's
`top_logprobs`) say how likely; a server that gives none leaves the plain reply. The reply
is a token or two: the cost is the prompt, whose fixed part a llama.cpp server evaluates
once."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from service.answer.base import Answer, AnswerPassage, Message, Token, Usage
from service.answer.candidates import Part, as_passage, evidence_parts, rank
from service.answer.extractive import ExtractiveAnswerer, citation, quoted_answer, with_marker
from service.answer.llm import Alternatives, ChatModel, ModelAnswerer
from service.answer.prompt import build_select_messages, fit_passages
from service.core import metrics
from service.errors import UpstreamError
from service.evidence.scoring import QueryTerms
from service.evidence.support import Answers
from service.evidence.text import fold_whitespace
from service.settings import AnswerSettings

# Enough for "1, 3, 5"; the model is told to reply with numbers only.
SELECT_MAX_TOKENS = 8
# Most sentences a select answer quotes.
MAX_SELECTED = 3
# Candidates shown: the prompt's cost is nearly all these lines.
SELECT_SENTENCES = 6
# Likeliest first tokens asked for: every single-digit reply fits.
ALTERNATIVES = 10
# The model's probability of "0" (none answers) at which a question the extractive
# evidence would answer is refused (chosen on the dev splits, docs/llm-quality.md).
REFUSE_IF_CONFIDENT = 0.2
# Where the evidence is weak, the model's choice stands only if it is this sure of it.
CERTAIN = 0.9
_NUMBER = re.compile(r"\d+")
# A reply opening with words ("The answer is 2") still names its numbers; one that says
# none answers in words is a refusal.
_NONE = re.compile(r"\b(none|no sentence|not answer|cannot|can't)\b", re.IGNORECASE)


class UnusableReply(Exception):
    """The model's reply holds neither a number nor a refusal."""


def parse_selection(reply: str, shown: int) -> list[int]:
    """The sentence numbers a reply names, in order, without repeats: [] for "0", for a
    refusal in words and for numbers that name no shown sentence (1..`shown`).

    Raises `UnusableReply` for a reply with no number and no refusal (the model said
    something else: the caller falls back as for any failed call)."""
    found = [int(n) for n in _NUMBER.findall(reply)]
    if not found:
        if _NONE.search(reply):
            return []
        raise UnusableReply(f"no sentence number in {reply.strip()[:40]!r}")
    if found[0] == 0:
        return []
    valid = [n for n in dict.fromkeys(found) if 1 <= n <= shown]
    return valid[:MAX_SELECTED]


def first_choices(alternatives: Alternatives | None, shown: int) -> dict[int, float] | None:
    """The probability of each reply number 0..`shown` as the reply's first token, among
    the numbers the server reported (renormalised over them); None if it reported none."""
    if alternatives is None:
        return None
    weights: dict[int, float] = {}
    for token, logprob in alternatives.logprobs.items():
        text = token.strip()
        if text.isdigit() and int(text) <= shown:
            weights[int(text)] = weights.get(int(text), 0.0) + math.exp(logprob)
    total = sum(weights.values())
    if total <= 0:
        return None
    return {n: w / total for n, w in weights.items()}


@dataclass(frozen=True)
class Verdict:
    """What the reply and its probabilities say: refuse, or these sentences (best first)."""

    refused: bool
    chosen: list[int]


def judge(reply: str, alternatives: Alternatives | None, shown: int, confident: bool) -> Verdict:
    """Whether to refuse and which sentences the model chose; `confident`: the extractive
    evidence would answer. The evidence decides refusal with the model: where it would
    answer, the model refuses only by a "0" with probability REFUSE_IF_CONFIDENT or more
    (a plain reply of 0 does not refuse); where it is weak, the answer is refused unless
    the model names a sentence with probability CERTAIN (a plain reply naming one
    stands). Raises `UnusableReply` when neither the reply nor its alternatives name a
    number."""
    choices = first_choices(alternatives, shown)
    if choices is None:
        chosen = parse_selection(reply, shown)
        return Verdict(refused=not chosen and not confident, chosen=chosen)
    named = [n for n in choices if n > 0]
    best = max(named, key=lambda n: choices[n]) if named else None
    if best is None or choices.get(0, 0.0) >= REFUSE_IF_CONFIDENT:
        return Verdict(refused=True, chosen=[])
    if not confident and choices[best] < CERTAIN:
        return Verdict(refused=True, chosen=[])
    try:
        chosen = parse_selection(reply, shown)
    except UnusableReply:
        chosen = []
    return Verdict(refused=False, chosen=chosen if best in chosen else [best])


def extend(answer: Answer, picked: Sequence[Part]) -> Answer:
    """The extractive answer, then the sentences the model picked that it does not quote
    (at most MAX_SELECTED sentences in all), from the articles it cites: the ranking's
    reading of the question is kept, and the model's judgement adds the sentence the
    ranking put lower. A sentence from another article is left out: there the model's
    pick is more often a sentence on the same topic than the answer (on the dev split,
    leaving it out lost no fact recall and raised cited-source precision from 0.94 to
    0.99)."""
    texts = [answer.text]
    citations = list(answer.citations)
    for part in picked:
        if len(citations) >= MAX_SELECTED:
            break
        if any(
            c.source == part.passage.source and c.start < part.end and part.start < c.end
            for c in citations
        ):
            continue
        if part.passage.source not in {c.source for c in answer.citations}:
            continue
        n = len(citations) + 1
        texts.append(with_marker(fold_whitespace(part.quote), n))
        citations.append(citation(part, n))
    return replace(answer, text=" ".join(texts), citations=citations)


class SelectAnswerer(ModelAnswerer):
    def __init__(self, llm: ChatModel, context_tokens: int, answer: AnswerSettings) -> None:
        super().__init__(llm)
        self._context_tokens = context_tokens
        # The extractive answerer: the evidence's own verdict and answer.
        self._answer = answer
        self._extractive = ExtractiveAnswerer(answer)

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
        """The final answer's text as one token, then the answer: nothing provisional
        streams, the reply being only numbers. `history` is not sent: a follow-up goes as
        the standalone question it was resolved to."""
        answers = rank(query, passages) if ranked is None else ranked
        parts = evidence_parts(answers, SELECT_SENTENCES, context or passages)
        sentences = fit_passages([as_passage(p) for p in parts], self._context_tokens)
        if not sentences:
            answer = Answer.abstain(self.model)
            yield Token(answer.text)
            yield answer
            return
        parts = parts[: len(sentences)]
        # A follow-up is sent as the standalone question it was resolved to.
        standalone = (query.asked or query.text) if history else question
        messages = build_select_messages(standalone, sentences)
        pieces: list[str] = []
        usage = Usage()
        alternatives: Alternatives | None = None
        async for item in self._llm.chat(
            messages, max_tokens=SELECT_MAX_TOKENS, temperature=0.0, alternatives=ALTERNATIVES
        ):
            if isinstance(item, Usage):
                usage = item
            elif isinstance(item, Alternatives):
                alternatives = item
            else:
                pieces.append(item)
        settings = self._answer
        confident = bool(answers.candidates) and answers.confidence >= settings.min_score
        try:
            verdict = judge("".join(pieces), alternatives, len(sentences), confident)
        except UnusableReply as exc:
            metrics.llm_failed("malformed")
            raise UpstreamError(f"The LLM's answer was unusable: {exc}.") from exc
        picked = [parts[n - 1] for n in verdict.chosen]
        if verdict.refused:
            answer = Answer.abstain(self.model, usage=usage)
        elif confident:
            evidence = self._extractive.ranked(answers, query, passages)
            answer = replace(extend(evidence, picked), model=self.model, usage=usage)
        else:
            answer = quoted_answer(picked, self.model, usage)
        answer = replace(answer, confidence=round(answers.confidence, 4))
        yield Token(answer.text)
        yield answer

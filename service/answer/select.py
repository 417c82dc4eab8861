"""The select answerer: the model judges which extractive candidates answer the question.

The best candidate sentences (service/answer/candidates.py) are shown to the model,
numbered with their article's title and date; it replies with the numbers of those that
answer, or 0. The answer is those sentences verbatim, each cited to its exact span as the
extractive answerer cites, so no word of the answer comes from the model. A reply of 0,
or one that names no shown sentence, is an abstention. The reply is a few tokens: the cost
is the prompt, a few hundred tokens.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from service.answer.base import Answer, AnswerPassage, Citation, Message, Token, Usage
from service.answer.candidates import Part, as_passage, evidence_parts, rank
from service.answer.extractive import citation, with_marker
from service.answer.llm import PROMPT_SENTENCES, ChatModel, ModelAnswerer
from service.answer.prompt import build_select_messages, fit_passages
from service.core import metrics
from service.errors import UpstreamError
from service.evidence.scoring import QueryTerms
from service.evidence.text import fold_whitespace

# Enough for "1, 3, 5"; the model is told to reply with numbers only.
SELECT_MAX_TOKENS = 8
# Most sentences a select answer quotes.
MAX_SELECTED = 3
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


def selected_answer(
    chosen: Sequence[int], parts: Sequence[Part], model: str, usage: Usage
) -> Answer:
    """The chosen sentences verbatim, in the order the model named them, markers [n]
    numbered 1..N, each cited to its exact span; an abstention when none is chosen."""
    if not chosen:
        return Answer.abstain(model, usage=usage)
    texts: list[str] = []
    citations: list[Citation] = []
    for part in (parts[n - 1] for n in chosen):
        n = len(citations) + 1
        texts.append(with_marker(fold_whitespace(part.quote), n))
        citations.append(citation(part, n))
    return Answer(
        text=" ".join(texts), abstained=False, citations=citations, model=model, usage=usage
    )


class SelectAnswerer(ModelAnswerer):
    def __init__(self, llm: ChatModel, context_tokens: int) -> None:
        super().__init__(llm)
        self._context_tokens = context_tokens

    async def stream(
        self,
        question: str,
        history: Sequence[Message],
        passages: Sequence[AnswerPassage],
        *,
        query: QueryTerms,
        context: Sequence[AnswerPassage] = (),
    ) -> AsyncIterator[Token | Answer]:
        """The final answer's text as one token, then the answer: nothing provisional
        streams, the reply being only numbers. `history` is not sent: a follow-up goes as
        the standalone question it was resolved to."""
        answers = rank(query, passages)
        parts = evidence_parts(answers, PROMPT_SENTENCES, context or passages)
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
        async for item in self._llm.chat(messages, max_tokens=SELECT_MAX_TOKENS, temperature=0.0):
            if isinstance(item, Usage):
                usage = item
            else:
                pieces.append(item)
        try:
            chosen = parse_selection("".join(pieces), len(sentences))
        except UnusableReply as exc:
            metrics.llm_failed("malformed")
            raise UpstreamError(f"The LLM's answer was unusable: {exc}.") from exc
        answer = selected_answer(chosen, parts, self.model, usage)
        yield Token(answer.text)
        yield answer

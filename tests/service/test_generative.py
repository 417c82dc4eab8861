"""The generative answer mode decides with the evidence: where the extractive answer checks
refuse, the model is not asked; where they answer and no claim of the model's is stated by
a sentence that answers, the answer is the evidence's own sentences.

Recorded replies (tests/service/test_select.py's `Recorded`) stand in for the model here,
so that each outcome follows from a known reply; tests/service/test_llm_server.py runs
the same answerer against the real llama.cpp server.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from service.answer.base import ABSTAIN_TEXT, Answer, Token, Usage
from service.answer.candidates import rank
from service.answer.extractive import ExtractiveAnswerer
from service.answer.llm import LLMAnswerer, prompt_evidence
from service.answer.postprocess import finalize
from service.core import metrics
from service.evidence.scoring import QueryTerms
from service.settings import AnswerSettings, LLMSettings
from tests.service.test_select import HITS, QUESTION, Recorded

# Every sentence of the recorded passages passes at 0, none at 1 (scores are below 1).
ANSWERS = 0.0
REFUSES = 1.0


def run(reply: str, min_score: float) -> tuple[list[Token | Answer], Recorded]:
    model = Recorded(reply)
    llm = LLMSettings(model="recorded")
    answerer = LLMAnswerer(model, llm, AnswerSettings(min_score=min_score))  # type: ignore[arg-type]

    async def collect() -> list[Token | Answer]:
        stream = answerer.stream(QUESTION, [], HITS, query=QueryTerms(QUESTION), context=HITS)
        return [item async for item in stream]

    return asyncio.run(collect()), model


def evidence(min_score: float) -> Answer:
    """What the extractive answerer says of the same passages."""
    return ExtractiveAnswerer(AnswerSettings(min_score=min_score)).answer(
        QueryTerms(QUESTION), HITS
    )


def unverified_count() -> float:
    return metrics._metrics().llm_errors.labels("unverified")._value.get()


def test_where_the_evidence_refuses_the_model_is_not_asked() -> None:
    items, model = run("The talks were held in Geneva [1].", REFUSES)
    assert model.calls == []
    [answer] = items
    assert isinstance(answer, Answer)
    assert answer.abstained and answer.text == ABSTAIN_TEXT and answer.citations == []
    assert answer.model == "recorded"
    assert answer.usage == Usage()
    assert answer.confidence == evidence(REFUSES).confidence is not None


def test_where_the_evidence_answers_a_stated_claim_is_the_answer() -> None:
    items, model = run("The talks were held in Geneva [1].", ANSWERS)
    assert len(model.calls) == 1
    *tokens, answer = items
    assert [t.text for t in tokens if isinstance(t, Token)] == [
        "The talks were held in Geneva [1]."
    ]
    assert isinstance(answer, Answer) and not answer.abstained
    assert answer.text == "The talks were held in Geneva [1]."
    [cited] = answer.citations
    assert "Geneva" in cited.quote
    assert answer.usage == Usage(300, 2)
    assert answer.confidence == evidence(ANSWERS).confidence


def test_a_claim_no_sentence_states_gives_the_evidence_sentences() -> None:
    before = unverified_count()
    reply = "The delegations met aboard a submarine beneath the Arctic ice [1]."
    items, model = run(reply, ANSWERS)
    assert len(model.calls) == 1
    *_, answer = items
    assert isinstance(answer, Answer)
    expected = evidence(ANSWERS)
    assert not expected.abstained
    # The extractive answer, verbatim and cited exactly, as the model's answer to this
    # request: its name and the tokens it used.
    assert answer == replace(expected, model="recorded", usage=Usage(300, 2))
    assert "submarine" not in answer.text
    assert unverified_count() == before + 1


@pytest.mark.parametrize(
    "reply", ["The passages do not say where the talks were held.", f"{ABSTAIN_TEXT} [1]"]
)
def test_the_models_refusal_is_an_abstention(reply: str) -> None:
    before = unverified_count()
    items, _ = run(reply, ANSWERS)
    *_, answer = items
    assert isinstance(answer, Answer) and answer.abstained
    assert answer.citations == [] and answer.usage == Usage(300, 2)
    assert unverified_count() == before


# The default threshold: the two Geneva sentences answer; the rest of the prompt does not.
DEFAULT = AnswerSettings().min_score
GRATITUDE = "Zelensky expressed his gratitude to Keir Starmer for the UK's support [5]."


def test_the_prompt_marks_which_sentences_answer() -> None:
    shown = prompt_evidence(rank(QueryTerms(QUESTION), HITS), HITS, 3000, DEFAULT)
    assert len(shown.sentences) > 2
    assert shown.answering == {1, 2}
    assert all("Geneva" in shown.sentences[n - 1].passage.text for n in shown.answering)


@pytest.mark.parametrize("reply", [GRATITUDE, "[5]"])
def test_a_claim_only_a_sentence_that_does_not_answer_states_gives_the_evidence(
    reply: str,
) -> None:
    shown = prompt_evidence(rank(QueryTerms(QUESTION), HITS), HITS, 3000, DEFAULT)
    # The claim check alone keeps it: sentence 5 states it.
    kept = finalize(reply, shown.sentences, "recorded", Usage(), QUESTION)
    assert not kept.abstained and "gratitude" in kept.citations[0].quote
    items, _ = run(reply, DEFAULT)
    *_, answer = items
    assert isinstance(answer, Answer)
    assert answer == replace(evidence(DEFAULT), model="recorded", usage=Usage(300, 2))
    assert "Geneva" in answer.citations[0].quote

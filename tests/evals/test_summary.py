"""Aggregation details that the end-to-end runs cannot show on the sample dataset."""

from __future__ import annotations

from evals.reporting.summary import aggregate, tradeoff
from evals.rows import Row


def _row(answerable: bool, confidence: float | None, words: float | None = None) -> Row:
    return Row(
        id="q",
        split="dev",
        tags=["who"],
        answerable=answerable,
        question="?",
        reference="r",
        answer="a",
        abstained=False,
        fallback=confidence is None,
        model="m",
        citations=[],
        retrieved=[],
        confidence=confidence,
        timings_ms={"total": 1.0},
        usage={},
        citation_valid=[],
        metrics={} if words is None else {"answers.words": words},
    )


def test_tradeoff_leaves_out_answers_without_a_confidence() -> None:
    rows = [_row(True, 0.6), _row(True, None), _row(False, 0.2), _row(False, None)]
    at = {p["threshold"]: p for p in tradeoff(rows, steps=2)}
    # At 0.5 the unanswerable question (0.2) is refused and the answerable one (0.6) is
    # not; the LLM answers, without a confidence, count on neither side.
    assert at[0.5]["correct_refusal"] == 1.0 and at[0.5]["false_refusal"] == 0.0
    assert at[1.0]["false_refusal"] == 1.0


def test_tradeoff_is_empty_when_no_answer_has_a_confidence() -> None:
    assert tradeoff([_row(True, None), _row(False, None)]) == []


def test_words_are_reported_as_a_median_only() -> None:
    agg = aggregate([_row(True, 0.5, 10), _row(True, 0.5, 20), _row(True, 0.5, 60)])
    assert agg["answers.words_median"] == 20 and "answers.words" not in agg

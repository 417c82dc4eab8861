"""The extractive answerer's pieces: answer types, sentence selection, markers."""

from __future__ import annotations

import pytest

from service.answer.base import AnswerPassage
from service.answer.extractive import ExtractiveAnswerer, select, with_marker
from service.core.store import Chunk
from service.evidence.answer_type import expected_answer_type, has_answer_type
from service.evidence.scoring import Evidence, QueryTerms
from service.evidence.text import fold_whitespace
from service.retrieval.hits import Hit
from service.settings import AnswerSettings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many leaders joined the call?", "number"),
        ("By how much is the budget rising?", "number"),
        ("When did Kyiv and Washington agree the ceasefire?", "date"),
        ("What day was the call?", "date"),
        ("Who is France's defence minister?", "name"),
        ("Where were the talks held?", "name"),
        ("What did Starmer say about Putin?", None),
    ],
)
def test_expected_answer_type(question: str, kind: str | None) -> None:
    assert expected_answer_type(question) == kind


def test_answer_type_checks() -> None:
    assert has_answer_type("The UK will deliver 5,000 missiles.", "number")
    assert not has_answer_type("The UK will deliver more missiles.", "number")
    assert has_answer_type("They spoke on Tuesday.", "date")
    assert has_answer_type("The talks were held in Geneva.", "name", "Where were the talks?")
    assert not has_answer_type("The talks were held there.", "name", "Where were the talks?")


def ev(quote: str, lexical: float, terms: set[str]) -> Evidence[AnswerPassage]:
    chunk = Chunk("c", quote, "a.txt", 0, len(quote), 0, "t", None, None, "", 0)
    return Evidence(Hit(chunk, 0.5, 0.5), 0, len(quote), quote, 0.5, lexical, frozenset(terms))


def test_select_keeps_close_runners_up_that_add_terms() -> None:
    best = ev("Talks were in Geneva.", 1.0, {"talk", "geneva"})
    same = ev("Talks in Geneva again.", 0.95, {"talk", "geneva"})
    adds = ev("They met on Sunday.", 0.9, {"sunday"})
    weak = ev("Unrelated.", 0.1, {"other"})
    assert select([best, same, adds, weak], 3, 0.75) == [best, adds]
    assert select([best, adds], 1, 0.75) == [best]
    assert select([best, weak], 3, 0.75) == [best]


def test_marker_goes_before_the_final_full_stop() -> None:
    assert with_marker("Talks were held in Geneva.", 1) == "Talks were held in Geneva [1]."
    assert with_marker("He said “yes”", 2) == "He said “yes” [2]"


def test_fold_whitespace() -> None:
    assert fold_whitespace("  The talks\n were held\r\n\tin  Geneva. ") == (
        "The talks were held in Geneva."
    )
    assert fold_whitespace("\n \t") == ""


def test_answer_text_folds_white_space_but_the_quote_stays_exact() -> None:
    text = "The talks  were held\tin Geneva on Sunday."
    chunk = Chunk("c", text, "a.txt", 0, len(text), 0, "t", None, None, "", 0)
    answer = ExtractiveAnswerer(AnswerSettings(min_score=0.0)).answer(
        QueryTerms("Where were the talks held?"), [Hit(chunk, 0.9, 0.9)]
    )
    assert answer.text == "The talks were held in Geneva on Sunday [1]."
    assert [c.quote for c in answer.citations] == [text]

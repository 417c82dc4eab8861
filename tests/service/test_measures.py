"""A noun the articles give as a number: the question asks for that number."""

from __future__ import annotations

from datetime import date

import pytest

from service.evidence.annotate import Notes
from service.evidence.measures import measured_noun, measures
from service.evidence.parsed import parse_question
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.support import rank_answers
from service.retrieval.hits import Hit
from tests.service.conftest import annotated_hit, annotated_sentence

PUBLISHED = date(2022, 6, 1)


def notes(sentence: str) -> Notes:
    return annotated_sentence(sentence, PUBLISHED)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What was the attendance at the festival?", "attendance"),
        ("What operating subsidy did the county approve?", "subsidy"),
        ("What was Acme's net profit in 2021?", "profit"),
        # A wording that names its kind of answer is read from that.
        ("How much did the county approve?", None),
        ("Which company won the contract?", None),
        ("Who won the race?", None),
        # "What" as the subject of a verb asks which one does it, as "which" would.
        ("What ferry will take over the route?", None),
        # A noun a preposition governs, before it or stranded at the end, is where or
        # which: "teach at what school".
        ("What school does Ida Lind teach at?", None),
        ("At what school does Ida Lind teach?", None),
    ],
)
def test_the_noun_what_asks_about(question: str, expected: str | None) -> None:
    assert measured_noun(parse_question(question)) == expected


@pytest.mark.parametrize(
    ("noun", "sentence", "expected"),
    [
        ("profit", "Net profit rose to 31.5 million euros from 24.8 million euros.", True),
        ("revenue", "Fourth-quarter revenue was 131 million euros.", True),
        ("subsidy", "The county approved an operating subsidy of NOK 52 million.", True),
        ("attendance", "Attendance at the festival fell to 36,900 after a storm.", True),
        # The number measures another noun, or is a year.
        ("revenue", "For 2025, Acme expects revenue growth of between 5 and 8 per cent.", False),
        ("revenue", "Acme will publish its revenue for 2024 on Thursday.", False),
        ("attendance", "The festival will take place from 1 to 3 August.", False),
    ],
)
def test_a_sentence_measures_the_noun_when_the_parse_links_a_number_to_it(
    noun: str, sentence: str, expected: bool
) -> None:
    assert measures(noun, notes(sentence)) is expected


def _hit(text: str) -> Hit:
    return annotated_hit(text, PUBLISHED, "The festival")


def test_where_the_articles_measure_the_noun_a_sentence_without_the_number_does_not_answer() -> (
    None
):
    query = QueryTerms("What was the attendance at the Elmfield festival?")
    plan = (
        "The Elmfield festival will take place from 1 to 3 August, with attendance expected "
        "to rise."
    )
    hits = [_hit(plan)]
    alone = rank_answers(query, score_evidence(query, hits), hits)
    # No retrieved sentence gives attendance as a number: nothing says it asks for one.
    assert alone.candidates[0].support.slot

    hits = [_hit(plan), _hit("Attendance at the Elmfield festival fell to 36,900 last year.")]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    by_quote = {c.evidence.quote: c for c in answers.candidates}
    assert not by_quote[plan].support.slot
    assert by_quote["Attendance at the Elmfield festival fell to 36,900 last year."].support.slot
    assert answers.candidates[0].evidence.quote.startswith("Attendance")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How strong were the wind gusts in the storm?", "gust"),
        ("How long is the crossing?", "crossing"),
        ("How much was the award worth?", "award"),
        # A name or a pronoun is no noun of a measure.
        ("How old is Anna Berg?", None),
        ("How long is it?", None),
        ("How many people died?", None),
    ],
)
def test_the_noun_how_asks_the_measure_of(question: str, expected: str | None) -> None:
    assert parse_question(question).measured == expected


def test_how_strong_the_gusts_were_is_not_answered_by_another_number() -> None:
    query = QueryTerms("How strong were the wind gusts in the Elmby storm?")
    traffic = "Traffic on the Elmby bridge rose to 19,500 vehicles despite the storm in March."
    hits = [_hit(traffic)]
    # The wh-word asks for a number: no retrieved sentence need give gusts as one first.
    alone = rank_answers(query, score_evidence(query, hits), hits)
    assert not alone.candidates[0].support.slot
    gusts = "The Elmby storm brought gusts of up to 30 metres per second."
    hits = [_hit(traffic), _hit(gusts)]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert answers.candidates[0].evidence.quote == gusts
    assert answers.candidates[0].support.slot

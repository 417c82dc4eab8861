"""The language pipeline (service/core/nlp.py) and what ingest reads with it
(service/evidence/annotate.py)."""

from __future__ import annotations

from datetime import date

import pytest

from service.core import nlp
from service.evidence.annotate import annotate, date_range, decode, notes_at
from service.evidence.sentences import sentence_spans
from tests.service.conftest import annotated_sentence


def test_the_pinned_model_is_loaded_once_and_tags_a_known_sentence() -> None:
    pipeline = nlp.pipeline()
    assert pipeline is nlp.pipeline()
    assert nlp.describe() == {"name": nlp.MODEL_NAME, "version": nlp.MODEL_VERSION}
    assert set(pipeline.pipe_names) == set(nlp.COMPONENTS)
    assert {"PERSON", "ORG", "GPE", "DATE", "CARDINAL"} <= set(pipeline.get_pipe("ner").labels)
    doc = pipeline("Which ministers joined him on that call?")
    read = {t.text: (t.dep_, t.lemma_) for t in doc}
    assert read["ministers"] == ("nsubj", "minister")
    assert read["joined"] == ("ROOT", "join")
    assert read["call"] == ("pobj", "call")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019", ("2019-01-01", "2019-12-31")),
        ("the 1990s", ("1990-01-01", "1999-12-31")),
        ("March 2021", ("2021-03-01", "2021-03-31")),
        ("5 March 2021", ("2021-03-05", "2021-03-05")),
        ("February 28", ("2022-02-28", "2022-02-28")),
        # Short forms, "Sept." among them (it once read as December).
        ("Sept. 5, 2021", ("2021-09-05", "2021-09-05")),
        ("Dec 2021", ("2021-12-01", "2021-12-31")),
        ("last year", ("2021-01-01", "2021-12-31")),
        ("last year's", ("2021-01-01", "2021-12-31")),
        ("last week", ("2022-07-11", "2022-07-17")),
        ("next month", ("2022-08-01", "2022-08-31")),
        ("yesterday", ("2022-07-19", "2022-07-19")),
        # The article is dated Wednesday 20 July 2022: "on Sunday" is the 17th.
        ("on Sunday", ("2022-07-17", "2022-07-17")),
        # ... and "over the weekend" the Saturday and Sunday before it.
        ("over the weekend", ("2022-07-16", "2022-07-17")),
        ("next weekend", ("2022-07-23", "2022-07-24")),
        ("for decades", None),
        # Digits joined by hyphens are a code or a dateline's stamp, not a year in prose.
        ("2022-03-05", None),
        ("mid-2021", ("2021-01-01", "2021-12-31")),
        # A season named by two years runs mid-year to mid-year: it does not overlap the
        # season before or after it.
        ("the 2020-21 season", ("2020-07-01", "2021-06-30")),
        ("2020/21", ("2020-07-01", "2021-06-30")),
        ("2018-2021", ("2018-01-01", "2021-12-31")),
        ("from 2018 to 2021", ("2018-01-01", "2021-12-31")),
        ("January-March 2021", ("2021-01-01", "2021-03-31")),
        # "ago" counts back from the article's date; "earlier" from the sentence's time.
        ("four years ago", ("2018-01-01", "2018-12-31")),
        ("a month ago", ("2022-06-01", "2022-06-30")),
        ("two weeks ago", ("2022-07-04", "2022-07-10")),
        ("a year earlier", None),
        # A quarter or half of a year is its months; a fiscal one is not the calendar's.
        ("the third quarter of 2021", ("2021-07-01", "2021-09-30")),
        ("third-quarter 2021", ("2021-07-01", "2021-09-30")),
        ("Q4 2021", ("2021-10-01", "2021-12-31")),
        ("the first half of 2021", ("2021-01-01", "2021-06-30")),
        ("the fiscal third quarter of 2021", ("2021-01-01", "2021-12-31")),
    ],
)
def test_dates_are_iso_ranges_resolved_against_the_article_date(
    text: str, expected: tuple[str, str] | None
) -> None:
    assert date_range(text, date(2022, 7, 20)) == expected


def test_every_sentence_is_annotated_and_decoded_by_its_span() -> None:
    text = (
        "Anna Berg won the fifth stage of the 2021 race last week. "
        "The former president paid $5 million for three ships."
    )
    spans = sentence_spans(text)
    (stored,) = annotate([(text, spans, date(2022, 7, 20))])
    notes = decode(text, stored)
    assert sorted(notes) == [s for s, _ in spans]
    first = notes_at(text, stored, *spans[0])
    assert first is not None
    labels = {(e.label, e.text) for e in first.entities}
    assert ("PERSON", "Anna Berg") in labels
    assert ("2022-07-11", "2022-07-17") in {(d.first, d.last) for d in first.dates}
    assert ("2021-01-01", "2021-12-31") in {(d.first, d.last) for d in first.dates}
    assert ("win", "dobj", "stage") in first.relations
    assert ("stage", "of", "race") in first.relations
    assert "win" in first.lemmas
    second = notes[spans[1][0]]
    assert ("president", "amod", "former") in second.relations
    amounts = {(q.value, q.unit) for q in second.numbers}
    assert (5_000_000.0, "$") in amounts and (3.0, "ship") in amounts
    # Entity offsets are the sentence's own.
    assert all(text[spans[1][0] + e.start : spans[1][0] + e.end] == e.text for e in second.entities)


def test_annotations_of_another_version_are_ignored() -> None:
    text = "Anna Berg won."
    (stored,) = annotate([(text, sentence_spans(text), None)])
    assert decode(text, stored)
    assert decode(text, "0" + stored[1:]) == {}
    assert decode(text, None) == {}


@pytest.mark.parametrize(
    ("text", "past", "ahead", "expected"),
    [
        # Told in the past tense, a month after the article's is last year's.
        ("in October", True, False, ("2021-10-01", "2021-10-31")),
        ("in June", True, False, ("2022-06-01", "2022-06-30")),
        # Said of what will happen, a month before the article's is next year's.
        ("in March", False, True, ("2023-03-01", "2023-03-31")),
        # Neither: the article's year.
        ("in October", False, False, ("2022-10-01", "2022-10-31")),
        # A weekend said of what will happen is the next one.
        ("at the weekend", False, True, ("2022-07-23", "2022-07-24")),
        # A month with "last year" or "next year" is that year's, whatever the tense.
        ("in April last year", False, False, ("2021-04-01", "2021-04-30")),
        ("in October last year", True, False, ("2021-10-01", "2021-10-31")),
        ("in March next year", False, True, ("2023-03-01", "2023-03-31")),
        ("in January next year", False, False, ("2023-01-01", "2023-01-31")),
    ],
)
def test_a_month_without_its_year_is_read_by_the_tense(
    text: str, past: bool, ahead: bool, expected: tuple[str, str]
) -> None:
    assert date_range(text, date(2022, 7, 20), past=past, ahead=ahead) == expected


def test_a_month_in_a_past_tense_sentence_is_annotated_as_last_years() -> None:
    signed = annotated_sentence("Two contracts were signed in October.", date(2024, 2, 22))
    assert [(d.first, d.last) for d in signed.dates] == [("2023-10-01", "2023-10-31")]


def test_a_day_in_a_present_tense_sentence_is_ahead_and_a_month_is_not() -> None:
    # 2025-07-10 is a Thursday.
    ends = annotated_sentence("The race ends on Sunday.", date(2025, 7, 10))
    assert [(d.first, d.last) for d in ends.dates] == [("2025-07-13", "2025-07-13")]
    rate = annotated_sentence(
        "Unemployment stands at 4 per cent, up from 3.8 per cent in March.", date(2025, 7, 10)
    )
    assert [(d.first, d.last) for d in rate.dates] == [("2025-03-01", "2025-03-31")]


def test_a_weekday_written_beside_its_date_is_annotated_as_that_date() -> None:
    # 2026-10-09 is a Friday; the Thursday before it is 8 October.
    entered = annotated_sentence(
        "Solgang entered service on Thursday, 1 October.", date(2026, 10, 9)
    )
    assert {(d.first, d.last) for d in entered.dates} == {("2026-10-01", "2026-10-01")}


def test_a_time_the_recogniser_cut_from_its_shifting_word_is_read_whole() -> None:
    # In "This year's winner" the recogniser labels only "year": the sentence is dated by
    # "this year" of its article, not left to the sentences around it.
    said = annotated_sentence(
        "This year's winner for the Elm region was Ida Lind.", date(2025, 11, 19)
    )
    assert [(d.first, d.last) for d in said.dates] == [("2025-01-01", "2025-12-31")]

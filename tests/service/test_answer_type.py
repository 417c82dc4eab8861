"""The cheap answer-kind check re-ranking runs: the kind from the question's parse, a
sentence's from its stored reading or its writing."""

from __future__ import annotations

from service.evidence.answer_type import expected_answer_type, has_answer_type
from service.evidence.reading import read


def test_the_kind_asked_for_is_read_from_the_parse() -> None:
    assert expected_answer_type("How many ferries sail each day?") == "number"
    assert expected_answer_type("What share of trains ran on time?") == "number"
    assert expected_answer_type("How long did the repairs take?") == "number"
    assert expected_answer_type("In which year did the bridge open?") == "date"
    assert expected_answer_type("Who opened the bridge?") == "name"
    assert expected_answer_type("Where did the ship sink?") == "name"
    # Several kinds: the most specific one.
    assert expected_answer_type("Who opened the bridge, and on what date?") == "date"
    # A manner, a reason, a yes/no question: no kind to check.
    assert expected_answer_type("How did the minister describe the talks?") is None
    assert expected_answer_type("Why did the ferry stop?") is None
    assert expected_answer_type("Did the ferry stop?") is None


def _has(sentence: str, kind: str, question: str = "") -> bool:
    (notes,) = read(sentence)
    return has_answer_type(sentence, kind, question, notes)  # type: ignore[arg-type]


def test_a_sentence_has_the_kind_by_its_reading_or_its_writing() -> None:
    assert _has("It carried 390 cars.", "number")
    assert not _has("It carried cars and lorries.", "number")
    # A date entity the pipeline read, with no date word written.
    assert _has("The bridge opened last spring.", "date")
    assert _has("It closed in May.", "date")
    assert not _has("It may close.", "date")
    assert _has("The bridge was opened by Ola Berg.", "name", "Who opened the bridge?")
    assert not _has("The bridge was opened by the mayor.", "name", "Who opened the bridge?")
    # A name the question already says is no answer to it.
    assert not _has("Ola Berg met the mayor.", "name", "Who did Ola Berg meet?")
    # Without a stored reading the writing decides.
    assert has_answer_type("It closed in May.", "date", "", None)
    assert not has_answer_type("The bridge opened last spring.", "date", "", None)


def test_a_clock_reading_is_a_time() -> None:
    # "What was her winning time?" asks a time; the pipeline labels "2:26:12" a number.
    assert expected_answer_type("What was Ann Lee's winning time in the race?") == "date"
    assert _has("The race was won by Ann Lee in 2:26:12.", "date")
    assert has_answer_type("The last ferry leaves at 21:15.", "date", "", None)
    assert not _has("The race was won by Ann Lee in record heat.", "date")

"""Articles about another thing of the asked kind (service/evidence/subject.py)."""

from __future__ import annotations

from service.core.store import Chunk
from service.evidence.parsed import parse_question
from service.evidence.scoring import QueryTerms
from service.evidence.subject import other_subjects
from service.retrieval.hits import Hit
from tests.service.test_extractive import ANSWERER

PAINTING = (
    "Elmby painting awards\n\nThe national painting awards were presented on Tuesday. "
    "Ida Lind of Ashby won the landscape prize."
)
BOOKS = (
    "Ashby book prize\n\nThe chair of the judges, the critic Bo Ek, praised the winning "
    "novel. The award was presented on Tuesday."
)


def passage(source: str, text: str) -> Hit:
    title = text.split("\n", 1)[0]
    chunk = Chunk(source, text, source, 0, len(text), 0, title, "2025-11-20", None, "", 0)
    return Hit(chunk, 1.0, 0.5)


def test_an_article_that_never_writes_the_narrowing_noun_is_about_another_thing() -> None:
    question = parse_question("Who chaired the judges of the painting awards?")
    hits = [passage("painting.txt", PAINTING), passage("books.txt", BOOKS)]
    assert other_subjects(question, hits) == {"books.txt"}
    # Derivation changes the ending: "painter" writes "painting"'s stem.
    painter = passage("painter.txt", BOOKS + " Bo Ek is a former painter.")
    assert other_subjects(question, [hits[0], painter]) == frozenset()


def test_a_narrowing_noun_no_passage_writes_is_only_the_askers_wording() -> None:
    question = parse_question("Who chaired the judges of the video awards?")
    hits = [passage("painting.txt", PAINTING), passage("books.txt", BOOKS)]
    assert other_subjects(question, hits) == frozenset()


def test_a_narrowing_noun_only_the_earlier_turns_supplied_rules_nothing_out() -> None:
    question = parse_question("Who chaired the judges of the painting awards?")
    hits = [passage("painting.txt", PAINTING), passage("books.txt", BOOKS)]
    assert other_subjects(question, hits, frozenset({"painting"})) == frozenset()


def test_the_judges_of_another_award_do_not_answer() -> None:
    question = "Who chaired the judges of the painting awards?"
    alone = ANSWERER.answer(
        QueryTerms(question), [passage("painting.txt", PAINTING), passage("books.txt", BOOKS)]
    )
    assert alone.abstained, alone.text
    chaired = PAINTING + " The chair of the judges, the gallery owner Anna Berg, thanked them."
    answer = ANSWERER.answer(
        QueryTerms(question), [passage("painting.txt", chaired), passage("books.txt", BOOKS)]
    )
    assert not answer.abstained
    assert "Anna Berg" in answer.text and "Bo Ek" not in answer.text


def test_a_follow_ups_terms_keep_what_only_the_earlier_turns_supplied() -> None:
    weighted = QueryTerms("Who built it? (swing bridge)", {"swing": 2.0, "bridge": 1.0})
    assert weighted.following("Who built the swing bridge?", {"swing"}).carried == {"swing"}
    plain = QueryTerms("Who built it? (swing bridge)")
    assert plain.following("Who built the swing bridge?", {"swing"}).carried == {"swing"}

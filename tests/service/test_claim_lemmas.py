"""The claim check reads lemmas (real spaCy) and, where a lemma is new, word vectors (the
bundled embedder): a restatement is kept, a different fact on the same topic is not."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest

from service.answer.candidates import SentencePassage
from service.answer.prompt import Numbered
from service.answer.verify import Verifier, months, names, parse_claim
from service.answer.wording import WordVectors, parse_words, sentence_lemmas
from service.core.embedder import OnnxEmbedder
from service.evidence.annotate import Notes, encode
from service.settings import EmbedderSettings

STRIKES = (
    "The bombardment continued overnight, with strikes killing at least six people and "
    "knocking out water and electricity in parts of the city."
)
RAMP = "The ferry struck the loading ramp at Sørnes while berthing on Saturday evening."
TALKS = "Now is not the time for lifting sanctions, the prime minister said."


@cache
def vectors() -> WordVectors:
    return WordVectors(OnnxEmbedder(EmbedderSettings()).embed)


def passages(*texts: str) -> list[Numbered]:
    out = []
    start = 0
    for n, text in enumerate(texts, start=1):
        passage = SentencePassage(
            source="a.txt",
            start=start,
            text=text,
            title="Title",
            published="2026-02-19",
            score=1.0,
            similarity=0.5,
        )
        out.append(Numbered(n=n, passage=passage))
        start += len(text) + 1
    return out


def kept(claim: str, *texts: str, with_vectors: bool = True) -> bool:
    verifier = Verifier(passages(*texts), vectors() if with_vectors else None)
    return bool(verifier.support(parse_claim(claim), [1]))


def test_words_are_read_as_lemmas() -> None:
    assert [w.lemma for w in parse_words("Strikes killed six people")] == [
        "strike",
        "kill",
        "six",
        "people",
    ]


def test_another_form_of_a_passage_word_is_not_a_new_fact() -> None:
    # "killed" beside "killing": the same lemma, kept without any vectors.
    assert kept("Overnight strikes killed at least six people.", STRIKES, with_vectors=False)


def test_a_word_no_passage_uses_is_a_new_fact_without_vectors() -> None:
    claim = "The strikes knocked out power in parts of the city."
    assert not kept(claim, STRIKES, with_vectors=False)


@pytest.mark.parametrize(
    "claim",
    [
        "The strikes knocked out power and water in parts of the city.",  # electricity
        "The ferry hit the loading ramp at Sørnes while berthing.",  # struck
    ],
)
def test_a_restatement_in_a_near_word_is_kept(claim: str) -> None:
    assert kept(claim, STRIKES, RAMP)


@pytest.mark.parametrize(
    "claim",
    [
        "The strikes caused a ceasefire in parts of the city.",
        "The ferry hit the loading ramp at Sørnes while berthing twice.",  # a new number
        "The ferry sank at Sørnes while berthing.",
    ],
)
def test_a_different_fact_in_new_words_is_dropped(claim: str) -> None:
    assert not kept(claim, STRIKES, RAMP)


def test_a_restatement_across_a_negation_is_dropped() -> None:
    # "soon" is near "now", but the sentence says the opposite.
    assert not kept("The prime minister said sanctions should be lifted soon.", TALKS)
    assert kept("The prime minister said now is not the time to lift sanctions.", TALKS)


def test_stored_lemmas_are_read_instead_of_parsing_again() -> None:
    @dataclass(frozen=True)
    class Stored:
        text: str
        annotations: str

    text = "Ferries sailed."
    notes = Notes(0, len(text), (), ("stored", "lemma"), (), (), ())
    passage = Stored(text=text, annotations=encode([notes]))
    assert sentence_lemmas(passage, text, 0, len(text)) == {"stored", "lemma"}
    # Without stored notes the sentence is parsed.
    assert sentence_lemmas(object(), text, 0, len(text)) == {"ferry", "sail"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on 5 Sept. and in March", {9, 3}), ("in December", {12}), ("you may go", set())],
)
def test_months_come_from_the_calendar(text: str, expected: set[int]) -> None:
    assert months(text) == expected


def test_month_names_are_not_names() -> None:
    assert names("Fares rise in May, the company said.") == set()

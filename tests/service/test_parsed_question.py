"""The question read from its parse (service/evidence/parsed.py)."""

from __future__ import annotations

import pytest

from service.evidence import lexicon
from service.evidence.parsed import parse_question


@pytest.mark.parametrize(
    ("question", "types"),
    [
        ("Who won the 2019 race?", lexicon.PERSONISH),
        ("Where were the talks held?", lexicon.PLACES),
        ("When did the ship sink?", lexicon.TIMES),
        ("How many people died?", lexicon.QUANTITIES),
        ("How much did the bridge cost?", lexicon.QUANTITIES),
        ("Which country hosted the summit?", frozenset({"GPE", "LOC"})),
        ("Which company built the ship?", frozenset({"ORG"})),
        ("What year did the bridge open?", frozenset({"DATE"})),
        ("What did the mayor say about the bridge?", frozenset()),
        # What a named person is: a role or a description answers, not another name.
        ("Who is Ida Lindqvist?", frozenset()),
        ("Who is the mayor of Elmby?", lexicon.PERSONISH),
    ],
)
def test_the_asked_type_comes_from_the_wh_word_and_its_noun(
    question: str, types: frozenset[str]
) -> None:
    assert parse_question(question).types == types


def test_constraints_and_predicate() -> None:
    won = parse_question("Who won the 2019 race?")
    assert [(d.first, d.last) for d in won.dates] == [("2019-01-01", "2019-12-31")]
    assert won.predicate is not None and won.predicate.lemma == "win"
    assert ("dobj", "race") in won.predicate.arguments
    assert not won.present

    holder = parse_question("Who is the president of France?")
    assert holder.head == "president" and holder.present
    assert holder.predicate is not None and holder.predicate.lemma == "president"
    assert ("of", "france") in holder.predicate.arguments
    assert ("GPE", "France") in holder.entities

    assert not parse_question("Who was the president of France?").present
    assert parse_question("How many ships carried 300 passengers?").numbers == (300.0,)
    assert ("president", "former") in parse_question("Who is the former president?").modifiers


@pytest.mark.parametrize(
    ("question", "past"),
    [("Who will become acting mayor of Dunmere?", False), ("Who became chief executive?", True)],
)
def test_becoming_a_role_asks_about_the_role(question: str, past: bool) -> None:
    # "who will become X" asks who is to be X, as "who is X" does: the role is the anchor.
    parsed = parse_question(question)
    assert parsed.head is not None and parsed.predicate is not None
    assert parsed.predicate.lemma == parsed.head
    assert parsed.past is past


@pytest.mark.parametrize(
    ("question", "verb", "argument"),
    [
        ("When is Zelensky expected to go to Washington?", "go", ("to", "washington")),
        ("Who is expected to win the race?", "win", ("dobj", "race")),
    ],
)
def test_a_raising_passive_asks_about_the_verb_it_raises_from(
    question: str, verb: str, argument: tuple[str, str]
) -> None:
    # "is expected to" says how likely the going is; the going is what is asked about.
    predicate = parse_question(question).predicate
    assert predicate is not None and predicate.lemma == verb
    assert argument in predicate.arguments


def test_the_nouns_a_question_points_at() -> None:
    # The small model parses "quay cost" as one noun phrase: the tags still find "quay".
    assert "quay" in parse_question("How much did the new quay cost?").definite
    assert parse_question("Which ministers joined him on that call?").definite == {"call"}
    assert not parse_question("Who won?").definite


@pytest.mark.parametrize(
    ("words", "question", "expected"),
    [
        # The verbs "do" supports: a verb the question inflects, or one a modal carries,
        # is no base form "do" asks in.
        ("supported", "What did he thank him for?", {"thank"}),
        ("supported", "Who does the company blame for the delay?", {"blame"}),
        ("supported", "How many passengers can it carry?", set()),
        ("supported", "Who thanked the minister?", set()),
        # The verbs a modal carries.
        ("modal", "Who will captain the new ferry?", {"captain"}),
        ("modal", "How many passengers can it carry?", {"carry"}),
        ("modal", "Who captained the ferry?", set()),
        ("modal", "What did he thank him for?", set()),
        # The nouns that narrow another: a name narrows by itself (a constraint of its
        # own), an adjective is no noun.
        ("narrowing", "Who chaired the judges of the painting awards?", {"painting"}),
        ("narrowing", "Who opened the new ferry terminal in Elmby?", {"ferry"}),
        ("narrowing", "Who opened the Elmby terminal?", set()),
        ("narrowing", "Who opened the new terminal?", set()),
        # The small model tags "award" a proper noun here: written in lower case, it is none.
        ("narrowing", "How much was the regional teaching award worth in 2024?", {"teaching"}),
    ],
)
def test_the_words_the_parse_sets_apart(words: str, question: str, expected: set[str]) -> None:
    assert getattr(parse_question(question), words) == expected

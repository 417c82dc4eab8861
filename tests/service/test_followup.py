"""The offline follow-up resolver: what a follow-up is rewritten to, and what is left alone."""

from __future__ import annotations

import pytest

from service.answer.base import Message
from service.ask.followup import Resolution, clean_answer, mentions, resolve

STARMER_CALL = "What did Keir Starmer say after the coalition of the willing call on 25 November?"


def convo(*turns: str) -> list[Message]:
    """Alternating user and assistant messages, starting with the user."""
    roles = ("user", "assistant")
    return [Message(roles[i % 2], text) for i, text in enumerate(turns)]  # type: ignore[arg-type]


def test_without_history_the_question_is_searched_as_typed() -> None:
    assert resolve("Which ministers joined him?", []) == Resolution.unchanged(
        "Which ministers joined him?"
    )


def test_the_issue_example_resolves_the_person_and_the_call() -> None:
    history = convo(STARMER_CALL, "He said the talks were moving in a positive direction [1].")
    r = resolve("Which ministers joined him on that call?", history)
    assert r.follow_up and r.method == "offline"
    assert r.question.startswith(
        "Which ministers joined Keir Starmer on the coalition of the willing call on 25 November?"
    )
    assert {"keir", "starmer", "coalition", "willing", "25", "november"} <= r.carried_terms
    assert "minister" not in r.carried_terms  # the question's own words keep full weight


def test_a_new_topic_is_left_alone() -> None:
    history = convo(STARMER_CALL, "He said the talks were moving in a positive direction.")
    for question in (
        "Who is Christine Lagarde?",
        "What did Sergei Lavrov say in his interview published on Wednesday?",
        "How many cadets a year will Hallvik Maritime School train for Nordhav?",
    ):
        r = resolve(question, history)
        assert r == Resolution.unchanged(question), question


def test_answer_reference_takes_the_person_the_answer_named() -> None:
    history = convo("Who is the US Secretary of State?", "Marco Rubio.")
    r = resolve("What did he warn Zelensky's team about?", history)
    assert r.question.startswith("What did Marco Rubio warn Zelensky's team about?")


def test_an_elliptical_who_question_is_still_answered_by_a_person() -> None:
    history = convo(
        STARMER_CALL,
        "He said the talks were moving in a positive direction.",
        "And who spoke for France?",
        "French President Emmanuel Macron, speaking from Paris.",
    )
    r = resolve("What did he say about security guarantees?", history)
    assert r.question.startswith("What did Emmanuel Macron say about security guarantees?")


def test_two_pronouns_two_people() -> None:
    history = convo(
        "How did Zelensky describe his conversation with Keir Starmer on 25 November?",
        'He called it a "good and very productive" conversation.',
    )
    r = resolve("What did he thank him for?", history)
    assert r.question.startswith("What did Zelensky thank Keir Starmer for?")


def test_entities_carry_over_more_than_one_turn() -> None:
    history = convo(
        "When did MF Solgang arrive in Hallvik?",
        "On Friday 11 September 2026.",
        "How long did the delivery voyage take?",
        "Two days.",
    )
    r = resolve("Who built her?", history)
    assert "Solgang" in r.question


@pytest.mark.parametrize(
    ("previous", "fragment", "expected"),
    [
        ("When was MF Havørn built?", "Where?", "Where was MF Havørn built?"),
        ("Who is the mayor of Hallvik?", "And of Kvitsund?", "Who is the mayor of Kvitsund?"),
        (
            "How many cars can MF Solgang carry?",
            "And passengers?",
            "How many passengers can MF Solgang carry?",
        ),
    ],
)
def test_fragments_take_the_previous_questions_frame(
    previous: str, fragment: str, expected: str
) -> None:
    r = resolve(fragment, convo(previous, "An answer."))
    assert r.question.startswith(expected)


def test_elliptical_follow_up_carries_what_was_asked() -> None:
    history = convo(
        "What is the UK doing with the proceeds of frozen Russian assets?",
        "It uses them to support Ukraine.",
    )
    r = resolve("Who else does that?", history)
    assert "proceeds of frozen Russian assets" in r.question


def test_existential_there_is_not_a_fragment_and_definites_expand() -> None:
    history = convo("Why was the Kvitsund–Storvær ferry suspended?", "The old quay at Storvær.")
    r = resolve("How much did the new quay cost?", history)
    assert r.question.startswith("How much did the new quay at Storvær cost?")
    plan = resolve("Is there a plan?", history)
    assert plan.question.startswith("Is there a plan?")


def test_citation_markers_and_the_sources_list_are_not_part_of_an_answer() -> None:
    answer = "Captain Erling Moen [1].\n\n**Sources**\n1. *Kari Vold retires* (2026-05-01)"
    assert clean_answer(answer) == "Captain Erling Moen."
    history = convo("Who was the master of MF Havørn?", answer)
    r = resolve("When did he retire?", history)
    assert "Erling Moen" in r.question and "Kari" not in r.question


def test_mentions() -> None:
    found = mentions(
        "Repair an old boat: Captain Erling Moen met ‘multinational force Ukraine’ "
        "officials on 25 November 2025 after the storm."
    )
    kinds = {(m.text, m.kind) for m in found}
    assert ("Captain Erling Moen", "person") in kinds
    assert ("multinational force Ukraine", "quote") in kinds
    assert ("25 November 2025", "date") in kinds
    assert ("storm", "event") in kinds
    assert not any(m.text == "Repair" for m in found)  # a sentence's first word
    assert next(m for m in found if m.kind == "person").label == "Erling Moen"


def test_the_same_history_always_gives_the_same_rewrite() -> None:
    history = convo(STARMER_CALL, "He said the talks were moving in a positive direction.")
    rewrites = {resolve("And who spoke for France?", history).question for _ in range(3)}
    assert len(rewrites) == 1

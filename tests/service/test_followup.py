"""The offline follow-up resolver: what a follow-up is rewritten to, and what is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import openai
import pytest

from devtools.procs import free_port
from service.answer.base import Message
from service.ask.followup import Resolution, clean_answer, mentions, resolve
from service.ask.resolver import FollowUpResolver, LLMCondenser, usable

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
        # The object the wh-word asked about goes back after its verb.
        (
            "What missiles will the army deliver to the front?",
            "When?",
            "When will the army deliver the missiles to the front?",
        ),
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
    # The carried context is searched with; what is asked is the question without it.
    assert r.asked == "Who else does that?" and r.question.startswith(f"{r.asked} (")


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
    # "storm" is an event here because the follow-up points at it ("the storm").
    found = mentions(
        "Repair an old boat: Captain Erling Moen met ‘multinational force Ukraine’ "
        "officials on 25 November 2025 after the storm.",
        events={"storm"},
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


# -- the LLM condensation path ----------------------------------------------------------


class _Recorded:
    """A condenser replaying a recorded model reply (the branching of the resolver, not a
    model: the real llama.cpp path is in test_followup_llm.py)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls = 0

    async def condense(self, question: str, history: Sequence[Message]) -> str:
        self.calls += 1
        return usable(self.reply, question)

    async def aclose(self) -> None:
        return None


CALL_HISTORY = [
    Message("user", STARMER_CALL),
    Message("assistant", "He said the talks were moving in a positive direction."),
]


def test_a_usable_condensation_is_searched() -> None:
    condenser = _Recorded("Which ministers joined Keir Starmer on the 25 November call?")
    resolver = FollowUpResolver("llm", condenser)
    r = asyncio.run(resolver.resolve("Which ministers joined him on that call?", CALL_HISTORY))
    assert r.method == "llm" and r.question == condenser.reply
    # A new topic is never sent to the LLM.
    new_topic = asyncio.run(resolver.resolve("Who is Christine Lagarde?", CALL_HISTORY))
    assert new_topic.method == "none" and condenser.calls == 1


@pytest.mark.parametrize(
    "reply",
    [
        "The coalition of the willing.",  # an answer, not a question
        "Standalone question: What is the capital of France?",  # drops the question's words
        "",
    ],
)
def test_an_unusable_condensation_falls_back_to_the_offline_rewrite(reply: str) -> None:
    resolver = FollowUpResolver("llm", _Recorded(reply))
    r = asyncio.run(resolver.resolve("Which ministers joined him on that call?", CALL_HISTORY))
    assert r.method == "offline" and "Keir Starmer" in r.question


def test_usable_strips_labels_and_quotes() -> None:
    question = "Which ministers joined him on that call?"
    reply = 'Standalone question: "Which ministers joined Keir Starmer on the call?"\nMore.'
    assert usable(reply, question) == "Which ministers joined Keir Starmer on the call?"


def test_an_unreachable_llm_falls_back_to_the_offline_rewrite() -> None:
    # A real connection to a loopback port nobody listens on.
    client = openai.AsyncOpenAI(
        base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x", max_retries=0
    )
    condenser = LLMCondenser(client, "m", timeout_s=5, messages=6)
    resolver = FollowUpResolver("llm", condenser)

    async def run() -> Resolution:
        try:
            return await resolver.resolve("Which ministers joined him on that call?", CALL_HISTORY)
        finally:
            await resolver.aclose()

    r = asyncio.run(run())
    assert r.method == "offline" and "Keir Starmer" in r.question


def test_the_condensation_prompt_is_short_and_clean() -> None:
    condenser = LLMCondenser(openai.AsyncOpenAI(api_key="x"), "m", timeout_s=5, messages=2)
    history = [
        *CALL_HISTORY,
        Message("user", "And who spoke for France?"),
        Message("assistant", "Emmanuel Macron [1]." + "x" * 1000 + "\n\n**Sources**\n- [1] a"),
    ]
    messages = condenser.prompt("What did he say?", history)
    text = messages[1]["content"]
    assert STARMER_CALL not in text  # only the last two messages
    assert "[1]" not in text and "**Sources**" not in text and len(text) < 700
    assert text.endswith("Last question: What did he say?\n\nStandalone question:")


def test_the_follow_up_mode_follows_the_llm_settings() -> None:
    from service.settings import LLMSettings, Settings

    assert Settings().followup_mode == "offline"
    llm = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m")
    assert Settings(llm=llm).followup_mode == "llm"
    assert Settings(llm=LLMSettings(base_url="http://127.0.0.1:9/v1")).followup_mode == "offline"


def test_empty_turns_in_the_history_are_passed_over() -> None:
    history = [
        Message("user", ""),
        *convo("Where were the US-Ukraine talks held?", "In Geneva."),
        Message("user", "  "),
    ]
    r = resolve("And who welcomed them?", history)
    assert r.follow_up and "US-Ukraine talks" in r.question


def test_they_becomes_the_plural_phrase_it_stands_for() -> None:
    history = convo(
        "What did the Kremlin say about the US-Ukraine talks?", "It said nothing about them."
    )
    r = resolve("Where were they held?", history)
    assert r.asked is not None and "they" not in r.asked.casefold().split()
    assert r.question.startswith("Where were the US-Ukraine talks held?")
    them = resolve("Who attended them?", history)
    assert them.question.startswith("Who attended the US-Ukraine talks?")


def test_there_becomes_the_place_and_a_short_question_with_a_verb_is_no_fragment() -> None:
    history = convo("What happened at the summit in Paris?", "Leaders met.")
    r = resolve("Who represented NATO there?", history)
    assert r.question.startswith("Who represented NATO in Paris?")
    # Existential "there" points at nothing.
    assert resolve("Is there a plan?", history).question.startswith("Is there a plan?")


@pytest.mark.parametrize(
    ("question", "answer", "follow_up", "expected"),
    [
        # "there" after "Where ...?" is the place the answer puts "in".
        (
            "Where did the rebels set up their camp last spring?",
            "The rebels set up their camp last spring, mostly in Varnholt, a valley town [1].",
            "Were they attacked there?",
            "in Varnholt",
        ),
        # "How many ... are there?" counts them there, whichever way "there" is read.
        (
            "Where did the rebels set up their camp last spring?",
            "The rebels set up their camp last spring, mostly in Varnholt, a valley town [1].",
            "How many rebels are there?",
            "How many rebels are there in Varnholt?",
        ),
        # "that year" is the year an earlier question named.
        (
            "Who won the 2019 Arden Cup?",
            "Mia Holt won the 2019 Arden Cup [1].",
            "Who won the final round that year?",
            "Who won the final round in 2019?",
        ),
        # "that meeting" may point at what an answer said.
        (
            "Who represented the league at the talks?",
            "Its chair, Ola Berg, attended the Lisbon meeting on Friday [1].",
            "What did the players' union say at that meeting?",
            "at the Lisbon meeting",
        ),
    ],
)
def test_a_place_a_year_or_a_thing_an_earlier_turn_named(
    question: str, answer: str, follow_up: str, expected: str
) -> None:
    assert expected in resolve(follow_up, convo(question, answer)).question


def test_that_year_stays_where_two_years_were_named_or_it_is_a_possessor() -> None:
    two = convo("Who won the Arden Cup in 2019 and 2020?", "Mia Holt, then Ana Lee [1].")
    assert "that year" in resolve("Who won the final round that year?", two).question
    one = convo("Who won the 2019 Arden Cup?", "Mia Holt [1].")
    assert "that year's" in resolve("Who won that year's final round?", one).question


def test_they_as_an_active_subject_stands_for_an_earlier_subject() -> None:
    history = convo(
        "Which countries' senior military officials were to travel to Kyiv after the talks?",
        "Those of the UK, France and Germany.",
    )
    r = resolve("What were they going to draw up?", history)
    assert r.question.startswith("What were countries' senior military officials going to")


def test_it_becomes_what_the_previous_question_asked_with_what_or_which() -> None:
    # The parse tags "what" before a noun a pronoun, "which" a determiner: both ask for
    # the thing the noun names, which "it" stands for next when nothing else is named.
    for wh in ("What", "Which"):
        history = convo(f"{wh} ferry was chosen?", "The Tern [1].")
        r = resolve("Which shipyard is building it?", history)
        assert r.question.startswith("Which shipyard is building the ferry?")


def test_it_becomes_the_thing_the_previous_question_named() -> None:
    history = convo("When did the new library in Oakdale open?", "In March.")
    r = resolve("How many books does it hold?", history)
    assert r.question.startswith("How many books does the new library hold?")
    assert resolve("What is its budget?", history).question.startswith(
        "What is the new library's budget?"
    )
    # Not what the previous question asked with its wh-word, nor a name: "a trade deal".
    history = convo("Which newspaper reported that Chile had signed a trade deal?", "The Post.")
    assert resolve("What would it cover?", history).question.startswith(
        "What would a trade deal cover?"
    )


def test_it_with_nothing_to_stand_for_stays() -> None:
    history = convo("Who is Keir Starmer?", "The UK prime minister.")
    assert resolve("When was it founded?", history).question.startswith("When was it founded?")


def test_a_follow_up_naming_another_year_replaces_the_old_one() -> None:
    history = convo(
        "Who won the men's race at the 2019 Boston Marathon?", "Geoffrey Kirui won in 2:15:58."
    )
    r = resolve("And in 2021?", history)
    assert r.follow_up
    # The old year and the old year's winner are not carried: they would find 2019 again.
    assert r.question == "Who won the men's race at the 2021 Boston Marathon?"


def test_the_year_after_and_before_shift_the_previous_year() -> None:
    history = convo("How many people attended the 2019 Glastonbury Festival?", "About 200,000.")
    after = resolve("And the year after?", history)
    assert after.question == "How many people attended the 2020 Glastonbury Festival?"
    before = resolve("What about the year before?", history)
    assert before.question == "How many people attended the 2018 Glastonbury Festival?"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        (
            "And in the fourth quarter alone?",
            "What did the company earn in the fourth quarter of 2022?",
        ),
        ("What about in March?", "What did the company earn in March 2022?"),
    ],
)
def test_a_part_of_the_year_narrows_the_previous_question(fragment: str, expected: str) -> None:
    history = convo("What did the company earn in 2022?", "It earned 3 million euros.")
    assert resolve(fragment, history).question == expected
    # A part of the year the previous question named gives way to the new one.
    history = convo("What did the company earn in the third quarter of 2022?", "3 million euros.")
    assert "third" not in resolve(fragment, history).question


def test_a_relative_time_or_a_weekday_is_no_part_of_the_year() -> None:
    history = convo("What did the company earn in 2022?", "It earned 3 million euros.")
    assert "the week before of" not in resolve("And the week before?", history).question
    assert "Sunday 2022" not in resolve("And on Sunday?", history).question


def test_a_year_fragment_with_other_content_is_not_a_year_change() -> None:
    history = convo("What did the company earn in 2022?", "It earned 3 million euros.")
    r = resolve("And its rival in 2023?", history)
    # Not rewritten as "What did the company earn in 2023?": the rival would be lost.
    assert "rival" in r.question and "2023" in r.question


def test_names_people_and_dates_come_from_the_parse() -> None:
    # No title or organisation word lists: the recogniser's PERSON span names the person
    # (the titles before it are left out), a name it calls an organisation is not one,
    # and only a DATE on the calendar is a date ("two hours" is a length of time).
    found = mentions(
        "Foreign Secretary Anna Lindqvist met Northwind Bank in Oslo on 3 March 2024 for two hours."
    )
    kinds = {(m.text, m.kind) for m in found}
    assert ("Foreign Secretary Anna Lindqvist", "person") in kinds
    assert ("Northwind Bank", "name") in kinds
    assert ("3 March 2024", "date") in kinds
    assert not any("two hours" in m.text for m in found)
    assert next(m for m in found if m.kind == "person").label == "Anna Lindqvist"
    # "last year" is counted from when it was said: not carried into another question.
    assert not any(m.kind == "date" for m in mentions("The budget was cut last year."))


def test_where_were_they_held_names_the_talks() -> None:
    history = convo("Who attended the Nordic climate talks on 3 March?", "Five ministers.")
    r = resolve("Where were they held?", history)
    assert r.question.startswith("Where were the Nordic climate talks held?")


def test_a_person_pronoun_is_the_person_not_the_organisation() -> None:
    history = convo(
        "Who chairs Northwind Bank?", "Helena Varga has chaired Northwind Bank since 2019."
    )
    r = resolve("What did he say about the merger?", history)
    assert r.question.startswith("What did Helena Varga say about the merger?")


def test_a_ship_may_be_she_but_not_he() -> None:
    history = convo("When was MS Nordlys built?", "In 1998.")
    assert resolve("How fast is she?", history).question.startswith("How fast is MS Nordlys?")
    assert resolve("What did he say?", history).question.startswith("What did he say?")
    # A title is not a ship's prefix: "Ms" is written in lower case.
    found = mentions("Ms Jane Doe met the crew of MS Nordlys.")
    assert {("Ms Jane Doe", "person"), ("MS Nordlys", "vessel")} <= {
        (m.text, m.kind) for m in found
    }


def test_a_word_english_knows_is_left_as_typed() -> None:
    # "reason" is kept by the resolver (the spelling repair of retrieval is tested in
    # tests/service/test_retrieval.py).
    history = convo("Why did fares rise on 1 April?", "The company blamed higher fuel costs.")
    assert resolve("Who gave that reason?", history).question.startswith("Who gave that reason?")


def test_each_turn_is_parsed_once_and_a_long_answer_only_where_it_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.core import nlp

    pipeline = nlp.pipeline()
    parsed: list[str] = []

    def recording(text: str) -> object:
        parsed.append(text)
        return pipeline(text)

    monkeypatch.setattr(nlp, "pipeline", lambda: recording)
    nlp.parse.cache_clear()
    answer = "Helena Varga chairs it. " + "She spoke at length about many things. " * 20
    history = convo("Who chairs Northwind Bank?", answer)
    resolve("What did she say?", history)
    assert len(parsed) == len(set(parsed))  # no text parsed twice
    assert all(len(text) <= 400 for text in parsed)  # the answer's opening only
    count = len(parsed)
    resolve("What did she say?", history)
    assert len(parsed) == count  # the next request reads them from the cache
    nlp.parse.cache_clear()


def test_a_name_answering_who_is_the_person_even_unrecognised() -> None:
    # The recogniser reads "Per" in a bare answer as a preposition and marks no person:
    # after "Who ...?" the answer's name is still whom "he" means.
    history = convo(
        "When will Captain Anders Lunde retire from the Fjordline?",
        "On 30 June 2027.",
        "Who is the harbour master of Vikstad?",
        "Per Ottar Rud.",
    )
    r = resolve("What did he say about the new pier?", history)
    assert r.question.startswith("What did Ottar Rud say about the new pier?")


def test_who_is_a_named_person_keeps_that_person() -> None:
    # "Who is X?" asks about X: the names its answer adds are not whom "he" means.
    history = convo(
        "Who is Tomas Keller?",
        "Tomas Keller, Chancellor Maria Lenz's chief of staff, spoke on Sunday.",
    )
    r = resolve("What did he say about the budget?", history)
    assert r.question.startswith("What did Tomas Keller say about the budget?")


def test_she_and_he_are_not_the_same_person() -> None:
    history = convo(
        "Who will succeed Jonas Berg as head coach of Ardent FC?",
        "Assistant coach Lena Holm, who joined the club in 2019.",
        "Where did she play before?",
        "Lena Holm played for Vester United.",
    )
    r = resolve("How old is he?", history)
    assert "Lena Holm" not in r.question.split("?")[0]


def test_the_same_pronoun_again_means_the_same_one() -> None:
    history = convo(
        "When did MS Polaris reach Bergen?",
        "On 2 May.",
        "Who named her?",
        "Ada Lind, 12, a pupil who won a competition.",
        "How long did the delivery voyage take?",
        "Three days.",
    )
    r = resolve("What was her top speed?", history)
    assert r.question.startswith("What was MS Polaris's top speed?")


def test_a_role_a_nation_qualifies_is_whom_he_means() -> None:
    history = convo(
        "What did Defence Minister Karl Aas say after meeting his counterparts in Oslo?",
        "He said talks had gone well.",
        "What did the Austrian chancellor say about sending troops?",
        "The Austrian chancellor said it was too early.",
    )
    r = resolve("And in how many ways did he say countries could help?", history)
    assert r.question.startswith("In how many ways did the Austrian chancellor say")


def test_why_after_how_much_swaps_the_whole_question_phrase() -> None:
    history = convo("How much did the new library end up costing?", "NOK 12 million.")
    r = resolve("Why?", history)
    assert r.question.startswith("Why did the new library end up costing?")
    history = convo("When was the bridge built?", "In 1998.")
    assert resolve("Where?", history).question.startswith("Where was the bridge built?")


def test_a_pronoun_continues_the_subject_when_the_answer_filled_the_object() -> None:
    # The answer to "Who did she say she might meet?" is the object; "her" next is still
    # the one the turns were about, as a pronoun continues the subject before it.
    history = convo(
        "What did Chancellor Anna Berger say the new budget would do?",
        "She said it would cut the deficit.",
        "Who did she say she might meet?",
        "Finance Minister Clara Weiss.",
    )
    r = resolve("How did the unions describe her plan?", history)
    assert r.question.startswith("How did the unions describe Anna Berger's plan?")
    # Asked for the subject, the answer is whom a pronoun then means.
    history = convo("Who won the mayoral race?", "Clara Weiss.")
    r = resolve("How did the unions describe her plan?", history)
    assert r.question.startswith("How did the unions describe Clara Weiss's plan?")


def test_a_name_fragment_takes_the_place_of_the_first_name_as_written() -> None:
    # A bare surname may be a person's: "Weiss" takes the subject's place, not that of
    # the other bare surname the question holds.
    history = convo("How did Anna Berger describe Novak's plan?", 'She called it "a good start".')
    r = resolve("And Weiss?", history)
    assert r.question.startswith("How did Weiss describe Novak's plan?")


def test_it_is_the_asked_thing_when_the_question_before_names_nothing_else() -> None:
    history = convo(
        "Where did the two delegations meet over the weekend?",
        "In Geneva.",
        "What plan were they discussing?",
        "A 28-point plan.",
    )
    r = resolve("How many points did it have?", history)
    assert r.question.startswith("How many points did the plan have?")


def test_a_definite_noun_gains_no_time_it_already_says() -> None:
    history = convo(
        "How many people attended the Arden Folk Festival in 2024?",
        "41,200 people.",
        "And in 2025?",
        "36,900 people.",
    )
    r = resolve("Why was the 2025 festival cut short?", history)
    assert r.question.startswith("Why was the 2025 festival cut short?")


@pytest.mark.parametrize(
    ("question", "answer", "follow_up"),
    [
        # The pronoun's own question names what it stands for, before it.
        (
            "What did the Elm County council consider relaxing?",
            "Rules on fishing [1].",
            "How did Ashby and its neighbours respond?",
        ),
        (
            "Which talks did the firm hold?",
            "Talks with Acme [1].",
            "Why did the firm cut its forecast?",
        ),
        (
            "What did the ministers discuss?",
            "Troops [1].",
            "What did the ministers say they would do?",
        ),
    ],
)
def test_a_pronoun_its_own_question_names_before_it_is_left_as_it_is(
    question: str, answer: str, follow_up: str
) -> None:
    assert resolve(follow_up, convo(question, answer)).question.startswith(follow_up)


@pytest.mark.parametrize(
    ("question", "answer", "fragment", "expected"),
    [
        # A noun phrase alone asks the previous question of another thing: its owner and
        # its year stay.
        (
            "What was Elm Ltd's revenue in 2023?",
            "412 million euros [1].",
            "And its net profit?",
            "What was Elm Ltd's net profit in 2023?",
        ),
        (
            "What is the population of Elmby?",
            "About 4,000 [1].",
            "And its area?",
            "What is the area of Elmby?",
        ),
        (
            "What was the final cost of the new quay?",
            "18 million [1].",
            "And the budget?",
            "What was the budget of the new quay?",
        ),
        # By the same noun: another one of that kind takes its place; its wh-word, its
        # place and year stay, and a name or a number the phrase does not replace.
        (
            "Who won the women's race at Elmby in 2024?",
            "Anna Berg [1].",
            "And the wheelchair race?",
            "Who won the wheelchair race at Elmby in 2024?",
        ),
        (
            "Who won the 2024 Ashby Prize?",
            "Anna Berg [1].",
            "And the 2025 prize?",
            "Who won the 2025 Ashby Prize?",
        ),
        (
            "Who won the 2024 Ashby Marathon?",
            "Tom Reed [1].",
            "And the half marathon?",
            "Who won the 2024 half Ashby Marathon?",
        ),
        # One thing counted ("the other ferry"), not another thing to count.
        (
            "How many passengers did the ferry carry in 2024?",
            "212 [1].",
            "And the other ferry?",
            "How many passengers did the other ferry carry in 2024?",
        ),
        ("How many votes did Anna Berg get?", "6,412 [1].", "And seats?", "How many seats"),
        # A person's possessive: what that person has takes the person's place.
        (
            "How many votes did Anna Berg get?",
            "6,412 [1].",
            "And her opponent?",
            "How many votes did Anna Berg's opponent get?",
        ),
        ("What was Anna Berg's role?", "Mayor [1].", "And her age?", "What was Anna Berg's age?"),
        # The one definite thing the question asked about.
        (
            "Who opened the new quay in Elmby?",
            "Anna Berg [1].",
            "And the hall?",
            "Who opened the hall in Elmby?",
        ),
    ],
)
def test_a_noun_phrase_alone_asks_the_same_of_another_thing(
    question: str, answer: str, fragment: str, expected: str
) -> None:
    assert resolve(fragment, convo(question, answer)).question.startswith(expected)


def test_a_noun_phrase_does_not_replace_one_of_two_things() -> None:
    # The ferry or the shipyard: the question does not say which one the tug replaces.
    history = convo("When did the ferry leave the shipyard?", "In May [1].")
    assert resolve("And the tug?", history).question.startswith("The tug?")


def test_a_noun_phrase_does_not_take_the_place_of_the_wh_phrase() -> None:
    # "Which race" is what was asked, not a thing another race stands in for.
    history = convo("Which race did Anna Berg win in 2024?", "The Elmby 10K [1].")
    question = resolve("And the men's race?", history).question
    assert "race did" not in question
    assert question.startswith("The men's race?")


def test_it_is_not_the_end_of_a_name_that_runs_on_through_of() -> None:
    # "the Year" of "Car of the Year" is part of the award's name, not a thing "it" can
    # stand for: what the question asked about with "which" is meant.
    history = convo("Which car won Car of the Year in 2024?", "The Ashby Four [1].")
    assert resolve("Who built it?", history).question.startswith("Who built the car?")


def test_it_is_a_phrase_the_small_models_parse_cut() -> None:
    # The small model tags "cost" a noun here, so "How much did the new quay" is one
    # phrase: the definite one in it starts at its determiner.
    history = convo("How much did the new quay in Elmby cost?", "18 million [1].")
    assert resolve("Who opened it?", history).question.startswith("Who opened the new quay?")


def test_a_new_wh_word_drops_the_old_ones_stranded_preposition() -> None:
    history = convo("Who will the petition be handed to?", "The county council [1].")
    assert resolve("And when?", history).question.startswith("When will the petition be handed?")


def test_a_pronoun_after_a_question_naming_no_one_is_the_person_the_answer_introduced() -> None:
    history = convo(
        "What did the rowing club's chair call the plan?",
        'Ida Lind, who chairs the Elmby Rowing Club, called the plan "a good start" [1].',
    )
    r = resolve("Why isn't she satisfied?", history)
    assert r.question.startswith("Why isn't Ida Lind satisfied?")


def test_that_party_after_who_is_the_name_the_answer_gave() -> None:
    history = convo(
        "Who voted against the budget?",
        "The opposition Elmby Greens voted against [1].",
    )
    r = resolve("How many seats does that party have on the council?", history)
    assert r.question.startswith("How many seats does Elmby Greens have on the council?")
    # A kind of thing the conversation already spoke of points at that, not at the answer.
    history = convo(
        "Which party won the Ashby election?",
        "The Elmby Greens won the Ashby election [1].",
    )
    r = resolve("Who leads that party?", history)
    assert not r.question.startswith("Who leads Elmby Greens?")

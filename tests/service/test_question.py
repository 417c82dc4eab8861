"""What a question asks for: its slots, constraints, focus, speaker and list-ness."""

from __future__ import annotations

import pytest

from service.evidence.question import analyse, has_name, name_keys, same_name


@pytest.mark.parametrize(
    ("question", "slots"),
    [
        ("How many leaders joined the call?", ("count",)),
        ("How much did the ramp repair cost?", ("amount",)),
        ("storm ramp repair cost", ("amount",)),
        ("How long has the UK been supporting Ukraine?", ("duration",)),
        ("What time does the last ferry leave?", ("time",)),
        ("When did Kyiv and Washington agree the ceasefire?", ("date",)),
        ("Geneva talks date", ("date",)),
        ("Where were the talks held?", ("place",)),
        ("Who designed the new waiting hall?", ("person",)),
        ("Which ship serves the route?", ("name",)),
        ("Which countries sent officers?", ("name",)),
        ("What did Starmer say about Putin?", ("speech",)),
        ("Who opened the terminal, and on what date?", ("date", "person")),
        # "when he said" is not a date question; "who is <name>" asks what they are.
        ("Where was Starmer speaking from when he said it?", ("place",)),
        ("Who is Astrid Nyhus?", ()),
        ("What did Zelensky thank Starmer for?", ()),
        # Read from the parse: a wh-word inside a clause of its own relates, it does not ask.
        ("Who was captain when the ship sank?", ("person",)),
        ("What did she tell the board about where the money went?", ("speech",)),
        # The kind a noun names, a verb's measure, a measure after "how".
        ("What share of trains ran on time?", ("amount",)),
        ("What did the new bridge cost?", ("amount",)),
        ("What was it supposed to cost, and what did it end up costing?", ("amount",)),
        # A time or a length; a second question joined by "and" asks too.
        ("How long was the detour, and via which town?", ("duration", "count", "name")),
        ("How strong were the winds?", ("count",)),
        ("In which year did the bridge open?", ("date",)),
        # A manner, a yes/no question, words inside the reported clause; the manner of
        # saying is the words said.
        ("How did the minister travel to the talks?", ()),
        ("How did the minister describe the talks?", ("speech",)),
        ("Are the troops surrounded in the region?", ()),
        ("What did the mayor say the plan would do?", ("speech",)),
        # "Who is the Secretary of State?" asks for a person: the title is no name.
        ("Who is the US Secretary of State?", ("person",)),
        # A role word is no slot by itself: this asks what he plans.
        ("What does Captain Ola Berg plan to do next?", ()),
        # The noun after "what are" is the subject of the clause "what" is the object of:
        # the countries offer what is asked; "the countries involved" are asked for.
        ("What are other countries expected to offer?", ()),
        ("What are the countries involved in the coalition?", ("name",)),
    ],
)
def test_slots(question: str, slots: tuple[str, ...]) -> None:
    assert analyse(question).slots == slots


def test_constraints_are_names_numbers_dates_and_quotes() -> None:
    asked = analyse(
        "Where were the US and Ukrainian negotiators meeting before Starmer's 25 November "
        "call about the 'security architecture' in 2025?"
    )
    found = {(c.kind, c.forms) for c in asked.constraints}
    assert found == {
        ("name", ("us",)),
        ("name", ("ukrainian",)),
        ("name", ("starmer",)),
        ("date", ("25", "november")),
        ("quote", ("security architecture",)),
        ("number", ("2025",)),
    }
    # Constraint words are not focus words; the slot's own words are neither.
    assert asked.focus == {"negotiator", "meeting", "call"}


def test_a_multiword_name_is_met_by_any_of_its_names_but_a_pair_needs_both() -> None:
    # The parse reads no name here; the passages write "captain" in lower case: a title.
    moen = analyse("Who replaced Captain Erling Moen?", common=frozenset({"captain"}))
    assert [(c.text, c.forms) for c in moen.constraints] == [
        ("Captain Erling Moen", ("erling", "moen"))
    ]
    # Without passages to say so, every word of it may be the name.
    bare = analyse("Who replaced Captain Erling Moen?").constraints
    assert bare[0].forms == ("captain", "erling", "moen")
    # Where the parse reads the name, the words outside it are titles.
    (said,) = analyse("What did Foreign Secretary David Lammy say?").constraints
    assert said.forms == ("david", "lammy")
    pair = analyse("Where were the US-Ukraine talks held?").constraints
    assert [c.forms for c in pair] == [("us",), ("ukraine",)]


def test_a_leading_abbreviation_or_title_alone_does_not_meet_a_name() -> None:
    # Other ships share the prefix, other people the country and the title.
    (ship,) = analyse("How many cars can HMS Torbay carry?").constraints
    assert ship.forms == ("torbay",)
    (person,) = analyse("What did US President Ada Rowe say?").constraints
    assert person.forms == ("ada", "rowe")
    # Nothing but an abbreviation and a title: the abbreviation is what names it.
    assert analyse("Who is the US Secretary of State?").constraints[0].forms == ("us",)


def test_a_lower_case_question_takes_its_names_from_the_passages() -> None:
    assert analyse("who is the nato secretary general").constraints == ()
    asked = analyse("who is the nato secretary general", proper=frozenset({"nato"}))
    assert [c.forms for c in asked.constraints] == [("nato",)]


def test_speaker_date_unit_and_list() -> None:
    said = analyse("What did Zelensky say about sanctions after the Paris meeting?")
    assert said.speaker is not None and said.speaker.forms == ("zelensky",)
    assert analyse("On what date did Solgang enter service?").date_unit == "day"
    assert analyse("In which month was it due?").date_unit == "month"
    assert analyse("When did it arrive?").date_unit is None
    assert analyse("Which leaders attended the summit?").is_list
    assert analyse("Who attended the summit?").is_list
    assert not analyse("Who designed the hall?").is_list
    # A singular noun asks for one; a parse that hangs "which" elsewhere is read from tags.
    assert not analyse("Which official met the envoy?").is_list
    assert analyse("Which British ministers and military chiefs joined the call?").is_list
    reported = analyse("What did the mayor of Tromsø say the plan would do?")
    # A role a name qualifies: the speaker has both ("Tromsø mayor Kari Olsen said").
    assert reported.speaker is not None and reported.speaker.kind == "role"
    assert reported.speaker.forms == ("tromsø", "mayor")
    assert analyse("In which year did the bridge open?").date_unit == "year"
    assert analyse("What is the capital of Norway?").attribute
    assert not analyse("What is the capital?").attribute


def test_same_name_allows_longer_forms_and_country_adjectives() -> None:
    assert same_name("zelenskyy", "zelensky")
    assert same_name("ukraine", "ukrainian")
    assert same_name("france", "french") and same_name("britain", "uk")
    # A capital standing for its government is no spelling of its name: that is a fact
    # about the world, not about how names are written.
    assert not same_name("moscow", "kremlin")
    assert not same_name("moen", "mohn")
    assert not same_name("austria", "australia")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Pairs that share no stem, from WordNet's places and their adjectives.
        ("peru", "peruvian"),
        ("iran", "iranian"),
        ("portugal", "portuguese"),
        ("netherlands", "dutch"),
        ("holland", "netherlands"),
        ("us", "america"),
        ("british", "uk"),
    ],
)
def test_two_names_of_one_place_are_the_same_name(a: str, b: str) -> None:
    assert same_name(a, b) and same_name(b, a)


def test_a_place_is_found_by_another_of_its_names_in_a_sentence() -> None:
    assert has_name("iranian", name_keys("Iran's foreign minister spoke on Monday."))
    assert has_name("uk", name_keys("Britain's prime minister spoke on Monday."))
    # England is a part of the UK, not another name for it.
    assert not has_name("uk", name_keys("England's captain spoke on Monday."))
    # "IN" abbreviates Indiana, but "in" is no name of it.
    assert not has_name("indiana", name_keys("The talks in Geneva ended."))
    # The initials of a headline's capitalised words ("PRC") name no place.
    headline = name_keys("UK Pressures Russia for Compromise in Ukraine Peace Talks")
    assert not has_name("china", headline)


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        # A clause of time places the asked thing; its words are not what the answer says.
        (
            "Where was the mayor speaking when she called the vote a turning point?",
            {"mayor", "speaking"},
        ),
        ("How many flights were hit after the runway was closed?", {"flight", "hit"}),
        # The occasion of someone's words tells which words are asked for.
        (
            "What did the mayor say when asked about the port?",
            {"mayor", "asked", "port"},
        ),
        # A clause of purpose says what the asked thing is for: an answer repeats it.
        (
            "What did the council set so that the works cannot drag on?",
            {"council", "set", "work", "cannot", "drag"},
        ),
        # A word the question also uses outside the clause stays.
        ("Which port reopened when the port authority returned?", {"port", "reopened"}),
    ],
)
def test_the_words_of_a_clause_of_time_are_not_focus(question: str, focus: set[str]) -> None:
    assert analyse(question).focus == focus

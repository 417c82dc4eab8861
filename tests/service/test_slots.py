"""Slots, people and speech read from the real pipeline (`en_core_web_sm`), as ingest stores
it and as a text ingest never read is parsed on the fly."""

from __future__ import annotations

import pytest

from service.core.store import Chunk
from service.evidence import slots
from service.evidence.annotate import annotate
from service.evidence.parsed import parse_question
from service.evidence.question import Constraint, analyse
from service.evidence.reading import read, reading
from service.evidence.sentences import sentence_spans
from service.evidence.support import named
from service.evidence.support import speaks as support_speaks
from service.evidence.wanted import wanted
from service.retrieval.hits import Hit


def _holders(question: str, slot: str, sentence: str) -> list[list[str]]:
    asked = analyse(question)
    return slots.holders(slot, read(sentence), asked, parse_question(question))  # type: ignore[arg-type]


def test_who_is_a_person_entity_the_question_does_not_name() -> None:
    assert _holders("Who met the chancellor?", "person", "Jane Smith met the chancellor.") == [
        ["jane", "smith"]
    ]
    # The question's own person, in a longer form, is no answer.
    assert _holders("Who did Keir Starmer call?", "person", "Sir Keir Starmer spoke.") == []
    # "Which person" narrows "who" to people: an organisation no longer answers.
    org = "The contract went to Acme Corporation."
    assert _holders("Who won the contract?", "person", org) == [["acme", "corporation"]]
    assert _holders("Which person won the contract?", "person", org) == []


def test_where_is_a_place_entity_or_a_name_a_preposition_governs() -> None:
    assert _holders("Where were the talks held?", "place", "The talks were held in Geneva.") == [
        ["geneva"]
    ]
    assert _holders("Where were the talks held?", "place", "The talks went well.") == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # The recogniser calls the island an organisation: "on" makes it a place.
        ("She grew up on Kettlø, a small island off the coast.", {"kettlø"}),
        # No entity at all, but a name (capitalised mid-sentence) that "on" governs; the
        # day "on Monday" is a date, no place.
        ("The minister announced the plan on X (formerly Twitter) on Monday.", {"x"}),
        # A place that owns the subject places nothing.
        ("Spain's Pedro Sanchez thanked the allies.", set()),
        # "of" does not place, and the lower-case "coast" is no name.
        ("The mayor of Elmton thanked the coast guard.", set()),
        # "according to" names a source, no place.
        ("According to Reuters, the talks went well.", set()),
    ],
)
def test_where_is_a_name_a_locative_preposition_governs(sentence: str, expected: set[str]) -> None:
    asked = analyse("Where did the minister announce it?")
    assert named("place", sentence, asked, frozenset()) == expected


@pytest.mark.parametrize(
    ("unit", "sentence", "expected"),
    [
        (None, "The bridge opened on 5 March 2021.", True),
        (None, "He worked there for 28 years.", False),  # a span, not a time
        ("day", "The bridge opened on 5 March.", True),
        ("day", "The bridge opened in March.", False),
        ("month", "The bridge opened in March.", True),
        ("year", "The bridge opened in March.", False),
        ("year", "The bridge opened in 2021.", True),
    ],
)
def test_when_is_a_time_at_the_asked_granularity(
    unit: str | None, sentence: str, expected: bool
) -> None:
    asked = analyse("When did the bridge open?")
    assert slots.dated(read(sentence), asked, unit) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The day the news was told is not the day of what it tells.
        (
            "On what date did the bridge open?",
            "The bridge will not open until May, the council confirmed on Tuesday.",
            False,
        ),
        ("On what date did the bridge open?", "The bridge opened on Tuesday, she said.", True),
        # A question about the report asks for its time.
        (
            "On what date did the council announce the delay?",
            "The bridge will not open until May, the council announced on Tuesday.",
            True,
        ),
    ],
)
def test_the_time_of_a_report_does_not_date_what_it_reports(
    question: str, sentence: str, expected: bool
) -> None:
    asked = analyse(question)
    assert slots.dated(read(sentence), asked, "day") is expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # "From what date" asks where a span starts: from or since, not any date.
        (
            "From what date was Jane Smith acting mayor?",
            "Jane Smith was defeated in the election on 7 May 2026.",
            False,
        ),
        (
            "From what date was Jane Smith acting mayor?",
            "Jane Smith will serve as acting mayor from 1 April 2025.",
            True,
        ),
        ("Since when has the bridge been closed?", "The bridge has been shut since 2019.", True),
        # "Until when" asks where it ends: the date of what it runs until counts too.
        (
            "Until when will she serve as acting mayor?",
            "She will serve from 1 April until the next election in May 2026.",
            True,
        ),
        ("Until when will she serve?", "She will serve from 1 April 2025.", False),
    ],
)
def test_a_wh_phrase_under_from_or_until_asks_for_that_end_of_a_span(
    question: str, sentence: str, expected: bool
) -> None:
    asked = analyse(question)
    assert slots.dated(read(sentence), asked, None) is expected


def test_how_many_is_a_number_entity_or_a_counted_noun() -> None:
    asked = analyse("How many people signed the petition?")
    parsed = parse_question(asked.question)
    assert slots.counted(read("It had 1,140 signatures."), asked, parsed, amount=False)
    assert slots.counted(read("Rail traffic rose by 40 per cent."), asked, parsed, amount=True)
    assert not slots.counted(read("Rail traffic rose by 40 per cent."), asked, parsed, False)
    assert not slots.counted(read("It came back four months later."), asked, parsed, False)
    years = analyse("How many years did he serve?")
    served = read("He served for 34 years.")
    assert slots.counted(served, years, parse_question(years.question), amount=False)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # The recogniser labels an age a date; for "how old" it is the answer.
        ("Anna Berg, 61, joined the company in 1992.", True),
        ("The 61-year-old captain retired in April.", True),
        # A span of years or a year of the calendar is no age.
        ("Anna Berg retired after 34 years with the company.", False),
        ("Anna Berg joined the company in 1992.", False),
        # A number that counts something else is no age either.
        ("The hall Anna Berg built seats 600 people.", False),
    ],
)
def test_how_old_is_an_age_the_recogniser_labels_a_date(sentence: str, expected: bool) -> None:
    asked = analyse("How old is Anna Berg?")
    parsed = parse_question(asked.question)
    assert slots.counted(read(sentence), asked, parsed, amount=False) is expected


def test_a_number_of_units_of_time_counts_no_people() -> None:
    asked = analyse("How many people live on the island?")
    parsed = parse_question(asked.question)
    sailing = read("A late sailing to the island must run on at least two evenings a week.")
    assert not slots.counted(sailing, asked, parsed, amount=False)
    assert not slots.counted(read("The crossing ran for 3 evenings."), asked, parsed, False)
    assert slots.counted(read("The island has 35 residents."), asked, parsed, amount=False)
    evenings = analyse("On how many evenings a week must the late sailing run?")
    assert slots.counted(sailing, evenings, parse_question(evenings.question), amount=False)


def speaks(speaker: Constraint | None, sentence: str, article: str = "") -> bool | None:
    """`slots.speaks` of one sentence as ingest reads it."""
    assert speaker is not None
    return slots.speaks(speaker, read(sentence), sentence, article)


def test_speech_is_a_reporting_verb_with_its_clause_or_speaker() -> None:
    assert slots.speech(read("The minister said the deal was close."), "")
    assert not slots.speech(read("The deal was close."), "The deal was close.")
    putin = analyse("What does Putin say a ceasefire should lead to?").speaker
    assert putin is not None
    said = "Putin said on Tuesday that peace is near."
    assert speaks(putin, said) is True
    other = "Starmer accused President Putin of delay tactics."
    assert speaks(putin, other) is False
    # Someone speaking for the speaker is not the speaker.
    spokesman = "Putin's spokesman said peace was near."
    assert speaks(putin, spokesman) is False
    # Nor is someone in a clause of the subject.
    met = "The envoy who met Putin said peace was near."
    assert speaks(putin, met) is False
    # A pronoun speaks for whoever the sentence before names: undecided here.
    pronoun = "It should lead to peace, he says."
    assert speaks(putin, pronoun) is None


def test_a_role_the_article_writes_as_the_speakers_title_speaks_for_them() -> None:
    lund = analyse("What did Lund say about the bridge?").speaker
    assert lund is not None
    said = "The mayor said the bridge would reopen."
    titled = "Mayor Jane Lund opened the session. " + said
    assert speaks(lund, said, titled) is True
    # Without the title before her name the role may be anyone's.
    untitled = "Jane Lund met the mayor. " + said
    assert speaks(lund, said, untitled) is False
    assert speaks(lund, said) is False
    # Another role of the article is not hers.
    other = "Councillor Jane Lund opened the session. " + said
    assert speaks(lund, said, other) is False


def test_a_pronoun_speaks_for_a_role_the_sentence_before_gives_the_speaker() -> None:
    lund = analyse("What did Jane Lund say about the bridge?").speaker
    assert lund is not None
    before = "The mayor urged the council to fund the bridge."
    said = "She stressed that this project would save lives."
    titled = f"Mayor Jane Lund opened the session. {before} {said}"
    assert support_speaks(lund, said, before, article=titled)
    assert not support_speaks(lund, said, before, article=f"Jane Lund met the mayor. {before}")


@pytest.mark.parametrize(
    "sentence",
    [
        "The mayor of Elmton, Jane Lund, said the bridge would reopen.",
        # The parser takes "Per" for a preposition: Lund is its object, not an apposition.
        "The mayor of Elmton, Per Lund, said the bridge would reopen.",
        "Jane Lund and the mayor said the bridge would reopen.",
    ],
)
def test_the_speaker_is_found_anywhere_in_the_subjects_phrase(sentence: str) -> None:
    lund = analyse("What did Lund say about the bridge?").speaker
    assert lund is not None
    assert speaks(lund, sentence) is True


def test_a_stored_reading_is_used_and_a_missing_one_parsed_on_the_fly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "The bridge opened on 5 March 2021. Jane Smith cut the ribbon."
    spans = sentence_spans(text)
    stored = annotate([(text, spans, None)], processes=1)[0]

    def hit(annotations: str | None) -> Hit:
        chunk = Chunk(
            "c", text, "a.txt", 100, 100 + len(text), 0, "T", "2021-03-06", None, "", 0,
            annotations=annotations,
        )  # fmt: skip
        return Hit(chunk, 1.0, 0.5)

    start, end = spans[1]
    sentence = text[start:end]
    parsed_now = reading(hit(None), 100 + start, 100 + end, sentence)
    assert [e.text for n in parsed_now for e in n.entities] == ["Jane Smith"]

    def no_parse(*_: object) -> None:
        raise AssertionError("a stored sentence was parsed again")

    monkeypatch.setattr("service.evidence.reading.read", no_parse)
    found = reading(hit(stored), 100 + start, 100 + end, sentence)
    assert [e.text for n in found for e in n.entities] == ["Jane Smith"]


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # A number in a sentence that never names what is counted counts something else.
        ("How many cars did the ferry carry?", "Around 25 leaders joined the call.", False),
        ("How many cars did the ferry carry?", "The ferry carried 212 cars on Friday.", True),
        # The counted noun in another form of the word.
        ("How many passengers were hit?", "About 4,000 passengers were affected.", True),
        # "How much" measures a mass, given in its units without its name.
        ("How much CO2 will the ferry save?", "It saves about 2,900 tonnes a year.", True),
        # A category ("people") or a unit of time may go unsaid beside its number.
        ("How many people died in the strikes?", "The strikes killed at least six.", True),
        ("How many years did she serve?", "She served for 12 years.", True),
        # An ordinal numbers one of a series, and a number of another noun counts that.
        (
            "How many exhibitors were at the show?",
            "Fewer visitors but more exhibitors at the 53rd boat show",
            False,
        ),
        (
            "How many exhibitors were at the show?",
            "Exhibitors came from 25 countries, with the largest group from Norway.",
            False,
        ),
        (
            "How many exhibitors were at the show?",
            "The show had 61,750 visitors and a record 432 exhibitors.",
            True,
        ),
        # A number of people may count any people.
        (
            "How many visitors came to the show?",
            "The visitors, 61,750 people in all, came from 25 countries.",
            True,
        ),
        # ... but not things the sentence names apart from them.
        (
            "How many drones did the army launch at Elmby?",
            "The army launched a drone attack on Elmby overnight, killing three people.",
            False,
        ),
        # A bare number counts what the sentence's other count counts.
        (
            "How many drones did the army launch at Elmby?",
            "A drone attack on Elmby killed three people and injured eight.",
            False,
        ),
        (
            "How many people were injured at Elmby?",
            "A drone attack on Elmby killed three people and injured eight.",
            True,
        ),
        (
            "How many soldiers were killed at Elmby?",
            "Twelve people, including four soldiers, were killed at Elmby.",
            True,
        ),
        # "By how much" is answered by what hangs from "by", a span of time too.
        ("By how much did Anna Berg win the race?", "Anna Berg won by 38 seconds.", True),
        ("How much did Anna Berg win?", "Anna Berg won in 38 seconds.", False),
        # A date is no measure because it shares a word with the question: "end" is no
        # unit of time.
        (
            "How much did the Elmby bridge end up costing?",
            "Bo Ek, who retired at the end of April after 34 years, opened the bridge.",
            False,
        ),
    ],
)
def test_a_count_names_what_the_question_counts(
    question: str, sentence: str, expected: bool
) -> None:
    asked = analyse(question)
    amount = "amount" in asked.slots
    assert slots.counted(read(sentence), asked, parse_question(question), amount) is expected


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What did the mayor say about the bridge tolls?", {"bridge", "toll"}),
        ("What did she tell the council about where the talks stand?", {"talk"}),
        ("What did the mayor say in her speech?", set()),
    ],
)
def test_what_someone_is_asked_to_have_said_something_about(question: str, topic: set[str]) -> None:
    assert wanted(question).topic == topic


def test_words_about_another_topic_do_not_answer() -> None:
    topic = wanted("What did the mayor say about the bridge tolls?").topic
    assert slots.about(read("The mayor said the tolls would rise in May."), topic)
    assert not slots.about(read("The mayor said she would visit the school."), topic)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Diplomats are preparing a minerals deal for Ukraine.", True),
        ("A proposed deal was expected to be signed at the White House.", False),
        # The question's own word narrows nothing it does not already say.
        ("The White House deal was expected last month.", False),
    ],
)
def test_what_kind_of_is_a_noun_that_narrows_the_asked_one(sentence: str, expected: bool) -> None:
    question = "What kind of deal was expected to be signed at the White House?"
    want = wanted(question)
    assert want.slots == ("kind",) and want.kind_of == "deal"
    assert slots.kinds(read(sentence), analyse(question)) is expected


@pytest.mark.parametrize(
    ("question", "slots", "speaker"),
    [
        ("Did McFadden say Trump was the only reason for the change?", ("speech",), "McFadden"),
        ("Does Lavrov say Russia will accept NATO troops?", ("speech",), "Lavrov"),
        # Not about words: the council's vote is the answer.
        ("Did the council approve it?", (), None),
        # Nothing reported: "that" stands for what was said before.
        ("Did he say that?", (), None),
        # How someone described something is in their words too ...
        ("How did the mayor describe the new timetable?", ("speech",), "the mayor"),
        ("How did Ortega describe the talks?", ("speech",), "Ortega"),
        # ... not a manner of doing.
        ("How did the ferry reach the island?", (), None),
    ],
)
def test_a_yes_or_no_or_how_question_about_what_someone_said_asks_for_their_words(
    question: str, slots: tuple[str, ...], speaker: str | None
) -> None:
    want = wanted(question)
    assert (want.slots, want.speaker) == (slots, speaker)


@pytest.mark.parametrize(
    ("question", "slots", "attribute"),
    [
        # What something is called is a name, not anyone's words.
        ("What was her book called?", ("name",), False),
        ("What is the new ferry called?", ("name",), False),
        ("What did the minister call the plan?", ("speech",), False),
        # "The name of" is no attribute a sentence would name ("the capital of" is).
        ("What is the name of her book?", ("name",), False),
        ("What is the capital of the region?", ("name",), True),
    ],
)
def test_what_something_is_called_asks_for_a_name(
    question: str, slots: tuple[str, ...], attribute: bool
) -> None:
    want = wanted(question)
    assert (want.slots, want.attribute) == (slots, attribute)


def test_a_number_of_people_is_no_amount() -> None:
    question = "How much did the new library cost?"
    asked = analyse(question)
    parsed = parse_question(question)
    crowd = read("The new library was opened by the mayor in front of around 600 people.")
    assert not slots.counted(crowd, asked, parsed, amount=True)
    assert slots.counted(read("The final bill came to NOK 44.5 million."), asked, parsed, True)
    # A number of people still counts people.
    people = analyse("How many people came to the opening?")
    assert slots.counted(crowd, people, parse_question(people.question), amount=False)


def test_a_speaker_named_by_a_role_and_a_country_is_the_one_with_both() -> None:
    speaker = analyse("What did the French president say?").speaker
    assert speaker is not None and speaker.kind == "role"
    president = "French President Anne Morel told the leaders that peace was near."
    assert speaks(speaker, president) is True
    # Another French official, or another country's president, is not the one asked for.
    minister = "French Defence Minister Paul Girard said fifteen countries would help."
    assert speaks(speaker, minister) is False
    other = "Polish President Jan Nowak said the talks would go on."
    assert speaks(speaker, other) is False
    # The words that narrow a role narrow it: a defence minister is no foreign minister.
    defence = analyse("What did the French defence minister say?").speaker
    assert defence is not None and speaks(defence, minister) is True
    foreign = analyse("What did the French foreign minister say?").speaker
    assert foreign is not None and speaks(foreign, minister) is False
    # By name alone, where the article gives the name that title.
    named = "Ms Morel said the talks were at a crucial point."
    article = "French President Anne Morel opened the summit. " + named
    assert speaks(speaker, named, article) is True
    assert speaks(speaker, named, named) is False


def test_a_lone_number_no_one_could_be_is_no_age() -> None:
    asked = analyse("How old is Anna Berg?")
    parsed = parse_question(asked.question)
    beaten = read("Ole Dahl was elected, defeating Anna Berg by 7,204 votes to 6,115.")
    assert not slots.counted(beaten, asked, parsed, amount=False)
    assert slots.counted(
        read("Berg, 49, a former teacher, said she would stay."), asked, parsed, False
    )

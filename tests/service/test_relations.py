"""Answer checks that read relations (service/evidence/relations.py): another year (in the
sentence, or from its article's date), a former holder, a part for the whole, a sentence that
holds no entity of the asked type, and an answer not linked to the role asked about."""

from __future__ import annotations

from datetime import date

import pytest

from service.evidence.annotate import Entity, Notes
from service.evidence.parsed import parse_question
from service.evidence.relations import conflict, holds_type, link_factors, linked
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.support import rank_answers
from service.retrieval.hits import Hit
from tests.service.conftest import annotated_hit, annotated_sentence

PUBLISHED = date(2022, 6, 1)


def notes(sentence: str) -> Notes:
    return annotated_sentence(sentence, PUBLISHED)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Who won the 2019 race?",
            "Anna Berg won the fifth stage of the 2021 race.",
            "another time",
        ),
        ("Who won the 2019 race?", "Egan Bernal won the race in 2019.", None),
        # "over the weekend" is the article's; "compared with 24 last year" gives 2021's.
        (
            "How many arrests were there in 2022?",
            "There were 31 arrests over the weekend, compared with 24 last year, police said.",
            None,
        ),
        (
            "How many arrests were there in 2021?",
            "There were 31 arrests over the weekend, compared with 24 last year, police said.",
            None,
        ),
        (
            "How many arrests were there in 2020?",
            "There were 31 arrests over the weekend, compared with 24 last year, police said.",
            "another time",
        ),
        # "last year" is read against the article's date (2022).
        ("Who received the award in 2021?", "Last year, Anna Berg received the award.", None),
        (
            "Who received the award in 2019?",
            "Last year, Anna Berg received the award.",
            "another time",
        ),
        # A season runs from the middle of one year to the middle of the next.
        ("Who won the 2019-20 title?", "Anna Berg won the 2020-21 title.", "another time"),
        ("Who won the 2019-20 title?", "Anna Berg won the title in 2019-20.", None),
        ("Who won the race?", "Anna Berg won the fifth stage.", "part for whole"),
        ("Who won the race?", "Anna Berg won the race.", None),
        ("Who won the fifth stage?", "Anna Berg won the fifth stage.", None),
        # The whole does not answer its part, and a pronoun may be the part.
        ("Who won the final stage?", "Anna Berg won the race on Sunday.", "whole for part"),
        (
            "Who won the final stage?",
            "He rode the final stage, which was won in a sprint by Anna Berg.",
            None,
        ),
        (
            "Who is the president of France?",
            "The former president of France, Nicolas Sarkozy, spoke on Sunday.",
            "former holder",
        ),
        ("Who was the president of France?", "The former president of France spoke.", None),
        (
            "Who is the president of France?",
            "Nicolas Sarkozy, the ex-president of France, spoke on Sunday.",
            "former holder",
        ),
        (
            "Who is the president of France?",
            "The former president met the president of France on Sunday.",
            None,
        ),
        ("Who is the president of France?", "President Emmanuel Macron of France spoke.", None),
        # Another day of the week is another time; the day a report is made is not.
        (
            "Who headlined the Sunday night at the Elmby festival?",
            "The Saturday night headliner at Elmby was the fiddler Ida Lind.",
            "another time",
        ),
        (
            "Who headlined the Sunday night at the Elmby festival?",
            "Ida Lind headlined at Elmby, the organisers said on Monday.",
            None,
        ),
        # What a person's possessive asks of is not told by another person's doing.
        ("What was Bo Ek's time at halfway?", "Ida Lind led at halfway in 1:03:58.", "another one"),
        (
            "What was Bo Ek's time at halfway?",
            "Ek was at halfway in 1:03:58, his coach Ida Lind said.",
            None,
        ),
        # "X of Y" gives X's Y, not the asked person's.
        (
            "Which team does Bo Ek ride for?",
            "Ida Lind of the Ashby team won the stage, beating Bo Ek.",
            "another one",
        ),
        (
            "Which team does Bo Ek ride for?",
            "Ida Lind won the stage, beating Bo Ek of the Ashby team.",
            None,
        ),
        # One who will hold a role is not the one leaving it.
        (
            "Who will be Elmby's deputy mayor?",
            "Ida Lind, the outgoing deputy mayor, held her seat.",
            "former holder",
        ),
        # A past-tense question is not answered by what its verb will do.
        (
            "How many passengers did the ferry carry in 2026?",
            "The ferry will carry 390 passengers from 2026.",
            "not yet",
        ),
        ("How many passengers did the ferry carry?", "The ferry carried 702 passengers.", None),
        ("How many passengers will the ferry carry?", "The ferry will carry 390 passengers.", None),
        # The predicate is in the present; only the question's second clause is past.
        (
            "How much does a ticket cost from April, and what did it cost before?",
            "A ticket will cost 74 crowns from April, up from 68 crowns.",
            None,
        ),
        (
            "How many passengers did the ferry carry?",
            "The ferry, which will carry 390 passengers, carried 200 on its first trip.",
            None,
        ),
        # A future seen from a report, and a clause of time under it.
        (
            "How much did the new hall cost?",
            "The new hall would cost 40 million crowns, the council said.",
            "not yet",
        ),
        (
            "On what date did the ferry enter service?",
            "The company said it would look at the timetable again when the ferry enters "
            "service in the autumn.",
            "not yet",
        ),
        ("On what date did the ferry enter service?", "The ferry entered service on 1 May.", None),
        # A year written inside a name places the question as one written beside it.
        (
            "Who won the 2024 Boston Marathon?",
            "Anna Berg won the 2023 Boston Marathon on Sunday.",
            "another time",
        ),
        # An ordinal numbers one of a series: another number is another edition.
        (
            "How many people attended the eighteenth folk festival?",
            "A record 41,200 people attended the sixteenth folk festival.",
            "another edition",
        ),
        (
            "How many people attended the 16th folk festival?",
            "A record 41,200 people attended the sixteenth folk festival.",
            None,
        ),
        (
            "Who won the fifty-third edition of the race?",
            "Anna Berg won the 53rd edition of the race.",
            None,
        ),
        (
            "Who won the 52nd edition of the race?",
            "Anna Berg won the fifty-third edition of the race.",
            "another edition",
        ),
        (
            "What was the revenue in the second quarter?",
            "Revenue in the fourth quarter was 118 million euros.",
            "another edition",
        ),
        # A number written after the noun numbers it too; one before counts.
        ("Who won stage 2?", "Anna Berg won stage 5 on Sunday.", "another edition"),
        ("Who won stage 2?", "Anna Berg won the second stage.", None),
        ("Who won the second stage?", "Anna Berg won 3 stages.", None),
        # An ordinal beside a verb places someone in a result: second is not third.
        (
            "Who finished third overall?",
            "Anna Berg finished second overall and won the mountains jersey.",
            "another edition",
        ),
        ("Who finished third overall?", "Ola Dahl was third overall at 2 minutes.", None),
        # A place after the first is one the sentence must give, whatever its verb,
        ("Who came second in the race?", "Ola Dahl was second in 2:25:51.", None),
        ("Who came second in the race?", "Anna Berg won the race.", "another edition"),
        # and a rank of a quality ("the second-fastest time") is no place.
        (
            "Who finished second in the race?",
            "Anna Berg won in 2:25:03, the second-fastest time ever run.",
            "another edition",
        ),
        ("Who was first elected mayor?", "Anna Berg was elected mayor in 2019.", None),
        # Another noun numbered is no other edition: "her first title" in the third stage.
        (
            "Who won the third stage?",
            "Anna Berg won the third stage, her first title of the season.",
            None,
        ),
        # A result narrowed to one kind is not answered by another kind of it.
        (
            "Who won the men's race?",
            "The wheelchair race was won by Anna Berg.",
            "another kind",
        ),
        ("Who won the men's race?", "Anna Berg won the women's race.", "another kind"),
        ("Who won the men's race?", "Anna Berg won the race.", None),
        # Where the verb's result happened says which result it is too.
        (
            "Who won the men's race?",
            "In the women's race Anna Berg won in 2:25:03.",
            "another kind",
        ),
        (
            "Who won the men's race?",
            "Tom Ek won the men's race, and in the women's race Anna Berg won.",
            None,
        ),
        ("Who won the men's race?", "Anna Berg won the men's race in Boston.", None),
        ("Who won the men's and women's races?", "Anna Berg won the women's race.", None),
        # A name is no kind.
        ("Who won the women's race?", "Anna Berg won the Boston race.", None),
        # An adjective that classifies names a kind; one of degree or order does not.
        ("Who won the national title?", "Jane Doe won the state title.", "another kind"),
        ("Who won the national title?", "Jane Doe won the title.", None),
        ("Who won the biggest race?", "Anna Berg won the women's race.", None),
        ("Who won the first race?", "Anna Berg won the women's race.", None),
        ("Who won the final race?", "Anna Berg won the women's race.", None),
        # The noun asked about, narrowed to a part of the period: a part for the whole.
        (
            "What was Acme's revenue in 2021?",
            "Revenue in the fourth quarter alone was 118 million euros.",
            "part for whole",
        ),
        (
            "What was Acme's revenue in 2021?",
            "Fourth-quarter revenue was 131 million euros.",
            "part for whole",
        ),
        (
            "What was Acme's fourth-quarter revenue?",
            "Fourth-quarter revenue was 131 million euros.",
            None,
        ),
        # A thing the question names by a place is not one another place names; "the
        # quay" alone may be the asked one.
        (
            "When was the Elmby quay built?",
            "The new quay in Ashby was built in 1985.",
            "another one",
        ),
        ("When was the Elmby quay built?", "The quay was built in 1985.", None),
        ("When was the Elmby quay built?", "The Elmby quay was built in 1985.", None),
        # The role belongs to the place the question names, not to another one.
        (
            "Who is Elmland's defence minister?",
            "Ashland's Defence Minister Ida Lind spoke.",
            "another one",
        ),
        (
            "Who is the defence minister of Elmland?",
            "French Defence Minister Ida Lind spoke.",
            "another one",
        ),
        ("Who is Elmland's defence minister?", "Elmland's Defence Minister Ida Lind spoke.", None),
        # A role the sentence gives to no one may be the asked one.
        ("Who is Elmland's defence minister?", "Defence Minister Ida Lind spoke.", None),
        ("Who is the French president?", "France's president, Ida Lind, spoke.", None),
        # An age in apposition is that name's: another name's age is not the asked one's.
        (
            "How old is Anna Lund?",
            "Berg, 47, will take over on 1 July from Anna Lund, who is stepping down.",
            "another one",
        ),
        ("How old is Anna Lund?", "Lund, 58, said she wanted to leave.", None),
        ("How old is Anna Lund?", "The 58-year-old said she wanted to leave.", None),
    ],
)
def test_conflicts(question: str, sentence: str, expected: str | None) -> None:
    assert conflict(parse_question(question), notes(sentence)) == expected


def test_the_answer_must_name_something_of_the_asked_type_the_question_does_not() -> None:
    question = parse_question("Where did Emmanuel Macron speak?")
    assert holds_type(
        question, notes("Emmanuel Macron spoke in Geneva."), "Emmanuel Macron spoke in Geneva."
    )
    said = "Emmanuel Macron spoke on Sunday."
    assert not holds_type(question, notes(said), said)


def test_who_a_named_person_is_is_answered_by_a_sentence_naming_no_one_else() -> None:
    # "Who is Ida Lindqvist?" asks for a role or a description: the sentence that gives
    # hers holds the answer though it names no other person.
    question = parse_question("Who is Ida Lindqvist?")
    said = "Other figures, including his own finance chief, Ida Lindqvist, have backed it."
    assert holds_type(question, notes(said), said)
    query = QueryTerms("Who is Ida Lindqvist?")
    hits = [_hit(said)]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert answers.candidates[0].support.slot


def test_a_place_that_acts_answers_who() -> None:
    # A county, a country: a body when it approves or hosts; not where something is done.
    question = parse_question("Who must approve the new fares?")
    said = "The new fares must be approved by Elm County."
    assert holds_type(question, notes(said), said)
    said = "The new fares were announced in Elm County."
    assert not holds_type(question, notes(said), said)


def test_a_place_answers_who_only_where_it_does_what_is_asked() -> None:
    question = parse_question("Who built the old ferry?")
    said = "Elm County will replace the old ferry next year."
    assert not holds_type(question, notes(said), said)


def _hit(text: str) -> Hit:
    return annotated_hit(text, PUBLISHED, "The race")


def test_a_sentence_in_conflict_is_no_candidate_and_none_left_means_no_answer() -> None:
    text = "Anna Berg won the race in 2021. Clara Lind won the race in 2019."
    query = QueryTerms("Who won the race in 2019?")
    hits = [_hit(text)]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert [c.evidence.quote for c in answers.candidates] == ["Clara Lind won the race in 2019."]

    only = [_hit("Anna Berg won the race in 2021.")]
    answers = rank_answers(query, score_evidence(query, only), only)
    assert answers.candidates == [] and answers.confidence == 0.0


def test_a_name_governed_by_a_preposition_is_a_place() -> None:
    question = parse_question("Where have the planners been meeting?")
    said = "Officials have been meeting at Northwood military headquarters all week."
    assert holds_type(question, notes(said), said)
    # As the model may read it: the name an nmod of the noun the preposition governs.
    said = "Officials met at Northwood military headquarters."
    read = Notes(
        0,
        len(said),
        (Entity("ORG", 17, 26, "Northwood"),),
        ("official", "meet", "at", "northwood", "military", "headquarters"),
        (),
        (),
        (
            ("meet", "nsubj", "official"),
            ("meet", "at", "headquarters"),
            ("headquarters", "nmod", "northwood"),
            ("headquarters", "amod", "military"),
        ),
    )
    assert holds_type(question, read, said)


def test_a_name_governed_by_a_preposition_answers_which_town() -> None:
    # "Which town" asks for a city or region, not any place: a name "via" governs is one,
    # whatever the recogniser labels it.
    question = parse_question("Via which town does the detour go?")
    said = "The detour goes via Elmby."
    read = Notes(
        0,
        len(said),
        (Entity("ORG", 20, 25, "Elmby"),),
        ("the", "detour", "go", "via", "elmby"),
        (),
        (),
        (("go", "nsubj", "detour"), ("go", "via", "elmby")),
    )
    assert holds_type(question, read, said)


def test_who_wants_a_person_where_the_sentence_speaks_of_people() -> None:
    question = parse_question("Who replaced Anna Berg as chair of the board?")
    said = "Anna Berg will chair her last meeting in May after 20 years with Nordby Shipping."
    assert not holds_type(question, notes(said), said)
    said = "She will be followed by Clara Lind, who has sat on the board since May."
    assert holds_type(question, notes(said), said)
    firm = parse_question("Who designed the new library?")
    said = "The library was designed by Holm & Vik Architects."
    assert holds_type(firm, notes(said), said)


@pytest.mark.parametrize(
    ("question", "sentence", "published", "expected"),
    [
        # An undated sentence in a 2021 article does not report a 2019 result ...
        ("Who won the race in 2019?", "Anna Berg won the race.", "2021-05-01", "another time"),
        # ... but early in 2022 it may still report 2021's,
        ("Who won the race in 2021?", "Anna Berg won the race.", "2022-02-01", None),
        # not late in 2022, when what it reports undated is that year's,
        ("Who won the race in 2021?", "Anna Berg won the race.", "2022-11-20", "another time"),
        # nor, in the past tense, one of a year after it,
        ("Who won the race in 2023?", "Anna Berg won the race.", "2022-02-01", "another time"),
        # unless it looks ahead.
        ("Who will win the race in 2023?", "Anna Berg will win the race.", "2022-02-01", None),
        ("Who won the race in 2019?", "Anna Berg won the race.", None, None),
    ],
)
def test_an_undated_sentence_is_read_at_its_article_date(
    question: str, sentence: str, published: str | None, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence), published) == expected


def test_a_compared_figure_dates_nothing_where_its_words_repeat_the_sentences() -> None:
    # "quarter" stands twice: the date's "quarter" hangs from the comparison.
    question = parse_question("What was Acme's revenue in the fourth quarter of 2024?")
    said = "Fourth-quarter revenue was 131 million euros, up from 118 million euros in the same "
    said += "quarter of 2023."
    assert conflict(question, annotated_sentence(said, date(2025, 2, 20)), "2025-02-20") is None


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # What is still to come is not answered by a time over by the article's date.
        (
            "When is the minister expected to go to Washington?",
            "Last month, a deal was expected to be signed at the White House.",
            "another time",
        ),
        (
            "When will the new hall open?",
            "The old hall opened on 3 May 2021.",
            "another time",
        ),
        (
            "When is the minister expected to go to Washington?",
            "The minister is expected to travel to Washington before the end of June.",
            None,
        ),
        # Asked in the past, a past time answers.
        ("When was the deal expected to be signed?", "Last month, a deal was signed.", None),
    ],
)
def test_a_question_of_what_is_to_come_is_not_answered_by_what_is_over(
    question: str, sentence: str, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence), "2022-06-01") == expected


@pytest.mark.parametrize(
    ("question", "sentence", "published", "expected"),
    [
        # An article reports as done nothing of a time after it was written, whatever it
        # plans for that time.
        (
            "Who won the men's race at the 2024 marathon?",
            "Next year's marathon will be held on 21 April 2024, the organisers said.",
            "2023-04-16",
            "not yet",
        ),
        (
            "What was the attendance at the 2025 festival?",
            "The festival will take place from 1 to 3 August 2025.",
            "2024-08-05",
            "not yet",
        ),
        # A part of a year starts later than the year does (an undated sentence is read
        # at its article's date).
        (
            "What was Acme's revenue in the third quarter of 2025?",
            "Revenue rose by 11 per cent.",
            "2025-05-08",
            "another time",
        ),
        ("What was Acme's revenue in 2025?", "Revenue rose by 11 per cent.", "2025-05-08", None),
        # A question of the future, and one of a time the article has seen, are open.
        (
            "Who will win the 2024 marathon?",
            "The 2024 marathon will be held on 21 April 2024.",
            "2023-04-16",
            None,
        ),
        (
            "Who won the 2024 marathon?",
            "Anna Berg won the 2024 marathon on Sunday.",
            "2024-04-22",
            None,
        ),
    ],
)
def test_a_past_question_about_a_time_after_the_article_is_not_answered_by_it(
    question: str, sentence: str, published: str, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence), published) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The article (1 June 2022) dates the report; the written year dates the revenue,
        (
            "What was Acme's revenue in 2022?",
            "Acme reported revenue of 412 million euros for 2021 on Thursday.",
            "another time",
        ),
        (
            "What was Acme's revenue in 2021?",
            "Acme reported revenue of 412 million euros for 2021 on Thursday.",
            None,
        ),
        (
            "Who won the race in 2022?",
            "Anna Berg won the 2021 race, her coach said on Sunday.",
            "another time",
        ),
        # unless the day hangs from the question's own verb,
        (
            "What did Acme announce in 2022?",
            "Acme announced revenue of 412 million euros for 2021 on Thursday.",
            None,
        ),
        (
            "Who won the race in 2022?",
            "Anna Berg, the 2021 champion, won the race on Sunday.",
            None,
        ),
        (
            "What was Acme's revenue in 2022?",
            "Acme said on Thursday that its 2021 revenue rose to 5 million euros.",
            "another time",
        ),
        # A year of another clause does not make the day a report's,
        (
            "How much was the prize worth in 2022?",
            "The prize, worth 15,000 pounds, was presented on Wednesday evening in the hall "
            "where it has been handed out since it was founded in 1987.",
            None,
        ),
        # and with no year written, the day places the sentence.
        ("Who won the race in 2022?", "Anna Berg won the race on Sunday.", None),
    ],
)
def test_a_written_year_places_the_fact_and_the_day_the_report(
    question: str, sentence: str, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence), PUBLISHED.isoformat()) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The year of the figure compared with is not the sentence's own (article: 2022),
        (
            "What was the turnout in 2022?",
            "Turnout was 41 per cent, down from 44 per cent in 2018.",
            None,
        ),
        # A dated sentence giving one figure besides gives the compared year's figure too,
        (
            "What was Acme's revenue in 2021?",
            "Revenue rose to 412 million euros in 2022 from 366 million euros in 2021.",
            None,
        ),
        (
            "How many arrests were there in 2021?",
            "There were 31 arrests on Sunday, compared with 24 last year.",
            None,
        ),
        # but where it gives two, the compared one need not be of what is asked.
        (
            "How many exhibitors were at the show in 2021?",
            "The show ended on Sunday with 61,750 visitors, down from 64,300 in 2021, and a "
            "record 432 exhibitors.",
            "another time",
        ),
        (
            "How many visitors came in 2022?",
            "The show had 64,300 visitors, more than in 2018.",
            None,
        ),
        # but it gives that year's figure too;
        (
            "What was the turnout in 2018?",
            "Turnout was 41 per cent, down from 44 per cent in 2018.",
            None,
        ),
        # A relative clause tells its noun's story at its own time,
        (
            "Who finished third in 2018?",
            "Anna Berg, who won the race in 2018, finished third on Sunday.",
            "another time",
        ),
        # and so does a participle's ("a company founded three years ago"), however far
        # down the sentence it hangs,
        (
            "Which boat won the award in 2022?",
            "The award went to the Tern 28, a day boat made by Colwick Marine, a company "
            "with nine employees founded in 2019.",
            None,
        ),
        (
            "Which boat won the award in 2019?",
            "The award went to the Tern 28, a day boat made by Colwick Marine, a company "
            "with nine employees founded in 2019.",
            "another time",
        ),
        # unless the question asks what it tells.
        ("Who won the race in 2018?", "Anna Berg, who won the race in 2018, finished third.", None),
        # A time that owns a noun ("last year's winner") is the noun's time,
        (
            "Where was the award ceremony held in 2019?",
            "She received the award at the ceremony in Elmby from 2019's winner, Bo Ek.",
            "another time",
        ),
        # unless that noun is what is asked about.
        ("Who was the 2019 winner?", "2019's winner, Bo Ek, received the award.", None),
        # a span of years is no comparison.
        ("Who was mayor in 2022?", "Berg served as mayor from 2019 to 2021.", "another time"),
        ("Who was mayor in 2020?", "Berg served as mayor from 2019 to 2021.", None),
        # The recogniser reads this one as two dates: the span is still read whole.
        ("Who was mayor in 2019?", "Berg served as mayor from 2018 to 2020.", None),
    ],
)
def test_the_date_of_a_comparison_or_of_a_relative_clause_does_not_place_the_sentence(
    question: str, sentence: str, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence), PUBLISHED.isoformat()) == expected


def test_an_undated_sentence_takes_the_time_of_its_passage_first() -> None:
    question = parse_question("Who won the race in 2019?")
    before = notes("The 2019 race was the hardest in years.")
    said = notes("Anna Berg won the race.")
    assert conflict(question, said, "2021-05-01", [before]) is None
    other = notes("The 2020 race was the hardest in years.")
    assert conflict(question, said, "2021-05-01", [other]) == "another time"


def test_an_unnumbered_sentence_is_about_the_edition_its_passage_numbers() -> None:
    question = parse_question("How many people attended the eighteenth festival?")
    said = notes("Organisers said 38,500 people attended over the three days.")
    assert conflict(question, said, None, [notes("The fifteenth festival opened.")]) == (
        "another edition"
    )
    assert conflict(question, said, None, [notes("The eighteenth festival opened.")]) is None
    assert conflict(question, said, None, []) is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("France's defence minister, Pierre Morel, spoke on Sunday.", "linked"),
        ("Defence Minister Pierre Morel spoke on Sunday.", "linked"),
        ("Pierre Morel is the defence minister of France.", "linked"),
        # The minister is there, but he is not the person named.
        ("The defence minister met Pierre Morel in Paris.", "unlinked"),
        # No minister at all: the person named holds no role the question asks about.
        ("Pierre Morel spoke to Sky News on Sunday.", "elsewhere"),
        # A minister, but not of defence: not the role asked about.
        ("Pierre Morel, the finance minister, spoke on Sunday.", "elsewhere"),
        ("Finance Minister Pierre Morel spoke on Sunday.", "elsewhere"),
        ("Pierre Morel, France's minister for defence, spoke on Sunday.", "linked"),
        # The same role in American spelling.
        ("Defense Minister Pierre Morel spoke on Sunday.", "linked"),
        ("Pierre Morel, the defense minister of France, spoke on Sunday.", "linked"),
        # A verb that gives the role, and a name in apposition to its subject.
        ("Pierre Morel will serve as France's defence minister from May.", "linked"),
        ("Her deputy, Pierre Morel, will serve as France's defence minister.", "linked"),
        ("Pierre Morel was named France's defence minister on Sunday.", "linked"),
    ],
)
def test_a_who_is_the_role_answer_is_linked_to_the_role(sentence: str, expected: str) -> None:
    question = parse_question("Who is France's defence minister?")
    found = linked(question, notes(sentence), sentence)
    assert found == ("role", expected)
    kept = link_factors(question, notes(sentence), sentence)
    assert (kept == (1.0, 1.0)) == (expected == "linked")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # "regional" is made from "region": the same qualifier, said by its noun.
        ("This year's winner for the Elm region was Ida Lind.", "linked"),
        ("The regional winner was Ida Lind.", "linked"),
        # Another region's word is another role.
        ("This year's winner for the Elm district was Ida Lind.", "elsewhere"),
    ],
)
def test_an_adjective_qualifier_is_met_by_the_noun_it_is_made_from(
    sentence: str, expected: str
) -> None:
    question = parse_question("Who was the regional winner?")
    assert linked(question, notes(sentence), sentence) == ("role", expected)


def test_when_a_role_is_held_does_not_narrow_it() -> None:
    question = parse_question("Who is the current defence minister of France?")
    sentence = "Defence Minister Pierre Morel spoke on Sunday."
    assert question.qualifiers == frozenset({"defence"})
    assert linked(question, notes(sentence), sentence) == ("role", "linked")


def test_a_verb_answer_is_linked_through_the_clause() -> None:
    question = parse_question("Who won the race?")
    for said in ("Anna Berg won the race.", "The race was won by Anna Berg."):
        assert linked(question, notes(said), said) == ("verb", "linked")
    said = "Clara Lind praised Anna Berg, who lost the race."
    assert linked(question, notes(said), said) == ("verb", "elsewhere")


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The verb's clause modifies a noun: the noun is what was built, but where it
        # stays is not where it was built, and when Berg joined does not date her win.
        ("Where was the ferry built?", "The ferry, built in 1998, will stay in Elmby.", "unlinked"),
        ("Where was the ferry built?", "The ferry was built in 1998 at a yard in Elmby.", "linked"),
        (
            "When did Anna Berg win the title?",
            "Anna Berg, who joined in 1992, won the title.",
            "unlinked",
        ),
        (
            "When did Anna Berg join the club?",
            "Anna Berg, who joined the club in 1992, won.",
            "linked",
        ),
        # The noun the verb's clause modifies is its argument.
        ("Who won the race?", "The race, which was won by Anna Berg, ended in Elmby.", "linked"),
        ("Who won the race?", "Anna Berg, who won the race, thanked the team.", "linked"),
    ],
)
def test_a_clause_that_modifies_a_noun_links_only_that_noun(
    question: str, sentence: str, expected: str
) -> None:
    assert linked(parse_question(question), notes(sentence), sentence) == ("verb", expected)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A phrasal verb is another verb: "took the bus" is not "took over".
        ("Anna Berg took the bus to work every day.", "elsewhere"),
        ("Anna Berg took over as chair in May.", "linked"),
        ("Anna Berg will take the chair over in May.", "linked"),
    ],
)
def test_a_phrasal_verb_is_linked_only_with_its_particle(sentence: str, expected: str) -> None:
    question = parse_question("Who took over from Paul Hale as chair of the club?")
    assert question.predicate is not None and question.predicate.particle == "over"
    assert linked(question, notes(sentence), sentence) == ("verb", expected)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The verb taking another object is another fact: seats won, not the election.
        ("Who won the election?", "The Greens won 10, Labour 8.", "unlinked"),
        ("Who won the election?", "Anna Berg won the election on Thursday.", "linked"),
        ("Who won the election?", "Anna Berg won on Thursday.", "linked"),
        # An object among others joined to it, and a question that names no object.
        ("What can the ferry carry?", "The ferry can carry 120 cars and 390 people.", None),
        ("Who won the race?", "Anna Berg won the sprint and the race.", "linked"),
        ("How many did Acme Lines sell?", "Acme Lines sold 30 waffles a week.", "linked"),
    ],
)
def test_a_verb_with_another_object_is_not_the_asked_fact(
    question: str, sentence: str, expected: str | None
) -> None:
    found = linked(parse_question(question), notes(sentence), sentence)
    assert (found[1] if found else None) == expected


def test_a_present_role_is_answered_from_the_latest_article_that_names_a_holder() -> None:
    query = QueryTerms("Who is the race director of the Nordby Marathon now?")
    older = annotated_hit(
        "Race director Paul Hale said the Nordby Marathon had grown.", date(2023, 4, 16), "2023"
    )
    newer = annotated_hit(
        "It was the first Nordby Marathon under the new race director, Naomi Oko.",
        date(2025, 4, 13),
        "2025",
    )
    hits = [older, newer]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert "Naomi Oko" in answers.candidates[0].evidence.quote
    # Asked in the past tense, the better-scored sentence leads as before.
    query = QueryTerms("Who was the race director of the Nordby Marathon in 2023?")
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert "Paul Hale" in answers.candidates[0].evidence.quote


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # A question that names no kind of answer leads with a sentence using its verb.
        (
            "What did Anna Berg ask the company for?",
            "More than a thousand people signed a petition against the company.",
            (1.0, 0.5),
        ),
        (
            "What did Anna Berg ask the company for?",
            "Anna Berg said she had asked the company for passenger counts.",
            (1.0, 1.0),
        ),
        # Verbs of saying stand for one another.
        ("What did Anna Berg say about the fares?", "Anna Berg told reporters so.", (1.0, 1.0)),
        # A yes-or-no question is not led by its verb.
        ("Did Anna Berg say the fares would rise?", "“Of course they will.”", (1.0, 1.0)),
    ],
)
def test_a_question_without_an_asked_kind_leads_with_its_verb(
    question: str, sentence: str, expected: tuple[float, float]
) -> None:
    assert link_factors(parse_question(question), notes(sentence), sentence) == expected


def test_the_answer_is_chosen_among_linked_candidates_and_none_linked_is_no_answer() -> None:
    query = QueryTerms("Who is the chair of the Nordby board?")
    text = "Anna Berg spoke to the Nordby board on Monday. The chair, Clara Lind, left early."
    hits = [_hit(text)]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    assert answers.candidates[0].evidence.quote == "The chair, Clara Lind, left early."
    assert answers.confidence > 0

    only = [_hit("Anna Berg spoke to the Nordby board on Monday.")]
    answers = rank_answers(query, score_evidence(query, only), only)
    assert answers.candidates and not any(c.passes for c in answers.candidates)
    assert answers.confidence == 0.0


def test_a_verb_link_decides_which_sentence_is_quoted_not_the_confidence() -> None:
    # The first sentence holds more of the question's words and an organisation; only the
    # second makes its organisation the one who designed the hall.
    query = QueryTerms("Who designed the new waiting hall at Nordby?")
    text = (
        "The new waiting hall at Nordby will open on 20 May, Vestby Ferries has announced. "
        "The hall, designed by Lind Arkitekter, has 160 seats."
    )
    hits = [_hit(text)]
    answers = rank_answers(query, score_evidence(query, hits), hits)
    first, second = answers.candidates[:2]
    assert first.evidence.quote == "The hall, designed by Lind Arkitekter, has 160 seats."
    # Not linked, the other sentence keeps its whole score: abstention still reads it.
    assert second.score > first.score
    assert answers.confidence == second.score


def test_a_sentence_without_an_answer_does_not_lead_a_verb_question() -> None:
    question = parse_question("Who replaced Anna Berg as chair?")
    # Only the question's own name: nothing to link to "replace", like an unlinked answer.
    said = "Anna Berg, the chair of the board, retired in April."
    assert linked(question, notes(said), said) is None
    assert link_factors(question, notes(said), said) == (1.0, 0.5)
    said = "Clara Lind replaced Anna Berg as chair in April."
    assert link_factors(question, notes(said), said) == (1.0, 1.0)


def test_an_undated_sentence_takes_the_time_its_passage_places_facts_in() -> None:
    question = parse_question("What was Acme's net profit in 2022?")
    said = notes("Net profit rose to 31 million euros.")
    # The article (10 February 2022) dates the report "on Thursday"; the year written
    # dates the results, and so the undated sentence after them.
    results = notes("Acme reported revenue of 412 million euros for 2021 on Thursday.")
    assert conflict(question, said, "2022-02-10", [results]) == "another time"
    # A plan after the article's date places no reported fact: the article's date decides.
    plan = notes("Acme will open a plant in 2023.")
    assert conflict(question, said, "2022-02-10", [plan]) is None
    assert conflict(question, said, "2024-02-10", [plan]) == "another time"


def test_an_undated_sentence_goes_on_at_the_time_the_sentences_before_it_set() -> None:
    question = parse_question("Who won the women's race in 2023?")
    said = notes("Anna Berg won the women's race.")._replace(start=100, end=131)
    before = notes("The 2022 race was run in the rain.")
    after = notes("She had also won it in 2023.")._replace(start=200, end=228)
    assert conflict(question, said, "2024-02-01", [before, after]) == "another time"
    # With no dated sentence before it, the passage's dates place it.
    assert conflict(question, said, "2024-02-01", [after]) is None


def test_a_name_no_passage_writes_whole_is_not_met_by_its_other_words() -> None:
    query = QueryTerms("Who won the first Pembury Northern Award?")
    other = [_hit("Anna Berg won the 2024 Pembury Prize for Fiction in the north of Elmshire.")]
    answers = rank_answers(query, score_evidence(query, other), other)
    assert answers.confidence == 0.0
    named = [_hit("Anna Berg won the first Pembury Northern Award on Sunday.")]
    answers = rank_answers(query, score_evidence(query, named), named)
    assert answers.confidence > 0
    # A person is named in full once, then by surname: any of the name's words meets it.
    query = QueryTerms("Who succeeded Captain Erling Moen?")
    surname = [_hit("Clara Lind succeeded Moen as captain in May.")]
    answers = rank_answers(query, score_evidence(query, surname), surname)
    assert answers.confidence > 0


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The verb is done by another named one: her stepping down is not his.
        (
            "When will Felix Aumann step down?",
            "Aumann will take over on 1 July from Lotte Brandsma, who announced in February "
            "that she would step down after nine years in charge.",
            "another doer",
        ),
        (
            "When will Lotte Brandsma step down?",
            "Aumann will take over on 1 July from Lotte Brandsma, who announced in February "
            "that she would step down after nine years in charge.",
            None,
        ),
        (
            "When did Anna Smith join the club?",
            "Carl Jones joined the club in 2019, a year after Anna Smith.",
            "another doer",
        ),
        ("When did Anna Smith join the club?", "Anna Smith joined the club in 2018.", None),
        # Done together, or by a pronoun that may be hers, it may be her doing.
        ("When did Anna Smith meet Carl Jones?", "Carl Jones met Anna Smith on Friday.", None),
        ("When did Anna Smith join the club?", "She joined the club in 2018.", None),
        # However the parse joins two subjects, both do it.
        (
            "When did Anna Smith speak?",
            "Dr Anna Smith and Sweden's Carl Jones spoke on Tuesday before the meeting.",
            None,
        ),
    ],
)
def test_a_verb_another_named_one_does_is_not_the_questions(
    question: str, sentence: str, expected: str | None
) -> None:
    assert conflict(parse_question(question), notes(sentence)) == expected


def test_a_person_the_question_names_by_surname_is_not_the_answer() -> None:
    # "Captain Erling Moen" is the question's "Moen": the captain the sentence names is
    # not someone else who held the role.
    question = parse_question("Who was captain of the Havørn before Moen?")
    sentence = "Captain Erling Moen will steer the Havørn into port for the last time on 30 April."
    assert linked(question, notes(sentence), sentence) is None
    other = "Captain Anna Berg steered the Havørn into port in 1997."
    assert linked(question, notes(other), other) == ("role", "linked")


def test_what_a_sentence_that_fills_no_slot_holds_links_nothing_to_the_verb() -> None:
    question = parse_question("On what date was the 2024 Elmton Marathon run?")
    said = "The first Elmton Half Marathon was run on the first half of the course."
    # The recogniser's DATE "the first half" hangs from "run"...
    assert linked(question, notes(said), said) == ("verb", "linked")
    # ... but where the slot check finds no date in it, it leads like an unlinked answer.
    assert link_factors(question, notes(said), said, filled=False) == (1.0, 0.5)
    assert link_factors(question, notes(said), said) == (1.0, 1.0)


def test_a_name_the_questions_noun_titles_is_of_the_asked_kind() -> None:
    question = parse_question(
        "Which senior Ukrainian official said Zelensky would go to Washington?"
    )
    said = (
        "Mr Zelensky is expected to travel to Washington before the end of November, senior "
        "Ukrainian official Rustem Umerov said."
    )
    labels = {e.text: e.label for e in notes(said).entities}
    assert labels["Rustem Umerov"] != "PERSON"  # what the small model reads
    assert holds_type(question, notes(said), said)


def test_last_years_figure_beside_this_years_answers_for_last_year() -> None:
    # Dated "this year" (2023) by its article, the sentence still gives 2022's figure, the
    # one its comparison starts from.
    said = annotated_sentence(
        "This year's judges read 164 submitted books, up from 139 last year.", date(2023, 10, 5)
    )
    question = parse_question("How many books were submitted in 2022?")
    assert conflict(question, said, "2023-10-05") is None
    assert conflict(parse_question("How many books were submitted in 2021?"), said, "2023-10-05")


def test_a_possessive_does_not_make_a_name_the_questions_own() -> None:
    # "Putin's" ends in the "s" that "Ukraine's" also writes: Putin is still an answer.
    question = parse_question("Who is Ukraine's defence minister?")
    said = "The Prime Minister will end the war with Vladimir Putin's Russia."
    assert linked(question, notes(said), said) == ("role", "elsewhere")

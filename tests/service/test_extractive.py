"""The extractive answerer: answer-aware abstention and complete answers, on passages
cut from small articles exactly as retrieval hands them over."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from service.answer.base import Answer
from service.answer.candidates import opens_unclosed
from service.answer.extractive import ExtractiveAnswerer, with_marker
from service.core.store import Chunk
from service.evidence.scoring import QueryTerms
from service.evidence.text import fold_whitespace
from service.retrieval.hits import Hit
from service.settings import AnswerSettings
from tests.service.conftest import annotated_chunk, annotated_hit

ANSWERER = ExtractiveAnswerer(AnswerSettings())


def passage(source: str, text: str, published: str | None = None, similarity: float = 0.5) -> Hit:
    chunk = Chunk(source, text, source, 0, len(text), 0, source, published, None, "", 0)
    return Hit(chunk, 1.0, similarity)


def ask(question: str, *hits: Hit) -> Answer:
    answer = ANSWERER.answer(QueryTerms(question), hits)
    texts = {h.source: h.text for h in hits}
    for c in answer.citations:
        assert texts[c.source][c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text
    return answer


GENEVA = passage(
    "geneva.txt",
    "Ukraine talks progress\n\nSpeaking from the Cabinet room in 10 Downing Street, Sir Keir "
    "revealed that progress was made. He welcomed developments from talks between Ukraine "
    "and the US held in Geneva over the weekend.",
)
MOSCOW = passage(
    "moscow.txt",
    "Trump on Putin\n\nAlso this week, US President Donald Trump said he held productive "
    "discussions with Putin during talks in Moscow.",
)


def test_a_pronoun_brings_the_sentence_before_and_an_unrelated_place_stays_out() -> None:
    answer = ask("Where were the US-Ukraine talks held?", GENEVA, MOSCOW)
    assert not answer.abstained
    [citation] = answer.citations
    assert citation.quote.startswith("Speaking from the Cabinet room")
    assert citation.quote.endswith("held in Geneva over the weekend.")
    assert "Moscow" not in answer.text
    # Each of the two sentences carries the citation's marker, not only the last.
    first, second = answer.text.split(" [1]. ", 1)
    assert first.startswith("Speaking from the Cabinet room") and second.endswith("weekend [1].")


def test_a_colon_brings_the_sentence_after() -> None:
    article = passage(
        "putin.txt",
        "Starmer on the call\n\nStarmer spoke to the allies after the call. He accused "
        "President Putin of deliberate delay tactics, stating:\n“We cannot let him drag "
        "this out while his invasion goes on.”\n\nThe call ended at noon.",
    )
    answer = ask("What did Starmer say about Putin's delay tactics?", article)
    [citation] = answer.citations
    assert citation.quote.startswith("Starmer spoke to the allies")
    assert citation.quote.endswith("while his invasion goes on.”")
    # The quote keeps the article's line break; the answer text folds it.
    assert "\n" in citation.quote and "\n" not in answer.text


def test_a_quotation_goes_on_to_the_sentence_that_closes_it() -> None:
    article = passage(
        "budget.txt",
        "Budget talks\n\nThe minister answered questions on Friday.\n“Of course, the "
        "strike is part of the reason for the delay. It is not all of it, and the rest is "
        "paperwork.” The talks resume on Monday.",
    )
    answer = ask("Did the minister say the strike was the only reason for the delay?", article)
    [citation] = answer.citations
    assert "It is not all of it, and the rest is paperwork.”" in citation.quote
    assert "The talks resume" not in citation.quote


def test_a_quotation_after_the_speakers_words_is_theirs() -> None:
    article = passage(
        "tolls.txt",
        "Council on the tolls\n\nAt the briefing, Mayor Ida Lind said that the bridge "
        "could not stay free for ever.\n“We should set a date for the tolls and keep to "
        "it.”\nThe council meets again on Monday.",
    )
    answer = ask("What did Ida Lind say about keeping the bridge free?", article)
    [citation] = answer.citations
    assert citation.quote.startswith("At the briefing, Mayor Ida Lind said")
    assert citation.quote.endswith("and keep to it.”")
    # Not after another kind of question: the quotation is not the answer's words.
    other = ask("Where was the mayor's briefing?", article)
    assert all("keep to it" not in c.quote for c in other.citations)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Of course, the strike is part of it.", True),
        ("He said: “We thanked them.", True),
        ('"We will win.', True),
        ("“Yes,” she said.", False),
        ('The shops depend on visitors," said the mayor.', False),
        ('He said "no" twice.', False),
    ],
)
def test_an_unclosed_quotation_is_read_from_its_last_mark(text: str, expected: bool) -> None:
    assert opens_unclosed(text) is expected


def test_a_list_question_gathers_names_from_several_sentences() -> None:
    article = passage(
        "summit.txt",
        "Leaders gather\n\nThe summit in Paris was attended by NATO chief Mark Rutte and "
        "President Emmanuel Macron. Prime Minister Giorgia Meloni of Italy also attended "
        "the summit in Paris. The weather in Paris was mild.",
    )
    answer = ask("Which leaders attended the summit in Paris?", article)
    assert "Rutte" in answer.text and "Meloni" in answer.text
    assert "weather" not in answer.text
    assert len(answer.citations) == 2


SOLGANG = (
    "The ferry Solgang arrived in Hallvik today after a two-day voyage from the yard. "
    "Hundreds of people lined the quay in Hallvik."
)


def test_a_date_question_is_answered_from_the_articles_date_marker() -> None:
    text = f" date 2026-09-14 Electric ferry arrives\n\n{SOLGANG}"
    answer = ask(
        "When did the ferry Solgang arrive in Hallvik?", passage("n16.txt", text, "2026-09-14")
    )
    assert answer.text.endswith(
        "The article is dated 2026-09-14 [2], so “today” is 14 September 2026."
    )
    marker = answer.citations[1]
    assert (marker.start, marker.end, marker.quote) == (6, 16, "2026-09-14")
    # The marker is metadata: it never opens a quoted sentence.
    assert "date 2026" not in answer.citations[0].quote


def test_a_date_known_only_from_metadata_gets_no_citation_marker() -> None:
    answer = ask(
        "When did the ferry Solgang arrive in Hallvik?",
        passage("n16.txt", f"Electric ferry arrives\n\n{SOLGANG}", "2026-09-14"),
    )
    assert answer.text.endswith("The article is dated 2026-09-14, so “today” is 14 September 2026.")
    assert len(answer.citations) == 1


@pytest.mark.parametrize(
    ("sentence", "day"),
    [
        # 2026-05-21 is a Thursday: the hall opened on the Wednesday before it...
        ("The new waiting hall was opened on Wednesday by the mayor.", "20 May 2026"),
        # ... and one that will open on Wednesday opens on the one after it.
        ("The new waiting hall will open on Wednesday, the mayor said.", "27 May 2026"),
        # The present tense of a day is what is planned, as "will" is...
        ("The new waiting hall opens on Wednesday, the mayor said.", "27 May 2026"),
        ("The new waiting hall is opening on Wednesday, the mayor said.", "27 May 2026"),
        # ... and the perfect is what is done.
        ("The mayor has opened the new waiting hall on Wednesday.", "20 May 2026"),
    ],
)
def test_a_relative_day_in_a_date_answer_is_given_as_the_day_it_names(
    sentence: str, day: str
) -> None:
    text = f"Hall opens\n\n{sentence}"
    answer = ask("When does the new waiting hall open?", passage("n9.txt", text, "2026-05-21"))
    assert answer.text.endswith(f"The article is dated 2026-05-21, so “Wednesday” is {day}.")


def test_a_calendar_date_in_the_answer_needs_no_article_date() -> None:
    text = (
        f" date 2026-09-14 Electric ferry arrives\n\n{SOLGANG.replace('today', 'on 11 September')}"
    )
    answer = ask(
        "When did the ferry Solgang arrive in Hallvik?", passage("n16.txt", text, "2026-09-14")
    )
    assert "11 September" in answer.text and "dated" not in answer.text


def test_a_relative_day_beside_a_year_still_gets_the_day_it_names() -> None:
    # 2024-04-21 is a Sunday; "since 2019" is no day of the race.
    text = (
        "Keter breaks the record\n\nSamuel Keter won the Elmton Marathon on Sunday in "
        "2:08:31, breaking the course record that Alemu had held since 2019."
    )
    answer = ask("On what date was the Elmton Marathon run?", passage("m.txt", text, "2024-04-21"))
    assert answer.text.endswith("The article is dated 2024-04-21, so “Sunday” is 21 April 2024.")


def test_a_weekday_written_beside_its_date_is_that_date() -> None:
    # 2026-10-09 is a Friday: "Thursday, 1 October" is not the day before it.
    text = "Solgang's first week\n\nSolgang entered service on Thursday, 1 October."
    answer = ask("On what date did Solgang enter service?", passage("s.txt", text, "2026-10-09"))
    assert "1 October" in answer.text and "dated" not in answer.text


@pytest.mark.parametrize(
    ("question", "body", "first", "then"),
    [
        # "He" is the Prime Minister, whom the article titles so: his words, going on
        # from the sentence the answer quotes first about "this joint initiative".
        (
            "What did Keir Starmer say the multinational force would do?",
            "Prime Minister Keir Starmer hosted the call on Tuesday. The Prime Minister urged "
            "fellow leaders to commit to a peacekeeping mission, known as the multinational "
            "force. He emphasised that this joint initiative would play a vital part in "
            "guaranteeing the country's long-term security.",
            "The Prime Minister urged fellow leaders",
            "this joint initiative would play a vital part",
        ),
        # Someone's words go on in the sentence after, whatever its own words.
        (
            "What did Sergei Lavrov say in his interview published on Wednesday?",
            "In an interview published on Wednesday, Foreign Minister Sergei Lavrov said that "
            "Moscow will not accept any compromises that could endanger lives. He maintained "
            "Russia's firm stance against the presence of NATO troops in Ukraine.",
            "In an interview published on Wednesday",
            "He maintained Russia's firm stance",
        ),
        # "then" is the time the sentence before sets: what comes of it.
        (
            "What will happen to the old tram once the new tram is in service?",
            "The city bought a new tram last year. The new tram will replace the old tram "
            "on the harbour line in June. The old tram will then be kept as a spare. Fares "
            "stay the same.",
            "The new tram will replace the old tram",
            "The old tram will then be kept as a spare",
        ),
        # "The goal is to ..." names the purpose of what the sentence before describes.
        (
            "What is the new harbour wall meant to achieve?",
            "Engineers have spent the winter drawing up plans for a new harbour wall at "
            "Brevik. The goal is to stop winter storms flooding the old town. Work starts in May.",
            "Engineers have spent the winter drawing up plans",
            "The goal is to stop winter storms flooding the old town",
        ),
    ],
)
def test_a_sentence_that_goes_on_from_the_answer_joins_it(
    question: str, body: str, first: str, then: str
) -> None:
    text = f"What was said\n\n{body}"
    answer = ask(question, annotated_hit(text, date(2025, 11, 25), "What was said"))
    assert answer.text.startswith(first)
    assert then in answer.text


AWARD = (
    "Ferry award ceremony in Bergen\n\nThe Nordic Ferry Award ceremony was held in Bergen on "
    "Friday evening. Five shipyards were nominated for the Nordic Ferry Award this year. The "
    "jury praised the quality of the entries."
)


def test_on_topic_passages_without_the_asked_for_name_are_refused() -> None:
    question = "Who won the Nordic Ferry Award?"
    refused = ask(question, passage("award.txt", AWARD))
    assert refused.abstained and refused.citations == []
    assert refused.confidence is not None and refused.confidence < AnswerSettings().min_score
    won = ask(question, passage("award.txt", AWARD + " The award was won by Kvernes Verft."))
    assert not won.abstained
    assert "Kvernes Verft" in won.text


def test_a_question_about_another_year_is_refused() -> None:
    text = "Subsidy approved\n\nThe county approved a ferry subsidy of NOK 52 million for 2026."
    assert not ask(
        "What ferry subsidy did the county approve for 2026?", passage("s.txt", text)
    ).abstained
    assert ask(
        "What ferry subsidy did the county approve for 2024?", passage("s.txt", text)
    ).abstained


def test_marker_goes_before_the_final_full_stop() -> None:
    assert with_marker("Talks were held in Geneva.", 1) == "Talks were held in Geneva [1]."
    assert with_marker("He said “yes”", 2) == "He said “yes” [2]"


def test_fold_whitespace() -> None:
    assert fold_whitespace("  The talks\n were held\r\n\tin  Geneva. ") == (
        "The talks were held in Geneva."
    )
    assert fold_whitespace("\n \t") == ""


def test_answer_text_folds_white_space_but_the_quote_stays_exact() -> None:
    text = "The talks  were held\tin Geneva on Sunday."
    chunk = Chunk("c", text, "a.txt", 0, len(text), 0, "t", None, None, "", 0)
    answer = ExtractiveAnswerer(AnswerSettings(min_score=0.0)).answer(
        QueryTerms("Where were the talks held?"), [Hit(chunk, 0.9, 0.9)]
    )
    assert answer.text == "The talks were held in Geneva on Sunday [1]."
    assert [c.quote for c in answer.citations] == [text]


def test_context_carried_from_earlier_turns_is_not_required_of_the_answer() -> None:
    """A follow-up's search text carries earlier turns' names and dates; the answer must
    hold what the question itself asks, not every one of them."""
    call = passage(
        "paris.txt",
        "Coalition call\n\nFrance was represented by its foreign minister, Jean-Noel Barrot, "
        "who spoke for France on the call.",
        "2025-11-25",
    )
    searched = (
        "Who spoke for France? (ministers join Keir Starmer on the coalition of the willing "
        "call, 25 November, Zelensky)"
    )
    assert ANSWERER.answer(QueryTerms(searched), [call]).abstained
    answer = ANSWERER.answer(QueryTerms(searched, asked="Who spoke for France?"), [call])
    assert not answer.abstained and "Jean-Noel Barrot" in answer.text


def test_the_words_of_a_clause_of_time_are_not_asked_of_the_answer() -> None:
    # The question's "when" clause restates the first sentence; the answer is the place
    # she spoke from, in a sentence sharing none of the clause's words.
    article = passage(
        "harbour.txt",
        "Harbour vote\n\nMayor Ida Lind called the harbour vote a turning point for the town "
        "of Brevik on Monday. Speaking at the quay in Nordvik, she thanked the council for "
        "its work.",
    )
    answer = ask(
        "Where was Lind speaking when she called the harbour vote a turning point for the town?",
        article,
    )
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("Speaking at the quay in Nordvik")


def test_someones_words_about_another_topic_are_refused() -> None:
    question = "What did Mayor Ida Lind say about the bridge tolls?"
    school = passage(
        "school.txt",
        "Mayor visits Brevik school\n\nMayor Ida Lind said she would visit the new school in "
        "Brevik on Friday with the council's education committee.",
    )
    assert ask(question, school).abstained
    tolls = passage(
        "tolls.txt",
        "Brevik bridge tolls to rise\n\nMayor Ida Lind said the bridge tolls would rise by "
        "ten per cent in May to pay for repairs.",
    )
    assert ask(question, school, tolls).citations[0].source == "tolls.txt"


def ask_annotated(question: str, text: str, title: str = "Moritz out of the race") -> Answer:
    """`question` over one chunk of `text`, its sentences annotated as ingest does."""
    hit = annotated_hit(text, date(2026, 5, 10), title)
    return ANSWERER.answer(QueryTerms(question), [hit])


def test_a_sentence_opening_its_chunk_is_placed_by_the_sentence_before_it() -> None:
    first = "Brenton race report\n\nRiders set off in heavy rain for the 2019 race on Sunday."
    second = "Anna Berg won the race by two minutes. The 2018 winner, Bo Ek, came second."
    published = date(2019, 5, 6)
    head = annotated_chunk(first, published, "Brenton race report")
    start = len(first) + 1
    rest = replace(
        annotated_chunk(second, published, "Brenton race report"),
        id="d",
        start=start,
        end=start + len(second),
        chunk_index=1,
    )
    hits = [Hit(head, 1.0, 0.8), Hit(rest, 0.9, 0.8)]
    answer = ANSWERER.answer(QueryTerms("Who won the race in 2019?"), hits)
    # Not by the sentence after it in its own chunk ("The 2018 winner ..."), which would
    # place it in 2018 and rule it out.
    assert answer.text.startswith("Anna Berg won the race")


def test_a_why_question_takes_the_reason_from_the_sentence_after_the_event() -> None:
    question = "Why did Lena Moritz not finish the race?"
    answer = ask_annotated(
        question,
        "The champion, Lena Moritz, did not finish the race on Sunday. She crashed on a wet "
        "corner and broke her wrist. The race was held in front of 4,000 people.",
    )
    assert not answer.abstained
    assert "crashed on a wet corner" in answer.citations[0].quote
    # A sentence that gives its own reason is answer enough.
    answer = ask_annotated(
        question,
        "Lena Moritz did not finish the race on Sunday because she crashed on a wet corner. "
        "The race was held in front of 4,000 people.",
    )
    assert [c.quote for c in answer.citations] == [
        "Lena Moritz did not finish the race on Sunday because she crashed on a wet corner."
    ]


def test_what_a_book_is_called_is_answered_by_its_name_not_by_words_said() -> None:
    answer = ask_annotated(
        "What was Nadia Holm's book called?",
        "Nadia Holm said the win had come as a complete surprise to her. Nadia Holm won "
        "the Tessaly Prize with The Winter Harbour, her third novel.",
        "Holm wins the Tessaly Prize",
    )
    assert not answer.abstained
    assert "The Winter Harbour" in answer.citations[0].quote


def test_a_pronoun_sentence_stands_alone_after_a_sentence_naming_no_one() -> None:
    article = annotated_hit(
        "Captain to retire\n\nThe captain struck the ramp in February. Nobody was injured. "
        "He will be succeeded by first officer Anna Berg, 38, who will command the ferry.",
        date(2026, 4, 2),
        "Captain to retire",
    )
    answer = ask("How old is Anna Berg?", article)
    [citation] = answer.citations
    assert citation.quote.startswith("He will be succeeded")


def test_a_sentence_already_quoted_is_not_quoted_again_with_its_neighbour() -> None:
    article = annotated_hit(
        "Mayor Lie to resign; deputy Ben Dahl to act until election\n\nAnn Lie will resign "
        "as mayor at the end of March to become chief executive of the water authority, "
        "she told the council on Wednesday. "
        "Her deputy will act until the election.",
        date(2025, 3, 14),
        "Mayor Lie to resign; deputy Ben Dahl to act until election",
    )
    answer = ask("Why is Ann Lie resigning?", article)
    assert answer.text.count("chief executive of the water authority") == 1


def test_who_becomes_a_role_is_answered_by_whom_the_role_is_given() -> None:
    article = annotated_hit(
        "Mayor to resign\n\nAnn Lie will resign as mayor of Dunby at the end of March to "
        "become chief executive of the water authority. Her deputy, Ben Dahl, will serve as "
        "acting mayor of Dunby from 1 April.",
        date(2025, 3, 14),
        "Mayor to resign",
    )
    answer = ask("Who will become acting mayor of Dunby?", article)
    # Ann Lie's sentence comes only as what "Her deputy" refers back to.
    [citation] = answer.citations
    assert citation.quote.endswith("Ben Dahl, will serve as acting mayor of Dunby from 1 April.")


def test_a_pronoun_speaks_for_the_person_a_chain_of_pronouns_goes_back_to() -> None:
    text = (
        "Ida Lind, 56, a former nurse, was first elected in 2019. During her first term "
        "the town opened a new pool. In her victory speech on Friday she promised to build "
        "400 homes by 2027. The turnout was 41 per cent."
    )
    answer = ask_annotated("What did Ida Lind promise in her victory speech?", text, "Lind wins")
    assert not answer.abstained
    assert "promised to build 400 homes" in answer.citations[0].quote
    # A person named between them is whom the pronoun stands for.
    other = text.replace("During her first term", "During Ola Berg's first term")
    answer = ask_annotated("What did Ida Lind promise in her victory speech?", other, "Lind wins")
    assert all("promised" not in c.quote for c in answer.citations)

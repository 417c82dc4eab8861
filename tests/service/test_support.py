"""Whether a sentence holds what a question asks for: slots, constraints, speakers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.core.store import Chunk
from service.evidence.annotate import annotate, published_day
from service.evidence.question import analyse
from service.evidence.reading import reading
from service.evidence.scoring import Evidence, date_marker, text_spans
from service.evidence.sentences import encode_spans, sentence_spans
from service.evidence.support import (
    Neighbours,
    Span,
    Support,
    distinct_wordings,
    fills,
    has_calendar_date,
    neighbours,
    proper_names,
    speaks,
    support,
)
from service.retrieval.hits import Hit

NONE = frozenset[str]()


@pytest.mark.parametrize(
    ("question", "slot", "sentence", "expected"),
    [
        # A person is a PERSON entity (an organisation or group too for "who"); a place
        # or a common noun is not.
        ("Who is the mayor of Sørnes?", "person", "The mayor, Jane Smith, said so.", True),
        ("Who is the mayor of Sørnes?", "person", "said Kvitsund mayor Lysø", True),
        (
            "Who is the mayor of Sørnes?",
            "person",
            "The ferry stays on the route through the summer.",
            False,
        ),
        # The question's own person does not answer it.
        ("Who did Keir Starmer call?", "person", "Sir Keir Starmer spoke on Tuesday.", False),
        ("Who designed the hall?", "person", "It was designed by Strand & Lie Arkitekter.", True),
        # A place that acts is a body: "who" asks for it as for a company; a place where
        # something is done is not who did it.
        ("Who must approve the fare?", "person", "It must be approved by Elm County.", True),
        ("Who will host the talks?", "person", "France will host the talks in May.", True),
        ("Who will host the talks?", "person", "The talks will be held in France.", False),
        # "where" wants a place after a place preposition.
        ("Where were the talks held?", "place", "The talks were held in Geneva.", True),
        (
            "Where were the talks held?",
            "place",
            "Speaking after a meeting of Ukrainian allies.",
            False,
        ),
        # A headline in title case names nothing by its capitals.
        ("Where was Starmer?", "place", "Peace Talks 'Moving in Positive Direction'", False),
        # Counts: not clock times, dates, spans of time, fractions or "one of".
        ("How many people signed?", "count", "It had 1,140 signatures.", True),
        ("How many people live there?", "count", "The 22:40 ferry returns on 1 June.", False),
        ("How many people live there?", "count", "It came back four months later.", False),
        ("How many people live there?", "count", "Residents travel at half price.", False),
        ("How many years did he serve?", "count", "He served for 34 years.", True),
        # Amounts: measures count, spans of time do not.
        ("How much CO2 will it save?", "amount", "It saves about 2,900 tonnes a year.", True),
        ("ramp repair cost", "amount", "The worst five seconds of my career.", False),
        ("ramp repair cost", "amount", "One of the topics was the ramp.", False),
        # Dates: "what date" wants a day; "when" takes a relative time too.
        ("What date was the call?", "date", "It happened over the weekend.", False),
        ("What date was the call?", "date", "They spoke on Tuesday.", True),
        ("When were the talks?", "date", "They met over the weekend.", True),
        ("In which month was it due?", "date", "It was due in June.", True),
        ("When did he retire?", "date", "The ship's master reported it.", False),
        ("How long was the detour?", "duration", "A 140-kilometre detour.", False),
        ("How long did he work there?", "duration", "He worked there for 34 years.", True),
        # A margin by which something else was done lasts nothing; one of the asked verb may.
        ("How long will Ek be out?", "duration", "Ek took the title by 38 seconds.", False),
        ("How long was the ferry delayed?", "duration", "It was delayed by two hours.", True),
        ("What time does it leave?", "time", "It leaves at 21:15.", True),
        # A race's time is written as a clock with seconds.
        ("What was her winning time?", "time", "She won the race in 2:26:12.", True),
        ("How many runners finished?", "count", "She won the race in 2:26:12.", False),
    ],
)
def test_fills(question: str, slot: str, sentence: str, expected: bool) -> None:
    assert fills(slot, sentence, analyse(question), NONE) is expected  # type: ignore[arg-type]


def test_speaks_needs_the_speaker_as_the_one_speaking() -> None:
    putin = analyse("What does Putin say a ceasefire should lead to?").speaker
    assert putin is not None
    assert speaks(putin, "Putin said on Tuesday that peace is near.", "")
    assert speaks(putin, "Peace is near, said Putin.", "")
    # A pronoun or a bare quotation speaks for whoever the sentence before names.
    assert speaks(putin, "It should lead to peace, he says.", "Putin spoke on Tuesday.")
    assert speaks(putin, "“It should lead to peace.”", "Putin spoke on Tuesday.")
    assert not speaks(putin, "It should lead to peace, he says.", "Starmer spoke on Tuesday.")
    # ... and makes its subject: a pronoun or a quotation after "he accused Putin" is not
    # Putin's, and neither is a pronoun in a sentence that names Putin otherwise.
    accused = "He accused President Putin of delay tactics, stating:"
    assert not speaks(putin, "“They are playing games.”", accused)
    assert not speaks(putin, "He thanked Putin, and peace is near, he says.", "Putin spoke.")
    # A passive's agent is its subject.
    assert speaks(putin, "“It should lead to peace.”", "The plan was drafted by Putin.")
    # Words said to Putin are not his; words according to him are.
    assert not speaks(putin, "I say to President Putin, ‘The ball is in your court.’", "")
    assert speaks(putin, "According to Putin, a ceasefire should lead to peace.", "")
    # Someone else speaking about Putin is not Putin speaking.
    assert not speaks(putin, "He accused President Putin of delay tactics, stating:", "")
    assert not speaks(
        putin, "Amid fears that Vladimir Putin might stall, Downing Street has stressed it.", ""
    )


def test_proper_names() -> None:
    texts = ["Ferry Talks Resume In Hallvik Today", "The ferry left Hallvik. Nordhav said so."]
    # Capitalised inside a sentence; not at a sentence's start, not in a title-case line.
    assert proper_names([_hit(t) for t in texts]) == {"hallvik"}


def test_proper_names_read_the_sentences_stored_with_a_chunk() -> None:
    text = "The ferry left Hallvik. Nordhav said so."
    # Stored as one sentence: "Nordhav" then stands inside it, not at a start.
    chunk = replace(_hit(text).chunk, sentences=encode_spans(((0, len(text)),)))
    assert proper_names([Hit(chunk, 1.0, 0.5)]) == {"hallvik", "nordhav"}


def test_constraints_count_beside_the_sentence_and_half_elsewhere_in_the_article() -> None:
    asked = analyse("How many passengers did Solgang carry in February?")
    around = Neighbours(None, None)
    weights = {"passenger": 1.0, "carry": 1.0}
    here = support(
        asked, "Solgang carried 900 passengers.", around, ["9 February 2026"], "", weights, NONE
    )
    assert (here.constraints, here.constraints_in_sentence) == (1.0, 0.5)
    # "carried" holds the question's "carry" by its lemma; "took" does not.
    assert here.slot and here.focus == pytest.approx(1.0)
    took = support(
        asked, "Solgang took 900 passengers.", around, ["9 February 2026"], "", weights, NONE
    )
    assert took.focus == pytest.approx(0.5)
    far = support(
        asked, "It carried 900 passengers.", around, [], "Solgang in February", weights, NONE
    )
    assert far.constraints == pytest.approx(0.5)
    none = support(asked, "It carried 900 passengers.", around, [], "", weights, NONE)
    assert none.constraints == 0.0


def test_a_thing_named_once_is_then_called_by_its_noun() -> None:
    # News names "the Elm Street bridge" once, then says "the bridge": where the article
    # writes the name before that noun, "the bridge" meets the question's name in full.
    asked = analyse("Which company will repair the Elm Street bridge?")
    around = Neighbours(None, None)
    weights = {"company": 1.0, "repair": 1.0, "bridge": 1.0}
    article = "The Elm Street bridge closed in May. Acme Works will repair the bridge."
    sentence = "Acme Works will repair the bridge."
    named = support(asked, sentence, around, [], article, weights, NONE)
    assert named.constraints == 1.0 and named.constraints_in_sentence == 0.0
    # The article writes the name, but not before the noun: half, as before.
    other = "Elm Street was closed in May. Acme Works will repair the bridge."
    assert support(asked, sentence, around, [], other, weights, NONE).constraints == 0.5


def test_with_nothing_asked_beyond_its_names_the_sentence_that_names_them_is_about_them() -> None:
    asked = analyse("What will happen to MF Havørn?")
    assert not asked.focus  # every content word is a name it asks about
    weights = {"havørn": 1.0}
    named = support(
        asked, "Havørn becomes the reserve vessel.", Neighbours(None, None), [], "", weights, NONE
    )
    before = Span("a.txt", 0, 30, "MF Havørn was built in 1998.")
    beside = support(
        asked, "Solgang enters service in May.", Neighbours(before, None), [], "", weights, NONE
    )
    assert named.constraints == beside.constraints == 1.0
    assert (named.focus, beside.focus) == (1.0, 0.0)


def test_words_said_about_a_topic_the_sentence_before_names_are_about_it() -> None:
    asked = analyse("What did Lena Berg say about the tunnel delay?")
    weights = {"delay": 1.0, "tunnel": 1.0, "lena": 1.0, "berg": 1.0}
    reaction = "Lena Berg said nobody would lose their job over it."
    before = Span("a.txt", 0, 46, "The tunnel delay will cost the city two years.")
    after = support(asked, reaction, Neighbours(before, None), [], "", weights, NONE)
    assert after.slot and after.focus == pytest.approx(1.0)
    # Without the sentence that names it, the words are about nothing asked.
    alone = support(asked, reaction, Neighbours(None, None), [], "", weights, NONE)
    assert not alone.slot
    # Another question's words do not borrow the topic: only someone's words do.
    cost = analyse("How much will the tunnel delay cost?")
    paid = support(
        cost, "The city expects to pay 4 million.", Neighbours(before, None), [], "", weights, NONE
    )
    assert paid.focus < 1.0


def _hit(text: str, start: int = 0, published: str | None = None) -> Hit:
    chunk = Chunk("c", text, "a.txt", start, start + len(text), 0, "T", published, None, "", 0)
    return Hit(chunk, 1.0, 0.5)


def test_neighbours_are_found_within_a_passage() -> None:
    hit = _hit("First one. He said so. Last one:", start=10)
    around = neighbours([hit])
    middle = around[("a.txt", 21)]
    assert middle.previous is not None and middle.previous.text == "First one."
    assert middle.following is not None and middle.following.start == 33
    assert around[("a.txt", 10)].previous is None


def test_neighbours_cross_from_a_passage_to_the_one_that_follows_it() -> None:
    # Chunks are cut at sentence boundaries: the first sentence of one follows the last
    # of the chunk before, with only white space between them.
    first, second = _hit("Erling Moen tried the hall.", start=0), _hit("He liked it.", start=28)
    around = neighbours([second, first])
    liked = around[("a.txt", 28)]
    assert liked.previous is not None and liked.previous.text == "Erling Moen tried the hall."
    tried = around[("a.txt", 0)]
    assert tried.following is not None and tried.following.text == "He liked it."
    # Text left out between them: not neighbours.
    apart = neighbours([first, _hit("He liked it.", start=60)])
    assert ("a.txt", 60) not in apart and ("a.txt", 0) not in apart


def test_a_date_marker_is_metadata_not_a_sentence() -> None:
    text = " date 2026-01-12 Nordhav adds sailings\n\nThe company said so."
    hit = _hit(text, published="2026-01-12")
    assert [text[s:e] for s, e in text_spans(hit)] == [
        "Nordhav adds sailings",
        "The company said so.",
    ]
    assert date_marker(hit) == (6, 16, "2026-01-12")
    # Only the marker ingest read the article's date from.
    other = _hit(text, published="2026-02-01")
    assert date_marker(other) is None
    assert has_calendar_date("on 12 January") and has_calendar_date("in 2026")
    assert not has_calendar_date("today, on Tuesday")


def test_a_year_asked_is_met_by_a_relative_date_ingest_read_as_that_year() -> None:
    asked = analyse("How many people attended the Brindle Fair in 2022?")
    text = "Organisers said 36,000 people attended the Brindle Fair, up from 35,200 last year."

    def found(published: str) -> Support:
        stored = annotate([(text, sentence_spans(text), published_day(published))], processes=1)[0]
        chunk = Chunk(
            "c", text, "a.txt", 0, len(text), 0, "T", published, None, "", 0,
            annotations=stored,
        )  # fmt: skip
        read_at = reading(Hit(chunk, 1.0, 0.5), 0, len(text), text)
        weights = {"people": 1.0, "attend": 1.0}
        return support(asked, text, Neighbours(None, None), [], "", weights, NONE, read_at)

    # "last year" in an article of 2023 is 2022: the sentence meets the question's year.
    assert found("2023-07-03").constraints_in_sentence == pytest.approx(1.0)
    # In an article of 2025 it is 2024, and the year is not met.
    assert found("2025-07-03").constraints_in_sentence == pytest.approx(0.5)


def test_a_sentence_about_another_time_too_does_not_meet_the_year() -> None:
    asked = analyse("On what date was the 2024 Brindle Fair held?")
    text = "The Brindle Fair opened on Sunday, a week later than last year."
    published = "2025-06-10"
    stored = annotate([(text, sentence_spans(text), published_day(published))], processes=1)[0]
    chunk = Chunk(
        "c", text, "a.txt", 0, len(text), 0, "T", published, None, "", 0, annotations=stored
    )
    read_at = reading(Hit(chunk, 1.0, 0.5), 0, len(text), text)
    assert {d.first[:4] for n in read_at for d in n.dates} == {"2024", "2025"}
    here = support(asked, text, Neighbours(None, None), [], "", {}, NONE, read_at)
    assert here.constraints_in_sentence == pytest.approx(0.5)  # the name, not the year


def test_a_sentence_printed_alike_by_two_articles_takes_one_place_of_the_window() -> None:
    def evidence(source: str, quote: str) -> Evidence[Chunk]:
        chunk = Chunk("c", quote, source, 0, len(quote), 0, "T", None, None, "", 0)
        return Evidence(chunk, 0, len(quote), quote, 0.5, 0.5, NONE)

    found = [
        evidence("a.txt", "Sailings were cancelled."),
        evidence("copy.txt", "Sailings  were cancelled."),
        evidence("a.txt", "The quay was damaged."),
        evidence("a.txt", "About 4,000 passengers were affected."),
        evidence("copy.txt", "The quay was damaged."),
        evidence("b.txt", "Fares rose in April."),
    ]
    window = distinct_wordings(found, 3)
    # The copy does not push out the third wording, and is judged in its own article
    # wherever it comes.
    assert [(e.source, e.quote) for e in window] == [(e.source, e.quote) for e in found[:5]]

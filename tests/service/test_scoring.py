"""Candidate sentences' terms (service/evidence/scoring.py): a quotation a pronoun
attributes is found by the name of whom the sentence before names."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from service.evidence.scoring import QueryTerms, candidate_sentences, score_evidence
from service.evidence.text import terms
from service.retrieval.hits import Hit
from tests.service.conftest import annotated_chunk

TEXT = (
    "Captain Erling Moen was among the first passengers to try the new hall on Wednesday. "
    "“I spent years looking at the old shed from the bridge,” he said. He crashed his car "
    "into the old shed in 2019."
)


def _terms(text: str = TEXT) -> list[frozenset[str]]:
    """Each candidate sentence's terms, of `text` as one annotated chunk."""
    hit = Hit(annotated_chunk(text, date(2026, 5, 21), "A title"), 1.0, 0.8)
    return [found for *_, found in candidate_sentences([hit])]


def test_a_quotation_a_pronoun_attributes_holds_the_speakers_name() -> None:
    _, quoted, crashed = _terms()
    assert {"erling", "moen"} <= quoted
    # A pronoun that does not report someone's words keeps to the sentence's own terms.
    assert not {"erling", "moen"} & crashed


def test_the_quotation_is_the_best_evidence_for_what_the_speaker_said() -> None:
    hit = Hit(annotated_chunk(TEXT, date(2026, 5, 21), "The new hall"), 1.0, 0.8)
    best = score_evidence(QueryTerms("What did Erling Moen say about the old shed?"), [hit])
    assert best[0].quote.startswith("“I spent years")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # A body the sentence names does not stand in for "he".
        (
            "Foreign Minister Sergei Lavrov spoke to reporters in Moscow on Wednesday. He "
            "said NATO troops in Ukraine were not acceptable.",
            {"sergei", "lavrov"},
        ),
        # A bare quotation is the words of whom the sentence before names.
        (
            "During a briefing, Keir Starmer said Russia must not be allowed to prolong the "
            "talks. “We should be setting a framework and a deadline for real progress.”",
            {"keir", "starmer"},
        ),
    ],
)
def test_the_second_sentence_holds_the_speaker_the_first_names(
    text: str, speaker: set[str]
) -> None:
    _, quoted = _terms(text)
    assert speaker <= quoted


def test_a_quotation_that_opens_a_chunk_holds_the_speaker_the_chunk_before_names() -> None:
    # Chunks are cut at sentence boundaries, so the sentence naming the speaker may end
    # the chunk before the quotation's.
    named = "Captain Erling Moen was among the first passengers to try the new hall."
    quoted = "“I spent years looking at the old shed from the bridge,” he said."
    published = date(2026, 5, 21)
    first = annotated_chunk(named, published, "The new hall")
    second = replace(
        annotated_chunk(quoted, published, "The new hall"),
        start=len(named) + 1,
        end=len(named) + 1 + len(quoted),
    )
    hits = [Hit(second, 1.0, 0.8), Hit(first, 0.9, 0.7)]
    found = {quote[s:e]: terms for quote, s, e, terms in _sentences_of(hits)}
    assert {"erling", "moen"} <= found[quoted]
    # Alone, the quotation's chunk does not know its speaker.
    (alone,) = _sentences_of(hits[:1])
    assert not {"erling", "moen"} & alone[3]


def _sentences_of(hits: list[Hit]) -> list[tuple[str, int, int, frozenset[str]]]:
    return [(h.text, s, e, terms) for h, s, e, terms in candidate_sentences(hits)]


def test_a_name_is_found_by_its_initials() -> None:
    text = (
        "Rates were left unchanged. The European Central Bank's president, Anna Berg, "
        "warned against the move."
    )
    hit = Hit(annotated_chunk(text, date(2026, 5, 21), "Rates"), 1.0, 0.8)
    _, named = [found for *_, found in candidate_sentences([hit])]
    assert "ecb" in named
    best = score_evidence(QueryTerms("Who is the ECB president?"), [hit])
    assert best[0].quote.startswith("The European Central Bank")


def test_a_modal_verb_is_no_word_of_what_is_asked() -> None:
    # "might" says how sure the speaker is, not what the question is about: the sentence
    # with the asked-for verb answers, not the one that shares only the modal.
    text = (
        "Officials fear that Vladimir Putin might obstruct the ceasefire. Putin said he "
        "could have a call with Donald Trump."
    )
    hit = Hit(annotated_chunk(text, date(2026, 5, 21), "Ceasefire"), 1.0, 0.8)
    best = score_evidence(QueryTerms("Who did Putin say he might call?"), [hit])
    assert best[0].quote.startswith("Putin said")


def test_a_stop_word_is_no_term_before_or_after_its_stem() -> None:
    # "does" stems to "doe", which is no stop word: it must not become a term.
    assert terms("Which school does Anna Berg teach at? Does she?") == [
        "school",
        "anna",
        "berg",
        "teach",
    ]


THANKS = (
    "The two leaders spoke by telephone on Tuesday. Mr Ortega thanked the minister for "
    "her support. The ferry can carry 390 passengers, and it carried 1,200 on its first day."
)


def _lexical(question: str, text: str = THANKS) -> dict[str, float]:
    hit = Hit(annotated_chunk(text, date(2026, 5, 21), "Talks"), 1.0, 0.8)
    return {ev.quote: ev.lexical for ev in score_evidence(QueryTerms(question), [hit])}


def test_a_verb_do_supports_is_found_in_any_of_its_forms() -> None:
    # "did ... thank" is the base form whatever the tense; the sentence writes "thanked".
    found = _lexical("What did Ortega thank the minister for?")
    thanked = found["Mr Ortega thanked the minister for her support."]
    assert thanked > found["The two leaders spoke by telephone on Tuesday."]
    assert thanked == pytest.approx(1.0)


def test_a_verb_the_question_inflects_keeps_to_its_written_form() -> None:
    # "can it carry" asks about what it can carry: a sentence's "carried" is another
    # tense, so only the word as written counts.
    found = _lexical("How many passengers can the ferry carry?")
    carried = "The ferry can carry 390 passengers, and it carried 1,200 on its first day."
    assert found[carried] == pytest.approx(1.0)
    only_past = _lexical(
        "How many passengers can the ferry carry?", "The ferry carried 1,200 passengers."
    )
    assert only_past["The ferry carried 1,200 passengers."] < 1.0


def test_a_verb_a_modal_carries_is_found_where_a_modal_carries_it() -> None:
    # "will captain" is written in its base form, as after "did"; the sentence says "will
    # be captained". Another tense of the verb ("was captained") stays another word.
    text = (
        "The new ferry Tern arrived in Brevik on Friday. She will be captained by Ida Lind. "
        "Her old ferry was captained by Per Holm."
    )
    found = _lexical("Who will captain the Tern?", text)
    assert found["She will be captained by Ida Lind."] > 0.5
    assert found["Her old ferry was captained by Per Holm."] == 0.0


def test_who_did_it_is_found_in_the_noun_that_names_the_doer() -> None:
    # "director" names who directs, "winner" who won; "directive" names no doer.
    text = (
        "Festival director Ann Lie opened the gates. The council issued a directive on "
        "noise. The winner of the race was Bo Ek."
    )
    found = _lexical("Who directed the festival?", text)
    assert found["Festival director Ann Lie opened the gates."] == pytest.approx(1.0)
    assert found["The council issued a directive on noise."] == 0.0
    won = _lexical("Who won the race?", text)
    assert won["The winner of the race was Bo Ek."] == pytest.approx(1.0)
    # Only a question of who did it: "when was it directed" asks no doer.
    when = _lexical("When was the festival directed?", text)
    assert when["Festival director Ann Lie opened the gates."] < 1.0


def test_a_verb_joined_to_another_is_found_in_any_of_its_forms() -> None:
    # "called" shares the subject of "said", so it has no subject of its own in the parse.
    text = (
        "Its group leader, Ann Lie, said the county was rewarding a company that cannot "
        "keep to a budget and called for a new tender. The vote was close."
    )
    found = _lexical("What did Ann Lie call for?", text)
    called = next(q for q in found if "called for" in q)
    assert found[called] == pytest.approx(1.0)


def test_a_sentence_that_points_back_to_a_thing_is_judged_with_the_sentence_before() -> None:
    text = (
        "The Prime Minister urged leaders to commit to a peacekeeping mission, known as the "
        "multinational force. He emphasised that this joint initiative would guarantee the "
        "country's security. It was his second call of the week."
    )
    urged, emphasised, second = _terms(text)
    # "this joint initiative" is the force the sentence before names: quoted with it
    # (a pronoun opens it), it holds that sentence's terms too.
    assert set(terms("multinational force")) <= emphasised
    # A pronoun alone keeps to its own words.
    assert not set(terms("multinational force guarantee")) & second
    assert not set(terms("guarantee")) & urged


def test_a_sentence_that_goes_on_is_judged_with_the_sentence_before() -> None:
    text = (
        "The new ferry will replace the old one on the main route in June. The old ferry "
        "will then be kept as a reserve vessel. If the batteries fail, then the old ferry "
        "sails. The then chair approved it."
    )
    _, then, condition, former = _terms(text)
    # "then" is the time the sentence before sets: what comes of it.
    assert set(terms("new ferry replace June")) <= then
    # A "then" that answers the sentence's own condition, or names a former holder, keeps
    # to the sentence's words.
    assert not set(terms("June replace")) & condition
    assert not set(terms("June replace batteries")) & former


def test_a_sentence_that_does_the_same_is_judged_with_the_sentence_before() -> None:
    text = (
        "The city uses the parking fees to fund the tram. Other cities are doing the same. "
        "The mayor asked the board to act, but it refused to do so."
    )
    _, same, refused = _terms(text)
    assert set(terms("parking fees fund tram")) <= same
    # "do so" stands for a clause of its own sentence.
    assert not set(terms("parking fees tram")) & refused

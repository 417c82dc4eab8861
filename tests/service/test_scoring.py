"""Candidate sentences' terms (service/evidence/scoring.py): a quotation a pronoun
attributes is found by the name of whom the sentence before names."""

from __future__ import annotations

from datetime import date

import pytest

from service.evidence.scoring import QueryTerms, candidate_sentences, score_evidence
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

"""The judge's frozen term extraction and sentence splitting give exactly these outputs.

They are the ruler ALCE and the support judge measure with: if one of these changes, the
metric changed, and the judge's threshold must be re-checked against the hand labels.
"""

from __future__ import annotations

import pytest

from evals.judges.frozen_text import sentence_spans, terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Possessives with straight and curly apostrophes, and plural possessives.
        ("Starmer's allies’ bosses' talks", ("starmer", "ally", "boss", "talk")),
        (
            "Ukraine’s ceasefire talks, Putin’s demands",
            ("ukraine", "ceasefire", "talk", "putin", "demand"),
        ),
        # Plural endings, quirks included ("buses" -> "buse"): frozen, not fixed.
        (
            "Glasses, buses, taxes, quizzes, churches, wishes, cities, ties and a bus",
            ("glass", "buse", "tax", "quizz", "church", "wish", "city", "tie", "bus"),
        ),
        # Numbers keep their separators; single digits stay, stopwords and symbols go.
        (
            "It cost $1,200.50 (about £950) on 25.11.2025; 3 of 10 said yes",
            ("cost", "1,200.50", "950", "25.11.2025", "3", "10", "yes"),
        ),
        # Single letters ("U.S.") are dropped; a hyphen splits a word from its number.
        (
            "The U.S. and the UK agreed a 30-day ceasefire",
            ("uk", "agreed", "30", "day", "ceasefire"),
        ),
        # Casefolding, not lower(): "ß" folds to "ss".
        ("Straße ĞÜNTER Café", ("strasse", "ğünter", "café")),
    ],
)
def test_terms(text: str, expected: tuple[str, ...]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "Mr." and "U.S." do not end a sentence; "2.5" is a number.
        (
            "Mr. Starmer met Mr. Zelensky in the U.S. on Tuesday. They talked for 2.5 hours.",
            ["Mr. Starmer met Mr. Zelensky in the U.S. on Tuesday.", "They talked for 2.5 hours."],
        ),
        # A headline without a full stop ends at its line break.
        (
            "Ukraine talks resume\nOfficials met in Geneva. Putin said no.",
            ["Ukraine talks resume", "Officials met in Geneva.", "Putin said no."],
        ),
        # Spans are trimmed of white space; CRLF and blank lines separate too.
        (
            "  Leading space. Trailing space.  \r\n\r\nNew paragraph",
            ["Leading space.", "Trailing space.", "New paragraph"],
        ),
        ("Ceasefire holds\n\n", ["Ceasefire holds"]),
        ("", []),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    spans = sentence_spans(text)
    assert [text[start:end] for start, end in spans] == expected


def test_sentence_spans_are_offsets_into_the_text() -> None:
    assert sentence_spans("  Leading space. Trailing space.  \r\n\r\nNew paragraph") == [
        (2, 16),
        (17, 32),
        (38, 51),
    ]

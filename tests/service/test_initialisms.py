"""The initials of a name (service/evidence/text.py): "ECB" stands for "the European
Central Bank" in text that never writes the letters."""

from __future__ import annotations

import pytest

from service.evidence.question import has_name, name_keys
from service.evidence.text import initialisms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A leading small word is no part of the name.
        ("The European Central Bank's president spoke.", {"ecb"}),
        # Small words inside a name are left out of its initials.
        ("the Organization of the Petroleum Exporting Countries met", {"opec", "ope", "pec"}),
        # Two letters are as often a person's initials as a name's.
        ("Anna Berg said so.", set()),
        # Punctuation ends a name.
        ("In Paris, Berlin and Rome, leaders met.", set()),
        # A run longer than a name is a list or a headline.
        ("Alpha Beta Gamma Delta Epsilon Zeta Eta met.", set()),
    ],
)
def test_initialisms(text: str, expected: set[str]) -> None:
    assert initialisms(text) == expected


def test_a_question_s_initials_name_what_the_sentence_writes_out() -> None:
    assert has_name("ecb", name_keys("The European Central Bank's president spoke."))
    assert not has_name("ecb", name_keys("The central bank's president spoke."))

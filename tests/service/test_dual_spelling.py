"""British and American spellings of a word are one term (service/evidence/spelling.py)."""

from __future__ import annotations

import pytest

from service.evidence.spelling import american
from service.evidence.text import term_set, terms


@pytest.mark.parametrize(
    ("british", "american_"),
    [
        ("defence", "defense"),
        ("defences", "defenses"),
        ("organised", "organized"),
        ("centre", "center"),
        ("labour", "labor"),
        ("programme", "program"),
        ("travelling", "traveling"),
    ],
)
def test_both_spellings_are_one_term(british: str, american_: str) -> None:
    assert terms(british) == terms(american_) == terms(british.capitalize())


def test_words_with_one_spelling_are_themselves() -> None:
    assert american("minister") == "minister"
    assert american("defense") == "defense"
    # A possessive is stripped before the spelling is looked up.
    assert term_set("the Defence Secretary's plan") == {"defense", "secretary", "plan"}

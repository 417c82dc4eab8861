"""The answer-contract checker finds every broken invariant, on JSON bodies and dataclasses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from devtools.contract import ContractViolation, check_answer, violations
from service.answer.base import Citation

ARTICLE = "Talks were held in Geneva. Zelensky thanked Starmer. Rutte attended."
TEXTS = {"a.txt": ARTICLE}


def cite(n: int, quote: str, source: str = "a.txt", shift: int = 0) -> dict[str, Any]:
    start = ARTICLE.index(quote) + shift
    return {"n": n, "source": source, "start": start, "end": start + len(quote), "quote": quote}


GENEVA = cite(1, "Talks were held in Geneva.")
THANKS = cite(2, "Zelensky thanked Starmer.")
GOOD = "Talks were held in Geneva [1]. Zelensky thanked Starmer [2]."


def problems(answer: str, citations: list[dict[str, Any]], abstained: bool = False) -> list[str]:
    return violations(answer, citations, abstained, TEXTS.__getitem__)


def test_a_valid_answer_passes_as_dicts_and_as_citations() -> None:
    assert problems(GOOD, [GENEVA, THANKS]) == []
    assert problems("Talks were held in Geneva [1][1]. Again [1].", [GENEVA]) == []
    assert problems("The articles do not answer this question.", [], abstained=True) == []
    # What tests of `Answer` objects pass: their dataclass citations as dicts.
    objects = [Citation(title="t", published=None, score=0.5, **c) for c in (GENEVA, THANKS)]
    check_answer(GOOD, [asdict(c) for c in objects], False, TEXTS.__getitem__)


@pytest.mark.parametrize(
    ("answer", "citations", "abstained", "fragment"),
    [
        (GOOD, [GENEVA, {**THANKS, "n": 3}], False, "numbered 1..N"),
        ("Talks were held in Geneva [1].", [GENEVA, THANKS], False, "differ"),
        ("Talks were held in Geneva [1][3].", [GENEVA], False, "differ"),
        ("Zelensky thanked Starmer [2]. Geneva [1].", [GENEVA, THANKS], False, "out of order"),
        ("Talks were held in Geneva [1]. Both [1, 2] [2].", [GENEVA, THANKS], False, "[n] form"),
        (GOOD, [GENEVA, {**THANKS, "quote": "Zelensky thanked Starmer!"}], False, "not the quote"),
        (GOOD, [GENEVA, cite(2, "Zelensky thanked Starmer.", shift=1)], False, "not the quote"),
        ("Geneva [1].", [{**GENEVA, "end": GENEVA["start"], "quote": ""}], False, "blank quote"),
        ("Geneva [1].", [{**GENEVA, "source": "gone.txt"}], False, "no article text"),
        ("Geneva [1].", [GENEVA], True, "abstention has citations"),
        ("  ", [], True, "empty"),
    ],
)
def test_each_broken_invariant_is_named(
    answer: str, citations: list[dict[str, Any]], abstained: bool, fragment: str
) -> None:
    found = problems(answer, citations, abstained)
    assert any(fragment in p for p in found), found
    with pytest.raises(ContractViolation, match=fragment.replace("[", r"\[")):
        check_answer(answer, citations, abstained, TEXTS.__getitem__)

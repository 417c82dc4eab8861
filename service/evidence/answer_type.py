"""What kind of answer a question asks for, and whether a sentence has one.

Only kinds a sentence can be checked for cheaply: numbers ("how many", "what share"),
dates or times ("when", "what day"), and names ("who", "where", "which country"): a
sentence answering those names someone or somewhere the question does not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

AnswerType = Literal["number", "date", "name"] | None

_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|old|big|large)|what (share|percentage|percent|proportion|"
    r"fraction|number|amount|sum)|by how much)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(when|what (date|day|year|month|time)|which (date|day|year|month)|on what day)\b",
    re.IGNORECASE,
)
_ASKS_NAME = re.compile(
    r"^\W*(who|whom|whose|where)\b|\b(which|what) (country|countries|city|cities|person|"
    r"minister|leader|president|official)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half|double|twice)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b((19|20)\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"weekend|week|yesterday|today|tomorrow|tonight|overnight|morning|evening|"
    r"afternoon|night|month|year|days?|earlier|later|ago|since|until)\b",
    re.IGNORECASE,
)


def expected_answer_type(question: str) -> AnswerType:
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NAME.search(question):
        return "name"
    return None


def has_answer_type(sentence: str, wanted: AnswerType, question: str = "") -> bool:
    if wanted == "number":
        return bool(_NUMBER.search(sentence))
    if wanted == "date":
        return bool(_DATE.search(sentence))
    if wanted == "name":
        asked = _asked(question)
        return any(m.group(0).casefold() not in asked for m in _NAME.finditer(sentence))
    return True


@lru_cache(maxsize=1024)
def _asked(question: str) -> frozenset[str]:
    # Once per question, not once per candidate sentence.
    return frozenset(w.casefold() for w in re.findall(r"[\w’'-]+", question))

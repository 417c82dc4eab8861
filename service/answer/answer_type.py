"""What kind of answer a question asks for, and whether a sentence has one.

Only the two kinds a sentence can be checked for cheaply and reliably: numbers ("how
many", "what share") and dates or times ("when", "what day").
"""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["number", "date"] | None

_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|old|big|large)|what (share|percentage|percent|proportion|"
    r"fraction|number|amount|sum)|by how much)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(when|what (date|day|year|month|time)|which (date|day|year|month)|on what day)\b",
    re.IGNORECASE,
)
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
    return None


def has_answer_type(sentence: str, wanted: AnswerType) -> bool:
    if wanted == "number":
        return bool(_NUMBER.search(sentence))
    if wanted == "date":
        return bool(_DATE.search(sentence))
    return True

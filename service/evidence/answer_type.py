"""What kind of answer a question asks for, and whether a sentence has one: the cheap
check re-ranking runs over every candidate sentence.

The kind is read from the question's parse (service/evidence/wanted.py): a number ("how
many", "what share", "how long"), a date or time ("when", "which year") or a name ("who",
"where", "which country"). A sentence has one when ingest's reading of it holds an entity
of that kind the question does not name, or, where ingest stored no reading, when its
writing shows one (digits, a number or date word of English, a capitalised word inside the
sentence that the question does not use).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from service.evidence import lexicon
from service.evidence.annotate import Notes
from service.evidence.text import CLOCK, NAME_WORD
from service.evidence.wanted import Slot, wanted

AnswerType = Literal["number", "date", "name"] | None

_KINDS: dict[Slot, AnswerType] = {
    "age": "number",
    "count": "number",
    "amount": "number",
    "duration": "number",
    "date": "date",
    "time": "date",
    "person": "name",
    "place": "name",
    "name": "name",
}
# A question asking for several kinds is checked for the most specific one.
_PRIORITY: tuple[AnswerType, ...] = ("number", "date", "name")

_DIGIT = re.compile(r"\d")
# Months and weekdays are names, written capitalised ("May", not the verb "may").
_CALENDAR_NAMES = frozenset((*lexicon.MONTH_NUMBERS, *lexicon.WEEKDAYS))
_DATE_WORDS = frozenset((*lexicon.RELATIVE_DAYS, *lexicon.PERIODS))


@lru_cache(maxsize=4096)
def expected_answer_type(question: str) -> AnswerType:
    kinds = {_KINDS.get(s) for s in wanted(question).slots}
    return next((k for k in _PRIORITY if k in kinds), None)


def has_answer_type(
    sentence: str, wanted_type: AnswerType, question: str = "", notes: Notes | None = None
) -> bool:
    """`notes`: ingest's reading of the sentence, if stored."""
    if wanted_type is None:
        return True
    if notes is not None and _entity_of(wanted_type, notes, question):
        return True
    return _written(wanted_type, sentence, question)


def _entity_of(wanted_type: AnswerType, notes: Notes, question: str) -> bool:
    if wanted_type == "number":
        return bool(notes.numbers) or any(e.label in lexicon.QUANTITIES for e in notes.entities)
    if wanted_type == "date":
        return bool(notes.dates) or any(
            e.label in lexicon.TIMES or CLOCK.fullmatch(e.text) for e in notes.entities
        )
    asked = _asked(question)
    return any(
        e.label in lexicon.NAMES and {w.casefold() for w in NAME_WORD.findall(e.text)} - asked
        for e in notes.entities
    )


def _written(wanted_type: AnswerType, sentence: str, question: str) -> bool:
    words = NAME_WORD.findall(sentence)
    if wanted_type == "number":
        return _DIGIT.search(sentence) is not None or any(
            w.casefold() in lexicon.NUMBER_WORDS or w.casefold() in lexicon.MULTIPLIERS
            for w in words
        )
    if wanted_type == "date":
        return CLOCK.search(sentence) is not None or any(
            (w.isdigit() and len(w) == 4)
            or w.casefold() in _DATE_WORDS
            or (w[:1].isupper() and w.casefold() in _CALENDAR_NAMES)
            for w in words
        )
    # A capitalised word that does not open the sentence and that the question does not use.
    asked = _asked(question)
    return any(w[:1].isupper() and w.casefold() not in asked for w in words[1:])


@lru_cache(maxsize=1024)
def _asked(question: str) -> frozenset[str]:
    # Once per question, not once per candidate sentence.
    return frozenset(w.casefold() for w in NAME_WORD.findall(question))

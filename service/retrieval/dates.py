"""Dates named in a question ("what happened on 25 November?") and chunks that match them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.core.store import Chunk
from service.evidence import lexicon

MONTHS = lexicon.MONTH_NUMBERS
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class DateMention:
    month: int
    day: int | None = None
    year: int | None = None

    def matches(self, chunk: Chunk) -> bool:
        """The article is dated then, or the chunk names the day."""
        if chunk.published:
            year, month, day = (int(x) for x in chunk.published.split("-"))
            if (
                month == self.month
                and (self.day is None or day == self.day)
                and (self.year is None or year == self.year)
            ):
                return True
        if self.day is None:
            return False
        return any(
            MONTHS.get(m.group(2).casefold()) == self.month and int(m.group(1)) == self.day
            for m in _DAY_MONTH.finditer(chunk.text)
        ) or any(
            MONTHS.get(m.group(1).casefold()) == self.month and int(m.group(2)) == self.day
            for m in _MONTH_DAY.finditer(chunk.text)
        )


def dates_in(question: str) -> list[DateMention]:
    found: list[DateMention] = []
    for m in _ISO.finditer(question):
        found.append(DateMention(int(m.group(2)), int(m.group(3)), int(m.group(1))))
    for m in _DAY_MONTH.finditer(question):
        year = int(m.group(3)) if m.group(3) else None
        found.append(DateMention(MONTHS[m.group(2).casefold()], int(m.group(1)), year))
    for m in _MONTH_DAY.finditer(question):
        year = int(m.group(3)) if m.group(3) else None
        found.append(DateMention(MONTHS[m.group(1).casefold()], int(m.group(2)), year))
    if not found:
        for m in _MONTH_YEAR.finditer(question):
            found.append(DateMention(MONTHS[m.group(1).casefold()], None, int(m.group(2))))
    return [d for d in found if 1 <= (d.day or 1) <= 31]

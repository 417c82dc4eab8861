"""Dates named in a question ("what happened on 25 November?", "who won in 2019?") and
chunks that match them.

The question's dates are its DATE entities as the parse reads them (service/evidence/
parsed.py); a chunk names a day when ingest stored that day among its sentences' date
ranges (service/evidence/annotate.py). No month or weekday is matched as text here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.core.store import Chunk
from service.evidence.annotate import Entity, date_range, decode
from service.evidence.parsed import parse_question

# Two reference dates a year without a year is read against: a calendar day ("25
# November") reads the same against both, a relative one ("on Sunday", "yesterday") does not.
_REFERENCES = (date(2001, 3, 14), date(2002, 9, 3))


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
        for notes in decode(chunk.text, chunk.annotations).values():
            sentence = chunk.text[notes.start : notes.end]
            for start, end in _date_spans(sentence, notes.entities):
                # A day the sentence writes as one ("25 November"), not one resolved from
                # "on Sunday" or "yesterday".
                written = _mention(sentence[start:end])
                if written is not None and (written.month, written.day) == (self.month, self.day):
                    return True
        return False


def _date_spans(sentence: str, entities: Sequence[Entity]) -> list[tuple[int, int]]:
    """The DATE entities of a sentence, each with a number written right beside it: the
    recogniser may read "25 November 2025" as the number 25 and the date "November 2025"."""
    out = []
    for i, entity in enumerate(entities):
        if entity.label != "DATE":
            continue
        start, end = entity.start, entity.end
        before = entities[i - 1] if i else None
        after = entities[i + 1] if i + 1 < len(entities) else None
        if before and before.label == "CARDINAL" and not sentence[before.end : start].strip(" ,"):
            start = before.start
        if after and after.label == "CARDINAL" and not sentence[end : after.start].strip(" ,"):
            end = after.end
        out.append((start, end))
    return out


def _mention(text: str) -> DateMention | None:
    """The calendar day, or month of a year, that `text` names; None for a year alone, a
    month without a year, or a date relative to when it is said."""
    dated = date_range(text, None)
    if dated is not None:
        first, last = date.fromisoformat(dated[0]), date.fromisoformat(dated[1])
        if first == last:
            return DateMention(first.month, first.day, first.year)
        if first.month == last.month and first.year == last.year:
            return DateMention(first.month, None, first.year)
        return None
    readings = {date_range(text, reference) for reference in _REFERENCES}
    if None in readings:
        return None
    days = {(r[0][5:], r[1][5:]) for r in readings if r is not None}
    if len(days) != 1:
        return None  # relative: "on Sunday", "last week"
    first_day, last_day = days.pop()
    if first_day != last_day:
        return None
    month, day = (int(x) for x in first_day.split("-"))
    return DateMention(month, day, None)


@dataclass(frozen=True)
class YearMention:
    """A year the question names on its own ("the 2019 race"): recurring events (a race,
    an award, a season's results) are told apart by it."""

    year: int

    def matches(self, chunk: Chunk) -> bool:
        """The article is dated that year, or one of the chunk's sentences places itself
        in it (a written year, or a date resolved against the article's: "last year")."""
        if chunk.published and chunk.published[:4] == str(self.year):
            return True
        year = str(self.year)
        return any(
            d.first[:4] == year and d.last[:4] == year
            for notes in decode(chunk.text, chunk.annotations).values()
            for d in notes.dates
        )


Mention = DateMention | YearMention


# An ISO date is digits, which the recogniser does not always label.
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_in(question: str) -> list[Mention]:
    found = [
        DateMention(int(m.group(2)), int(m.group(3)), int(m.group(1)))
        for m in _ISO.finditer(question)
    ]
    parsed = parse_question(question)
    for label, text in parsed.entities:
        mention = _mention(text) if label == "DATE" and not _ISO.search(text) else None
        if mention is not None:
            found.append(mention)
    days: list[Mention] = [d for d in found if 1 <= (d.day or 1) <= 31 and 1 <= d.month <= 12]
    # A written year, or a part of one longer than a month ("January-March 2025"),
    # read without a reference date: not "last year".
    years = {
        int(d.first[:4])
        for d in parsed.dates
        if d.first[:4] == d.last[:4] and d.first[5:7] != d.last[5:7]
    }
    years -= {d.year for d in found if d.year is not None}
    return days + [YearMention(y) for y in sorted(years)]

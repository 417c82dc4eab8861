"""What the language pipeline reads in each sentence, computed once at ingest.

For every sentence of a chunk (the spans of service/evidence/sentences.py): its entities
with their type and span, its lemmas, its dates as ISO ranges (a year, a month, a day, a
season; "last week", "on Sunday" resolved against the article's own date), its
numbers with their units, and the dependency relations between its words (head lemma,
relation, dependent lemma). Stored with the chunk (ChunkKey.ANNOTATIONS) so that a request
parses only its question.
"""

from __future__ import annotations

import calendar
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from service.core import nlp
from service.evidence import lexicon, ordinals

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Bump whenever a stored reading would mislead the code that reads it: annotations stored
# under another version are ignored until the next ingest run re-annotates them in place
# (metadata only, no re-embedding; docs/ingest.md). A change that reads more dates, or
# reads one more finely, keeps the version: what was stored before is what the code read
# before, and a `--full` re-ingest brings in the finer reading.
ANNOTATION_VERSION: Final = 6
# At least this many sentences are parsed in two processes.
PARALLEL_FROM: Final = 2000
# The relations that make a word a verb's subject.
SUBJECTS: Final = frozenset({"nsubj", "nsubjpass"})
# Relations kept: the arguments and modifiers the answer checks read, and the clause links
# ("expected to travel", "the man who won", "said ... that he won") through which an answer
# reaches the verb it is the subject or object of; of the auxiliaries, only the modal ones
# ("will carry": not yet done).
RELATIONS: Final = frozenset(
    {
        "aux",
        "xcomp",
        "ccomp",
        "advcl",
        "relcl",
        "acl",
        "conj",
        "nsubj",
        "nsubjpass",
        "dobj",
        "attr",
        "pobj",
        "amod",
        "compound",
        "appos",
        "poss",
        "nmod",
        "npadvmod",
        "nummod",
        "acomp",
        "advmod",
        "agent",
        "dative",
        "oprd",
    }
)
_YEAR = re.compile(r"^(1[5-9]\d\d|20\d\d)s?$")
_DAY = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")


def is_year(word: str) -> bool:
    """A year written as one ("2019"), not a decade ("1990s")."""
    return _YEAR.match(word) is not None and not word.endswith("s")


class Entity(NamedTuple):
    label: str
    start: int  # offsets within the sentence
    end: int
    text: str


class DateRange(NamedTuple):
    first: str  # ISO dates, both ends included
    last: str
    start: int
    end: int


class Quantity(NamedTuple):
    value: float
    unit: str
    label: str
    start: int
    end: int


class Notes(NamedTuple):
    """One sentence as the pipeline read it."""

    start: int  # offsets within the chunk
    end: int
    entities: tuple[Entity, ...]
    lemmas: tuple[str, ...]
    dates: tuple[DateRange, ...]
    numbers: tuple[Quantity, ...]
    relations: tuple[tuple[str, str, str], ...]


def _shifted(ent: Span) -> Span:
    """A time with the word before it that shifts it from the article's date, where the
    recogniser left that word out: in "This year's winner" it labels only "year"."""
    if ent.start == 0:
        return ent
    before = ent.doc[ent.start - 1]
    inside = ent.start <= before.head.i < ent.end
    if before.lower_ in lexicon.RELATIVE_SHIFTS and inside:
        return ent.doc[ent.start - 1 : ent.end]
    return ent


def annotate_doc(doc: Doc, published: date | None, offset: int = 0) -> Notes:
    """`doc` is one sentence at `offset` in its chunk."""
    entities = tuple(Entity(e.label_, e.start_char, e.end_char, e.text) for e in doc.ents)
    dates: list[DateRange] = []
    numbers: list[Quantity] = []
    for ent in doc.ents:
        if ent.label_ in lexicon.TIMES:
            span = _shifted(ent)
            found = date_range(span.text, published, ahead=_in_future(ent), past=_in_past(ent))
            if found is not None:
                dates.append(DateRange(*found, span.start_char, span.end_char))
        elif ent.label_ in lexicon.QUANTITIES:
            quantity = _quantity(ent)
            if quantity is not None:
                numbers.append(quantity)
        else:
            dates.extend(named_years(ent))
    dates = _dates_beside(doc, _spans_of_time(doc, dates))
    relations = tuple(
        _relation(t)
        for t in doc
        if t.dep_ in RELATIONS and t.head.i != t.i and (t.dep_ != "aux" or t.tag_ == "MD")
    )
    lemmas = tuple(t.lemma_.casefold() for t in doc if not (t.is_punct or t.is_space))
    return Notes(
        offset,
        offset + len(doc.text),
        entities,
        lemmas,
        tuple(dates),
        tuple(numbers),
        relations,
    )


def named_years(ent: Span) -> list[DateRange]:
    """The years written in a name that is not a time: "the 2021 Tour" is placed in 2021
    as much as "the Tour in 2021" is."""
    return [
        DateRange(f"{t.text}-01-01", f"{t.text}-12-31", ent.start_char, ent.end_char)
        for t in ent
        if is_year(t.text)
    ]


# What joins the two ends of a span of time, and what may open it: "from 2018 to 2020",
# "between March and May", "2018-2020".
_SPAN_JOINS: Final = {"to": ("from",), "until": ("from",), "till": ("from",), "and": ("between",)}
_SPAN_DASHES: Final = frozenset({"-", "\u2013"})


def _spans_of_time(doc: Doc, dates: list[DateRange]) -> list[DateRange]:
    """Both ends of a span the recogniser read as two dates ("from 2018 to 2020") read as
    the whole span, each at its own place in the sentence."""
    out = list(dates)
    for i, (a, b) in enumerate(itertools.pairwise(dates)):
        between = doc.text[a.end : b.start].strip().casefold()
        before = doc.text[: a.start].split()[-1:] or [""]
        opens = _SPAN_JOINS.get(between)
        if between not in _SPAN_DASHES and (opens is None or before[0].casefold() not in opens):
            continue
        first, last = min(a.first, b.first), max(a.last, b.last)
        out[i] = out[i]._replace(first=first, last=last)
        out[i + 1] = out[i + 1]._replace(first=first, last=last)
    return out


def _dates_beside(doc: Doc, dates: list[DateRange]) -> list[DateRange]:
    """A weekday written beside the date it falls on ("on Thursday, 1 October") is that
    date, not the weekday counted from the article's."""
    out = list(dates)
    for i, (a, b) in enumerate(itertools.pairwise(dates)):
        weekday = doc.text[a.start : a.end].casefold() in lexicon.WEEKDAYS
        if weekday and doc.text[a.end : b.start].strip() in ("", ",") and b.first == b.last:
            out[i] = a._replace(first=b.first, last=b.last)
    return out


def _relation(token: Any) -> tuple[str, str, str]:
    """(head lemma, relation, lemma); a preposition's object hangs from what the preposition
    attaches to: "stage of the Tour" is (stage, of, tour)."""
    head = token.head
    if token.dep_ == "pobj" and head.dep_ == "prep" and head.head.i != head.i:
        return (head.head.lemma_.casefold(), head.lemma_.casefold(), token.lemma_.casefold())
    return (head.lemma_.casefold(), token.dep_, token.lemma_.casefold())


def annotate(
    chunks: Sequence[tuple[str, Sequence[tuple[int, int]], date | None]],
    processes: int = 2,
) -> list[str]:
    """The encoded annotations of each chunk: (text, sentence spans, article date)."""
    sentences = [(i, s, e) for i, (text, spans, _) in enumerate(chunks) for s, e in spans]
    texts = [chunks[i][0][s:e] for i, s, e in sentences]
    unique = list(dict.fromkeys(texts))
    parallel = processes if len(unique) >= PARALLEL_FROM else 1
    docs = dict(
        zip(unique, nlp.pipeline().pipe(unique, batch_size=64, n_process=parallel), strict=True)
    )
    notes: list[list[Notes]] = [[] for _ in chunks]
    for (i, s, _), text in zip(sentences, texts, strict=True):
        notes[i].append(annotate_doc(docs[text], chunks[i][2], s))
    return [encode(n) for n in notes]


def encode(notes: Iterable[Notes]) -> str:
    rows = [
        [
            n.start,
            n.end,
            [[e.label, e.start, e.end] for e in n.entities],
            list(n.lemmas),
            [[d.first, d.last, d.start, d.end] for d in n.dates],
            [[q.value, q.unit, q.label, q.start, q.end] for q in n.numbers],
            [list(r) for r in n.relations],
        ]
        for n in notes
    ]
    return f"{ANNOTATION_VERSION}:" + json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=16384)
def decode(text: str, stored: str | None) -> dict[int, Notes]:
    """The stored notes of a chunk's sentences by their start within the chunk; empty when
    none are stored or another version made them. The same chunks come back query after
    query: each is decoded once."""
    if not stored:
        return {}
    tag, _, body = stored.partition(":")
    if tag != str(ANNOTATION_VERSION):
        return {}
    try:
        rows: list[Any] = json.loads(body)
        out: dict[int, Notes] = {}
        for start, end, ents, lemmas, dates, numbers, relations in rows:
            sentence = text[start:end]
            out[start] = Notes(
                start,
                end,
                tuple(Entity(lb, s, e, sentence[s:e]) for lb, s, e in ents),
                tuple(lemmas),
                tuple(DateRange(a, b, s, e) for a, b, s, e in dates),
                tuple(Quantity(float(v), u, lb, s, e) for v, u, lb, s, e in numbers),
                tuple(map(tuple, relations)),
            )
        return out
    except (ValueError, TypeError):
        return {}


def notes_at(text: str, stored: str | None, start: int, end: int) -> Notes | None:
    """The notes of the stored sentence holding chunk offsets `start:end`, if any."""
    found = decode(text, stored)
    hit = found.get(start)
    if hit is not None:
        return hit
    return next((n for n in found.values() if n.start <= start and end <= n.end), None)


# ---- dates ---------------------------------------------------------------------------


def _month_of(word: str) -> int | None:
    return lexicon.MONTH_NUMBERS.get(word.casefold().rstrip("."))


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _iso(first: date, last: date) -> tuple[str, str]:
    return first.isoformat(), last.isoformat()


def _written(words: Sequence[str]) -> tuple[int | None, int | None, int | None, bool]:
    year = month = day = None
    decade = False
    for w in words:
        if (m := _YEAR.match(w)) is not None:
            year, decade = int(m.group(1)), w.endswith("s")
        elif (mo := _month_of(w)) is not None:
            month = mo
        elif (d := _DAY.match(w)) is not None and 1 <= int(d.group(1)) <= 31:
            day = int(d.group(1))
    return year, month, day, decade


def written_date(text: str) -> tuple[int | None, int | None, int | None]:
    """The year, month and day `text` writes out ("5 March 2021"), each None when it does
    not: "last week" and "on Tuesday" write none."""
    year, month, day, _ = _written(_date_words(text))
    return year, month, day


def _date_words(text: str) -> list[str]:
    """The words of a date: "mid-2023" is "mid" and "2023", "January-March" two months,
    "last year's" is "last year"; digits joined by a hyphen ("2024-04-21") stay one word."""
    spaced = _WORD_HYPHEN.sub(" ", text.casefold())
    return [w.removesuffix("'s") for w in re.findall(r"[\w'-]+", spaced) if w != "the"]


# A hyphen with a letter on either side: between two words, not inside a number.
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d])-|-(?=[^\W\d])")


def published_day(published: str | None) -> date | None:
    """An article's stored `published` (ISO) as a date; None when absent or unreadable."""
    if not published:
        return None
    try:
        return date.fromisoformat(published)
    except ValueError:
        return None


def _verb_of(ent: Span) -> Token:
    token = ent.root
    while token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
        token = token.head
    return token


def _in_future(ent: Span) -> bool:
    """Whether the verb a time hangs from speaks of what is ahead: it carries "will" or
    "shall" ("said on Monday that the hall will open on Wednesday": Wednesday is ahead of
    the article, Monday not), or, for a day of the week, it is in the present tense, which
    of a day is what is planned ("The race ends on Sunday", "The board is meeting on
    Friday"). A month keeps to "will": a present tense beside one is as often a state
    compared with it ("stands at 4 per cent, up from 3.8 per cent in March")."""
    verb = _verb_of(ent)
    if any(
        c.dep_ == "aux" and c.tag_ == "MD" and c.lemma_.casefold() in lexicon.FUTURE
        for c in verb.children
    ):
        return True
    day = any(w in lexicon.WEEKDAYS or w == lexicon.WEEKEND for w in _date_words(ent.text))
    return day and _present(verb)


def _present(verb: Token) -> bool:
    """Whether `verb` is in the present tense and not the perfect ("has opened" is past);
    a verb it completes decides for it ("are expected to resume")."""
    helpers = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if any(c.lemma_.casefold() == "have" for c in helpers):
        return False
    tenses = [t.tag_ for t in (verb, *helpers) if t.tag_ in _FINITE]
    if not tenses and verb.dep_ == "xcomp" and verb.head.i != verb.i:
        return _present(verb.head)
    return bool(tenses) and all(t in _PRESENT for t in tenses)


# The present tense's tags: "ends", "end", and "is", "are" of "is meeting".
_PRESENT: Final = frozenset({"VBZ", "VBP"})
_FINITE: Final = _PRESENT | {"VBD"}


def _in_past(ent: Span) -> bool:
    """Whether the verb a time hangs from is in the past tense ("contracts signed in
    October", "had opened in March"), so that a month without its year is the last one."""
    verb = _verb_of(ent)
    return verb.tag_ in ("VBD", "VBN") or any(
        c.dep_ in ("aux", "auxpass") and c.tag_ == "VBD" for c in verb.children
    )


def date_range(
    text: str, published: date | None, *, ahead: bool = False, past: bool = False
) -> tuple[str, str] | None:
    """The calendar range `text` names: "2019", "March 2021", "5 March", "the 1990s",
    "the 2019-20 season", "from 2019 to 2022", "January-March 2021", "last week", "on
    Sunday" (the last Sunday up to the article's date, or with `ahead`, said of what will
    happen, the next one from it), "in October" (with `past`, told in the past tense, the
    last October up to the article's date)."""
    words = _date_words(text)
    spanned = _split_year(text)
    if spanned is not None:
        return spanned
    years = sorted({int(w) for w in words if is_year(w)})
    if len(years) > 1:
        # "from 2019 to 2022", "in 2019 and 2021": every year they name, and between.
        return f"{years[0]}-01-01", f"{years[-1]}-12-31"
    year, month, day, decade = _written(words)
    try:
        months = list(dict.fromkeys(m for w in words if (m := _month_of(w)) is not None))
        if len(months) == 2 and months[0] < months[1] and (year or published):
            # "January-March 2025", "between March and May": the months between.
            y = year or published.year  # type: ignore[union-attr]
            return _iso(date(y, months[0], 1), _month_end(y, months[1]))
        if year is not None:
            if decade:
                return f"{year}-01-01", f"{year + 9}-12-31"
            if month is None:
                return _year_part(words, year) or (f"{year}-01-01", f"{year}-12-31")
            if day is None:
                return _iso(date(year, month, 1), _month_end(year, month))
            return _iso(date(year, month, day), date(year, month, day))
        if published is None:
            return None
        if month is not None:
            # A month without its year, told in the past tense, is the last one up to the
            # article's date ("signed in October" in February is last October); said of
            # what will happen, the next one from it; else the article's year.
            y = published.year
            shift = _year_shift(words)
            if shift is not None:
                y += shift  # "April last year", "in March next year"
            elif (month, day or 1) > (published.month, published.day) and past and not ahead:
                y -= 1
            elif (month, day or 31) < (published.month, published.day) and ahead:
                y += 1
            if day is None:
                return _iso(date(y, month, 1), _month_end(y, month))
            return _iso(date(y, month, day), date(y, month, day))
    except ValueError:
        return None
    return _relative(words, published, ahead)


# "Q3", "H1": a quarter or half of a year as companies write it.
_PART_CODE = re.compile(r"^([qh])([1-4])$")


def _year_part(words: Sequence[str], year: int) -> tuple[str, str] | None:
    """ "the third quarter of 2025", "third-quarter 2025", "Q3 2025", "the first half of
    2024": the months of that part of the year. A fiscal year's quarters are not the
    calendar's: "fiscal 2025" keeps the whole year."""
    if lexicon.FISCAL & set(words):
        return None
    for before, word in zip(["", *words], words, strict=False):
        code = _PART_CODE.match(word)
        if code is not None:
            size, n = (3 if code.group(1) == "q" else 6), int(code.group(2))
        elif word in lexicon.YEAR_PARTS:
            size, n = lexicon.YEAR_PARTS[word], ordinals.value(before) or 0
        else:
            continue
        if 1 <= n <= 12 // size:
            return _iso(date(year, size * (n - 1) + 1, 1), _month_end(year, size * n))
    return None


def _weekday(published: date, weekday: int, ahead: bool) -> date:
    """The last day of that weekday up to the article's date (the date itself, if it is
    one), or with `ahead` the next one from it."""
    gap = (weekday - published.weekday()) % 7
    return published + timedelta(days=gap) if ahead else published - timedelta(days=(7 - gap) % 7)


def _year_shift(words: Sequence[str]) -> int | None:
    """How many years from the article's "last year", "this year" or "next year" shifts."""
    for shift_word, period in itertools.pairwise(words):
        if period == "year" and shift_word in lexicon.RELATIVE_SHIFTS:
            return lexicon.RELATIVE_SHIFTS[shift_word]
    return None


def _relative(words: list[str], published: date, ahead: bool) -> tuple[str, str] | None:
    for w in words:
        if w in lexicon.RELATIVE_DAYS:
            day = published + timedelta(days=lexicon.RELATIVE_DAYS[w])
            return _iso(day, day)
        if w in lexicon.WEEKDAYS:
            day = _weekday(published, lexicon.WEEKDAYS.index(w), ahead or "next" in words)
            return _iso(day, day)
        if w == lexicon.WEEKEND:
            saturday = _weekday(published, calendar.SATURDAY, ahead or "next" in words)
            return _iso(saturday, saturday + timedelta(days=1))
    ago = _ago(words, published)
    if ago is not None:
        return ago
    for shift_word, period in itertools.pairwise(words):
        shift = lexicon.RELATIVE_SHIFTS.get(shift_word)
        if shift is None or period not in lexicon.PERIODS:
            continue
        if period == "year":
            y = published.year + shift
            return f"{y}-01-01", f"{y}-12-31"
        if period == "month":
            y, m = divmod(published.year * 12 + published.month - 1 + shift, 12)
            return _iso(date(y, m + 1, 1), _month_end(y, m + 1))
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=shift)
        return _iso(monday, monday + timedelta(days=6))
    return None


def _ago(words: list[str], published: date) -> tuple[str, str] | None:
    """ "four years ago", "a month ago": counted back from the article's date ("earlier"
    and "before" count back from whatever time the sentence speaks of, not the article's)."""
    for count, unit, last in zip(words, words[1:], words[2:], strict=False):
        period = unit.removesuffix("s")
        if last != "ago" or period not in lexicon.PERIODS:
            continue
        n = 1.0 if count in ("a", "an") else lexicon.NUMBER_WORDS.get(count)
        if n is None and count.isdigit():
            n = float(count)
        if n is None:
            return None
        back = int(n)
        if period == "year":
            y = published.year - back
            return f"{y}-01-01", f"{y}-12-31"
        if period == "month":
            y, m = divmod(published.year * 12 + published.month - 1 - back, 12)
            return _iso(date(y, m + 1, 1), _month_end(y, m + 1))
        monday = published - timedelta(days=published.weekday()) - timedelta(weeks=back)
        return _iso(monday, monday + timedelta(days=6))
    return None


# "2019-20", "2019/20", "2019-2020": two years written as one period.
_SPLIT_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\s*[-\u2013/]\s*(\d{4}|\d{2})\b")


def _split_year(text: str) -> tuple[str, str] | None:
    """A season or a financial year named by the two years it spans ("the 2019-20
    season") runs from the middle of the first to the middle of the second, so that it
    overlaps neither the season before nor the one after; other spans of years ("2019-2022")
    run from the first's start to the last's end."""
    m = _SPLIT_YEAR.search(text)
    if m is None:
        return None
    first, written = int(m.group(1)), m.group(2)
    if len(written) == 2:
        # Only the next year is written short ("2019-20"); "2024-03" is a month.
        last = first + 1
        if int(written) != last % 100:
            return None
    else:
        last = int(written)
    if last == first + 1:
        return f"{first}-07-01", f"{last}-06-30"
    if last > first:
        return f"{first}-01-01", f"{last}-12-31"
    return None


# ---- numbers -------------------------------------------------------------------------


def _quantity(ent: Span) -> Quantity | None:
    value: float | None = None
    scale = 1.0
    unit = ""
    for token in ent:
        word = token.text.casefold().replace(",", "")
        if _NUMBER.match(token.text) and value is None:
            value = float(token.text.replace(",", ""))
        elif word in lexicon.MULTIPLIERS and value is not None:
            scale *= lexicon.MULTIPLIERS[word]
        elif word in lexicon.NUMBER_WORDS and value is None:
            value = lexicon.NUMBER_WORDS[word]
        elif word in lexicon.MULTIPLIERS:
            value, scale = 1.0, lexicon.MULTIPLIERS[word]
        elif not token.is_punct and token.pos_ != "DET":
            unit = token.lemma_.casefold() if not unit or token.is_currency else unit
    if value is None:
        return None
    if ent.label_ == "PERCENT":
        unit = "%"
    elif ent.label_ == "CARDINAL" and ent.root.dep_ == "nummod":
        unit = ent.root.head.lemma_.casefold()
    return Quantity(value * scale, unit, ent.label_, ent.start_char, ent.end_char)

"""Whether a sentence holds what a question asks for, not only the question's words.

Three checks, each on the sentence and the sentences right beside it in its article (a
pronoun's antecedent or the name a quote belongs to is often one sentence away) and the
article's title:
- constraints: every name, number, date and quoted phrase of the question appears there
  (a passage about the 2021 award does not answer a question about 2022);
- slot: the sentence holds something of the asked kind that the question does not
  already say (a name for "who", a number for "how many", a date for "when");
- focus: how much of the rest of the question (idf-weighted) the sentence itself holds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any, Generic, TypeVar

from service.evidence import lexicon
from service.evidence.annotate import Notes, decode, notes_at
from service.evidence.parsed import parse_question
from service.evidence.question import (
    MONTHS,
    TITLES,
    WEEKDAYS,
    Asked,
    Constraint,
    Names,
    Slot,
    analyse,
    has_name,
    name_key,
    name_keys,
    same_name,
)
from service.evidence.relations import conflict, holds_type, link_factor
from service.evidence.scoring import Evidence, Passage, QueryTerms, text_spans
from service.evidence.sentences import sentence_spans
from service.evidence.text import idf_weights, terms

_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?(am|pm|a\.m\.|p\.m\.)|\bo'clock\b", re.I)
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
# Month names as news copy writes them: capitalised (so "may" the verb is not one).
_MONTH_NAME = lexicon.MONTH_PATTERN + r"\b\.?"
_MONTH = re.compile(rf"\b{_MONTH_NAME}")
_DAY_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_NAME}|\b{_MONTH_NAME}\s+\d{{1,2}}\b"
)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.I)
_UNIT = (
    r"(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|nights?|per ?cent|%|"
    r"metres?|kilometres?|km|tonnes?)"
)
_TIME_UNITS = frozenset("second minute hour day week month year decade night".split())  # noqa: SIM905
_SHARES = frozenset({"per cent", "percent", "%"})
_FRACTIONS = frozenset({"half", "third", "quarter", "double", "twice"})
# "one" is left out: "one of the topics" counts nothing.
_NUMBER_WORDS = (
    r"(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds|"
    r"thousand|thousands|million|millions|billion|dozen|dozens|half|third|quarter|double|"
    r"twice|several)"
)
_QUANTITY = re.compile(rf"(\d+(?:[.,]\d+)*|\b{_NUMBER_WORDS}\b)([- ]{_UNIT}\b)?", re.I)
_DURATION = re.compile(
    rf"\b(\d+|one|{_NUMBER_WORDS}|a|an|many|few)[- ](seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|years?|decades?)\b|\bsince\b|\bfor (years|months|decades|weeks)\b",
    re.I,
)
_RELATIVE_DATE = re.compile(
    r"\b(today|yesterday|tomorrow|tonight|overnight|weekend|this (week|month|year|morning|"
    r"evening|afternoon)|next (week|month|year)|last (week|month|year)|"
    r"(\w+ )?(weeks?|months?|years?|days?) ago|earlier this \w+|later this \w+|"
    r"spring|summer|autumn|winter)\b",
    re.I,
)
_TIME_OF_DAY = re.compile(r"\b(morning|evening|afternoon|noon|midnight|night)\b", re.I)
_PLACE_PREPOSITION = frozenset(
    "in at from near outside inside across to towards via on into within".split()  # noqa: SIM905
)
_SPEECH = re.compile(
    r"\b(said|says|say|saying|told|tells|tell|stated|states|added|adds|warned|warns|"
    r"announced|announces|insisted|insists|stressed|stresses|urged|urges|argued|argues|"
    r"claimed|claims|noted|explained|described|describes|called|calls|suggested|"
    r"suggests|admitted|admits|acknowledged|predicted|predicts|believes|remarked|"
    r"vowed|pledged|promised|wrote|writes|posted|according to|expressed|confirmed|"
    r"thanked|accused|insisting|stating|noting|adding|warning|emphasi[sz]ed|cautioned|"
    r"reiterated|underscored|revealed)\b|[“”\"]|:\s*$|:\s",
    re.I,
)
_SPEECH_WORD = re.compile(
    r"said|says|say|saying|told|tells|tell|stated|states|added|adds|warned|warns|announced|"
    r"insisted|insists|stressed|urged|urges|argued|claimed|claims|noted|explained|described|"
    r"describes|called|calls|suggested|suggests|admitted|acknowledged|predicted|predicts|"
    r"remarked|vowed|pledged|promised|wrote|writes|posted|according|expressed|confirmed|"
    r"emphasised|emphasized|cautioned|reiterated|underscored|revealed|believes|insisting|"
    r"stating|noting|adding|warning|asserting|asserted|championed|maintained|maintains"
)
# Verbs that may come before their speaker: "said Starmer", "according to Starmer".
_INVERTED = frozenset("said says added according wrote asked noted".split())  # noqa: SIM905
_PRONOUNS = frozenset({"he", "she", "they"})
_PRONOUN_START = re.compile(r"^\W*(he|she|they|his|her|their|it|its)\b", re.I)
# Words that title a person ("mayor Jane Smith", "Captain Jones"): a single capitalised
# word after one is a person's name.
_PERSON_TITLE = frozenset(
    """
    mr mrs ms dr sir dame lord lady president minister secretary captain mayor chief
    director executive officer councillor chair chairman chairwoman leader spokesperson
    spokesman spokeswoman commander general admiral marshal chancellor premier
    envoy ambassador senator governor king queen prince pope
    """.split()  # noqa: SIM905
)
_NOT_NAMES = (
    frozenset(MONTHS)
    | frozenset(WEEKDAYS)
    | TITLES
    | frozenset(
        """
        i a an the it he she they we this that these those his
        her its their there here but and or if as in on at of
        for to by with from after before when while under over speaking meanwhile however
        also
        """.split()  # noqa: SIM905
    )
)


# A constraint met only elsewhere in the article, not beside the sentence, counts this much.
ARTICLE_CREDIT = 0.5


@dataclass(frozen=True)
class Support:
    """How well one sentence, read in its place in the article, answers the question."""

    # Share of the question's constraints found in the sentence, its neighbours or title.
    constraints: float
    # Share found in the sentence itself.
    constraints_in_sentence: float
    # The sentence holds a thing of an asked kind (True when the question names none).
    slot: bool
    # Idf-weighted share of the question's other content terms in the sentence.
    focus: float


def proper_names(texts: Sequence[str]) -> frozenset[str]:
    """Name keys of the words written capitalised inside a sentence (not at its start)."""
    found: set[str] = set()
    for text in texts:
        found |= _proper_in(text)
    return frozenset(found)


@lru_cache(maxsize=8192)
def _proper_in(text: str) -> frozenset[str]:
    # Passages recur across questions: their names are worked out once.
    found: set[str] = set()
    for start, end in sentence_spans(text):
        words = _WORD.findall(text[start:end])
        if _title_case(words):
            continue  # "Peace Talks 'Moving in Positive Direction'" names nothing
        found.update(name_key(w) for w in words[1:] if w[:1].isupper())
    return frozenset(found)


def _title_case(words: Sequence[str]) -> bool:
    # Headlines capitalise their verbs too; a sentence full of names still has lower-case
    # words of three letters or more ("met", "and").
    long_words = [w for w in words if len(w) >= 3]
    capitals = sum(w[:1].isupper() for w in long_words)
    return len(long_words) >= 3 and capitals >= 0.8 * len(long_words)


def names_in(sentence: str, proper: AbstractSet[str]) -> list[tuple[int, str]]:
    """(word index, key) of each name in `sentence`: capitalised words, the first word
    only when the passages also write it capitalised mid-sentence. In a headline written
    in title case ("Talks 'Moving in Positive Direction'") capitals mark no names, so
    only words the passages capitalise mid-sentence count."""
    words = _WORD.findall(sentence)
    title_case = _title_case(words)
    out: list[tuple[int, str]] = []
    for i, word in enumerate(words):
        key = name_key(word)
        if not word[:1].isupper() or key in _NOT_NAMES:
            continue
        if (i == 0 or title_case) and key not in proper:
            continue
        out.append((i, key))
    return out


def people_in(sentence: str, proper: AbstractSet[str]) -> list[list[str]]:
    """Names that read as a person's or an organisation's: two or more capitalised words
    in a row ("Jane Smith", "Smith & Jones Architects"), or one after a title
    ("mayor Smith", "Captain Jones")."""
    words = list(_WORD.finditer(sentence))
    keys = [name_key(w.group(0)) for w in words]
    named = {i for i, _ in names_in(sentence, proper)}
    out: list[list[str]] = []
    run: list[int] = []
    for i in [*range(len(words)), len(words)]:
        joined = (
            run
            and i < len(words)
            and i in named
            and sentence[words[run[-1]].end() : words[i].start()].strip() in ("", "&")
        )
        if i < len(words) and i in named and (not run or joined):
            run.append(i)
            continue
        if run:
            titled = run[0] > 0 and keys[run[0] - 1] in _PERSON_TITLE
            if len(run) >= 2 or titled:
                out.append([keys[j] for j in run])
        run = [i] if i < len(words) and i in named else []
    return out


def satisfied(constraint: Constraint, text: str, keys: Names) -> bool:
    """Whether `text` (whose `name_keys` are `keys`) meets the constraint."""
    if constraint.kind == "name":
        return any(has_name(form, keys) for form in constraint.forms)
    if constraint.kind == "number":
        numbers = {d.replace(",", "") for d in _DIGITS.findall(text)}
        return constraint.forms[0] in numbers
    if constraint.kind == "date":
        return all(_date_part(part, text, keys) for part in constraint.forms)
    return constraint.forms[0] in " ".join(text.casefold().split())


def _date_part(part: str, text: str, keys: Names) -> bool:
    if part.isdigit():
        return part in set(_DIGITS.findall(text))
    # A month may be written short: "Nov", "Sept".
    return part in keys.keys or any(part[:n] in keys.keys for n in (3, 4))


def fills(slot: Slot, sentence: str, asked: Asked, proper: AbstractSet[str]) -> bool:
    """Whether `sentence` holds a thing of kind `slot` that the question does not say."""
    question_keys = name_keys(asked.question)

    def new(key: str) -> bool:
        return not has_name(key, question_keys)

    if slot == "person":
        # "Sir Keir Starmer" is not a new person when the question names Starmer.
        return any(all(new(k) for k in person) for person in people_in(sentence, proper))
    if slot in ("name", "place"):
        words = [name_key(w) for w in _WORD.findall(sentence)]
        for i, key in names_in(sentence, proper):
            if not new(key):
                continue
            if slot == "name" or set(words[max(0, i - 3) : i]) & _PLACE_PREPOSITION:
                return True
        return False
    if slot == "speech":
        return bool(_SPEECH.search(sentence))
    if slot == "date":
        patterns = {
            "day": (_DAY_MONTH, _ISO_DATE, _WEEKDAY),
            "month": (_MONTH, _ISO_DATE),
            "year": (_YEAR, _ISO_DATE),
        }.get(
            asked.date_unit or "", (_YEAR, _DAY_MONTH, _MONTH, _ISO_DATE, _WEEKDAY, _RELATIVE_DATE)
        )
        return any(_new(p, sentence, asked) for p in patterns)
    if slot == "time":
        return bool(_CLOCK.search(sentence) or _TIME_OF_DAY.search(sentence))
    if slot == "duration":
        return bool(_DURATION.search(sentence))
    # count / amount: a quantity that is not a clock time, a year, a day of a month, a
    # span of time or a measure, and not one the question already gives.
    plain = _DAY_MONTH.sub(" ", _YEAR.sub(" ", _CLOCK.sub(" ", sentence)))
    asked_numbers = {c.forms[0] for c in asked.constraints if c.kind == "number"}
    for match in _QUANTITY.finditer(plain):
        if match.group(0).replace(",", "").split("-")[0].split()[0] in asked_numbers:
            continue
        unit = (match.group(4) or "").casefold()
        # "five seconds" is no count of passengers nor an amount of money, unless the
        # question asks in that unit ("how many years").
        # "half price" or "a third" is no count of anything.
        if slot == "count" and (match.group(2) or "").casefold() in _FRACTIONS:
            continue
        spans_time = unit.rstrip("s") in _TIME_UNITS or (slot == "count" and unit in _SHARES)
        if spans_time and not re.search(rf"\b{re.escape(unit.rstrip('s'))}", asked.question, re.I):
            continue
        return True
    return False


def named(slot: Slot, sentence: str, asked: Asked, proper: AbstractSet[str]) -> set[str]:
    """The names in `sentence` that could answer a person/name/place slot and that the
    question does not already say (what a list question gathers)."""
    question_keys = name_keys(asked.question)

    def new(key: str) -> bool:
        return not has_name(key, question_keys)

    if slot == "person":
        people = people_in(sentence, proper)
        return {k for person in people if all(new(k) for k in person) for k in person}
    return {k for _, k in names_in(sentence, proper) if new(k)}


def has_calendar_date(text: str) -> bool:
    """Whether `text` names a calendar date (a day of a month, a year or an ISO date), not
    only a relative one ("today", "on Tuesday", "last week")."""
    return bool(_DAY_MONTH.search(text) or _YEAR.search(text) or _ISO_DATE.search(text))


def speaks(speaker: Constraint, sentence: str, previous: str) -> bool:
    """Whether `sentence` gives the words of `speaker`: a verb of saying within a few words
    of their name ("Starmer said", "said Starmer", "Starmer told ... that"), or a pronoun
    that says ("..., he says") when the sentence before names them. Someone else's words
    do not answer "what did Starmer say"."""
    words = [name_key(w) for w in _WORD.findall(sentence)]
    cues = [i for i, w in enumerate(words) if _SPEECH_WORD.fullmatch(w)]
    named = [i for i, w in enumerate(words) if any(same_name(f, w) for f in speaker.forms)]
    others = {i for i, _ in names_in(sentence, frozenset())} - set(named)
    for n in named:
        for c in cues:
            # "Starmer said", "Marco Rubio has cautioned": the name, then its verb, with no
            # other name between (that would be the subject) and not a participle.
            between = set(range(n + 1, c))
            if 0 < c - n <= 5 and not between & others and not words[c].endswith("ing"):
                return True
    if any(0 < n - c <= 3 and words[c] in _INVERTED for n in named for c in cues):
        return True
    pronoun_says = any(
        words[c - 1] in _PRONOUNS or (c + 1 < len(words) and words[c + 1] in _PRONOUNS)
        for c in cues
        if c > 0
    ) or bool(_PRONOUN_START.match(sentence))
    # A sentence that is all quotation is the words of whoever the sentence before names.
    quoted = bool(re.match(r"^\W*[“\"]", sentence))
    return (pronoun_says or quoted) and satisfied(speaker, previous, name_keys(previous))


def _new(pattern: re.Pattern[str], sentence: str, asked: Asked) -> bool:
    question = asked.question.casefold()
    return any(m.group(0).casefold() not in question for m in pattern.finditer(sentence))


@dataclass(frozen=True)
class Span:
    """A sentence at article offsets `start:end`."""

    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Neighbours:
    previous: Span | None
    following: Span | None


def neighbours(passages: Sequence[Passage]) -> dict[tuple[str, int], Neighbours]:
    """The sentence before and after each sentence of the passages, by (source, start),
    where a passage holds both (passages are contiguous article text)."""
    before: dict[tuple[str, int], Span] = {}
    after: dict[tuple[str, int], Span] = {}
    for passage in passages:
        spans = [
            Span(passage.source, passage.start + s, passage.start + e, passage.text[s:e])
            for s, e in text_spans(passage)
        ]
        for a, b in itertools.pairwise(spans):
            after[(a.source, a.start)] = b
            before[(b.source, b.start)] = a
    keys = before.keys() | after.keys()
    return {k: Neighbours(before.get(k), after.get(k)) for k in keys}


def support(
    asked: Asked,
    sentence: str,
    around: Neighbours,
    about: Sequence[str],
    article: str,
    weights: Mapping[str, float],
    proper: AbstractSet[str],
) -> Support:
    """`about`: what places the sentence (its article's title and date); `article`: the
    retrieved text of its article, where a constraint counts half."""
    previous = around.previous.text if around.previous else ""
    following = around.following.text if around.following else ""
    window = " ".join([sentence, previous, following, *about])
    sentence_keys = name_keys(sentence)
    window_keys = name_keys(window)
    article_keys = name_keys(article)
    n = len(asked.constraints)
    in_window = 0.0
    in_sentence = 0
    for c in asked.constraints:
        if satisfied(c, sentence, sentence_keys):
            in_sentence += 1
            in_window += 1
        elif satisfied(c, window, window_keys):
            in_window += 1
        elif satisfied(c, article, article_keys):
            in_window += ARTICLE_CREDIT
    # "...stating:" is answered by what follows the colon.
    filler = f"{sentence} {following}" if sentence.rstrip().endswith(":") else sentence
    slot = not asked.slots or any(fills(s, filler, asked, proper) for s in asked.slots)
    if slot and asked.slots[:1] == ("speech",) and asked.speaker is not None:
        slot = speaks(asked.speaker, sentence, previous)
    total = sum(weights.get(t, 0.0) for t in asked.focus)
    present = set(terms(sentence))
    focus = sum(weights.get(t, 0.0) for t in asked.focus if t in present) / total if total else 1.0
    return Support(
        constraints=in_window / n if n else 1.0,
        constraints_in_sentence=in_sentence / n if n else 1.0,
        slot=slot,
        focus=focus,
    )


# The answer score: how much of the question the sentence holds (its words, its passage's
# vector), scaled by whether it holds what is asked. Chosen on the dev splits
# (docs/abstention.md).
ANSWER_LEXICAL_WEIGHT = 0.7
# A sentence without a thing of the asked kind keeps this share of its score.
MISSING_SLOT_FACTOR = 0.3
# The focus share (0..1) moves the score between this floor and 1.
# The focus share (0..1) moves a score between a floor and 1: for the confidence that
# abstention compares, and, more strongly, for choosing which sentence answers.
FOCUS_FLOOR = 0.7
CHOICE_FOCUS_FLOOR = 0.5
# Candidate sentences (best evidence first) checked for an answer.
ANSWER_CANDIDATES = 12

P = TypeVar("P", bound=Passage)


@dataclass(frozen=True)
class Candidate(Generic[P]):
    evidence: Evidence[P]
    support: Support
    # How confident that this sentence answers: what abstention compares.
    score: float
    # Which sentence to quote first: the same, with the question's focus weighing more.
    choice: float
    # Its answer passes the relation checks (linked to what the question asks about).
    passes: bool = True


@dataclass(frozen=True)
class Answers(Generic[P]):
    """The candidate answers to a question, best first, with what they were judged on."""

    asked: Asked
    # Best choice first.
    candidates: list[Candidate[P]]
    around: Mapping[tuple[str, int], Neighbours]
    proper: frozenset[str]

    @property
    def confidence(self) -> float:
        """The best score of a candidate that passes the checks: none passing, no answer."""
        return max((c.score for c in self.candidates if c.passes), default=0.0)


def answer_score(
    evidence: Evidence[Any], support: Support, focus_floor: float = FOCUS_FLOOR
) -> float:
    words = ANSWER_LEXICAL_WEIGHT * evidence.lexical
    vector = (1 - ANSWER_LEXICAL_WEIGHT) * max(evidence.dense, 0.0)
    slot = 1.0 if support.slot else MISSING_SLOT_FACTOR
    focus = focus_floor + (1 - focus_floor) * support.focus
    return (words + vector) * support.constraints * slot * focus


def rank_answers(
    query: QueryTerms, evidence: Sequence[Evidence[P]], passages: Sequence[P]
) -> Answers[P]:
    """The best `ANSWER_CANDIDATES` evidence sentences, re-scored by whether each holds
    what the question asks for."""
    proper = proper_names([p.text for p in passages])
    asked = analyse(query.asked or query.text, proper)
    around = neighbours(passages)
    articles: dict[str, list[str]] = {}
    for passage in passages:
        articles.setdefault(passage.source, []).append(passage.text)
    weights = query.weights or {}
    if not query.weights:
        weights = idf_weights(terms(query.text), [ev.terms for ev in evidence])
    candidates = []
    for ev in evidence[:ANSWER_CANDIDATES]:
        about = [ev.passage.title, *_date_words(ev.passage.published)]
        found = support(
            asked,
            ev.quote,
            around.get((ev.source, ev.start), Neighbours(None, None)),
            about,
            " ".join(articles[ev.source]),
            weights,
            proper,
        )
        if asked.attribute and asked.kind not in ev.terms:
            # "What is the capital of Australia?": a name in a sentence that does not
            # speak of a capital is not the one asked for.
            found = replace(found, slot=False)
        notes = _notes(ev)
        link = 1.0
        if notes is not None:
            parsed = parse_question(asked.question)
            beside = _passage_notes(ev)
            if conflict(parsed, notes, ev.passage.published, beside) is not None:
                continue  # another year, a former holder, a part for the whole
            if (
                found.slot
                and parsed.types & TYPED_BY_NAME
                and not holds_type(parsed, notes, ev.passage.text[notes.start : notes.end])
            ):
                found = replace(found, slot=False)
            # An answer the parse does not link to the question's predicate is less sure.
            link = link_factor(parsed, notes, ev.passage.text[notes.start : notes.end])
        choice = answer_score(ev, found, CHOICE_FOCUS_FLOOR) * link
        passes = link == 1.0
        candidates.append(Candidate(ev, found, answer_score(ev, found) * link, choice, passes))
    candidates.sort(key=lambda c: (not c.passes, -c.choice, c.evidence.source, c.evidence.start))
    return Answers(asked, candidates, around, proper)


# Asked-for types a sentence must hold a named entity of (read at ingest).
TYPED_BY_NAME = lexicon.PERSONISH | lexicon.PLACES


def _notes(ev: Evidence[Any]) -> Notes | None:
    """What ingest read in the evidence sentence, when its passage carries it."""
    stored = getattr(ev.passage, "annotations", None)
    if not stored:
        return None
    offset = ev.start - ev.passage.start
    return notes_at(ev.passage.text, stored, offset, offset + len(ev.quote))


def _passage_notes(ev: Evidence[Any]) -> list[Notes]:
    """What ingest read in the other sentences of the evidence sentence's passage."""
    stored = getattr(ev.passage, "annotations", None)
    found = decode(ev.passage.text, stored) if stored else {}
    return [n for start, n in found.items() if start != ev.start - ev.passage.start]


def _date_words(published: str | None) -> list[str]:
    """ "2026-02-19" as "19 February 2026", so that "in mid-February" finds it."""
    if not published:
        return []
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return []
    return [f"{day.day} {MONTHS[day.month - 1].title()} {day.year}"]

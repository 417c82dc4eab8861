"""Whether a reading (service/evidence/reading.py) holds a thing of the asked kind that the
question does not already say, from the entities, dates and numbers the pipeline found.

- "when": a DATE or TIME entity; at the asked granularity when the question names one
  ("what date": a day; "which month": a month; "what year": a written year); the end of
  a span the wh-phrase's preposition asks for ("from what date": a time something runs
  from or since; "until when": one it runs until);
- "what time": a TIME entity; "how long": a span of time (a DATE or TIME entity that
  names no calendar range), or a time something has lasted "since";
- "how many", "how much": a CARDINAL, QUANTITY, MONEY or PERCENT entity, not the
  question's own number, in a sentence that names what is counted ("how many cars"); a
  count is no share and no clock time, and is a span of time only when the question
  counts in that unit ("how many years");
- "who": a PERSON, ORG or NORP entity (only a PERSON when the question's parse narrows
  it: "which person");
- "where": a GPE, LOC or FAC entity that owns nothing ("Ukraine's president" says where
  nobody is), or a name a locative preposition governs, whatever the recogniser made of
  it; a name: any named entity;
- speech: a reporting verb, said by the asked speaker when they are named anywhere in
  its subject's phrase ("The mayor of Elmton, Jane Smith, said"), about the asked topic
  when the question names one ("what did she say about the tolls");
- no time only reported: "..., the council confirmed on Tuesday" dates the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Final, Literal

from service.evidence import lexicon, ordinals
from service.evidence.annotate import (
    RELATIONS,
    SUBJECTS,
    Entity,
    Notes,
    Quantity,
    date_range,
    written_date,
)
from service.evidence.parsed import ParsedQuestion, parse_question
from service.evidence.question import Asked, Constraint, has_name, name_key, name_keys, same_name
from service.evidence.relations import acts
from service.evidence.spelling import american
from service.evidence.text import CLOCK, NAME_WORD

DateUnit = Literal["day", "month", "year"] | None

# Marks that open or close a quotation, and a colon that introduces one.
_QUOTATION = re.compile(r"[“”\"]|:\s*$|:\s")
_OPENS_QUOTATION = re.compile(r"^\W*[“\"]")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# Any day: what matters of a date read against it is how long a range it names.
_ANY_DAY = date(2001, 1, 1)
# Older than anyone or anything an age is given for in years ("the 61-year-old", "Moen,
# 61,"): a lone number this large is a count or a year.
_OLDEST: Final = 150
# How a name sits inside the noun a preposition governs ("at Elm Street headquarters").
_NAMES_IN = frozenset({"compound", "nmod"})
# Links within one noun phrase that may name its speaker (besides prepositions).
_SAME_PHRASE = frozenset({"appos", "compound", "conj"})
# How far from its head a subject's name may sit ("the mayor of X, Jane Smith").
_PHRASE_DEPTH = 3


def _said(entity: Entity, asked: Asked) -> bool:
    """Whether the question already says this entity's text."""
    return " ".join(entity.text.casefold().split()) in " ".join(asked.question.casefold().split())


def _entities(reading: Iterable[Notes], labels: Iterable[str]) -> Iterator[tuple[Notes, Entity]]:
    wanted = frozenset(labels)
    for notes in reading:
        for entity in notes.entities:
            if entity.label in wanted:
                yield notes, entity


def dated(reading: Iterable[Notes], asked: Asked, unit: DateUnit) -> bool:
    """A time of the asked granularity that the question does not say, and not only the
    time someone reported the asked thing (unless the question asks about a report)."""
    parsed = parse_question(asked.question)
    predicate = parsed.predicate
    reported = predicate is not None and predicate.lemma in lexicon.REPORTING
    bound = lexicon.TIME_BOUNDS.get(parsed.wh_prep or "")
    for notes, entity in _entities(reading, lexicon.TIMES):
        if _said(entity, asked) or (not reported and _time_of_report(entity, notes)):
            continue
        if bound is not None and not _bounding(entity, notes, bound):
            continue  # "from what date": a time something runs from, not any time
        if unit is None:
            # "the next morning" places nothing by itself; "at 9pm" does.
            relative = entity.label == "TIME" and not any(c.isdigit() for c in entity.text)
            if not _span_of_time(entity) and not relative:
                return True
            continue
        if unit == "year":
            if written_date(entity.text)[0] is not None:
                return True
            continue
        # The granularity of what the entity names, whatever day it is read against.
        span = date_range(entity.text, _ANY_DAY)
        if span is None:
            continue
        first, last = span
        if unit == "day" and first == last:
            return True
        if unit == "month" and first[:7] == last[:7]:
            return True
    return False


def _bounding(entity: Entity, notes: Notes, bound: str) -> bool:
    """Whether the time hangs from a preposition that makes it the `bound` end of a span
    ("acting mayor since April", "will serve from 1 April"), or dates what does ("until
    the next election in May 2026")."""
    words = {w.casefold() for w in NAME_WORD.findall(entity.text)}
    ends = {c for _, r, c in notes.relations if lexicon.TIME_BOUNDS.get(r) == bound}
    ends |= {c for h, _, c in notes.relations if h in ends}
    return bool(ends & words)


def _time_of_report(entity: Entity, notes: Notes) -> bool:
    """ "..., the company confirmed on Tuesday": the time hangs from a reporting verb only,
    and says when the news was told, not when what it tells happened."""
    words = {w.casefold() for w in NAME_WORD.findall(entity.text)}
    heads = {head for head, _, child in notes.relations if child in words and head not in words}
    return bool(heads) and heads <= lexicon.REPORTING


def _span_of_time(entity: Entity) -> bool:
    """ "12 years", "five days": a number of some unit of time, naming no calendar range."""
    words = [w.casefold() for w in NAME_WORD.findall(entity.text)]
    numbered = any(w.isdigit() or w in lexicon.NUMBER_WORDS for w in words)
    return numbered and date_range(entity.text, _ANY_DAY) is None


def calendar(reading: Iterable[Notes], day: bool = False) -> bool:
    """Whether a time is written as a calendar date (a year, or a day of a month; with
    `day`, a day of a month), not only relative to the article's ("today", "on Tuesday",
    "last week")."""
    for _, entity in _entities(reading, lexicon.TIMES):
        year, month, of_month = written_date(entity.text)
        if (year is not None and not day) or (month is not None and of_month is not None):
            return True
    return False


def timed(reading: Iterable[Notes], asked: Asked) -> bool:
    """A time of day the question does not say: a TIME entity, or a number written as a
    clock ("18:30"), which the small model labels CARDINAL."""
    return any(
        not _said(e, asked) and (e.label == "TIME" or CLOCK.fullmatch(e.text))
        for _, e in _entities(reading, {"TIME", "CARDINAL"})
    )


def lasting(reading: Iterable[Notes], asked: Asked) -> bool:
    """A span of time: a time entity naming no calendar range ("three years"), or one
    something has lasted since."""
    parsed = parse_question(asked.question)
    for notes, entity in _entities(reading, lexicon.TIMES):
        if _said(entity, asked) or _margin_of_another(notes, entity, parsed):
            continue
        if _span_of_time(entity) or date_range(entity.text, _ANY_DAY) is None:
            return True
    return any(relation in lexicon.SINCE for notes in reading for _, relation, _ in notes.relations)


def _margin_of_another(notes: Notes, entity: Entity, parsed: ParsedQuestion) -> bool:
    """A span of time hanging from "by" on a verb the question does not use: the margin
    of that doing ("took the title by 38 seconds"), no time anything lasted. "Delayed by
    two hours" answers "How long was it delayed?", and "by how much" asks for a margin."""
    if parsed.wh_prep == "by":
        return False
    words = {w.casefold().rstrip("s") for w in NAME_WORD.findall(entity.text)}
    return any(
        relation == "by" and child.rstrip("s") in words and head not in parsed.lemmas
        for head, relation, child in notes.relations
    )


def counted(reading: Iterable[Notes], asked: Asked, parsed: ParsedQuestion, amount: bool) -> bool:
    """A number the question does not give: any measure for an amount; for a count, no
    share, no clock time and no lone "one" ("one of the reasons"); a span of time only when
    the question counts in its unit ("how many years")."""
    given = {c.forms[0] for c in asked.constraints if c.kind == "number"}
    # "How old": only an age counts (`_age`).
    age = "age" in asked.slots
    reading = tuple(reading)
    if not _names_counted(reading, asked):
        return False
    for notes, entity in _entities(reading, lexicon.QUANTITIES | lexicon.TIMES):
        digits = {d.replace(",", "") for d in _DIGITS.findall(entity.text)}
        if _said(entity, asked) or digits & given:
            continue
        if entity.label in lexicon.TIMES:
            words = {w.casefold() for w in NAME_WORD.findall(entity.text)}
            if age and _age(words) and date_range(entity.text, None) is None:
                return True
            # "34 years" for "how many years"; not "the end of April" for "end up costing".
            units = {
                w
                for w in words
                if w.rstrip("s") in lexicon.TIME_UNITS
                and (w in parsed.lemmas or w.rstrip("s") in parsed.lemmas)
            }
            if units and words - units and date_range(entity.text, None) is None:
                return True
            if amount and _margin(notes, entity, parsed):
                return True
            continue
        if amount and entity.label != "CARDINAL":
            return True
        words = {w.casefold() for w in re.findall(r"[^\W_]+|%", entity.text)}
        share = entity.label == "PERCENT" or bool(words & lexicon.SHARES)
        if share and not parsed.lemmas & lexicon.SHARES:
            continue  # the model may label "40 per cent" MONEY: a share all the same
        if CLOCK.fullmatch(entity.text):
            continue  # a clock time the recogniser took for a number
        quantity = next(
            (q for q in notes.numbers if q.start == entity.start and q.end == entity.end), None
        )
        if quantity is None:
            continue  # "half", "several": no count
        if quantity.value == 1 and not quantity.unit:
            continue
        unit = quantity.unit or _elided_unit(notes, quantity, words)
        if _times(unit, parsed) or _other_noun(unit, asked, notes):
            continue
        if unit and (age or (amount and _people(unit))):
            continue  # "600 people" counts people: no age, and no amount of anything
        if age and not (quantity.value.is_integer() and 0 < quantity.value < _OLDEST):
            continue  # "by 7,204 votes to 6,115": no one is that old
        return True
    if age:
        return False  # a number the recogniser left alone is no age
    return any(_counts(notes, asked, parsed, given, amount) for notes in reading)


def _elided_unit(notes: Notes, quantity: Quantity, words: AbstractSet[str]) -> str:
    """The noun a bare number counts by ellipsis: the one the sentence's other counts
    count, when they count one ("killing three people and injuring eight", "64,300
    visitors, up from 59,800"). Not a number in millions, which is more often a sum."""
    if words & lexicon.MULTIPLIERS.keys():
        return ""
    units = {
        q.unit for q in notes.numbers if q is not quantity and q.label == "CARDINAL" and q.unit
    }
    return units.pop() if len(units) == 1 else ""


def _margin(notes: Notes, entity: Entity, parsed: ParsedQuestion) -> bool:
    """A span of time that answers "by how much" hanging from "by" as the question's does:
    "won by 38 seconds"."""
    if parsed.wh_prep is None or not any(c.isdigit() for c in entity.text):
        return False
    words = {w.casefold().rstrip("s") for w in NAME_WORD.findall(entity.text)}
    return any(
        relation == parsed.wh_prep and child.rstrip("s") in words
        for _, relation, child in notes.relations
    )


def _age(words: AbstractSet[str]) -> bool:
    """An age, for "how old": the recogniser labels a person's age a date ("Moen, 61,",
    "the 61-year-old"), but neither a lone number nor "N-year-old" is one of the
    calendar; "34 years" is a span, not an age."""
    numbers = {w for w in words if w.isdigit()}
    return len(numbers) == 1 and (words == numbers or lexicon.AGE in words)


def _names_counted(reading: Iterable[Notes], asked: Asked) -> bool:
    """Whether the text names what "how many" counts ("how many cars": a
    sentence without cars counts something else), unless that is a category ("how many
    people") or a unit of time, which a number may stand for alone ("killed 12")."""
    noun = asked.counted
    if noun is None or noun in lexicon.CATEGORY_TYPES or noun in lexicon.TIME_UNITS:
        return True
    return _uses(reading, {noun})


def _uses(reading: Iterable[Notes], lemmas: AbstractSet[str]) -> bool:
    """Whether the text uses one of the words, in any form and either spelling."""
    wanted_forms = {american(w) for w in lemmas}
    return any(american(lemma) in wanted_forms for notes in reading for lemma in notes.lemmas)


def _people(unit: str) -> bool:
    """Whether a number's unit is a kind of people ("600 people", "45 staff")."""
    return lexicon.CATEGORY_TYPES.get(unit) == frozenset({"PERSON"})


def _other_noun(unit: str, asked: Asked, notes: Notes) -> bool:
    """Whether a number counts a noun other than the one "how many" asks about: "from 25
    countries" is no count of exhibitors. A number of people may count any people, unless
    the sentence writes the asked noun apart from them: "a drone attack ..., killing
    three people" counts no drones, where "The visitors, 61,750 people in all" counts
    the visitors it stands beside."""
    noun = asked.counted
    if not unit or noun is None or noun in lexicon.CATEGORY_TYPES or noun in lexicon.TIME_UNITS:
        return False
    if _people(unit):
        forms = {american(noun)}
        written = any(american(lemma) in forms for lemma in notes.lemmas)
        beside = any(
            relation == "appos" and {american(head), american(child)} == {american(unit), *forms}
            for head, relation, child in notes.relations
        )
        return written and not beside
    return american(unit) != american(noun)


def _times(unit: str, parsed: ParsedQuestion) -> bool:
    """Whether a number counts units of time the question does not count in."""
    return unit in lexicon.TIME_UNITS and unit not in parsed.lemmas


def _counts(
    notes: Notes, asked: Asked, parsed: ParsedQuestion, given: set[str], amount: bool
) -> bool:
    """A number the recogniser left without an entity ("sold 900 tickets",
    "$40bn"): a word written in digits, or a number word counting a noun in the parse;
    not inside a time, not a clock, not the question's own, and for a count not a share."""
    timed = {
        w.casefold()
        for e in notes.entities
        if e.label in lexicon.TIMES
        for w in NAME_WORD.findall(e.text)
    }
    question = asked.question.casefold()
    counting: set[str] = set()
    of_time: set[str] = set()
    of_others: set[str] = set()
    for head, relation, child in notes.relations:
        if relation == "nummod":
            (of_time if _times(head, parsed) else counting).add(child)
            if _other_noun(head, asked, notes) or (amount and _people(head)):
                of_others.add(child)
    lemmas = notes.lemmas
    for i, word in enumerate(lemmas):
        digits = _DIGITS.match(word)
        if digits is None:
            if lexicon.NUMBER_WORDS.get(word, 1) <= 1 or word not in counting:
                continue
        elif CLOCK.fullmatch(word) or digits.group(0).replace(",", "") in given:
            continue
        if word in timed or word in question or (word in of_time and word not in counting):
            continue
        if ordinals.value(word) is not None or word in of_others:
            # "the 53rd show" numbers one show; "25 countries" counts countries, and "600
            # people" is no amount.
            continue
        if not amount and i + 1 < len(lemmas) and lemmas[i + 1] in lexicon.SHARES:
            continue
        return True
    return False


def _keys(entity: Entity) -> list[str]:
    return [k for k in (name_key(w) for w in NAME_WORD.findall(entity.text)) if k != "the"]


def people(
    reading: Iterable[Notes], asked: Asked, labels: frozenset[str], parsed: ParsedQuestion
) -> list[list[str]]:
    """The name keys of each person (or of each entity of `labels`) in the reading that
    the question does not name: "Sir Keir Starmer" is no new person when it names Starmer."""
    question_keys = name_keys(asked.question)
    out: list[list[str]] = []
    # A place that does what is asked is a body acting ("approved by the county", "France
    # will host the talks"): "who" asks for it as for a company.
    acting = "ORG" in labels
    for notes, entity in _entities(reading, labels | lexicon.PLACES if acting else labels):
        if entity.label not in labels and not acts(entity, notes, parsed):
            continue
        keys = _keys(entity)
        if keys and all(not has_name(k, question_keys) for k in keys):
            out.append(keys)
    return out


def places(
    reading: Iterable[Notes], asked: Asked, capitalised: AbstractSet[str] = frozenset()
) -> list[list[str]]:
    """Places the question does not name: GPE, LOC and FAC entities, and a name a
    locative preposition governs ("on Elm Island", "at Elm Street headquarters"), whatever
    label the model gives it or none: a named entity, or a word written capitalised
    mid-sentence (`capitalised`, as name keys) that is in no time or number entity. A
    place that only owns something ("Ukraine's president") says where nothing is."""
    question_keys = name_keys(asked.question)
    out: list[list[str]] = []
    for notes in reading:
        governed = _located(notes)
        owners = {c for _, r, c in notes.relations if r == "poss"} - governed
        inside = set(governed)
        inside |= {c for h, r, c in notes.relations if r in _NAMES_IN and h in governed}
        seen: set[str] = set()
        for entity in notes.entities:
            keys = _keys(entity)
            seen.update(keys)
            if entity.label not in lexicon.NAMES:
                continue
            if entity.label in lexicon.PLACES:
                if keys and keys[-1] in owners:
                    continue
            elif not set(keys) & inside:
                continue
            fresh = [k for k in keys if not has_name(k, question_keys)]
            if fresh:
                out.append(fresh)
        for word in sorted(governed & capitalised - seen):
            named_with = [
                c
                for h, r, c in notes.relations
                if h == word and r in _NAMES_IN and c in capitalised
            ]
            fresh = [k for k in (*named_with, word) if not has_name(k, question_keys)]
            if fresh:
                out.append(fresh)
    return out


def _located(notes: Notes) -> set[str]:
    """What a locative preposition governs in the sentence; a reporting verb's "to" names
    whom it is said to or by ("according to"), no place."""
    return {
        c
        for h, r, c in notes.relations
        if r in lexicon.LOCATIVE and not (r == "to" and h in lexicon.REPORTING)
    }


def names(reading: Iterable[Notes], asked: Asked) -> list[list[str]]:
    """Named entities of any kind, each with the name keys the question does not say."""
    question_keys = name_keys(asked.question)
    out: list[list[str]] = []
    for _, entity in _entities(reading, lexicon.NAMES):
        fresh = [k for k in _keys(entity) if not has_name(k, question_keys)]
        if fresh:
            out.append(fresh)
    return out


def holders(
    slot: Literal["person", "place", "name"],
    reading: Iterable[Notes],
    asked: Asked,
    parsed: ParsedQuestion,
    capitalised: AbstractSet[str] = frozenset(),
) -> list[list[str]]:
    """The names of the asked kind the question does not say, each as its name keys: for
    "who" a PERSON, ORG or NORP entity, only a PERSON when the question's parse says so
    ("which person"); `capitalised`: as in `places`."""
    notes = tuple(reading)
    if slot == "person":
        labels = (parsed.types & lexicon.PERSONISH) or lexicon.PERSONISH
        return people(notes, asked, labels, parsed)
    if slot == "place":
        return places(notes, asked, capitalised)
    return names(notes, asked)


def speech(reading: Iterable[Notes], text: str) -> bool:
    """Someone's words: a reporting verb that takes a clause, a speaker or an object in
    the parse ("said that ...", "according to ..."), or a quotation."""
    if _QUOTATION.search(text):
        return True
    return any(
        head in lexicon.REPORTING and relation in lexicon.REPORTED
        for notes in reading
        for head, relation, _ in notes.relations
    )


def speaks(
    speaker: Constraint, reading: Iterable[Notes], text: str, article: str = ""
) -> bool | None:
    """Whether the reading gives the words of `speaker`: True when the speaker is the
    subject of a reporting verb ("Smith said", "said Smith", "according to Smith"), or a
    role `article` writes as the speaker's title ("the mayor said" where it names "Mayor
    Jane Smith"); None when a pronoun reports ("..., he says"), the text is all quotation
    or opens with a pronoun, and so speaks for whoever the sentence before names, unless
    it names the speaker itself in another role; False otherwise: someone else's words
    about the speaker do not answer "what did Smith say"."""
    read = tuple(reading)
    pronoun = False
    for notes in read:
        for head, relation, child in notes.relations:
            if head not in lexicon.REPORTING or relation not in ("nsubj", "to", "agent"):
                continue
            if relation == "to" and head != lexicon.ATTRIBUTING:
                continue  # "I say to Putin" is said to him, "according to Putin" by him
            # "according to X": X alone; a subject: its phrase.
            if _named(speaker, {child}) if relation == "to" else _heads(speaker, child, notes):
                return True
            if article and (_titled(child, speaker, article) or _entitled(child, speaker, article)):
                return True
            pronoun = pronoun or child in lexicon.SPEAKER_PRONOUNS
    opens = bool(read and read[0].lemmas and read[0].lemmas[0] in lexicon.OPENING_PRONOUNS)
    if not (pronoun or opens or opens_quotation(text)):
        return False
    # A pronoun does not stand for a name its own sentence gives otherwise: in "He accused
    # Putin of delay, stating: ..." he is not Putin.
    named = {name_key(lemma) for notes in read for lemma in notes.lemmas}
    if any(same_name(form, key) for form in _name_forms(speaker) for key in named):
        return False
    return None


def _name_forms(speaker: Constraint) -> tuple[str, ...]:
    """The forms of the speaker's name: a role constraint's last form is the role."""
    return speaker.forms[:-1] if speaker.kind == "role" else speaker.forms


def _heads(speaker: Constraint, root: str, notes: Notes) -> bool:
    """Whether the noun phrase `root` heads names the speaker (a role's country or
    qualifying adjectives included: "French President")."""
    return _named(speaker, _phrase(root, notes.relations, speaker.kind == "role"))


def _named(speaker: Constraint, words: AbstractSet[str]) -> bool:
    """Whether a subject's words name the speaker: any of a name's forms ("Macron" for
    "Emmanuel Macron"); for a role, the name that qualifies it and the role ("French
    President Emmanuel Macron" for "the French president", not "French Defence Minister
    ...")."""
    keys = {name_key(w) for w in words}
    if speaker.kind == "role":
        spelled = {american(k) for k in keys}
        return all(american(w) in spelled for w in speaker.forms[-1].split()) and any(
            same_name(form, key) for form in _name_forms(speaker) for key in keys
        )
    return any(same_name(form, key) for form in speaker.forms for key in keys)


def subject(speaker: Constraint, reading: Iterable[Notes]) -> bool:
    """Whether the reading makes the speaker the subject of a verb ("Putin set out his
    terms."): whom a quotation or a pronoun that says right after it speaks for. "He
    accused Putin of delay, stating:" does not."""
    for notes in reading:
        subjects = {child for _, relation, child in notes.relations if relation in SUBJECTS}
        # A passive's agent is its doer: "organised by the residents' association".
        agents = {child for _, relation, child in notes.relations if relation == "agent"}
        subjects |= {
            child
            for head, relation, child in notes.relations
            if relation == "pobj" and head in agents
        }
        if any(_heads(speaker, root, notes) for root in subjects):
            return True
    return False


def about(reading: Iterable[Notes], topic: AbstractSet[str]) -> bool:
    """Whether someone's words speak of the topic the question asks them about ("what
    did she say about the fare increase"): one of its words, in any form of the word."""
    return not topic or _uses(reading, topic)


def kinds(reading: Iterable[Notes], asked: Asked) -> bool:
    """Whether the sentence narrows the noun "what kind of" asks about with a noun the
    question does not use ("a minerals deal", "the wheelchair race")."""
    if asked.kind_of is None:
        return False
    question = parse_question(asked.question).lemmas
    return any(
        head == asked.kind_of and relation == "compound" and child not in question
        for notes in reading
        for head, relation, child in notes.relations
    )


def opens_quotation(text: str) -> bool:
    """Whether the text opens with a quotation mark: words someone else said."""
    return _OPENS_QUOTATION.match(text) is not None


def _titled(role: str, speaker: Constraint, article: str) -> bool:
    """Whether `article` writes `role` as the speaker's title: capitalised, right before
    the name or before other capitalised words leading to it ("Prime Minister Sir Ian
    Reed", "Mayor Jane Smith"). News copy names a person so once and then "the prime
    minister"."""
    if not role.isalpha() or role in lexicon.SPEAKER_PRONOUNS:
        return False
    names = "|".join(re.escape(form) for form in _name_forms(speaker) if form.isalpha())
    if not names:
        return False
    title = re.compile(
        rf"\b{re.escape(role.capitalize())}(?:\s+[A-Z][\w'’.-]*){{0,3}}?\s+(?i:{names})\b"
    )
    return title.search(article) is not None


def _entitled(name: str, speaker: Constraint, article: str) -> bool:
    """Whether `article` gives the name the title the question calls the speaker by: "Mr
    Zelensky said" answers "what did the Ukrainian president say" where the article
    writes "Ukrainian President Volodymyr Zelensky"."""
    if speaker.kind != "role" or not name.isalpha():
        return False
    names = "|".join(re.escape(form) for form in _name_forms(speaker) if form.isalpha())
    if not names:
        return False
    role = r"\s+".join(_spellings(w) for w in speaker.forms[-1].split())
    title = re.compile(
        rf"(?i:\b(?:{names})\w*\s+{role})(?:\s+[A-Z][\w'’.-]*){{0,3}}?\s+(?i:{re.escape(name)})\b"
    )
    return title.search(article) is not None


def _spellings(word: str) -> str:
    """A pattern for the word in either spelling ("defence", "defense")."""
    forms = {word, american(word)}
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms)) + ")"


def _phrase(
    root: str, relations: Iterable[tuple[str, str, str]], modified: bool = False
) -> set[str]:
    """The words of the noun phrase `root` heads, through the links that name the same
    person or one beside them: "The mayor of Elmton, Jane Smith, said" is said by Smith,
    whether the parser makes her an apposition or, taking a first name for a preposition,
    that preposition's object. Not through a possessor ("Smith's spokesman" speaks for
    himself) nor a clause ("the man who met Smith")."""
    # `modified`: the adjectives too, which name the country of a role ("French President").
    kinds = _SAME_PHRASE | {"amod"} if modified else _SAME_PHRASE
    links = [(h, c) for h, r, c in relations if r in kinds or r not in RELATIONS]
    words = {root}
    frontier = {root}
    for _ in range(_PHRASE_DEPTH):
        frontier = {c for h, c in links if h in frontier} - words
        if not frontier:
            break
        words |= frontier
    return words

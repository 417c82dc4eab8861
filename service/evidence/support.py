"""Whether a sentence holds what a question asks for, not only the question's words.

Three checks, each on the sentence and the sentences right beside it in its article (a
pronoun's antecedent or the name a quote belongs to is often one sentence away) and the
article's title:
- constraints: every name, number, date and quoted phrase of the question appears there
  (a passage about the 2021 award does not answer a question about 2022);
- slot: the sentence holds something of the asked kind that the question does not
  already say (a person for "who", a number for "how many", a date for "when"), read
  from the entities, dates, numbers and relations ingest stored for it
  (service/evidence/slots.py, service/evidence/reading.py);
- focus: how much of the rest of the question (idf-weighted) the sentence itself holds;
  where nothing is left, how many of its constraints the sentence itself names.
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

from spacy.lang.en.stop_words import STOP_WORDS

from service.evidence import lexicon, slots
from service.evidence.annotate import Notes, decode, notes_at, published_day
from service.evidence.measures import measured_noun, measures
from service.evidence.parsed import ParsedQuestion, parse_question
from service.evidence.question import (
    MONTHS,
    Asked,
    Constraint,
    Names,
    analyse,
    has_name,
    name_key,
    name_keys,
)
from service.evidence.reading import Reading, read, reading
from service.evidence.relations import (
    compared_dates,
    conflict,
    holds_type,
    link_factors,
    linked,
)
from service.evidence.scoring import Evidence, Passage, QueryTerms, across_passages, text_spans
from service.evidence.sentences import spans_of
from service.evidence.subject import other_subjects
from service.evidence.text import fold_whitespace, idf_weights, terms
from service.evidence.wanted import Slot

_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


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


def proper_names(passages: Sequence[Passage]) -> frozenset[str]:
    """Name keys of the words written capitalised inside a sentence (not at its start)."""
    found: set[str] = set()
    for passage in passages:
        found |= _proper_in(passage.text, getattr(passage, "sentences", None))
    return frozenset(found)


def common_words(texts: Sequence[str]) -> frozenset[str]:
    """Words written in lower case inside a sentence: English writes a name capitalised
    wherever it stands, a title only before a name."""
    found: set[str] = set()
    for text in texts:
        found |= _common_in(text)
    return frozenset(found)


@lru_cache(maxsize=8192)
def _common_in(text: str) -> frozenset[str]:
    return frozenset(name_key(w) for w in _WORD.findall(text) if w[:1].islower())


@lru_cache(maxsize=8192)
def _proper_in(text: str, stored: str | None = None) -> frozenset[str]:
    # Passages recur across questions: their names are worked out once. Chunks carry
    # their sentence spans (`stored`), so no passage is split again here.
    found: set[str] = set()
    for start, end in spans_of(text, stored):
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


def fills(
    slot: Slot,
    sentence: str,
    asked: Asked,
    proper: AbstractSet[str],
    found: Reading | None = None,
) -> bool:
    """Whether `sentence` holds a thing of kind `slot` that the question does not say.
    `found`: what ingest read in it (service/evidence/reading.py); parsed now if None."""
    notes = read(sentence) if found is None else found
    if slot == "date":
        return slots.dated(notes, asked, asked.date_unit)
    if slot == "time":
        return slots.timed(notes, asked)
    if slot == "duration":
        return slots.lasting(notes, asked)
    if slot in ("person", "place", "name"):
        return bool(named(slot, sentence, asked, proper, notes))
    if slot == "speech":
        return slots.speech(notes, sentence)
    if slot == "kind":
        return slots.kinds(notes, asked)
    return slots.counted(notes, asked, parse_question(asked.question), slot == "amount")


def named(
    slot: Slot,
    sentence: str,
    asked: Asked,
    proper: AbstractSet[str],
    found: Reading | None = None,
) -> set[str]:
    """The name keys in `sentence` that could answer a person/name/place slot and that the
    question does not already say (what a list question gathers). `found`: as in `fills`."""
    if slot not in ("person", "place", "name"):
        return set()
    notes = read(sentence) if found is None else found
    parsed = parse_question(asked.question)
    held = slots.holders(slot, notes, asked, parsed, _proper_in(sentence))
    if _title_case(_WORD.findall(sentence)):
        # In a headline every word is capitalised: the recogniser's names there are
        # trusted only where the passages write them capitalised mid-sentence too.
        held = [keys for keys in held if set(keys) & proper]
    return {k for keys in held for k in keys}


def has_calendar_date(text: str, found: Reading | None = None, day: bool = False) -> bool:
    """Whether `text` names a calendar date (a day of a month or a year; with `day`, a day
    of a month), not only a relative one ("today", "on Tuesday", "last week"). `found`: as
    in `fills`."""
    return slots.calendar(read(text) if found is None else found, day)


def speaks(
    speaker: Constraint,
    sentence: str,
    previous: str,
    found: Reading | None = None,
    article: str = "",
    before: Reading | None = None,
) -> bool:
    """Whether `sentence` gives the words of `speaker` (service/evidence/slots.py); a
    pronoun that says, or a sentence all quotation, speaks for the speaker when the
    sentence before makes them its subject. `found`: as in `fills`, and `before` for the
    sentence before; `article`: its article's text, where a role that stands for the
    speaker is written as their title."""
    says = slots.speaks(speaker, read(sentence) if found is None else found, sentence, article)
    if says is None:
        before = read(previous) if before is None else before
        # "The Prime Minister urged ... He emphasised ...": a title the article gives the
        # speaker stands for them in the sentence before, as their name does.
        if slots.speaks(speaker, before, previous, article):
            return True
        return satisfied(speaker, previous, name_keys(previous)) and slots.subject(speaker, before)
    return says


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
    where a passage holds both or two passages that follow one another do."""
    before: dict[tuple[str, int], Span] = {}
    after: dict[tuple[str, int], Span] = {}
    for passage in passages:
        spans = [_span(passage, s, e) for s, e in text_spans(passage)]
        for a, b in itertools.pairwise(spans):
            after[(a.source, a.start)] = b
            before[(b.source, b.start)] = a
    for last, first in across_passages(passages):
        a, b = _span(*last), _span(*first)
        before.setdefault((b.source, b.start), a)
        after.setdefault((a.source, a.start), b)
    keys = before.keys() | after.keys()
    return {k: Neighbours(before.get(k), after.get(k)) for k in keys}


def _span(passage: Passage, start: int, end: int) -> Span:
    """The sentence at passage offsets `start:end`, at its article offsets."""
    return Span(passage.source, passage.start + start, passage.start + end, passage.text[start:end])


def support(
    asked: Asked,
    sentence: str,
    around: Neighbours,
    about: Sequence[str],
    article: str,
    weights: Mapping[str, float],
    proper: AbstractSet[str],
    found: Reading | None = None,
    after: Reading = (),
    before: Reading | None = None,
    antecedent: str | None = None,
    quoted_with: AbstractSet[str] = frozenset(),
) -> Support:
    """`about`: what places the sentence (its article's title and date); `article`: the
    retrieved text of its article, where a constraint counts half; `found`: what ingest
    read in the sentence, parsed now if None; `after`: in the sentence after it, read
    with it when it ends in a colon; `before`: in the sentence before it, parsed now if
    None and needed; `antecedent`: the sentence a pronoun of this one speaks for someone
    of, when not the one before (`before` is then its reading);
    `quoted_with`: terms it is judged with besides its own (those of the sentence it is
    quoted with, `scoring.candidate_sentences`)."""
    previous = around.previous.text if around.previous else ""
    following = around.following.text if around.following else ""
    window = " ".join([sentence, previous, following, *about])
    sentence_keys = name_keys(sentence)
    window_keys = name_keys(window)
    article_keys = name_keys(article)
    n = len(asked.constraints)
    in_window = 0.0
    in_sentence = 0
    here = read(sentence) if found is None else found
    for c in asked.constraints:
        if satisfied(c, sentence, sentence_keys) or _dated_in(c, asked, here):
            in_sentence += 1
            in_window += 1
        elif satisfied(c, window, window_keys) or _called_by_its_noun(
            c, asked.question, sentence, article
        ):
            in_window += 1
        elif satisfied(c, article, article_keys):
            in_window += ARTICLE_CREDIT
    # "...stating:" is answered by what follows the colon.
    colon = sentence.rstrip().endswith(":")
    filler = f"{sentence} {following}" if colon else sentence
    filled = here + (after or read(following)) if colon and following else here
    slot = not asked.slots or any(fills(s, filler, asked, proper, filled) for s in asked.slots)
    if slot and asked.slots[:1] == ("speech",) and asked.speaker is not None:
        said_before = previous if antecedent is None else antecedent
        slot = speaks(asked.speaker, sentence, said_before, here, article, before)
    topic = asked.topic
    # Topic words of the question that the sentences around someone's words hold.
    topic_around: list[str] = []
    if slot and asked.slots[:1] == ("speech",) and topic:
        # Words about a topic name it, or the sentences around them and the article's
        # title do ("... the fare increase." / "It means paying twice, the mayor said.").
        around_terms = set(terms(window))
        slot = slots.about(filled, topic) or bool(set(terms(" ".join(topic))) & around_terms)
        # Then they answer "what did X say about Y" also where only the sentence before
        # names Y ("The tunnel will open two years late. / The mayor said nobody would
        # lose their job over it"): those topic words count as held.
        if slot:
            topic_around = [
                t
                for t in asked.focus
                if asked.focus_lemmas.get(t, t) in topic and t in around_terms
            ]
    total = sum(weights.get(t, 0.0) for t in asked.focus)
    present = set(terms(sentence)) | quoted_with
    said = {lemma for notes in here for lemma in notes.lemmas}
    held = [t for t in asked.focus if t in present or asked.focus_lemmas.get(t, t) in said]
    held += [t for t in topic_around if t not in held]
    if total:
        focus = sum(weights.get(t, 0.0) for t in held) / total
    else:
        # A question that asks nothing beyond what it names ("What will happen to MF
        # Havørn?") is about those: a sentence that names them itself speaks of them, one
        # that borrows them from the sentences around it less so.
        focus = in_sentence / n if n else 1.0
    return Support(
        constraints=in_window / n if n else 1.0,
        constraints_in_sentence=in_sentence / n if n else 1.0,
        slot=slot,
        focus=focus,
    )


# The rest of a name after one of its words ("-Ashby", " Works"): capitalised words.
_NAME_REST = r"(?:[\s\-\u2013]+[A-Z][\w'\u2019]*)*"


def _called_by_its_noun(constraint: Constraint, question: str, sentence: str, article: str) -> bool:
    """Whether the sentence speaks of a named thing by its noun alone, as news does once it
    has named it: "the crossing" for the question's "the Elmby–Ashby crossing", where
    its article writes the name before that noun too."""
    if constraint.kind != "name" or not constraint.text:
        return False
    noun = _noun_after(constraint.text, question)
    if noun is None:
        return False
    name = re.escape(constraint.text)
    return (
        re.search(rf"\bthe\s+{noun}\b", sentence, re.IGNORECASE) is not None
        and re.search(rf"(?i:{name}){_NAME_REST}[\s\-\u2013]+{noun}\b", article) is not None
    )


@lru_cache(maxsize=1024)
def _noun_after(name: str, question: str) -> str | None:
    """The noun the question writes right after a name ("crossing" in "the Elmby–Ashby
    crossing"), once per question rather than per candidate sentence."""
    found = re.search(rf"(?i:{re.escape(name)}){_NAME_REST}[\s\-\u2013]+([a-z]+)\b", question)
    if found is None or found.group(1) in STOP_WORDS:
        return None
    return found.group(1)


def _dated_in(constraint: Constraint, asked: Asked, found: Reading) -> bool:
    """Whether a year the question asks about is the year the sentence speaks of in other
    words: "last year" in an article of 2023 is 2022, as ingest read it against the
    article's date. Every time the sentence names must lie in that year: "won on Sunday,
    outside the record set last year" is about this year's race, not last year's."""
    if constraint.kind != "number" or not any(notes.dates for notes in found):
        return False
    year = constraint.forms[0]
    asked_years = {
        d.first[:4] for d in parse_question(asked.question).dates if d.first[:4] == d.last[:4]
    }
    if year not in asked_years:
        return False  # a count, not the question's year
    first, last = f"{year}-01-01", f"{year}-12-31"
    # A figure compared with gives that year's too ("31 arrests over the weekend, compared
    # with 24 last year").
    compared = (d for notes in found for d in compared_dates(notes, sole=True))
    return any(first <= d.first and d.last <= last for d in compared) or all(
        first <= d.first and d.last <= last for notes in found for d in notes.dates
    )


# The answer score: how much of the question the sentence holds (its words, its passage's
# vector), scaled by whether it holds what is asked. Chosen on the dev splits
# (docs/abstention.md).
ANSWER_LEXICAL_WEIGHT = 0.7
# A sentence without a thing of the asked kind keeps this share of its score.
MISSING_SLOT_FACTOR = 0.3
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
    # How well it answers as a sentence to quote: the same, with the question's focus
    # weighing more; what a runner-up is compared on.
    choice: float
    # Its answer passes the relation checks (linked to what the question asks about).
    passes: bool = True
    # What ingest read in the sentence (service/evidence/reading.py).
    found: Reading = ()
    # Which sentence leads the answer: the choice, lowered when the sentence does not link
    # its answer to the question's verb.
    lead: float = 0.0
    # Its article's date, when it names a holder of the role a present-tense question asks
    # about ("who is the race director now").
    current: date | None = None


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


# How many sentences back a pronoun is followed, through sentences that speak of a person
# only by a pronoun, to the one that names them.
PRONOUN_CHAIN = 2


def _antecedent(
    previous: Span, around: Mapping[tuple[str, int], Neighbours], passages: Sequence[P]
) -> tuple[Span, Reading]:
    """The sentence a pronoun's person is named in, and its reading: the sentence before,
    or, while that names no person and speaks of one by a pronoun ("Ida Lind was first
    elected in 2019. During her first term ... In her victory speech she promised ..."),
    the one before it."""
    span = previous
    for _ in range(PRONOUN_CHAIN):
        found = _read(span, passages)
        names = any(e.label == "PERSON" for notes in found for e in notes.entities)
        pronoun = any(lemma in lexicon.PERSON_FORMS for notes in found for lemma in notes.lemmas)
        earlier = around.get((span.source, span.start))
        if names or not pronoun or earlier is None or earlier.previous is None:
            return span, found
        span = earlier.previous
    return span, _read(span, passages)


def holding(passages: Sequence[P], source: str, start: int, end: int) -> P | None:
    """The first passage that holds all of article text `start:end` of `source`."""
    return next(
        (
            p
            for p in passages
            if p.source == source and p.start <= start and end <= p.start + len(p.text)
        ),
        None,
    )


def _read(span: Span, passages: Sequence[P]) -> Reading:
    """What ingest read in a sentence, from a passage that holds it (every neighbour comes
    from one)."""
    holder = holding(passages, span.source, span.start, span.end)
    return read(span.text) if holder is None else reading(holder, span.start, span.end, span.text)


def rank_answers(
    query: QueryTerms, evidence: Sequence[Evidence[P]], passages: Sequence[P]
) -> Answers[P]:
    """The best `ANSWER_CANDIDATES` evidence sentences, re-scored by whether each holds
    what the question asks for."""
    texts = [p.text for p in passages]
    proper = proper_names(passages)
    asked = _unwritten(analyse(query.asked or query.text, proper, common_words(texts)), texts)
    around = neighbours(passages)
    articles: dict[str, list[str]] = {}
    for passage in passages:
        articles.setdefault(passage.source, []).append(passage.text)
    weights = query.weights or {}
    if not query.weights:
        weights = idf_weights(terms(query.text), [ev.terms for ev in evidence])
    parsed = parse_question(asked.question)
    measured = _measured(parsed, passages)
    # Articles about another thing of the asked kind (another award than "the painting
    # awards") hold no answer to it.
    elsewhere = other_subjects(parsed, passages, query.carried)
    candidates = []
    for ev in distinct_wordings(evidence, ANSWER_CANDIDATES):
        if ev.source in elsewhere:
            continue
        about = [ev.passage.title, *_date_words(ev.passage.published)]
        around_ev = around.get((ev.source, ev.start), Neighbours(None, None))
        sentence_reading = reading(ev.passage, ev.start, ev.end, ev.quote)
        following = around_ev.following
        after: Reading = ()
        if following is not None and ev.quote.rstrip().endswith(":"):
            after = reading(ev.passage, following.start, following.end, following.text)
        previous = around_ev.previous
        before = None
        antecedent = None
        if previous is not None and asked.speaker is not None:
            named, before = _antecedent(previous, around, passages)
            antecedent = named.text
        found = support(
            asked,
            ev.quote,
            around_ev,
            about,
            " ".join(articles[ev.source]),
            weights,
            proper,
            sentence_reading,
            after,
            before,
            antecedent,
            ev.terms,
        )
        if asked.attribute and asked.kind not in ev.terms:
            # "What is the capital of Australia?": a name in a sentence that does not
            # speak of a capital is not the one asked for.
            found = replace(found, slot=False)
        notes = _notes(ev)
        link, prefer = 1.0, 1.0
        current: date | None = None
        if notes is not None:
            beside = _passage_notes(ev)
            # Where the sentence opens its passage, the one before it in the article (from
            # the passage before) places it before the sentences after it do.
            earlier: Reading = ()
            if (
                previous is not None
                and previous.start < ev.passage.start
                and not any(n.start < notes.start for n in beside)
            ):
                earlier = _read(previous, passages)
            said = ev.passage.text[notes.start : notes.end]
            if conflict(parsed, notes, ev.passage.published, beside, earlier) is not None:
                continue  # another year, a former holder, a part for the whole, not yet
            if found.slot and parsed.types & TYPED_BY_NAME and not holds_type(parsed, notes, said):
                found = replace(found, slot=False)
            if measured is not None and not measures(measured, notes):
                # "What was the attendance?" where the articles give attendance as a number.
                found = replace(found, slot=False)
            # An answer the parse does not link to the question's role is less sure, and
            # one not linked to its verb is quoted after one that is.
            link, prefer = link_factors(parsed, notes, said, found.slot)
            if (
                parsed.present
                and found.constraints == 1.0
                and linked(parsed, notes, said) == ("role", "linked")
            ):
                current = published_day(ev.passage.published) or date.min
        choice = answer_score(ev, found, CHOICE_FOCUS_FLOOR) * link
        passes = link == 1.0
        score = answer_score(ev, found) * link
        candidates.append(
            Candidate(ev, found, score, choice, passes, sentence_reading, choice * prefer, current)
        )
    # "Who is the race director now?": of the sentences that name a holder of the role, the
    # latest article's leads; an earlier one names who held it then.
    candidates.sort(
        key=lambda c: (
            not c.passes,
            -(c.current or date.min).toordinal(),
            -c.lead,
            c.evidence.source,
            c.evidence.start,
        )
    )
    return Answers(asked, candidates, around, proper)


def distinct_wordings(evidence: Sequence[Evidence[P]], count: int) -> list[Evidence[P]]:
    """The evidence sentences of the best `count` different wordings, each wherever it
    is printed: a sentence that two articles print alike (a syndicated copy) takes one
    place of the window, does not push out the next different one, and is judged in
    each article (their dates differ)."""
    seen: set[str] = set()
    out: list[Evidence[P]] = []
    for ev in evidence:
        wording = fold_whitespace(ev.quote)
        if wording not in seen:
            if len(seen) == count:
                continue
            seen.add(wording)
        out.append(ev)
    return out


def _unwritten(asked: Asked, texts: Sequence[str]) -> Asked:
    """The question with a name of several words that no retrieved passage writes whole
    left unmet: where none writes "Northern", none is about "the Halloran Northern Award",
    whatever it says of "the Halloran Prize" (or of the north). Only names the parse reads
    as things (an award, an event, an organisation): a person's name is met by any of its
    words, since news names a person once in full, then by the surname."""
    things = {
        key
        for label, text in parse_question(asked.question).entities
        if label in lexicon.NAMES - {"PERSON"}
        for key in name_keys(text).words
    }
    named = [c for c in asked.constraints if c.kind == "name" and len(c.forms) > 1]
    if not any(set(c.forms) <= things for c in named):
        return asked
    # Each passage's keys, cached as passages recur; not a key of their joined text.
    written = frozenset().union(*(name_keys(text).keys for text in texts))
    constraints = tuple(
        replace(c, forms=())
        if c in named and set(c.forms) <= things and not set(c.forms) <= written
        else c
        for c in asked.constraints
    )
    return replace(asked, constraints=constraints)


def _measured(parsed: ParsedQuestion, passages: Sequence[Passage]) -> str | None:
    """The noun the question asks the amount of: the one "how long is the crossing?" asks
    the measure of (its wh-word asks for a number), or, where the wording names no kind of
    answer, one a retrieved sentence gives as a number (service/evidence/measures.py)."""
    if parsed.measured is not None:
        return parsed.measured
    noun = measured_noun(parsed)
    if noun is None:
        return None
    for passage in passages:
        stored = getattr(passage, "annotations", None)
        if stored and any(measures(noun, n) for n in decode(passage.text, stored).values()):
            return noun
    return None


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
    day = published_day(published)
    if day is None:
        return []
    return [f"{day.day} {MONTHS[day.month - 1].title()} {day.year}"]

"""Answer checks that read relations: what the parsed question (service/evidence/parsed.py)
requires of a sentence as ingest annotated it (service/evidence/annotate.py).

- type: the sentence holds an entity of an asked-for type that the question does not name;
- another time: a year or date of the question that the sentence contradicts (it places
  itself in another year and never in the asked one); an undated sentence is placed by the
  sentences before it in its passage, else by the rest of the passage, else by its
  article's own date (see `_another_time`, `_article_rules_out`); a day the article's date
  resolves ("on Thursday") dates the report, so beside a written year ("revenue for 2023")
  it does not place the fact (see `_fact_dates`); and a question of when something is
  still to come against a sentence whose times were all over by its article's date;
- another edition: a noun the question numbers with an ordinal ("the eighteenth festival")
  that the sentence numbers otherwise ("the sixteenth festival");
- a former holder: a present-tense question about a role ("who is the president of X")
  against a sentence whose every mention of that role is past ("the former president");
- a part for the whole: the question's result ("won the race") against a sentence whose
  same result is a part of it ("won the fifth stage", "the stage winner"), or the noun it
  asks about narrowed to a part ("revenue in the fourth quarter" for the year's);
- a whole for a part: the other way round ("who won the second stage" against "won the
  Tour");
- another kind: the question's result narrowed to one kind ("the men's race", "the
  national title") against a sentence whose same result is narrowed to others only ("the
  wheelchair race was won by", "won the state title");
- not yet: a past-tense question ("how many did it carry") against a sentence whose every
  use of the question's verb is in the future ("it will carry", "said it would carry", "when
  it enters service" under either), or against an article written before the time it asks
  about ("who won the 2024 race" of an article of 2023);
- another doer: a question whose verb a name does ("When will Aumann step down?") against
  a sentence where every use of that verb is done by another named one ("Brandsma, who
  announced that she would step down"; "Jones joined the club a year after Smith");
- another one: a thing the question says which one of by a name ("the Elmby quay")
  against a sentence that names another one of that kind ("the new quay in Ashby")
  and none of the question's names.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import lru_cache
from typing import Final, Literal, NamedTuple

from spacy.lang.en.stop_words import STOP_WORDS

from service.evidence import lexicon, ordinals
from service.evidence.annotate import (
    RELATIONS,
    SUBJECTS,
    DateRange,
    Entity,
    Notes,
    published_day,
    written_date,
)
from service.evidence.parsed import KIND_OF, OWNING, RESULTS, ParsedQuestion
from service.evidence.question import same_name
from service.evidence.spelling import american

Conflict = Literal[
    "another time",
    "another edition",
    "former holder",
    "part for whole",
    "whole for part",
    "another kind",
    "not yet",
    "another doer",
    "another one",
]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s\b")
# A number as a lemma ("36,900", "31.5").
NUMERAL = re.compile(r"^\d[\d.,]*$")
# Relations through which a modifier qualifies a noun.
_MODIFIES = frozenset({"amod", "compound", "advmod", "nmod"})
# How a name sits inside the noun a preposition governs ("at Northwood headquarters").
_NAMES_IN = frozenset({"compound", "nmod"})


def holds_type(parsed: ParsedQuestion, notes: Notes, sentence: str) -> bool:
    """Whether the sentence names something of an asked type the question does not."""
    if not parsed.types:
        return True
    asked = {w.casefold() for w in _WORD.findall(parsed.question)}
    # A name a preposition governs ("at Northwood headquarters") is a place whatever the
    # small model labels it.
    governed = {c for _, relation, c in notes.relations if relation not in RELATIONS}
    governed |= {c for h, relation, c in notes.relations if relation in _NAMES_IN and h in governed}
    # "Who" is answered by a person where the sentence speaks of people: an organisation
    # beside a person ("Captain Jones ... with the Acme Line") is not who is asked for.
    people = any(e.label == "PERSON" for e in notes.entities)
    # A name the question's noun titles ("senior Ukrainian official Rustem Umerov") is one
    # of what it asks for, whatever the recogniser labelled it.
    titled = {h for h, r, c in notes.relations if r in _TITLES and c == parsed.head}
    for entity in notes.entities:
        words = {w.casefold() for w in _WORD.findall(sentence[entity.start : entity.end])}
        if words & titled and entity.label in lexicon.NAMES and words - asked - {"the"}:
            return True
        if people and "PERSON" in parsed.types and entity.label in lexicon.PERSONISH - {"PERSON"}:
            continue
        placed = parsed.types <= lexicon.PLACES and entity.label in lexicon.NAMES
        acting = (
            "ORG" in parsed.types and entity.label in lexicon.PLACES and acts(entity, notes, parsed)
        )
        if entity.label not in parsed.types and not (placed and words & governed) and not acting:
            continue
        if words - asked - {"the"}:
            return True
    return False


# How a noun titles a name: "official Rustem Umerov", "Umerov, the official".
_TITLES: Final = frozenset({"compound", "appos"})


# How many relations apart an answer and what the question asks about may be: a role one
# ("Macron, the president", "President Macron") or two through a copula or a verb that
# gives the role ("Berg is the chair", "Berg will serve as chair"); a verb two
# ("Anna Berg won", "won by Anna Berg") or three ("was expected to travel ... in November").
LINK_HOPS: Final[dict[str, int]] = {"role": 2, "verb": 3}
# A clause that modifies a noun: "the ship, built in 1998", "Berg, who joined in 1992".
_NOUN_CLAUSES: Final = frozenset({"acl", "relcl"})
# How a verb takes the role it gives someone: "serve as chair", "elected chair".
_GIVES_ROLE: Final = frozenset({"as", "oprd"})


Link = Literal["linked", "unlinked", "elsewhere"]
Anchor = Literal["role", "verb"]


def _anchors(parsed: ParsedQuestion) -> tuple[Anchor, frozenset[str]] | None:
    """What the answer must be linked to: the role noun a "who is the X" question asks
    about (not a category such as "person"; "which vehicle" may be answered by "the car"),
    else the question's
    verb unless it is an auxiliary ("be", "have", "do") that says nothing by itself."""
    head = parsed.head
    if head is not None and parsed.wh in lexicon.ROLE_WH and head not in lexicon.CATEGORY_TYPES:
        return "role", frozenset({head})
    predicate = parsed.predicate
    if predicate is None or predicate.lemma in lexicon.AUXILIARIES:
        return None
    if predicate.lemma in lexicon.NAMING_VERBS and predicate.lemma not in parsed.supported:
        return None  # "What was her book called?" asks a name, however a sentence gives it
    return "verb", frozenset({predicate.lemma})


def linked(parsed: ParsedQuestion, notes: Notes, sentence: str) -> tuple[Anchor, Link] | None:
    """How an entity of the asked type that the question does not name stands to what the
    question asks about (its role noun, else its verb) in the sentence's parse: "linked"
    (the verb's subject or object, an apposition or a title beside the role), "unlinked"
    (not so, or the verb takes another object than the question's: "won 10" for "won the
    election"), or "elsewhere" when the sentence does not use that word at all. None when
    the question asks for no type or has no such word, or the sentence holds no such
    entity."""
    anchors = _anchors(parsed)
    if anchors is None or not parsed.types:
        return None
    kind, words = anchors
    asked = {w.casefold() for w in _WORD.findall(parsed.question)}
    candidates: set[str] = set()
    for entity in notes.entities:
        if entity.label not in parsed.types:
            continue
        # Without a possessive's "s", which the question's own possessive also writes.
        text = _POSSESSIVE.sub("", sentence[entity.start : entity.end].casefold())
        written = _WORD.findall(text)
        if entity.label == "PERSON" and written and written[-1] in asked:
            continue  # "Captain Erling Moen" is the question's "Moen"
        parts = set(written)
        if parts - asked - {"the"}:
            # Lemmas of numbers keep their commas ("41,200").
            candidates |= parts | set(text.split())
    if not candidates:
        return None
    # "Her deputy, Idris Fenwick, will serve as acting mayor": the noun a name is in
    # apposition to stands where the name would.
    candidates |= {h for h, r, c in notes.relations if r == "appos" and c in candidates}
    verb = kind == "verb"
    forms = _forms(notes, words, derived=verb, particle=_particle(parsed) if verb else None)
    if kind == "role" and not _qualified(forms, parsed.qualifiers, notes.relations):
        forms = set()  # "Chief Secretary" is not the defence secretary asked about
    if not forms:
        return kind, "elsewhere"
    if kind == "verb" and _another_object(parsed, forms, candidates, notes.relations):
        return kind, "unlinked"  # "the Greens won 10" is not who won the election
    edges: dict[str, set[str]] = {}
    # Nouns the question's verb modifies as a clause: reached, not passed through.
    ends: set[str] = set()
    for head, relation, child in notes.relations:
        if verb and relation in _NOUN_CLAUSES:
            # "MF Elm, built in 1998, will stay on the Ashby crossing": the ship is what
            # was built, but where it stays is not where it was built; and "Berg, who
            # joined in 1992, won" does not date the win.
            if child in forms:
                edges.setdefault(child, set()).add(head)
                ends.add(head)
            continue
        edges.setdefault(head, set()).add(child)
        edges.setdefault(child, set()).add(head)
    reached = set(forms)
    frontier = set(forms)
    # A role reaches on only through a copula ("Berg is the chair") or a verb that gives
    # it as what someone is ("Berg will serve as chair", "named Berg its chair", "was
    # elected chair"): "the minister met Morel" does not make Morel the minister.
    giving = (
        lexicon.COPULAS | {h for h, r, c in notes.relations if c in forms and r in _GIVES_ROLE}
        if kind == "role"
        else frozenset()
    )
    for _ in range(LINK_HOPS[kind]):
        frontier = {n for f in frontier - ends for n in edges.get(f, ())} - reached
        reached |= frontier
        if kind == "role":
            frontier &= giving
    return kind, "linked" if reached & candidates else "unlinked"


def _another_object(
    parsed: ParsedQuestion,
    forms: set[str],
    candidates: set[str],
    relations: Iterable[tuple[str, str, str]],
) -> bool:
    """Whether the sentence's verb takes objects, none of them the question's object or
    the answer: "won 10" or "won the mayoralty" for "won the election"."""
    predicate = parsed.predicate
    wanted = {a for r, a in predicate.arguments if r == "dobj"} if predicate else set()
    wanted -= lexicon.HOW_MEASURES  # "how many did he sell" names no object
    relations = tuple(relations)
    objects = {c for h, r, c in relations if h in forms and r == "dobj"}
    objects |= {c for h, r, c in relations if h in objects and r == "conj"}  # "cars and people"
    return bool(wanted and objects and not objects & (wanted | candidates))


# The shares a sentence keeps when its answer is not linked to what the question asks
# about: of its answer score (the confidence abstention compares) and of its lead (which
# sentence the answer quotes first). Chosen on the dev splits (docs/quality.md). A role
# the sentence does not give its answer ("who is the defence minister" against a sentence
# naming no minister) is all but a refusal. A verb's link only decides between
# candidates: the sentence that makes its answer the verb's subject or object ("designed
# by Strand & Lie") is quoted before one that merely shares the question's other words; it
# does not lower the confidence, because a right answer often says the verb another way
# ("attended" for "joined"), which the link does not read.
LINK_FACTORS: Final[dict[tuple[Anchor, Link], tuple[float, float]]] = {
    ("role", "unlinked"): (0.4, 0.4),
    ("role", "elsewhere"): (0.4, 0.4),
    ("verb", "unlinked"): (1.0, 0.5),
    ("verb", "elsewhere"): (1.0, 0.5),
}


def _qualified(
    roles: set[str], qualifiers: frozenset[str], relations: Iterable[tuple[str, str, str]]
) -> bool:
    """Whether the sentence's role carries every qualifier of the asked one: "Defence
    Secretary", "secretary for defence", "the defence secretary"."""
    if not qualifiers:
        return True
    held = {american(child) for head, _, child in relations if head in roles}
    return all(any(_qualifies(american(q), h) for h in held) for q in qualifiers)


# Endings that make an adjective of a noun: "regional", "presidential", "Elmish".
_ADJECTIVE_ENDINGS: Final = ("al", "ial", "an", "ian", "ic", "ish", "ese", "ary")


def _qualifies(qualifier: str, word: str) -> bool:
    """Whether `word` qualifies a role as `qualifier` does: the same word, or the noun an
    adjective is made from ("the regional winner", "the winner for the Elm region")."""
    stem = word.removesuffix("e")
    return qualifier == word or (
        len(stem) >= 4
        and qualifier.startswith(stem)
        and qualifier[len(stem) :] in _ADJECTIVE_ENDINGS
    )


def link_factors(
    parsed: ParsedQuestion, notes: Notes, sentence: str, filled: bool = True
) -> tuple[float, float]:
    """The shares of its answer score and of its lead the sentence keeps, by how its
    answer is linked to what the question asks about (`LINK_FACTORS`). `filled`: the
    sentence holds a thing of the asked kind; where it does not, what the recogniser
    labelled the asked type ("the first half" of a course, a DATE) links nothing to the
    question's verb."""
    found = linked(parsed, notes, sentence)
    if found is not None and (filled or found[0] != "verb"):
        return LINK_FACTORS.get(found, (1.0, 1.0))
    anchors = _anchors(parsed)
    if anchors is None or anchors[0] != "verb":
        return 1.0, 1.0
    if not parsed.types:
        # "What did he ask the company for?" names no kind of answer: a sentence that
        # does not use its verb is quoted after one that does. Verbs of saying stand
        # for one another ("said", "told", "added"). A yes-or-no question is answered by
        # what was said or done, in whatever words.
        verb = next(iter(anchors[1]))
        saying = verb in lexicon.REPORTING and bool(set(notes.lemmas) & lexicon.REPORTING)
        if (
            parsed.wh is None
            or saying
            or _forms(notes, (verb,), derived=True, particle=_particle(parsed))
        ):
            return 1.0, 1.0
        return LINK_FACTORS[("verb", "elsewhere")]
    # A sentence with no answer of the asked type links none to the verb either.
    return LINK_FACTORS[("verb", "unlinked")]


# How far after its verb a phrasal verb's particle may stand: "took over", "took the
# company over".
PARTICLE_WITHIN: Final = 4


def _particle(parsed: ParsedQuestion) -> str | None:
    return parsed.predicate.particle if parsed.predicate is not None else None


def _forms(
    notes: Notes, words: Iterable[str], *, derived: bool, particle: str | None = None
) -> set[str]:
    """The sentence's lemmas that are one of `words` in either spelling, or with `derived`
    a word made from one ("winner" for "win", "attendance" for "attend"). With the
    `particle` of a phrasal verb, only a use of the verb that has it after it, or a word
    made of both ("takeover"): "took the ferry" is not "took over"."""
    words = tuple(words)
    spelled = {american(w) for w in words}
    lemmas = notes.lemmas

    def one_of(lemma: str) -> bool:
        return american(lemma) in spelled or (
            derived and any(len(w) >= 3 and lemma.startswith(w) for w in words)
        )

    def with_particle(i: int, lemma: str) -> bool:
        return (
            particle is None
            or lemma.endswith(particle)
            or particle in lemmas[i + 1 : i + 1 + PARTICLE_WITHIN]
        )

    return {lemma for i, lemma in enumerate(lemmas) if one_of(lemma) and with_particle(i, lemma)}


def _overlaps(a: DateRange, first: str, last: str) -> bool:
    return a.first <= last and first <= a.last


# A sentence that names no time reports something from up to this long before its article:
# the results of a year come out early in the next; by its second half, what a sentence
# reports undated is that year's ("named Teacher of the Year" in November).
RECENT: Final = timedelta(days=183)


def conflict(
    parsed: ParsedQuestion,
    notes: Notes,
    published: str | None = None,
    passage: Iterable[Notes] = (),
    before: Iterable[Notes] = (),
) -> Conflict | None:
    """The first way the sentence contradicts the question, if any. `published`: its
    article's date (ISO); `passage`: the other sentences of its passage; `before`: the
    sentence before it in the article where that is outside its passage (it opens it)."""
    passage, before = tuple(passage), tuple(before)
    if (
        (
            parsed.dates
            and _another_time(
                parsed.dates, notes, _fact_dates(parsed, notes), published, passage, parsed, before
            )
        )
        or _already(parsed, notes, published)
        or _another_weekday(parsed, notes)
    ):
        return "another time"
    if _another_edition(parsed, notes, before + passage):
        return "another edition"
    if _former(parsed, notes):
        return "former holder"
    if _part(parsed, notes.relations):
        return "part for whole"
    if _whole(parsed, notes.relations):
        return "whole for part"
    if _another_kind(parsed, notes):
        return "another kind"
    if _not_yet(parsed, notes) or _after_article(parsed, published):
        return "not yet"
    if _another_doer(parsed, notes):
        return "another doer"
    if (
        _another_one(parsed, notes)
        or _another_owner(parsed, notes)
        or _another_age(parsed, notes)
        or _another_persons(parsed, notes)
        or _anothers_own(parsed, notes)
    ):
        return "another one"
    return None


# The oldest age an apposition gives ("Berg, 58,"); a larger number beside a name is
# something else.
_OLDEST: Final = 129


def _another_age(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether "How old is X?" meets a sentence that gives the age of someone else only:
    news writes an age in apposition to the name ("Berg, 47, will take over from Anna
    Lund"), so an age beside another name is that one's. A sentence that says "the
    58-year-old" gives an age of no name and is not ruled out."""
    if parsed.wh != "how" or lexicon.AGE not in parsed.lemmas:
        return False
    asked = {
        w
        for label, text in parsed.entities
        if label in lexicon.NAMES
        for w in _WORD.findall(text.casefold())
    }
    if not asked or any("year-old" in lemma for lemma in notes.lemmas):
        return False
    given = {
        head
        for head, relation, child in notes.relations
        if relation == "appos" and child.isdigit() and 0 < int(child) <= _OLDEST
    }
    return bool(given) and not given & asked


def _another_persons(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether a question that asks something of a person by a possessive ("What was
    Haile's time at halfway?") meets a sentence that never names that person and has
    another named person do what it tells ("Aron Chebet led at halfway in 1:03:58"): it
    gives that one's. Not the speaker of a report."""
    if not parsed.possessors or parsed.possessors & set(notes.lemmas):
        return False
    people = _person_words(notes)
    if parsed.possessors & people:
        return False
    return any(
        r in SUBJECTS and c in people and h not in lexicon.REPORTING for h, r, c in notes.relations
    )


def _anothers_own(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether a question that asks for a name belonging to a person it names ("Which team
    does Bo Ek ride for?") meets a sentence whose every new name of the asked kind is
    written as another person's ("Ida Lind of Team Elm won the stage, beating Bo Ek"): "X
    of Y" gives X's Y."""
    asked = {
        w.casefold()
        for label, text in parsed.entities
        if label == "PERSON"
        for w in _WORD.findall(text)
    }
    if not asked or not parsed.types or "PERSON" in parsed.types:
        return False  # "Who ...?" is answered by the person, not by what is theirs
    people = _person_words(notes)
    question = set(_WORD.findall(parsed.question.casefold()))
    found = [
        {w.casefold() for w in _WORD.findall(e.text)}
        for e in notes.entities
        if e.label in parsed.types and e.label != "PERSON"
    ]
    found = [words for words in found if words - question]
    # The noun an "of" phrase ends in, and the words compounded onto it ("the Elm team").
    parts = {h: {h} for h, _, _ in notes.relations}
    for h, r, c in notes.relations:
        if r in ("compound", "amod"):
            parts.setdefault(h, {h}).add(c)
    # "Which team": the names that are teams ("Team Elm", "the Elm team"), where any is.
    kind = parsed.head
    if kind is not None:
        of_kind = [
            words
            for words in found
            if kind in words
            or any(kind in parts.get(w, ()) or w in parts.get(kind, ()) for w in words)
        ]
        found = of_kind or found
    if not found:
        return False

    def owners(words: set[str]) -> set[str]:
        return {
            h
            for h, r, c in notes.relations
            if r == "of" and h in people and (c in words or parts.get(c, {c}) & words)
        }

    owned = [owners(words) for words in found]
    return all(o and not o & asked for o in owned)


def _another_owner(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether the sentence gives the role the question asks the holder of, and belongs
    to a place or people ("Elmland's defence minister"), only as another one's: "Ashland's
    Defence Minister Morel", "the Ashish defence minister". A role the sentence gives to no
    one may be the asked one."""
    if not parsed.owners or parsed.head is None:
        return False
    places = {
        w for e in notes.entities if e.label in OWNING for w in _WORD.findall(e.text.casefold())
    }
    given = {
        c
        for h, r, c in notes.relations
        if h == parsed.head and r in ("poss", "amod", "compound", "of") and c in places
    }
    return bool(given) and not any(same_name(o, g) for o in parsed.owners for g in given)


# How a noun takes a name that says which one it is: "the Ashby quay", "the quay in
# Ashby".
_PINNED_BY: Final = frozenset({"compound", "amod", "nmod"}) | lexicon.LOCATIVE


@lru_cache(maxsize=1024)
def _pinned(parsed: ParsedQuestion) -> tuple[frozenset[str], frozenset[str]]:
    """The words of the question's names, and the nouns a name of it says which one of,
    read once per question rather than per candidate sentence."""
    asked = frozenset(w for _, text in parsed.entities for w in _WORD.findall(text.casefold()))
    # The name written right before its noun ("the Elmby quay"): the parse alone may
    # join a name to a word further off.
    words = _WORD.findall(parsed.question.casefold())
    after = {words[i + 1] for i in range(len(words) - 1) if words[i] in asked}
    pinned = frozenset(
        noun
        for noun, modifier in parsed.modifiers
        if modifier in asked and any(w.startswith(noun) for w in after)
    )
    return asked, pinned


def _another_one(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether the sentence speaks of another thing of a kind the question says which one
    of by a name: "the new quay in Ashby" or "the Ashby quay" for "the Elmby quay".
    Only where the sentence writes no word of the question's names: "the quay" alone may
    be the asked one."""
    asked, pinned = _pinned(parsed)
    lemmas = set(notes.lemmas)
    if not pinned & lemmas or asked & lemmas:
        return False
    # A name a number counts is a unit ("NOK 2.3 million"), not which one.
    units = {h for h, r, _ in notes.relations if r == "nummod"}
    names = {
        w
        for e in notes.entities
        if e.label in lexicon.NAMES
        for w in _WORD.findall(e.text.casefold())
    } - units
    for noun in pinned & lemmas:
        own = {c for h, r, c in notes.relations if h == noun and r in _PINNED_BY}
        # "docked at the new quay in Ashby": the place beside it on the verb it hangs from.
        verbs = {h for h, _, c in notes.relations if c == noun}
        beside = {c for h, r, c in notes.relations if h in verbs and r in lexicon.LOCATIVE}
        if (own | beside) & names:
            return True
    return False


def _fact_dates(parsed: ParsedQuestion, notes: Notes) -> Notes:
    """The sentence with only the dates that place what the question asks about.

    A date of the figure a sentence compares with ("up from 366 million euros in 2022",
    "down from 44.5 per cent four years ago") places that figure, not the sentence's own.
    And news dates its report by a day the reader resolves from the article's date ("said
    on Thursday"); that day does not place the fact a written year places ("reported
    revenue for 2023 on Thursday", "won the 2021 race, her coach said on Sunday"). A day
    counts unless it hangs from a verb of saying, or from the verb the written year hangs
    from, and it always counts on the question's own verb ("what did it announce on
    Thursday"). A year of another clause ("presented on Wednesday, ... founded in 1987")
    leaves it."""
    verb = parsed.predicate.lemma if parsed.predicate is not None else None
    return _placing(verb, parsed.lemmas, notes)


# A passage's sentences are read once per candidate of it: once per question is enough.
@lru_cache(maxsize=8192)
def _placing(asked: str | None, lemmas: frozenset[str], notes: Notes) -> Notes:
    written = {(e.start, e.end): e.text for e in notes.entities}
    graph = _graph(notes.relations)
    dated = []
    for d in notes.dates:
        text = written.get((d.start, d.end), "")
        owned = _possessed(text, graph)
        if owned is not None and owned not in lemmas and _names_someone(owned, notes):
            # "from last year's winner, Bo Ek": the time of the winner, not of the
            # sentence's fact, unless the winner is what the question asks about. An
            # event's time places the fact ("re-elected in Thursday's election").
            continue
        verb = _verb_of(text, graph)
        # A relative clause tells its noun's story, at that story's time: "Farrow, who won
        # the prize a year ago, presented it" is not placed a year ago, unless the question
        # asks what the clause tells ("who won it a year ago"). So does a participle's
        # ("the boat, built by a yard founded three years ago").
        if _compared(text, graph) or (verb in graph.described and verb != asked):
            continue
        dated.append((d, text, verb))
    placed = {verb for _, text, verb in dated if written_date(text)[0] is not None}
    if placed:

        def report_day(d: DateRange, text: str, verb: str | None) -> bool:
            if d.first != d.last or any(part is not None for part in written_date(text)):
                return False
            return verb != asked and (verb in lexicon.REPORTING or verb in placed)

        dated = [(d, text, verb) for d, text, verb in dated if not report_day(d, text, verb)]
    if len(dated) == len(notes.dates):
        return notes
    return notes._replace(dates=tuple(d for d, _, _ in dated))


class _Graph(NamedTuple):
    """A sentence's stored relations, read to climb from a phrase to what it hangs from."""

    # Each lemma's heads and relations, in the sentence's order: a lemma that occurs more
    # than once has several ("Fourth-quarter revenue ... in the same quarter of 2023").
    ups: dict[str, tuple[tuple[str, str], ...]]
    # Lemmas that head a clause's relations: the verbs.
    verbs: frozenset[str]
    # Verbs of relative and participial clauses ("the man who won", "the record Keter
    # set", "a company founded in 1987"): a clause's verb even with no subject or object.
    described: frozenset[str]
    # Nouns with a number ("366 million euros") and the objects of a comparison.
    counted: frozenset[str]
    compared: frozenset[str]


# The answer checks read a candidate's graph more than once (its fact's dates, its
# compared figures, once for the time and once for the year it meets).
@lru_cache(maxsize=8192)
def _graph(relations: tuple[tuple[str, str, str], ...]) -> _Graph:
    ups: dict[str, tuple[tuple[str, str], ...]] = {}
    verbs, described, counted, compared = set(), set(), set(), set()
    for head, relation, child in relations:
        ups[child] = (*ups.get(child, ()), (head, relation))
        if relation in _CLAUSE:
            verbs.add(head)
        if relation in ("relcl", "acl"):
            described.add(child)
        if relation == "nummod":
            counted.add(head)
        if relation in _COMPARED:
            compared.add(child)
    return _Graph(
        ups, frozenset(verbs), frozenset(described), frozenset(counted), frozenset(compared)
    )


def _path(word: str, graph: _Graph) -> Iterator[tuple[str, str]]:
    """The heads above `word`, with the relation to each, at most `_CLIMB` of them (the
    first place a lemma stands, where it stands twice)."""
    for _ in range(_CLIMB):
        steps = graph.ups.get(word)
        if not steps:
            return
        yield steps[0]
        word = steps[0][0]


# The prepositions of a comparison: "up from 366 million euros", "more than in 2019".
_COMPARED: Final = frozenset({"from", "than"})
# The verb a comparison's figure hangs from: "31 arrests, compared with 24 last year".
_COMPARING: Final = frozenset({"compare"})
# What ends a span of time: "from 2019 to 2022" is no comparison.
_UNTIL: Final = frozenset({"to", "until", "till", "through"})


def _compared(text: str, graph: _Graph) -> bool:
    """Whether a date hangs from the figure a comparison names ("from 366 million euros
    in 2022") or from the comparison itself ("down from 44.5 per cent four years ago")."""
    own = set(_WORD.findall(text.casefold()))
    for word in own:
        # Every place the word stands, since the phrase may repeat a word of the sentence.
        for first in graph.ups.get(word, ()):
            for head, relation in (first, *_path(first[0], graph)):
                if head in own or relation in _UNTIL:
                    break
                if head in _COMPARED or head in _COMPARING:
                    return True
                if head in graph.compared and (head in graph.counted or NUMERAL.match(head)):
                    return True
    return False


# Relations that a verb heads: what tells a verb from a noun among stored lemmas.
_CLAUSE = frozenset({"nsubj", "nsubjpass", "dobj", "ccomp", "xcomp", "advcl", "aux", "agent"})
# Steps from a word up to its clause's verb: a date sits at most a few nouns below it.
_CLIMB = 4


def _possessed(text: str, graph: _Graph) -> str | None:
    """The noun a time is the possessor of ("last year's winner" -> "winner")."""
    own = set(_WORD.findall(text.casefold()))
    for word in own:
        for head, relation in graph.ups.get(word, ()):
            if relation == "poss" and head not in own:
                return head
    return None


def _person_words(notes: Notes) -> set[str]:
    """The words of the people the sentence names, case-folded."""
    return {
        w.casefold() for e in notes.entities if e.label == "PERSON" for w in _WORD.findall(e.text)
    }


def _names_someone(noun: str, notes: Notes) -> bool:
    """Whether a noun stands for a named person: one in apposition to it ("last year's
    winner, Bo Ek")."""
    people = _person_words(notes)
    return any(h == noun and r == "appos" and c in people for h, r, c in notes.relations)


def _verb_of(text: str, graph: _Graph) -> str | None:
    """The verb a phrase of the sentence hangs from ("the 2023 race" -> "win")."""
    own = set(_WORD.findall(text.casefold()))
    for word in own:
        for head, _ in _path(word, graph):
            if head not in own and (head in graph.verbs or head in graph.described):
                return head
    return None


def _another_time(
    asked: tuple[DateRange, ...],
    written: Notes,
    notes: Notes,
    published: str | None,
    passage: tuple[Notes, ...],
    parsed: ParsedQuestion,
    before: tuple[Notes, ...] = (),
) -> bool:
    """`written`: the sentence with all its dates; `notes`: with those that place its fact;
    `before`: the sentence before it from outside its passage."""
    if _meets(compared_dates(written, sole=bool(notes.dates)), asked):
        return False  # "up from 35,200 last year" gives last year's figure too
    if notes.dates:
        return not _meets(notes.dates, asked)
    # Undated, the sentence goes on at the time the sentences before it placed their facts
    # in ("reported revenue for 2023 ... Revenue in the fourth quarter was ..."), else at
    # its passage's, else at its article's. What lies after the article's date is a plan
    # or a forecast, not when a reported fact happened.
    day = published_day(published)

    def placing(sentences: Iterable[Notes]) -> list[DateRange]:
        return [
            d
            for n in sentences
            for d in _fact_dates(parsed, n).dates
            if day is None or d.first <= day.isoformat()
        ]

    earlier = before + tuple(n for n in passage if n.start < written.start)
    around = placing(earlier) or placing(before + passage)
    if around:
        return not _meets(around, asked)
    return _article_rules_out(asked, notes, published)


def _another_weekday(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether the question names a day of the week ("the Sunday night") and every day of
    the week that places the sentence's fact is another ("The Saturday night headliner"):
    a question without a date of its own cannot resolve its weekday to compare the dates."""
    asked = parsed.lemmas & set(lexicon.WEEKDAYS)
    if not asked:
        return False
    written = {(e.start, e.end): e.text for e in notes.entities}
    graph = _graph(notes.relations)
    verb = parsed.predicate.lemma if parsed.predicate is not None else None
    named: set[str] = set()
    for d in _fact_dates(parsed, notes).dates:
        text = written.get((d.start, d.end), "")
        said = _verb_of(text, graph)
        if said in lexicon.REPORTING and said != verb:
            continue  # the day of the report ("the organisers said on Monday")
        named |= {w for w in _WORD.findall(text.casefold()) if w in lexicon.WEEKDAYS}
    return bool(named) and not named & asked


def _already(parsed: ParsedQuestion, notes: Notes, published: str | None) -> bool:
    """Whether a question of when something is still to come ("When is he expected to go
    to Washington?") meets a sentence whose every time that places its fact was over by
    its article's date ("Last month, a deal was expected to be signed")."""
    day = published_day(published)
    if day is None or not parsed.ahead or not parsed.types & lexicon.TIMES:
        return False
    dates = _fact_dates(parsed, notes).dates
    return bool(dates) and all(d.last < day.isoformat() for d in dates)


def _meets(dates: Iterable[DateRange], asked: Iterable[DateRange]) -> bool:
    """Whether any of the dates overlaps any asked one."""
    asked = tuple(asked)
    return any(_overlaps(d, q.first, q.last) for d in dates for q in asked)


def compared_dates(notes: Notes, *, sole: bool = False) -> list[DateRange]:
    """The dates of the figures a sentence compares with ("up from 35,200 last year").
    With `sole`, only where the sentence gives one figure besides: "31 arrests over the
    weekend, compared with 24 last year" gives last year's arrests, while in "61,750
    visitors, down from 64,300 last year, and 432 exhibitors" last year's figure need not
    be of what is asked."""
    written = {(e.start, e.end): e.text for e in notes.entities}
    graph = _graph(notes.relations)
    if sole:
        figures = [
            e
            for e in notes.entities
            if e.label in lexicon.QUANTITIES
            and not _compared(e.text, graph)
            and not _after_from(e.text, graph)
        ]
        if len(figures) > 1:
            return []
    return [d for d in notes.dates if _compared(written.get((d.start, d.end), ""), graph)]


def _after_from(text: str, graph: _Graph) -> bool:
    """Whether a figure is what a comparison starts from: "up from 120 last year"."""
    own = set(_WORD.findall(text.casefold()))
    return any(
        relation in _COMPARED and head not in own
        for word in own
        for head, relation in graph.ups.get(word, ())
    )


def _article_rules_out(asked: Iterable[DateRange], notes: Notes, published: str | None) -> bool:
    """Whether an undated sentence, read at its article's date, cannot be about the asked
    time: news reports what happened up to about half a year before it (an article early
    in a year still reports the year before), and speaks of what comes after it only with a
    modal ("will", "could")."""
    day = published_day(published)
    if day is None:
        return False
    asked = list(asked)
    first = min(q.first for q in asked)
    last = max(q.last for q in asked)
    if last < (day - RECENT).isoformat():
        return True
    return first > day.isoformat() and not set(notes.lemmas) & lexicon.MODALS


def _another_edition(parsed: ParsedQuestion, notes: Notes, passage: Iterable[Notes]) -> bool:
    """Whether the sentence numbers a noun the question numbers, and never as the question
    does: "the sixteenth festival" for "the eighteenth festival", "the fourth quarter" for
    "the second quarter". A sentence that does not number it speaks of the one its passage
    numbers ("attendance rose" below "the fifteenth festival"). A place after the first
    ("who came second") is one the sentence must give."""
    if not parsed.numbered:
        return False
    said = set(ordinals.numbered(notes.relations, notes.lemmas))
    # A place is the sentence's own: the passage's second place is someone else's.
    unsaid = {noun for noun, _ in parsed.numbered} - {noun for noun, _ in said} - {ordinals.PLACE}
    if unsaid:
        said |= {
            pair
            for n in passage
            for pair in ordinals.numbered(n.relations, n.lemmas)
            if pair[0] in unsaid
        }
    for noun, number in parsed.numbered:
        numbers = {n for held, n in said if held == noun}
        if numbers and number not in numbers:
            return True
        if noun == ordinals.PLACE and number > 1 and not numbers:
            return True  # "Who came second?" is not answered by who won
    return False


def _former(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether a question of who holds a role now, or will ("Who will be the next deputy
    mayor?"), meets a sentence that gives the role only as one held before: "the former
    president", "the outgoing deputy mayor"."""
    role = parsed.head
    if role is None or not (parsed.present or parsed.ahead):
        return False
    if any((role, m) in parsed.modifiers for m in lexicon.PAST_ROLE):
        return False  # "who is the former president" asks for one
    mentions = sum(1 for lemma in notes.lemmas if lemma == role)
    past = sum(
        1
        for head, relation, child in notes.relations
        if head == role and relation in _MODIFIES and child in lexicon.PAST_ROLE
    )
    # "the ex-president": the tokenizer splits the prefix off and the parser does not
    # attach it, but it still stands right before the role.
    prefixed = sum(
        1
        for before, lemma in itertools.pairwise(notes.lemmas)
        if lemma == role and before in lexicon.PAST_ROLE
    )
    return mentions > 0 and max(past, prefixed) >= mentions


def _part(parsed: ParsedQuestion, relations: Iterable[tuple[str, str, str]]) -> bool:
    predicate = parsed.predicate
    if predicate is None or parsed.lemmas & lexicon.PARTS:
        return False
    noun = parsed.head
    if noun is not None and any(
        head == noun
        and child in lexicon.PARTS
        and (relation in _MODIFIES or relation not in RELATIONS)
        for head, relation, child in relations
    ):
        return True  # "revenue in the fourth quarter", "fourth-quarter revenue" for the year's
    verb = predicate.lemma
    wholes = {lemma for relation, lemma in predicate.arguments if relation in RESULTS}
    if not wholes:
        return False
    for head, relation, child in relations:
        if child not in lexicon.PARTS:
            continue
        # "won the fifth stage" for "won the race"; "the stage winner" for "who won".
        if head == verb and relation in RESULTS:
            return True
        if head != verb and head.startswith(verb) and relation in _MODIFIES:
            return True
    return False


def _whole(parsed: ParsedQuestion, relations: Iterable[tuple[str, str, str]]) -> bool:
    """Whether the question asks for a part's result ("who won the second stage") and the
    sentence gives its verb only other results, none a part ("won the Tour on Sunday").
    A pronoun result ("the stage, which was won by") may be the part."""
    predicate = parsed.predicate
    if predicate is None:
        return False
    asked = {lemma for relation, lemma in predicate.arguments if relation in RESULTS}
    if not asked & lexicon.PARTS:
        return False
    results = {
        child
        for head, relation, child in relations
        if head == predicate.lemma and relation in RESULTS and child not in STOP_WORDS
    }
    return bool(results) and not results & lexicon.PARTS


def _another_kind(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether the question's verb has the result the question asks about in the sentence,
    narrowed to other kinds only: "the wheelchair race was won by" or "won the women's
    race" for "who won the men's race". A name is no kind ("the Boston race")."""
    predicate = parsed.predicate
    if predicate is None or not parsed.kinds:
        return False
    # What the verb's result is, or where it happened: "In the women's race Ferrante won".
    results = {
        c
        for h, r, c in notes.relations
        if h == predicate.lemma and (r in RESULTS or r in lexicon.LOCATIVE)
    }
    nouns = {noun for noun, _ in parsed.kinds} & results
    if not nouns:
        return False
    named = {w for e in notes.entities for w in _WORD.findall(e.text.casefold())}
    for noun in nouns:
        asked = {kind for n, kind in parsed.kinds if n == noun}
        said = {
            c
            for h, r, c in notes.relations
            if h == noun and r in KIND_OF and c not in named and not NUMERAL.match(c)
        }
        if said and not said & asked:
            return True
    return False


def _after_article(parsed: ParsedQuestion, published: str | None) -> bool:
    """Whether a past-tense question asks about a time that began after the article was
    written ("who won the 2024 race" of an article of 2023, whatever it plans for 2024)."""
    day = published_day(published)
    if day is None or not parsed.past or not parsed.dates:
        return False
    return all(q.first > day.isoformat() for q in parsed.dates)


def _not_yet(parsed: ParsedQuestion, notes: Notes) -> bool:
    predicate = parsed.predicate
    if predicate is None or not parsed.past or predicate.lemma in lexicon.AUXILIARIES:
        return False
    verb = predicate.lemma
    mentions = sum(1 for lemma in notes.lemmas if lemma == verb)
    ahead = {
        head
        for head, relation, child in notes.relations
        if relation == "aux" and child in lexicon.AHEAD
    }
    # The verb itself carries "will", or it is said of a time the clause it qualifies
    # places ahead ("the company would look again when the ferry enters service").
    future = sum(
        1
        for head, relation, child in notes.relations
        if (head == verb and relation == "aux" and child in lexicon.AHEAD)
        or (child == verb and relation == "advcl" and head in ahead)
    )
    return mentions > 0 and future >= mentions


def acts(entity: Entity, notes: Notes, parsed: ParsedQuestion) -> bool:
    """Whether the entity's head word does what the question asks about: the subject of
    its verb, or the agent of that verb in the passive ("approved by Elm County")."""
    predicate = parsed.predicate
    if predicate is None or predicate.lemma in lexicon.AUXILIARIES:
        return False
    verb = predicate.lemma
    head = entity.text.split()[-1].casefold()
    agents = {c for h, relation, c in notes.relations if relation == "agent" and h == verb}
    return any(
        child == head
        and ((relation == "nsubj" and parent == verb) or (relation == "pobj" and parent in agents))
        for parent, relation, child in notes.relations
    )


# How a subject's words join it to other names: "Smith and Jones", "Smith, the chair".
_JOINED: Final = frozenset({"conj", "appos", "nmod", "compound"})
# Through which a verb's doing is shared with another: "Smith met Jones", "met with Jones".
_SHARED: Final = frozenset({"dobj", "with", "dative", "nsubjpass"})
# What stands for the subject of the clause it opens: "Brandsma, who announced ...".
_RELATIVES: Final = frozenset({"who", "which", "that"})
# How a verb hangs from the one whose subject its own pronoun subject stands for: "she
# announced that she would step down", "he wants to stay".
_COMPLEMENTS: Final = frozenset({"ccomp", "xcomp"})


def _another_doer(parsed: ParsedQuestion, notes: Notes) -> bool:
    """Whether the question's verb has a name as its subject and the sentence gives every
    use of that verb another named subject, none of its own arguments the question's (a
    pronoun subject is the subject of the verb whose clause it is in, and a relative
    pronoun the noun its clause qualifies; one that leads to no name decides nothing)."""
    predicate = parsed.predicate
    if predicate is None or not parsed.types or predicate.lemma in lexicon.AUXILIARIES:
        return False
    if predicate.lemma in lexicon.REPORTING:
        return False  # whose words: the speaker check's
    named = {w.casefold() for _, text in parsed.entities for w in _WORD.findall(text)}
    doers = {a for r, a in predicate.arguments if r == "nsubj" and a in named}
    if not doers:
        return False
    names = {w.casefold() for e in notes.entities for w in _WORD.findall(e.text)}
    arguments = {c for h, r, c in notes.relations if h == predicate.lemma and r in _SHARED}
    if arguments & doers:
        return False  # "Smith met Jones" answers "when did Jones meet Smith" too
    subjects = _doers(predicate.lemma, notes.relations)
    if not subjects or not all(s in names and s not in named for s in subjects):
        return False
    # "Sir Keir Starmer and Ukraine's Volodymyr Zelensky spoke": the question's doer among
    # the words joined to the subject, however the parse joins them, does it too.
    joined = {c for h, r, c in notes.relations if h in subjects and r in _JOINED}
    joined |= {h for h, r, c in notes.relations if c in subjects and r in _JOINED}
    return not joined & doers


def _doers(verb: str, relations: tuple[tuple[str, str, str], ...]) -> set[str]:
    """The subjects of `verb`, a pronoun or relative pronoun followed to the name it
    stands for where the parse gives one (else kept as it is)."""
    found: set[str] = set()
    for head, relation, child in relations:
        if head != verb or relation != "nsubj":
            continue
        found.add(_followed(child, verb, relations))
    return found


def _followed(subject: str, verb: str, relations: tuple[tuple[str, str, str], ...]) -> str:
    """The word `subject` of `verb` stands for: the name beside a noun, the noun a
    relative pronoun's clause qualifies, the subject of the verb a pronoun's clause
    completes; itself when the parse gives none."""
    named = next((c for h, r, c in relations if h == subject and r == "appos"), None)
    if named is not None:
        return named  # "His teammate, Luis Suarez, scored"
    seen = {verb}
    for _ in range(3):
        if subject in _RELATIVES:
            return next((h for h, r, c in relations if r == "relcl" and c == verb), subject)
        if subject not in lexicon.SPEAKER_PRONOUNS:
            return subject
        governing = next(
            (h for h, r, c in relations if r in _COMPLEMENTS and c == verb and h not in seen),
            None,
        )
        if governing is None:
            return subject
        seen.add(governing)
        verb = governing
        subject = next((c for h, r, c in relations if h == governing and r == "nsubj"), subject)
    return subject

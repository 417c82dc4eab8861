"""What a question asks for, read from its wording: the kind of answer it wants (its slot)
and the constraints any answer must meet (the names, numbers, dates and quoted phrases the
question itself contains).

A passage about the right event repeats the question's words whether or not it answers
it. What it does not do, unless it answers, is hold something of the asked kind that the
question does not already say (a person for "who", a number for "how many"), next to the
question's own names, numbers and dates. `service/evidence/support.py` checks sentences
for exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Literal

from service.core import nlp, places
from service.evidence import lexicon
from service.evidence.lexicon import NAMES
from service.evidence.parsed import parse_question
from service.evidence.text import NAME_WORD, STOPWORDS, initialisms, terms
from service.evidence.wanted import DateUnit, Slot, wanted

if TYPE_CHECKING:
    from spacy.tokens import Token

# "role": a speaker named by a role a name qualifies ("the French defence minister"): its
# forms are the name's and, last, the role's words ("defence minister"), all of which must
# be met.
ConstraintKind = Literal["name", "number", "date", "quote", "role"]

MONTHS = list(lexicon.MONTHS)
WEEKDAYS = list(lexicon.WEEKDAYS)
_MONTH_SET = frozenset(MONTHS) | {m[:3] for m in MONTHS} | {"sept"}

# A quotation opens after a space and closes before a space or punctuation, so that
# the apostrophes of "UK's" and "Ukraine's" do not read as quotation marks.
_QUOTED = re.compile(r"(?:^|(?<=\s))[\"“‘']([^\"“”‘’']{3,80})[\"”’'](?=[\s.,;:?!]|$)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WH = frozenset(
    """
    what which who whom whose where when why how whats is are was were did does do has
    have had will would can could should
    """.split()  # noqa: SIM905
)
# Words the slot patterns use: asked-for, not content the answer must repeat.
_SLOT_WORDS = frozenset(
    """
    date day year month week weekday time many much long number amount share percentage
    percent proportion fraction sum old big large far name
    """.split()  # noqa: SIM905
)


@lru_cache(maxsize=1)
def _slot_terms() -> frozenset[str]:
    return frozenset(terms(" ".join(_SLOT_WORDS)))


@dataclass(frozen=True)
class Constraint:
    """Something the question pins down that the answering text must also mention."""

    text: str
    kind: ConstraintKind
    # Normalised forms (see `name_key`, digits, month names): any one satisfies it; a date
    # constraint is several forms that must all be present (day and month).
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Asked:
    question: str
    # Every kind of answer the question asks for, most specific first ("who opened it, and
    # on what date?" asks for a date and a person); empty when the wording does not say.
    slots: tuple[Slot, ...]
    constraints: tuple[Constraint, ...]
    # Content terms (service.evidence.text.terms) that are neither constraints nor the
    # slot's own words: what the question says about the thing asked for.
    focus: frozenset[str]
    is_list: bool
    # "What did Starmer say ...": the name whose words are asked for.
    speaker: Constraint | None = None
    # "Which ship ...", "what is the capital of ...": the kind of thing named (an
    # evidence term), when the question says it.
    kind: str | None = None
    # "What is the capital of Australia?" asks for an attribute of a name: only a
    # sentence that speaks of that attribute can name it.
    attribute: bool = False
    # "What date/day ...": a calendar date or weekday, not "over the weekend"; "which
    # month", "what year": that unit. None: any time expression will do ("when").
    date_unit: DateUnit | None = None
    # Each focus term's lemma in the question's parse ("joined" -> "join"): a sentence
    # that says it in another form of the word holds it too.
    focus_lemmas: Mapping[str, str] = field(default_factory=dict)
    # "How many cars ...": the noun counted, as a lemma (service/evidence/wanted.py).
    counted: str | None = None
    # "What did X say about the fare increase?": the nouns the words are to be about.
    topic: frozenset[str] = frozenset()
    # "What kind of deal ...": the noun (a lemma) whose kind is asked.
    kind_of: str | None = None


@lru_cache(maxsize=65536)
def name_key(word: str) -> str:
    """A name as compared: case-folded, possessive and apostrophes removed."""
    word = word.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


@lru_cache(maxsize=65536)
def same_name(a: str, b: str) -> bool:
    """Equal names, or one a longer form of the other ("Zelenskyy"/"Zelensky",
    "Ukraine"/"Ukrainian"): a common stem of at least five letters, at most three more;
    or two names for one place ("France"/"French", "Britain"/"UK"; `places.names`)."""
    if a == b or places.names(a) & places.names(b):
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 5 and max(len(a), len(b)) - n <= 3


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isdigit()


def analyse(
    question: str, proper: AbstractSet[str] = frozenset(), common: AbstractSet[str] = frozenset()
) -> Asked:
    """`proper`: name keys written capitalised inside sentences of the passages; they
    mark the names of an all-lower-case question ("who is the nato secretary general").
    `common`: words the passages write in lower case inside a sentence; capitalised
    before a name they are a title ("Captain", "Mayor"), not the name."""
    parsed = parse_question(question)
    want = wanted(question)
    constraints = _constraints(question, proper, common)
    taken = {t for c in constraints for t in terms(c.text)} | _situation(question)
    focus = frozenset(t for t in terms(question) if t not in taken and t not in _slot_terms())
    lemmas = {t: tok.lemma_.casefold() for tok in nlp.parse(question) for t in terms(tok.text)}
    return Asked(
        question=question,
        slots=want.slots,
        speaker=_speaker(want.speaker, constraints, want.speaker_role),
        date_unit=want.date_unit,
        kind=_head_term(parsed.head) if "name" in want.slots else None,
        attribute=want.attribute,
        constraints=constraints,
        focus=focus,
        is_list=want.is_list,
        focus_lemmas={t: lemmas[t] for t in focus if t in lemmas},
        counted=want.counted,
        topic=want.topic,
        kind_of=want.kind_of,
    )


@lru_cache(maxsize=4096)
def _situation(question: str) -> frozenset[str]:
    """The words only a clause of time in the question uses ("... when he said the talks
    were moving", "... after the ferries were cancelled"): they say when the asked thing
    happened, not what it is, so an answering sentence need not repeat them (retrieval
    still reads them)."""
    doc = nlp.parse(question)
    # The first wh-word asks; a later one ("when he said") opens a clause.
    asking = next((t.i for t in doc if t.tag_ in lexicon.WH_TAGS), None)
    clauses = [
        t
        for t in doc
        if t.dep_ == "advcl"
        and asking not in {s.i for s in t.subtree}
        and any(_opens_time(c) for c in t.children)
        # "What did she say when asked about a plan B?": the occasion tells which words.
        and t.head.lemma_ not in lexicon.REPORTING
    ]
    inside = {s.i for t in clauses for s in t.subtree}
    if not inside:
        return frozenset()
    rest = terms(" ".join(t.text for t in doc if t.i not in inside))
    return frozenset(terms(" ".join(doc[i].text for i in sorted(inside)))) - frozenset(rest)


def _opens_time(token: Token) -> bool:
    """ "when", "after", "once": a clause it opens places the asked event in time. A
    clause of purpose or reason ("so that Russia can't drag out the talks") says what the
    asked thing is for, which an answer is likely to repeat."""
    return token.dep_ in ("advmod", "mark") and token.lower_ in lexicon.TIME_SUBORDINATORS


def _speaker(
    subject: str | None, constraints: Sequence[Constraint], role: str | None = None
) -> Constraint | None:
    """The name constraint of whoever the question asks about having said something; with
    the role the name qualifies ("the French president"), a "role" constraint of both."""
    if subject is None:
        return None
    name = next((c for c in constraints if c.kind == "name" and c.text in subject), None)
    if name is None or role is None or role in name.forms:
        return name
    return Constraint(subject, "role", (*name.forms, role))


class _Constraints:
    """The constraints of one question in the order they are met, each set of forms once;
    consecutive name words are gathered into one name."""

    def __init__(self, question: str, common: AbstractSet[str]) -> None:
        self.question = question
        self._common = common
        # Where the parse reads a name: a word of a written name outside it is a title.
        self._entities = [
            (e.start_char, e.end_char) for e in nlp.parse(question).ents if e.label_ in NAMES
        ]
        self.found: list[Constraint] = []
        self._seen: set[tuple[str, ...]] = set()
        self._group: list[re.Match[str]] = []

    def add(self, text: str, kind: ConstraintKind, forms: tuple[str, ...]) -> None:
        if forms and forms not in self._seen:
            self._seen.add(forms)
            self.found.append(Constraint(text, kind, forms))

    def name_word(self, match: re.Match[str]) -> None:
        # "Leeds Residents' Association" is one name; "US-Canada" and
        # "Leeds–York" are two, both of which must be met.
        group = self._group
        if group and self.question[group[-1].end() : match.start()].strip(" '’"):
            self.close_name()
        group.append(match)

    def close_name(self) -> None:
        group = self._group
        if group:
            keys = [name_key(m.group(0)) for m in group]
            # "Captain John Jones", "HMS Victory": any of the names proper will do, but
            # not a title or a leading abbreviation ("HMS", "US" in "US President
            # Trump"), which other ships and people share.
            untitled = tuple(k for k, m in zip(keys, group, strict=True) if not self._title(m))
            named = (
                tuple(
                    k
                    for k, m in zip(keys, group, strict=True)
                    if k in untitled and not (m is not group[-1] and _abbreviation(m.group(0)))
                )
                or untitled
                or tuple(keys)
            )
            self.add(self.question[group[0].start() : group[-1].end()], "name", named)
            group.clear()

    def _title(self, match: re.Match[str]) -> bool:
        """A word of a name that only qualifies it: one outside the name the parse reads
        ("President" before the PERSON "Ada Rowe"); where the parse reads no name there,
        one the passages write in lower case ("the captain said")."""
        group = self._group
        if len(group) < 2:
            return False
        if any(self._named(m) for m in group):
            return not self._named(match)
        # Without the parse's name, the name proper is the last word ("Captain Moen").
        return match is not group[-1] and name_key(match.group(0)) in self._common

    def _named(self, match: re.Match[str]) -> bool:
        return any(s <= match.start() and match.end() <= e for s, e in self._entities)


def _abbreviation(word: str) -> bool:
    return len(word) <= 3 and word.isupper()


def _constraints(
    question: str, proper: AbstractSet[str], common: AbstractSet[str]
) -> tuple[Constraint, ...]:
    """The quoted phrases of `question`, then its dates, numbers and names as they occur."""
    found = _Constraints(question, common)
    for quoted in _QUOTED.findall(question):
        if len(quoted.split()) >= 2:
            found.add(quoted, "quote", (" ".join(quoted.casefold().split()),))
    lower_case = not any(_capitalised(w) for w in NAME_WORD.findall(question)[1:])
    for i, match in enumerate(NAME_WORD.finditer(question)):
        word = match.group(0)
        key = name_key(word)
        if key in _MONTH_SET:
            found.close_name()
            day = _day_before(question, match.start())
            forms = (day, _month(key)) if day else (_month(key),)
            found.add(f"{day} {word}" if day else word, "date", forms)
        elif key in WEEKDAYS:
            found.close_name()
            found.add(word, "date", (key,))
        elif _NUMBER.fullmatch(word):
            found.close_name()
            if not _day_of_month(question, match.end()):
                found.add(word, "number", (word.replace(",", ""),))
        elif key in STOPWORDS or key in _WH or len(key) < 2:
            found.close_name()
        elif (key in proper) if lower_case else (_capitalised(word) and (i > 0 or key in proper)):
            found.name_word(match)
        else:
            found.close_name()
    found.close_name()
    return tuple(found.found)


def _head_term(head: str | None) -> str | None:
    named = terms(head) if head else []
    return named[0] if named else None


def _month(key: str) -> str:
    return next((m for m in MONTHS if m.startswith(key[:3])), key)


def _day_before(text: str, start: int) -> str:
    found = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s*$", text[:start])
    return found.group(1) if found else ""


def _day_of_month(text: str, end: int) -> bool:
    after = re.match(r"(?:st|nd|rd|th)?\s+([^\W\d_]+)", text[end:])
    return bool(after and name_key(after.group(1)) in _MONTH_SET)


@dataclass(frozen=True)
class Names:
    """The name keys of a text, indexed for `has_name`."""

    keys: frozenset[str]
    # The keys of its words alone, without the initials of its names: "Pressures Russia
    # for Compromise" makes "PRC", which names no place here.
    words: frozenset[str]

    @cached_property
    def stems(self) -> dict[str, list[str]]:
        # Built on first use: most texts are only asked for exact keys, and the index of
        # a whole article's keys costs more than those lookups.
        stems: dict[str, list[str]] = {}
        for key in self.keys:
            stems.setdefault(key[:5], []).append(key)
        return stems

    @cached_property
    def place_names(self) -> frozenset[str]:
        # The names of every place a key names or is the adjective of.
        return frozenset().union(*(places.names(k) for k in self.words))


def has_name(form: str, names: Names) -> bool:
    """Whether some key of `names` is `same_name` as `form`."""
    if form in names.keys:
        return True
    named = places.names(form)
    if named and named & names.place_names:
        return True
    return len(form) >= 5 and any(same_name(form, k) for k in names.stems.get(form[:5], ()))


@lru_cache(maxsize=32768)
def name_keys(text: str) -> Names:
    """The name keys of every word of `text`, and the initials of its names ("ECB" for
    "the European Central Bank")."""
    words = frozenset(name_key(w) for w in NAME_WORD.findall(text))
    return Names(words | initialisms(text), words)

"""Ordinal numbers as news writes them ("the 33rd edition", "the thirty-third edition", "the
third stage"), read as the number they count, and the nouns they number in a parse.

An ordinal before a noun names one of a series (an edition, a stage, a quarter): the
sixteenth festival is not the eighteenth, as the 2023 race is not the 2024 one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Final

# spaCy's own English number words (what its `like_num` reads), in counting order.
from spacy.lang.en.lex_attrs import _num_words, _ordinal_words

_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
# A number in a series ("stage 2", "game 7"), not a year ("the Tour 2024").
_SERIAL = re.compile(r"^\d{1,3}$")
# first .. twentieth, then thirtieth .. ninetieth.
_WORDS: Final[dict[str, int]] = {
    **{w: i + 1 for i, w in enumerate(_ordinal_words[:20])},
    **{w: 30 + 10 * i for i, w in enumerate(_ordinal_words[20:27])},
}
# "thirty" .. "ninety", before a hyphen and an ordinal ("thirty-third").
_TENS: Final[dict[str, int]] = {w: 20 + 10 * i for i, w in enumerate(_num_words[20:28])}
# Relations through which an ordinal numbers a noun ("the 33rd edition", "first-quarter"),
# or places someone in a result ("finished second", "was third overall").
NUMBERING: Final = frozenset({"amod", "nummod", "compound", "advmod", "acomp"})
# Of those, the ones that place: beside a verb, or an adverb of one ("third overall").
_PLACING: Final = frozenset({"advmod", "acomp"})
# What an ordinal beside a verb numbers: a place in a result, whatever the verb ("came
# second", "was second", "finished second overall"). No lemma is written so.
PLACE: Final = "#place"


def value(word: str, before: str | None = None) -> int | None:
    """The number an ordinal word counts, or None; `before`: the word before it, for
    "thirty-third" split at its hyphen."""
    word = word.casefold()
    digits = _DIGITS.match(word)
    if digits:
        return int(digits.group(1))
    found = _WORDS.get(word)
    if found is None:
        return None
    if before is not None and found < 10:
        return _TENS.get(before.casefold(), 0) + found
    return found


def numbered(
    relations: Iterable[tuple[str, str, str]], words: Sequence[str]
) -> frozenset[tuple[str, int]]:
    """(noun, number) for each noun an ordinal numbers: "the sixteenth festival" ->
    ("festival", 16); or a number written after it: "stage 2" -> ("stage", 2), where "3
    stages" counts them; a place in a result: "came second" -> (PLACE, 2). `words`: the
    sentence's lemmas in order (punctuation left out), which say the tens of a hyphenated
    ordinal and which word comes first."""
    relations = tuple(relations)
    pairs = set(itertools.pairwise(words))
    tens = {word: before for before, word in pairs if before in _TENS}
    # "the second-fastest time" ranks a quality of the time, not a result.
    qualities = {child for _, relation, child in relations if relation == "amod"}
    out = set()
    for head, relation, child in relations:
        if relation not in NUMBERING or (relation in _PLACING and head in qualities):
            continue
        number = value(child, tens.get(child))
        if number is None and relation == "nummod" and _SERIAL.match(child):
            number = int(child) if (head, child) in pairs else None
        if number is not None:
            out.add((PLACE if relation in _PLACING else head, number))
    return frozenset(out)

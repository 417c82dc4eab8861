"""Which retrieved articles are about another thing of the kind the question asks about.

A question narrows a noun with another noun: "who chaired the judges of the painting
awards?", "who opened the new bus terminal?". When the retrieved passages write that
narrowing noun and an article among them never does, the article is about another thing
of that kind (a book prize's judges, a ferry terminal), and its sentences answer nothing,
however many of the question's other words they share. A narrowing noun that no
retrieved passage writes is only the asker's wording ("the video call" where the articles
say "the call") and rules nothing out; neither does one that only the earlier turns of a
conversation supplied (an earlier answer's "the swing bridge" for "it", where another
article says "the bridge").
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Final

from service.evidence.parsed import ParsedQuestion
from service.evidence.scoring import Passage
from service.evidence.text import NAME_WORD, terms

# English derivation changes a word's last few letters ("delivery", "delivered";
# "painting", "painter"), so a narrowing noun counts as written where a word begins with
# all of its letters but the last `STEM_END`, and with at least `STEM_MIN` of them.
STEM_END: Final = 3
STEM_MIN: Final = 5


def stem(word: str) -> str:
    return word[: max(STEM_MIN, len(word) - STEM_END)]


def _words(passages: Sequence[Passage]) -> dict[str, str]:
    """Each source's words (titles included), lower case, each after a space."""
    out: dict[str, list[str]] = {}
    for p in passages:
        out.setdefault(p.source, []).append(f"{p.title} {p.text}".casefold())
    return {
        source: " " + " ".join(NAME_WORD.findall(" ".join(texts))) for source, texts in out.items()
    }


def other_subjects(
    parsed: ParsedQuestion, passages: Sequence[Passage], carried: AbstractSet[str] = frozenset()
) -> frozenset[str]:
    """The sources among `passages` that never write a noun by which the question narrows
    another, where other retrieved passages write it. `carried`: terms of the question that
    only the earlier turns supplied."""
    stems = {stem(w) for w in parsed.narrowing if not set(terms(w)) & carried}
    if not stems:
        return frozenset()
    words = _words(passages)
    written = {s for s in stems if any(f" {s}" in text for text in words.values())}
    return frozenset(
        source for source, text in words.items() if any(f" {s}" not in text for s in written)
    )

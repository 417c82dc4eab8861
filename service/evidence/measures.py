"""A noun the articles measure: "What was the attendance at the festival?" asks for a number
although no wh-word says so, because the articles give attendance as one ("Attendance fell
to 36,900").

Whether a noun is a measure is read from the text retrieved for the question, not from a
list of nouns: when one of its sentences links the noun to a number in the parse (the
noun's own argument, "a subsidy of NOK 52 million", or what the verb it is the subject of
takes, "revenue was 131 million euros", "net profit rose to 31.5 million euros"), the
question asks for that number, and a sentence that does not link the noun to one does not
answer it ("expects revenue growth of 5 to 8 per cent" measures the growth).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from service.evidence import lexicon
from service.evidence.annotate import SUBJECTS, Notes, is_year
from service.evidence.parsed import ParsedQuestion
from service.evidence.relations import NUMERAL

# Relations through which a number makes up a larger amount ("468 million euros").
_AMOUNT_PARTS: Final = frozenset({"nummod", "compound", "quantmod"})


def measured_noun(parsed: ParsedQuestion) -> str | None:
    """The noun "what" asks about when the wording names no kind of answer ("what was the
    turnout", "what operating subsidy did it approve"), as a lemma."""
    if parsed.wh != "what" or parsed.types or parsed.head is None:
        return None
    if parsed.wh_prep is not None:
        return None  # "What school does she teach at?" asks which one, not how much
    predicate = parsed.predicate
    if (
        predicate is not None
        and predicate.lemma not in lexicon.COPULAS
        and ("nsubj", parsed.head) in predicate.arguments
    ):
        # "What ferry will take over the route?" asks which one does it, as "which" would.
        return None
    return parsed.head


# Asked of every sentence of the retrieved passages, then again of the candidates among them.
@lru_cache(maxsize=8192)
def measures(noun: str, notes: Notes) -> bool:
    """Whether the sentence links `noun` to a number: as the noun's argument, or as an
    argument of a verb the noun is the subject of."""
    amounts = _amounts(notes.relations)
    if not amounts:
        return False
    verbs = {
        head for head, relation, dep in notes.relations if relation in SUBJECTS and dep == noun
    }
    return any(
        dep in amounts and (head == noun or (head in verbs and relation not in SUBJECTS))
        for head, relation, dep in notes.relations
    )


def _amounts(relations: tuple[tuple[str, str, str], ...]) -> frozenset[str]:
    """The lemmas that are numbers, or nouns a number counts ("euro" in "468 million
    euros"); not years."""
    found = {
        lemma
        for relation in relations
        for lemma in (relation[0], relation[2])
        # A year is a date, not an amount ("revenue for 2024").
        if _number(lemma) and not is_year(lemma)
    }
    # Two rounds reach "euro" through "million" from "468".
    for _ in range(2):
        found |= {
            head
            for head, relation, dep in relations
            if relation in _AMOUNT_PARTS and dep in found and not is_year(head)
        }
    return frozenset(found)


def _number(lemma: str) -> bool:
    return (
        bool(NUMERAL.match(lemma)) or lemma in lexicon.NUMBER_WORDS or lemma in lexicon.MULTIPLIERS
    )

"""Lexical evidence: which question terms a sentence contains, weighted by rarity.

The dense score says a chunk is about the question; the lexical score says a sentence
holds the question's specific words (names, places, numbers), which is what separates
the sentence that answers from its neighbours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache

from service.evidence.spelling import american

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say tell told according also did
    does many much one two get got going went make made happen happened might must shall
    """.split()  # noqa: SIM905
)


# Initials this long or longer: two letters ("UK", "EU") are as often a person's.
INITIALS_FROM = 3
# A longer run of capitalised words is a list of names or a headline, not one name.
INITIALS_UP_TO = 6
# Small words inside a name that its initials leave out ("Organization of the Petroleum
# Exporting Countries": OPEC).
_NAME_JOINERS = "of|the|and|for"
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][^\W_]*(?:['’][^\W\d_]+)*"
# Runs of capitalised words long enough for initials, found by the regex engine: most of
# a text is no such run, and a question re-ranks tens of chunks.
_NAME_RUN = re.compile(
    rf"{_CAPITALISED}(?:\s+(?:(?:{_NAME_JOINERS})\s+)*{_CAPITALISED}){{{INITIALS_FROM - 1},}}"
)
# A word as names are read: letters or digits, with an apostrophe's ending ("O'Brien").
# A clock reading, "18:30" or a race time "2:26:12": the small model labels it a number.
CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
NAME_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)*", re.UNICODE)


# A sentence opening with one of these needs the sentence before it to be understood, and
# is quoted with it.
_NEEDS_PREVIOUS = re.compile(
    r"^\W*(he|she|they|it|his|her|their|its|this|these|that|those|him|them)\b", re.IGNORECASE
)


def needs_previous(sentence: str) -> bool:
    """Whether the sentence opens with a pronoun or a demonstrative ("He said ...", "This
    means ...") that stands for what the sentence before it names, or goes on at the time
    that sentence sets or does what it says (`goes_on`)."""
    return _NEEDS_PREVIOUS.match(sentence) is not None or goes_on(sentence)


# "then" of a time the sentence before sets: "Havørn will then be kept as a reserve",
# "since then". Not one the sentence sets itself ("If the talks fail, then ...", "when
# it opens, then"), nor a former holder ("the then chair", "then-president").
_THEN = re.compile(r"\bthen\b(?![-‐])", re.IGNORECASE)
_OWN_TIME = re.compile(r"\b(?:if|when|once|unless|after|before)\b", re.IGNORECASE)
_THE = re.compile(r"\bthe\s*$", re.IGNORECASE)
# A verb that stands for what the sentence before says was done: "Other countries are
# doing the same", "followed suit". Not "do so", which mostly stands for a clause of its
# own sentence ("asked him to resign, but he refused to do so").
_DOES_THE_SAME = re.compile(
    r"\b(?:do|does|did|doing|done)\s+(?:the\s+same|likewise)\b|\bfollow(?:s|ed|ing)?\s+suit\b",
    re.IGNORECASE,
)


# "The goal is to cut ...", "The idea was to ...": a bare noun with "the" that a "to"
# clause completes names the purpose of what the sentence before it describes.
_PURPOSE_OF = re.compile(
    r"^\W*the\s+[^\W\d_]+\s+(?:is|was|are|were|will\s+be)\s+to\s+[^\W\d_]+", re.IGNORECASE
)


def goes_on(sentence: str) -> bool:
    """Whether the sentence goes on from the one before it: it says "then" of a time
    that sentence sets, or does what that sentence says was done, or names the purpose of
    what it describes. It says what comes of that sentence, or who else does it, and is
    quoted with it."""
    if _DOES_THE_SAME.search(sentence) or _PURPOSE_OF.match(sentence):
        return True
    found = _THEN.search(sentence)
    if found is None:
        return False
    before = sentence[: found.start()]
    return _OWN_TIME.search(before) is None and _THE.search(before) is None


@lru_cache(maxsize=32768)
def initialisms(text: str) -> frozenset[str]:
    """The initials of the runs of capitalised words in `text`, and of their parts, so
    that "ECB" finds "the European Central Bank" in an article that never writes it: "The
    European Central Bank" -> {"ecb"} (a leading small word is no part of the name)."""
    found: set[str] = set()
    for run in _NAME_RUN.finditer(text):
        words = [w for w in NAME_WORD.findall(run.group()) if w[0].isupper()]
        if words[0].casefold() in STOPWORDS:
            words = words[1:]
        if len(words) > INITIALS_UP_TO:
            continue
        letters = "".join(w[0] for w in words).casefold()
        for i in range(len(letters)):
            for j in range(i + INITIALS_FROM, len(letters) + 1):
                found.add(letters[i:j])
    return frozenset(found)


def initial_terms(text: str) -> list[str]:
    """`initialisms` as terms, to be matched against a question's terms."""
    return sorted(_norm(i) for i in initialisms(text))


_CONTEXT = re.compile(r"\s*\([^()]*\)\s*$")


def without_context(text: str) -> str:
    """A resolved follow-up without the context appended to it in brackets."""
    return _CONTEXT.sub("", text).strip()


def fold_whitespace(text: str) -> str:
    """`text` with every run of white space (newlines included) as one space, trimmed."""
    return " ".join(text.split())


def _stem(word: str) -> str:
    # A light English plural/possessive strip, enough to match "talks" with "talk" and
    # "Starmer's" with "Starmer"; names and numbers otherwise pass through unchanged.
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _norm(word: str) -> str:
    # After the stem: "defences" is "defence" first, then "defense".
    return american(_stem(word.casefold().replace("’", "'")))


def terms(text: str) -> list[str]:
    """Content terms of `text`: lower-cased, lightly stemmed, stopwords removed."""
    return list(_terms(text))


@lru_cache(maxsize=32768)
def _terms(text: str) -> tuple[str, ...]:
    # Chunk sentences recur across questions: caching their terms keeps answering cheap.
    return tuple(_scan(text))


def term_set(text: str) -> set[str]:
    """The distinct terms of `text`, without the per-text cache (for whole corpora)."""
    return set(_scan(text))


# Each word's term ("" when it is none), looked up instead of recomputed: corpora repeat
# words far more often than they add new ones.
_TERM_OF: dict[str, str] = {}
_TERM_OF_LIMIT = 500_000


def _scan(text: str) -> list[str]:
    out = []
    term_of = _TERM_OF
    for word in _WORD.findall(text):
        term = term_of.get(word)
        if term is None:
            if len(term_of) >= _TERM_OF_LIMIT:
                term_of.clear()
            norm = _norm(word)
            # A stop word is one before its stem too: "does" is not the term "doe".
            stop = norm in STOPWORDS or word.casefold() in STOPWORDS
            term = norm if not stop and (len(norm) > 1 or norm.isdigit()) else ""
            term_of[word] = term
        if term:
            out.append(term)
    return out


def idf_weights(
    query_terms: Iterable[str], documents: Sequence[AbstractSet[str]]
) -> dict[str, float]:
    """Smoothed inverse document frequency of each query term over `documents`."""
    n = len(documents)
    weights: dict[str, float] = {}
    for term in set(query_terms):
        df = sum(1 for doc in documents if term in doc)
        weights[term] = math.log(1.0 + (n + 1) / (df + 0.5))
    return weights


def coverage(query: Mapping[str, float], document: AbstractSet[str]) -> float:
    """Share of the query's idf weight that `document` contains (0..1)."""
    total = sum(query.values())
    if total <= 0:
        return 0.0
    return sum(w for term, w in query.items() if term in document) / total

"""Check each claim of an LLM answer against the passages it was given.

A claim (one sentence of the answer) is kept only if one passage sentence, or two taken
together, state it:
- hard facts: every number (digits, number words, "3.5 million" = "3,500,000"), month and
  name of the claim occurs in the supporting sentence, where names may also come from
  the sentences just before and after it (who "he" is) and dates from the article's
  publication date the prompt shows; country names match their adjectives and
  abbreviations ("US" = "United States" = "American");
- polarity: a negated claim needs a negated sentence;
- content: enough of the claim's content terms, weighted by how rare each is among the
  passages' sentences (a word no passage uses weighs most), occur in the sentence, a
  shared five-letter prefix counting as a match ("negotiators" / "negotiations").

The support judge of the eval harness is deliberately not used, nor its criteria (the
harness must be able to disagree with the service). A supported claim is cited to the
supporting sentence of a passage the model cited when there is one, otherwise to the best
supporting sentence of any passage (the model cited the wrong one). An unsupported claim
is dropped: a fact from the model's own knowledge never survives with a citation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from service.answer.prompt import Numbered
from service.answer.wording import WordVectors, content_word, parse_words, sentence_lemmas
from service.core import places
from service.evidence import lexicon
from service.evidence.sentences import sentence_spans
from service.evidence.text import STOPWORDS, terms

# Share of the claim's rarity-weighted content a sentence must hold.
MIN_COVERAGE = 0.5
# Coverage counts only the words that are not names when there are at least this many.
MIN_ABOUT_TERMS = 2
# How many sentences back a pronoun's name is looked for.
PRONOUN_REACH = 2
# A term found only in a neighbouring sentence counts this much.
NEIGHBOUR_CREDIT = 0.5
# Claims this short ("Geneva.", "On Tuesday.") are read together with the question.
SHORT_CLAIM_TERMS = 2
# Pairs of sentences are tried among this many best single sentences, and must together
# hold nearly all of the claim.
PAIR_POOL = 8
MIN_PAIR_COVERAGE = 0.75
PREFIX = 5
# A claim word whose lemma no passage uses restates one of the sentence's words when their
# vectors are at least this close ("hit" / "struck", "power" / "electricity"); below it,
# it is a fact from elsewhere ("ceasefire" / "pause", "half" / "third").
WORD_SIMILARITY = 0.5
# A claim saying something in words of its own must otherwise be nearly all there: a near
# word is how a paraphrase differs, not how a different fact on the same topic does.
MIN_RESTATED_COVERAGE = 0.7

# "U.S.", "E.U.": a dotted abbreviation reads as the word "US", "EU".
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")
# A run of capitalised words ("United States", "European Union"): its initials are the
# abbreviation a claim may use for it.
_CAPITALISED_RUN = re.compile(r"\b[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_HONORIFICS = frozenset(["mr", "mrs", "ms", "dr", "sir", "dame", "lord", "lady", "prof"])
_MONTHS = lexicon.MONTH_NUMBERS
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
    "thousand": 1000,
    "dozen": 12,
}
_SCALES = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?"
    r"(?:\s*(thousand|million|billion|trillion|bn|m)\b)?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# A sentence with one of these may take its names from the sentence before ("He said").
_PRONOUN = re.compile(r"\b(?:he|she|they|it|his|her|their|its|him|them)\b", re.IGNORECASE)
# Words that restate rather than add a fact ("took place", "described"): a claim may use
# them although no passage does. Any other content word that no passage (nor the question)
# uses is a fact from elsewhere, and the claim is not supported.
_LIGHT = frozenset(
    [
        "take",
        "hold",
        "held",
        "speak",
        "spoke",
        "spoken",
        "took",
        "taken",
        "place",
        "go",
        "goe",
        "went",
        "gone",
        "come",
        "came",
        "describe",
        "described",
        "call",
        "called",
        "work",
        "worked",
        "note",
        "noted",
        "add",
        "added",
        "explain",
        "explained",
        "express",
        "expressed",
        "stated",
        "stating",
        "mentioned",
        "reported",
        "indicate",
        "indicated",
        "highlight",
        "highlighted",
        "emphasise",
        "emphasised",
        "emphasize",
        "emphasized",
        "stress",
        "stressed",
        "discuss",
        "discussed",
        "confirm",
        "confirmed",
        "announce",
        "announced",
        "expect",
        "expected",
        "plan",
        "planned",
        "include",
        "including",
        # "is located in Eldvik" for "the shipyard in Eldvik".
        "locate",
        "located",
        "situate",
        "situated",
    ]
)
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|neither|nor)\b|n['’]t\b", re.IGNORECASE)
# Words about the answer itself rather than its facts ("the article says that ...").
_META = frozenset(
    [
        "article",
        "passage",
        "text",
        "source",
        "report",
        "state",
        "mention",
        "note",
        "according",
        "provided",
        "given",
        "answer",
        "question",
        "information",
        "detail",
    ]
)


def _undot(text: str) -> str:
    return _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)


def _fold(word: str) -> str:
    word = word.casefold().replace("’", "'")
    return word.removesuffix("'s").replace(".", "")


def numbers(text: str, *, bare: bool = True) -> set[str]:
    """Every number of `text`, canonical ("1,200" -> "1200", "3.5 million" -> "3500000").

    With `bare`, a scaled number also yields its unscaled value: a passage's "3.5 million"
    then holds a claim's "3.5", but a claim's "3.5 billion" (read without `bare`) is not
    held by "3.5 million".
    """
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        digits, scale = match.group(1), (match.group(2) or "").casefold()
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", digits):
            digits = digits.replace(",", "")
        try:
            value = float(digits.replace(",", "."))
        except ValueError:
            continue
        if scale:
            found.add(_canonical(value * _SCALES[scale]))
        if bare or not scale:
            found.add(_canonical(value))
    for word in _WORD.findall(text):
        value_word = _NUMBER_WORDS.get(word.casefold())
        if value_word is not None:
            found.add(_canonical(float(value_word)))
    return found


def _canonical(value: float) -> str:
    return f"{value:.6g}" if value < 1e6 else str(round(value))


def months(text: str) -> set[int]:
    return {
        _MONTHS[w.casefold().rstrip(".")]
        for w in _WORD.findall(text)
        if w.casefold() in _MONTHS
        and (w[0].isupper() or len(w) > 3)
        # "may" the verb is lower case; "May" the month is not.
        and not (w.casefold() == "may" and w[0].islower())
    }


def names(text: str) -> set[str]:
    """Capitalised words that are not the sentence's first word: the claim's names. A
    nationality ("French", an NORP entity of the parse) is not one: it says "of France"
    in another word, and is read as a content word (lemma, then word vectors)."""
    text = _undot(text)
    nationalities = {w.text for w in parse_words(text) if w.entity == "NORP"}
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        if not word[0].isupper() or not before or before.endswith((".", "!", "?", ":", "\n")):
            continue
        folded = _fold(word)
        if folded in STOPWORDS or folded in _HONORIFICS or folded in _MONTHS:
            continue
        if word in nationalities:
            continue
        found.add(folded)
    return found


def words(text: str) -> set[str]:
    """Every word of `text` folded as names are, to look names up in, and the initials of
    each run of capitalised words ("United Kingdom" holds a claim's "UK")."""
    text = _undot(text)
    found = {_fold(w) for w in _WORD.findall(text)}
    for run in _CAPITALISED_RUN.finditer(text):
        found.add("".join(w[0] for w in run.group(0).split()).casefold())
    return found


def _has(word: str, pool: set[str]) -> bool:
    if word in pool:
        return True
    if len(word) < PREFIX:
        return False
    head = word[:PREFIX]
    return any(len(w) >= PREFIX and w[:PREFIX] == head for w in pool)


def _same_place(name: str, pool: set[str]) -> bool:
    """Whether a word of `pool` names the place `name` names, in other words: "Britain"
    for "UK", "France" for "French" (`places.names`)."""
    named = places.names(name)
    return bool(named) and any(named & places.names(w) for w in pool)


@lru_cache(maxsize=1024)
def _published(published: str | None) -> tuple[frozenset[str], frozenset[int]]:
    if not published:
        return frozenset(), frozenset()
    match = _ISO_DATE.search(published)
    if not match:
        return frozenset(), frozenset()
    year, month, day = (int(x) for x in match.groups())
    return frozenset({_canonical(year), _canonical(day)}), frozenset({month})


@dataclass(frozen=True)
class Sentence:
    """One sentence of a prompt passage, at article offsets `start:end`."""

    passage: Numbered
    index: int
    start: int
    end: int
    text: str
    terms: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    months: frozenset[int]
    negated: bool
    pronoun: bool
    lemmas: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Claim:
    text: str
    terms: tuple[str, ...]
    names: frozenset[str]
    numbers: frozenset[str]
    months: frozenset[int]
    negated: bool
    # A short claim read with its question: its own words must all be stated.
    required: frozenset[str] = frozenset()
    # The claim's content words that are not names or numbers, and the question's.
    plain: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()
    # The lemma of each of the claim's terms, and the question's lemmas.
    lemma_of: tuple[tuple[str, str], ...] = ()
    asked_lemmas: frozenset[str] = frozenset()

    def lemma(self, term: str) -> str:
        return dict(self.lemma_of).get(term, term)


@dataclass(frozen=True)
class Support:
    """The sentences (one, or two together) that state a claim, and how well."""

    sentences: tuple[Sentence, ...]
    coverage: float


def _lemmas(text: str) -> dict[str, str]:
    """Each term of `text` with its lemma in the parse."""
    lemma_of: dict[str, str] = {}
    for word in parse_words(text):
        for term in terms(word.text):
            lemma_of.setdefault(term, word.lemma)
    return lemma_of


def _about_source(term: str, lemma_of: dict[str, str]) -> bool:
    return term in _META or lemma_of.get(term) in _META


def only_about_the_source(text: str) -> bool:
    """A sentence whose words speak of the source and of nothing else ("This is stated
    in", "It is mentioned in passage"): it names where the answer is, and states none."""
    lemma_of = _lemmas(text)
    words = terms(text)
    return bool(words) and all(_about_source(t, lemma_of) for t in words)


def parse_claim(text: str, question: str = "") -> Claim:
    lemma_of = _lemmas(text)
    # "This is stated in [1]": a word about the source is no fact, in any of its forms.
    claim_terms = [t for t in terms(text) if not _about_source(t, lemma_of)]
    required: frozenset[str] = frozenset()
    if 0 < len(claim_terms) <= SHORT_CLAIM_TERMS and question:
        # "Geneva." answers "Where were the talks held?": the question says what it claims.
        # A claim without a content word of its own ("The") claims nothing.
        required = frozenset(claim_terms)
        claim_terms += [t for t in terms(question) if t not in _META and t not in claim_terms]
    claim_names = names(text)
    asked_words = parse_words(question) if question else ()
    return Claim(
        text=text,
        terms=tuple(dict.fromkeys(claim_terms)),
        names=frozenset(claim_names),
        numbers=frozenset(numbers(text, bare=False)),
        months=frozenset(months(text)),
        negated=bool(_NEGATION.search(text)),
        required=required,
        plain=frozenset(
            t
            for t in terms(_undot(text))
            if t not in _META and not numbers(t) and t not in claim_names and t not in _MONTHS
        ),
        asked=frozenset(terms(question)),
        lemma_of=tuple(lemma_of.items()),
        asked_lemmas=frozenset(w.lemma for w in asked_words),
    )


class Verifier:
    """Support for claims among the sentences of the passages of one prompt.

    With `vectors`, a claim word whose lemma no passage uses may restate a word of the
    supporting sentence (service/answer/wording.py); without, it is a fact from elsewhere."""

    def __init__(self, passages: Sequence[Numbered], vectors: WordVectors | None = None) -> None:
        self._vectors = vectors
        self._by_passage: dict[int, list[Sentence]] = {}
        for numbered in passages:
            passage = numbered.passage
            sentences = []
            for i, (s, e) in enumerate(sentence_spans(passage.text)):
                text = passage.text[s:e]
                sentences.append(
                    Sentence(
                        passage=numbered,
                        index=i,
                        start=passage.start + s,
                        end=passage.start + e,
                        text=text,
                        terms=frozenset(terms(text)),
                        words=frozenset(words(text)),
                        numbers=frozenset(numbers(text)),
                        months=frozenset(months(text)),
                        negated=bool(_NEGATION.search(text)),
                        pronoun=bool(_PRONOUN.search(text)),
                        lemmas=sentence_lemmas(passage, text, s, e),
                    )
                )
            self._by_passage[numbered.n] = sentences
        # Overlapping chunks repeat sentences: each copy can be cited (through its own
        # passage), but rarity counts each sentence once.
        self._sentences = [s for sentences in self._by_passage.values() for s in sentences]
        unique = {(s.passage.passage.source, s.start, s.end): s.terms for s in self._sentences}
        self._df: dict[str, int] = {}
        for sentence_terms in unique.values():
            for term in sentence_terms:
                self._df[term] = self._df.get(term, 0) + 1
        self._n = len(unique)
        self._vocabulary = frozenset(self._df) | frozenset(
            w for s in self._sentences for w in s.words
        )
        self._lemmas = frozenset(lemma for s in self._sentences for lemma in s.lemmas)

    def _weight(self, term: str) -> float:
        return math.log(1.0 + (self._n + 1) / (self._df.get(term, 0) + 0.5))

    def _neighbours(self, sentence: Sentence) -> list[Sentence]:
        siblings = self._by_passage[sentence.passage.n]
        return [
            siblings[i] for i in (sentence.index - 1, sentence.index + 1) if 0 <= i < len(siblings)
        ]

    def _hard_facts_held(self, claim: Claim, group: Sequence[Sentence]) -> bool:
        stated_numbers: set[str] = set()
        stated_months: set[int] = set()
        context: set[str] = set()
        for sentence in group:
            year_day, month = _published(sentence.passage.passage.published)
            stated_numbers |= sentence.numbers | year_day
            stated_months |= sentence.months | month
            context |= sentence.words
            # Who "he" or "the discussions" are: the sentences around name them.
            for neighbour in self._neighbours(sentence):
                context |= neighbour.words
            if sentence.pronoun and sentence.index >= PRONOUN_REACH:
                siblings = self._by_passage[sentence.passage.n]
                context |= siblings[sentence.index - PRONOUN_REACH].words
        if not claim.numbers <= stated_numbers or not claim.months <= stated_months:
            return False
        if not all(_has(name, context) or _same_place(name, context) for name in claim.names):
            return False
        stated = {t for s in group for t in s.terms}
        lemmas = {lemma for s in group for lemma in s.lemmas}
        if not all(_has(term, stated) or claim.lemma(term) in lemmas for term in claim.required):
            return False
        return not (claim.negated and not any(s.negated for s in group))

    def _coverage(
        self, claim: Claim, group: Sequence[Sentence], restated: Iterable[str] = ()
    ) -> float:
        """The rarity-weighted share of the claim's terms the group states (the same term
        or the same lemma). The `restated` lemmas, said in other words, are left out: the
        word vectors judge them (`_restated`), and what the rest says must be there."""
        if not claim.terms:
            return 1.0
        own: set[str] = set()
        near: set[str] = set()
        own_lemmas: set[str] = set()
        near_lemmas: set[str] = set()
        for sentence in group:
            own |= sentence.terms
            own_lemmas |= sentence.lemmas
            for neighbour in self._neighbours(sentence):
                near |= neighbour.terms
                near_lemmas |= neighbour.lemmas
        # Names are checked on their own (hard facts); the rest says what the claim
        # states about them, and that is what must be covered.
        about = [t for t in claim.terms if t not in claim.names and t not in _LIGHT]
        total = 0.0
        held = 0.0
        # A short claim is read with its question: all of that must be covered.
        counted = about if len(about) >= MIN_ABOUT_TERMS and not claim.required else claim.terms
        skipped = frozenset(restated)
        for term in counted:
            lemma = claim.lemma(term)
            if lemma in skipped:
                continue
            weight = self._weight(term)
            total += weight
            if _has(term, own) or lemma in own_lemmas:
                held += weight
            elif _has(term, near) or lemma in near_lemmas:
                held += NEIGHBOUR_CREDIT * weight
        if not total:
            return 0.0 if skipped else 1.0
        return held / total

    def _novel(self, claim: Claim) -> set[str]:
        """Lemmas of the claim's content words that neither the passages nor the question
        use, in any form ("killed" is not new beside "killing")."""
        known = set(self._vocabulary | claim.asked)
        lemmas = self._lemmas | claim.asked_lemmas
        return {
            claim.lemma(t)
            for t in claim.plain
            if not _has(t, known)
            and not _has(t, set(_LIGHT))
            and claim.lemma(t) not in lemmas
            and claim.lemma(t) not in _LIGHT
        }

    def _restated(self, claim: Claim, novel: set[str], group: Sequence[Sentence]) -> bool:
        """Whether each new word of the claim says a content word of `group` in other
        words. A restatement across a negation ("lifted soon" for "not the time for
        lifting") is not one: then the claim must be negated exactly when the group is."""
        if not novel:
            return True
        if self._vectors is None:
            return False
        if claim.negated != any(s.negated for s in group):
            return False
        words = {lemma for s in group for lemma in s.lemmas if content_word(lemma)}
        return all(self._vectors.best(word, words) >= WORD_SIMILARITY for word in novel)

    def _restates(self, claim: Claim, novel: set[str], sentence: Sentence) -> bool:
        """Whether `sentence` alone says the claim's own words and nearly all the rest:
        a pair may add names, not the words a paraphrase rests on (else "a discount"
        would come from "prices" in one sentence beside "the mayor said" in the other)."""
        return self._restated(claim, novel, [sentence]) and (
            self._coverage(claim, [sentence], novel) >= MIN_RESTATED_COVERAGE
        )

    def _singles(
        self, claim: Claim, sentences: Iterable[Sentence], novel: set[str]
    ) -> list[Support]:
        found = []
        for sentence in sentences:
            value = self._coverage(claim, [sentence], novel)
            if (
                value >= (MIN_RESTATED_COVERAGE if novel else MIN_COVERAGE)
                and self._hard_facts_held(claim, [sentence])
                and self._restated(claim, novel, [sentence])
            ):
                found.append(Support((sentence,), value))
        return found

    def support(self, claim: Claim, cited: Sequence[int] = ()) -> list[Support]:
        """What states `claim`: the best sentence of each cited passage that does; else
        the best sentence, or pair of sentences, of any passage; else nothing."""
        if not (claim.terms or claim.names or claim.numbers):
            return []  # "The", "Yes.": nothing a passage could state
        novel = self._novel(claim)
        if novel and self._vectors is None:
            return []
        kept: list[Support] = []
        for n in dict.fromkeys(cited):
            found = self._singles(claim, self._by_passage.get(n, ()), novel)
            if found:
                kept.append(max(found, key=_rank))
        if kept:
            return kept
        singles = self._singles(claim, self._sentences, novel)
        if singles:
            return [max(singles, key=_rank)]
        scored = sorted(
            ((self._coverage(claim, [s], novel), s) for s in self._sentences),
            key=lambda x: -x[0],
        )
        # Each of the two must state some of the claim's own words, not only the question's.
        own = claim.required or frozenset(claim.terms)
        pool = [
            s
            for value, s in scored[:PAIR_POOL]
            if value > 0 and any(_has(t, set(s.terms)) for t in own)
        ]
        pairs = []
        for i, first in enumerate(pool):
            for second in pool[i + 1 :]:
                if (first.passage.passage.source, first.start) == (
                    second.passage.passage.source,
                    second.start,
                ):
                    continue
                group = (first, second)
                value = self._coverage(claim, group, novel)
                if (
                    value >= MIN_PAIR_COVERAGE
                    and self._hard_facts_held(claim, group)
                    and (not novel or any(self._restates(claim, novel, s) for s in group))
                ):
                    pairs.append(Support(group, value))
        return [max(pairs, key=_rank)] if pairs else []


def _rank(support: Support) -> tuple[float, int]:
    """Better coverage first; among equals, the higher-ranked passage."""
    return (round(support.coverage, 6), -min(s.passage.n for s in support.sentences))

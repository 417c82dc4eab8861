"""Sentence evidence: how well each sentence of some passages answers a question.

Each candidate sentence is scored by how much of the question's (idf-weighted) content it
contains and by the dense similarity of its passage; retrieval re-ranks chunks by their
best sentence and the extractive answerer quotes the best sentences. Passages are any
objects with a source, an article offset, a text and a similarity (`Passage`), so this
layer knows nothing of chunks, hits or answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from service.core import nlp
from service.evidence import lexicon
from service.evidence.annotate import SUBJECTS, Notes, decode, notes_at
from service.evidence.answer_type import expected_answer_type, has_answer_type
from service.evidence.parsed import parse_question
from service.evidence.sentences import Spans, spans_of
from service.evidence.slots import opens_quotation
from service.evidence.text import (
    coverage,
    goes_on,
    idf_weights,
    initial_terms,
    needs_previous,
    terms,
)

# ` date 2025-11-25 Headline`: the marker ingest reads an article's date from (ingest/reader.py).
DATE_MARKER = re.compile(r"\A\s*date[:\s][ \t]*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
# How much of the score comes from the sentence's own words versus its passage's vector.
LEXICAL_WEIGHT = 0.6
# Evidence lacking the kind of answer asked for (a number, a date) counts this much.
TYPE_MISMATCH_FACTOR = 0.5


class Passage(Protocol):
    """A piece of an article: `text == article_text[start:start + len(text)]`."""

    @property
    def source(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def similarity(self) -> float:
        """Cosine similarity of the passage to the question."""
        ...

    @property
    def title(self) -> str: ...

    @property
    def published(self) -> str | None:
        """The article's date, YYYY-MM-DD, when known."""
        ...


P = TypeVar("P", bound=Passage)


# In a follow-up, how much a word carried over from earlier turns counts when sentences
# are matched, against the question's own words: the sentence that answers "Which
# ministers joined him on that call?" holds "ministers", not necessarily "call". Chosen
# on the dev conversations (docs/followups.md).
CARRIED_WEIGHT = 0.25


@dataclass(frozen=True)
class QueryTerms:
    """What is matched against sentences: the text and, when known, the corpus-wide idf
    of its terms (without it, idf is taken over the candidate sentences alone)."""

    text: str
    weights: Mapping[str, float] | None = None
    # The question alone, when `text` also carries context from earlier turns: the answer
    # checks read what is asked from it, so that the context is searched with but is not
    # something every answer must mention.
    asked: str | None = None
    # Terms of `asked` that only the earlier turns supplied (a follow-up's "it" written
    # out as an earlier answer named it): they describe the thing, they choose no article.
    carried: frozenset[str] = frozenset()
    # What scoring found for each sentence, by its (source, start, end) in the article:
    # its coverage of the question and whether it holds the kind of answer asked for.
    # Both depend only on the sentence, `text` and `weights`, so re-ranking fills this and
    # answering the same question reads it instead of scoring those sentences again.
    # Not an init field: a copy with another text or weights starts empty (see `asking`).
    scored: dict[tuple[str, int, int], tuple[float, bool]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def following(self, asked: str | None, carried: AbstractSet[str]) -> QueryTerms:
        """The terms of a follow-up: `asked` the question alone, and the terms only the
        earlier turns supplied (`carried`) weighing `CARRIED_WEIGHT` of their own."""
        if not carried or self.weights is None:
            return self.asking(asked, frozenset(carried))
        weights = {t: w * CARRIED_WEIGHT if t in carried else w for t, w in self.weights.items()}
        return QueryTerms(self.text, weights, asked, frozenset(carried))

    def asking(self, asked: str | None, carried: frozenset[str] = frozenset()) -> QueryTerms:
        """The same search with `asked` as the question alone; it shares the sentences
        already scored, which `asked` does not change."""
        copy = QueryTerms(self.text, self.weights, asked, carried)
        object.__setattr__(copy, "scored", self.scored)
        return copy


@dataclass(frozen=True)
class Evidence(Generic[P]):
    """One sentence of `passage`, at article offsets `start:end`."""

    passage: P
    start: int
    end: int
    quote: str
    dense: float
    lexical: float
    terms: frozenset[str]
    typed: bool = True

    @property
    def source(self) -> str:
        return self.passage.source

    @property
    def score(self) -> float:
        value = LEXICAL_WEIGHT * self.lexical + (1 - LEXICAL_WEIGHT) * max(self.dense, 0.0)
        # "How many ...?" answered by a sentence without a number is not an answer.
        return value if self.typed else value * TYPE_MISMATCH_FACTOR


def _marker_in(text: str, published: str | None) -> re.Match[str] | None:
    # The marker ingest read is the one whose date is the article's (a chunk may start
    # after the article's leading white space, so its offset need not be 0).
    found = DATE_MARKER.match(text)
    return found if found and found.group(1) == published else None


def date_marker(passage: Passage) -> tuple[int, int, str] | None:
    """Passage offsets and value of the article's `date YYYY-MM-DD` marker: the start of
    its first non-blank line (what ingest reads the article's date from)."""
    found = _marker_in(passage.text, passage.published)
    return (found.start(1), found.end(1), found.group(1)) if found else None


def text_spans(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences, without a leading date marker: the marker is metadata, so
    the headline it precedes starts after it (a marker alone on its line is dropped)."""
    return list(_text_spans(passage.text, getattr(passage, "sentences", None), passage.published))


def _text_spans(text: str, stored: str | None, published: str | None) -> Spans:
    spans = spans_of(text, stored)
    found = _marker_in(text, published)
    if found is None:
        return spans
    cut = found.end()
    return tuple((max(s, cut), e) for s, e in spans if e > cut)


# Passages of one article follow one another when only the white space between two
# sentences (a space, a paragraph break) lies between them: chunks are cut at sentence
# boundaries, so the last sentence of one and the first of the next are neighbours.
ADJACENT_GAP = 3

Sentence = tuple[P, int, int]


def across_passages(passages: Sequence[P]) -> list[tuple[Sentence[P], Sentence[P]]]:
    """(last sentence of a passage, first sentence of the passage that follows it), each
    as (passage, start, end) within its passage."""
    firsts: list[Sentence[P]] = []
    lasts: dict[tuple[str, int], Sentence[P]] = {}
    for passage in passages:
        spans = text_spans(passage)
        if spans:
            firsts.append((passage, *spans[0]))
            lasts[(passage.source, passage.start + spans[-1][1])] = (passage, *spans[-1])
    pairs = []
    for first in firsts:
        passage, start = first[0], first[0].start + first[1]
        for end in range(start, start - ADJACENT_GAP - 1, -1):
            last = lasts.get((passage.source, end))
            if last is not None:
                pairs.append((last, first))
                break
    return pairs


def candidate_sentences(passages: Sequence[P]) -> list[tuple[P, int, int, frozenset[str]]]:
    """Every sentence of the passages once (overlapping chunks repeat sentences), with its
    terms: its own, and those of whom its pronoun stands for (`_antecedents`), read in the
    sentence before it, which may be the last of the chunk before."""
    where: dict[tuple[str, int, int], tuple[P, int, int]] = {}
    held: dict[tuple[str, int, int], frozenset[str]] = {}
    for passage in passages:
        read = _sentences(
            passage.text,
            getattr(passage, "sentences", None),
            getattr(passage, "annotations", None),
            passage.published,
        )
        for s, e, found in read:
            key = (passage.source, passage.start + s, passage.start + e)
            seen = held.get(key)
            if seen is None:
                where[key] = (passage, s, e)
                held[key] = found
            elif not found <= seen:
                held[key] = seen | found
    for (before, bs, be), (after, s, e) in across_passages(passages):
        first = _notes_of(after).get(s)
        previous = _notes_of(before).get(bs)
        key = (after.source, after.start + s, after.start + e)
        if _points_back(after.text[s:e]):
            last = before.text[bs:be]
            held[key] |= frozenset(terms(last) + initial_terms(last))
        if first is not None and previous is not None:
            held[key] |= frozenset(_antecedents(first, previous, after.text[s:e]))
    return [(*where[key], held[key]) for key in where]


def _notes_of(passage: Passage) -> dict[int, Notes]:
    return decode(passage.text, getattr(passage, "annotations", None))


@lru_cache(maxsize=16384)
def _sentences(
    text: str, stored: str | None, annotations: str | None, published: str | None
) -> tuple[tuple[int, int, frozenset[str]], ...]:
    # A passage's sentences and their terms depend on its text and stored readings only:
    # re-ranking and answering, and the next questions that find the same chunk, share them.
    read = decode(text, annotations)
    previous: Notes | None = None
    before: list[str] = []
    out = []
    # Chunks carry the spans computed at ingest (`stored`); other passages do not.
    for s, e in _text_spans(text, stored, published):
        notes = read.get(s)
        # "ECB" in a question finds "the European Central Bank" in the sentence.
        own = terms(text[s:e]) + initial_terms(text[s:e])
        found = own + before if _points_back(text[s:e]) else own
        if notes is not None and previous is not None:
            found = found + _antecedents(notes, previous, text[s:e])
        out.append((s, e, frozenset(found)))
        previous, before = notes, own
    return tuple(out)


# "this joint initiative", "these talks": a thing the sentence before named.
_DEMONSTRATIVE = re.compile(r"\b(?:this|these)\s+[^\W\d_]", re.IGNORECASE)


def _points_back(sentence: str) -> bool:
    """Whether the sentence goes on from the one before it (`goes_on`), or opens by
    pointing back to it and speaks of a thing that sentence named by a demonstrative ("He
    emphasised that this joint initiative would ..."): it is quoted with that sentence
    (service/answer/candidates.py), so it is judged with that sentence's terms too. A
    pronoun alone ("It was his second win") keeps to its words: what the sentence before
    says of its subject is not what it says."""
    if _DEMONSTRATIVE.search(sentence) is None:
        # "Havørn will then be kept as a reserve vessel", "are doing the same".
        return goes_on(sentence)
    return needs_previous(sentence)


def _antecedents(notes: Notes, previous: Notes, sentence: str) -> list[str]:
    """The terms of the people and bodies the sentence before names, when this sentence
    reports someone's words by a pronoun and names no one else the pronoun could stand
    for: "“I spent years looking at the old shed from the bridge,” he said." is Erling
    Moen's, whom the sentence before names. News quotes a person so, and the sentence is
    then found by the person's name (and the body the person speaks for: "Kvitsund mayor
    Hanne Lysø"). A bare quotation, with no one said to say it, is the words of whom the
    sentence before names too. Only the speaker of a quotation: "He crashed ..." keeps to
    its words."""
    subjects = {
        child
        for head, relation, child in notes.relations
        if head in lexicon.REPORTING and relation == "nsubj"
    }
    speakers = subjects & lexicon.SPEAKER_PRONOUNS
    if speakers:
        # "He" and "she" stand for a person ("he said" beside NATO is still a person's
        # words); "they" for people or a body.
        rivals = lexicon.PERSONISH if speakers - lexicon.PERSON_PRONOUNS else frozenset({"PERSON"})
        if any(e.label in rivals for e in notes.entities):
            return []
    elif subjects or not opens_quotation(sentence):
        return []
    return [t for e in previous.entities if e.label in lexicon.PERSONISH for t in terms(e.text)]


def _supported(
    question: str, weights: Mapping[str, float]
) -> tuple[frozenset[str], frozenset[str]]:
    """The question's terms that are verbs "do" supports, and those a modal carries, as
    their base forms are written."""
    if not weights:
        return frozenset(), frozenset()
    parsed = parse_question(question)

    def held(verbs: frozenset[str]) -> frozenset[str]:
        return frozenset(t for verb in verbs for t in terms(verb) if t in weights)

    return held(parsed.supported), held(parsed.modal)


# What English adds to a verb to name who does it: "director", "winner", "founder".
_AGENT_SUFFIX = re.compile(r"[a-z]?(?:er|or)|ist")


def _doer_term(question: str, weights: Mapping[str, float]) -> tuple[str, str] | None:
    """For a question of who did something, the term of its verb and the verb's base form:
    a sentence that names the doer by a noun made of the verb ("festival director X" for
    "who directed the festival") holds that term."""
    parsed = parse_question(question)
    predicate = parsed.predicate
    if parsed.wh not in lexicon.ROLE_WH or predicate is None:
        return None
    verb = predicate.lemma
    if len(verb) < 3 or verb in lexicon.AUXILIARIES:
        return None
    term = next((t for t in weights if t == verb or verb in nlp.base_forms(t)), None)
    return None if term is None else (term, verb)


def _names_doer(verb: str, sentence_terms: frozenset[str]) -> bool:
    return any(
        t.startswith(verb) and _AGENT_SUFFIX.fullmatch(t[len(verb) :]) is not None
        for t in sentence_terms
    )


# The relations whose head is a verb: who does it and to what, and what only a verb
# takes (an auxiliary, a negation, a particle).
_VERB_ARGUMENTS = SUBJECTS | {"dobj", "aux", "auxpass", "neg", "prt"}
# The relations whose dependant is a verb: a clause completing or qualifying a word
# ("said the county was rewarding", "a company that cannot keep to a budget").
_CLAUSES = frozenset({"ccomp", "xcomp", "advcl", "relcl", "pcomp"})


@lru_cache(maxsize=16384)
def _modal_bases(notes: Notes) -> frozenset[str]:
    """The base forms of the sentence's verbs that a modal carries ("will be commanded"),
    as terms."""
    return frozenset(
        t
        for head, relation, child in notes.relations
        if relation == "aux" and child in lexicon.MODALS
        for t in terms(head)
    )


@lru_cache(maxsize=16384)
def _verb_bases(notes: Notes) -> frozenset[str]:
    """The base forms of the sentence's verbs, as terms: what has a subject, an object or
    an auxiliary, what a clause of another word is headed by, and a verb joined to one of
    those ("said ... and called for": the subject they share is the first's only)."""
    verbs = {head for head, relation, _ in notes.relations if relation in _VERB_ARGUMENTS}
    verbs |= {child for _, relation, child in notes.relations if relation in _CLAUSES}
    verbs |= {
        child for head, relation, child in notes.relations if relation == "conj" and head in verbs
    }
    return frozenset(t for verb in verbs for t in terms(verb))


def _within(notes: Notes | None, offset: int) -> Notes | None:
    """The stored reading of the sentence starting at `offset`, not of a longer one holding
    it (a sentence cut by the date marker)."""
    return notes if notes is not None and notes.start == offset else None


def score_evidence(query: QueryTerms, passages: Sequence[P]) -> list[Evidence[P]]:
    """Candidate sentences with their scores, best first."""
    question = query.text
    query_terms = terms(question)
    candidates = candidate_sentences(passages)
    if not query_terms or not candidates:
        return []
    weights: Mapping[str, float]
    # Idf over the candidates themselves depends on which passages these are: only the
    # corpus-wide weights make a sentence's score its own, and so worth keeping.
    scored: dict[tuple[str, int, int], tuple[float, bool]] = {}
    if query.weights is None:
        weights = idf_weights(query_terms, [c[3] for c in candidates])
    else:
        weights = {t: query.weights[t] for t in set(query_terms) if t in query.weights}
        scored = query.scored
    wanted = expected_answer_type(question)
    supported, modal = _supported(question, weights)
    doer = _doer_term(question, weights)
    evidence = []
    for passage, s, e, sentence_terms in candidates:
        start, end = passage.start + s, passage.start + e
        quote = passage.text[s:e]
        key = (passage.source, start, end)
        found = scored.get(key)
        if found is None:
            stored = getattr(passage, "annotations", None)
            notes = (
                notes_at(passage.text, stored, s, e)
                if (wanted or supported or modal) and stored
                else None
            )
            own = _within(notes, s)
            held = sentence_terms
            if own is not None and supported - sentence_terms:
                held = sentence_terms | (supported & _verb_bases(own))
            if own is not None and modal - held:
                held = held | (modal & _modal_bases(own))
            if doer is not None and doer[0] not in held and _names_doer(doer[1], held):
                held = held | {doer[0]}
            found = (coverage(weights, held), has_answer_type(quote, wanted, question, own))
            scored[key] = found
        lexical, typed = found
        evidence.append(
            Evidence(
                passage=passage,
                start=start,
                end=end,
                quote=quote,
                dense=passage.similarity,
                lexical=lexical,
                terms=sentence_terms,
                typed=typed,
            )
        )
    evidence.sort(key=lambda ev: (-ev.score, ev.source, ev.start))
    return evidence

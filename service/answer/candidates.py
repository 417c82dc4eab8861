"""The candidate answer sentences of some passages, shared by every answerer.

The extractive answerer quotes the best of them; the select and generative answerers show
them, numbered, to a model. A candidate is completed without leaving the article's text: a
sentence that opens with a pronoun brings the sentence before it, and one that ends in a
colon the sentence after it, as one contiguous span.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from spacy.lang.en.stop_words import STOP_WORDS

from service.answer.base import AnswerPassage
from service.evidence import lexicon
from service.evidence.annotate import SUBJECTS
from service.evidence.parsed import parse_question
from service.evidence.reading import reading
from service.evidence.scoring import QueryTerms, score_evidence
from service.evidence.slots import opens_quotation
from service.evidence.support import (
    Answers,
    Candidate,
    Span,
    holding,
    neighbours,
    rank_answers,
)
from service.evidence.text import needs_previous


@dataclass(frozen=True)
class Part:
    """One cited piece of an answer: article `source[start:end] == quote`."""

    passage: AnswerPassage
    start: int
    end: int
    quote: str
    score: float
    # The answer text shown for it (the quote with its white space folded), if not that.
    text: str | None = None
    # Where in `quote` a sentence of its own begins: a pronoun sentence quoted with the
    # sentence before it is two sentences, and each carries the citation.
    breaks: tuple[int, ...] = ()


@dataclass(frozen=True)
class SentencePassage:
    """A completed candidate sentence as a passage of its own, for a prompt: the claim
    check and the citations read it like any passage (`text` is article text at
    `start`)."""

    source: str
    start: int
    text: str
    title: str
    published: str | None
    score: float
    similarity: float

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def rank(query: QueryTerms, passages: Sequence[AnswerPassage]) -> Answers[AnswerPassage]:
    """The candidate answer sentences of `passages`, best first (service/evidence)."""
    return rank_answers(query, score_evidence(query, passages), passages)


# Most sentences a quotation is followed into after the one the answer quotes.
QUOTED_ON = 2
_QUOTATION_MARKS = frozenset('“”"')


def opens_unclosed(text: str) -> bool:
    """Whether the text's last quotation mark opens a quotation: “ does, ” does not, and a
    straight one opens where it starts a word (a closing one ends the words before it)."""
    marks = [i for i, c in enumerate(text) if c in _QUOTATION_MARKS]
    if not marks:
        return False
    last = marks[-1]
    if text[last] != '"':
        return text[last] == "“"
    return last == 0 or text[last - 1].isspace() or text[last - 1] in "([—–-"


def excerpt(passages: Sequence[AnswerPassage], source: str, start: int, end: int) -> str | None:
    """Article text `start:end` of `source`, if one passage holds all of it."""
    p = holding(passages, source, start, end)
    return None if p is None else p.text[start - p.start : end - p.start]


def complete(
    candidate: Candidate[AnswerPassage],
    answers: Answers[AnswerPassage],
    passages: Sequence[AnswerPassage],
) -> Part:
    """The candidate's sentence, with the sentence before it when it opens with a pronoun,
    the sentence after it when it ends with a colon or states what a "why" question asks
    the reason of, and the sentences up to the one that closes a quotation it leaves open
    (at most `QUOTED_ON`): one contiguous span."""
    ev = candidate.evidence
    start, end = ev.start, ev.end
    joined: list[int] = []
    around = answers.around.get((ev.source, ev.start))
    if around is not None:
        if (
            around.previous is not None
            and needs_previous(ev.quote)
            and _names_anything(around.previous, passages)
        ):
            start = around.previous.start
            joined.append(ev.start)
        if around.following is not None and (
            ev.quote.rstrip().endswith(":")
            or _reason_after(candidate, answers)
            or _quoted_after(candidate, answers, around.following)
        ):
            end = around.following.end
            joined.append(around.following.start)
        # Words in quotation marks go on to the sentence that closes the marks: “Of
        # course, he's part of the change. He's not all of it.”
        for _ in range(QUOTED_ON):
            said = excerpt(passages, ev.source, start, end)
            last = answers.around.get((ev.source, joined[-1] if joined else ev.start))
            if said is None or not opens_unclosed(said) or last is None or last.following is None:
                break
            end = last.following.end
            joined.append(last.following.start)
    quote = excerpt(passages, ev.source, start, end)
    if quote is None:
        return Part(ev.passage, ev.start, ev.end, ev.quote, candidate.score)
    breaks = tuple(b - start for b in joined if start < b < end)
    return Part(ev.passage, start, end, quote, candidate.score, breaks=breaks)


def _quoted_after(
    candidate: Candidate[AnswerPassage], answers: Answers[AnswerPassage], following: Span
) -> bool:
    """Whether the sentence after the words of the asked speaker is a quotation that
    names no one saying it: news gives a speaker once, then their words in quotation
    marks ("The mayor repeated that the bridge could not stay free for ever. “We should
    set a date for the tolls and keep to it.”")."""
    asked = answers.asked
    if asked.slots[:1] != ("speech",) or asked.speaker is None or not candidate.support.slot:
        return False
    text = following.text.strip()
    return opens_quotation(text) and (text[-1] in _QUOTATION_MARKS or opens_unclosed(text))


def _names_anything(sentence: Span, passages: Sequence[AnswerPassage]) -> bool:
    """Whether the sentence before a pronoun sentence names anyone or anything the pronoun
    could stand for: "Nobody was injured." before "He will be succeeded by ..." does
    not, and quoting it would only lengthen the answer. A sentence no passage holds whole
    is kept, as it was."""
    holder = holding(passages, sentence.source, sentence.start, sentence.end)
    if holder is None:
        return True
    notes = reading(holder, sentence.start, sentence.end, sentence.text)
    if any(n.entities for n in notes):
        return True
    arguments = SUBJECTS | {"dobj", "attr"}
    return any(
        child not in STOP_WORDS
        for n in notes
        for _, relation, child in n.relations
        if relation in arguments
    )


def _reason_after(candidate: Candidate[AnswerPassage], answers: Answers[AnswerPassage]) -> bool:
    """Whether a "why" question is answered by a sentence that states the event and no
    reason for it ("The defending champion did not finish."): news gives the reason in
    the sentence after ("He crashed on a wet roundabout ...")."""
    if parse_question(answers.asked.question).wh != "why" or not candidate.found:
        return False
    return not any(lemma in lexicon.CAUSAL for notes in candidate.found for lemma in notes.lemmas)


def evidence_parts(
    answers: Answers[AnswerPassage],
    limit: int,
    context: Sequence[AnswerPassage],
) -> list[Part]:
    """The best `limit` candidates, completed from `context` (the passages, perhaps with
    the chunks around them, so that the sentence before one at a chunk's start is found),
    without a candidate already inside an earlier one."""
    around = replace(answers, around={**answers.around, **neighbours(context)})
    parts: list[Part] = []
    for candidate in answers.candidates:
        if len(parts) >= limit:
            break
        ev = candidate.evidence
        if any(p.passage.source == ev.source and p.start <= ev.start < p.end for p in parts):
            continue
        part = complete(candidate, around, context)
        inside = [
            i
            for i, p in enumerate(parts)
            if p.passage.source == part.passage.source and part.start <= p.start < part.end
        ]
        if inside:
            # The sentence before this one was itself a candidate: one span, in its place.
            parts[inside[0]] = part
            parts = [p for i, p in enumerate(parts) if i not in inside[1:]]
        else:
            parts.append(part)
    return parts


def as_passage(part: Part) -> SentencePassage:
    return SentencePassage(
        source=part.passage.source,
        start=part.start,
        text=part.quote,
        title=part.passage.title,
        published=part.passage.published,
        score=round(part.score, 4),
        similarity=part.passage.similarity,
    )

"""The default answerer: sentences taken verbatim from the retrieved passages.

Deterministic and offline. The sentence that best holds what the question asks for
(service/evidence/support.py: its words, and the asked-for kind of thing beside the
question's own names, numbers and dates) becomes the answer, cited by its exact span; it
abstains when even that sentence is weak. The answer is made complete without leaving the
article's text:
- a sentence that opens with a pronoun brings the sentence before it, and one that ends in
  a colon the sentence after it, as one contiguous span and one citation;
- a further sentence joins only if it adds something the question asks for: a kind of
  answer the first lacks ("who ... and when?"), more names for a list question ("who
  attended?"), or a large part of the question the first does not cover;
- a date question whose sentences carry no date gets the article's date, cited to its
  `date YYYY-MM-DD` marker when the text has one, uncited when only metadata knows it,
  and the day each of their relative times names, as ingest read it against that date
  ("on Wednesday" in an article of Thursday 21 May 2026 is 20 May 2026).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import date as Date

from service.answer.base import Answer, AnswerPassage, Citation, Usage
from service.answer.candidates import Part, complete, rank
from service.evidence.reading import Reading, reading
from service.evidence.scoring import QueryTerms, date_marker
from service.evidence.support import (
    Answers,
    Candidate,
    fills,
    has_calendar_date,
    holding,
    named,
)
from service.evidence.text import fold_whitespace, needs_previous, terms
from service.settings import AnswerSettings

MODEL_NAME = "extractive"
# A further sentence joins if it holds at least this share of the question's (idf-weighted)
# terms that the answer so far lacks.
NEW_TERMS_SHARE = 0.3
# List questions may gather names from this many more sentences than max_sentences.
LIST_EXTRA = 1


def adds(
    candidate: Candidate[AnswerPassage],
    chosen: Sequence[Part],
    first: Candidate[AnswerPassage],
    answers: Answers[AnswerPassage],
    query: QueryTerms,
) -> bool:
    """Whether the candidate adds something the question asks for to the chosen parts."""
    ev = candidate.evidence
    if _overlaps(chosen, ev.source, ev.start, ev.end):
        return False
    asked, proper = answers.asked, answers.proper
    so_far = " ".join(p.quote for p in chosen)
    read_so_far = tuple(n for p in chosen for n in reading(p.passage, p.start, p.end, p.quote))
    fresh = ev.terms - set(terms(so_far))
    # As well anchored as the first: every constraint of the question that the first
    # meets, this one meets too, in its own words (not a second answer about another event).
    anchored = (
        candidate.support.constraints >= first.support.constraints
        and candidate.support.constraints_in_sentence >= first.support.constraints_in_sentence
    )
    for slot in asked.slots:
        if not fills(slot, ev.quote, asked, proper, candidate.found or None):
            continue
        if not fills(slot, so_far, asked, proper, read_so_far):
            return True  # "who ... and when?": the first holds no date
        more = asked.is_list and slot in ("person", "name", "place")
        if more and named(slot, ev.quote, asked, proper, candidate.found or None) - named(
            slot, so_far, asked, proper, read_so_far
        ):
            return True  # "which countries": more of them
    if not anchored:
        return False
    if asked.slots and candidate.support.slot:
        # As well anchored and holding the asked kind too: the precise figure after "more
        # than a thousand", or more of the speaker's words.
        return bool(fresh)
    if not asked.slots:
        # An open question ("what did Zelensky thank Starmer for?") may be answered in
        # two sentences.
        return bool(fresh)
    weights = query.weights or {t: 1.0 for t in terms(query.text)}
    total = sum(weights.values())
    new = sum(w for t, w in weights.items() if t in fresh)
    # A large part of the question the answer so far does not cover ("how many died,
    # and what did they knock out?").
    return total > 0 and new / total >= NEW_TERMS_SHARE


def _continued(
    candidate: Candidate[AnswerPassage],
    chosen: Sequence[Part],
    answers: Answers[AnswerPassage],
) -> int | None:
    """The index of the chosen part the candidate goes on from, where it opens by pointing
    back to the part's last sentence ("The Prime Minister urged leaders to commit to the
    mission. He emphasised that this joint initiative would ...") and holds the asked
    kind too."""
    ev = candidate.evidence
    around = answers.around.get((ev.source, ev.start))
    if around is None or around.previous is None or not needs_previous(ev.quote):
        return None
    if not (candidate.passes and candidate.support.slot):
        return None
    last = around.previous
    return next(
        (
            i
            for i, part in enumerate(chosen)
            if part.passage.source == ev.source and part.end == last.end
        ),
        None,
    )


def _continue_with(
    chosen: list[Part],
    i: int,
    candidate: Candidate[AnswerPassage],
    passages: Sequence[AnswerPassage],
) -> None:
    """Part `i` with the candidate's sentence after it: one span where a passage holds
    both, else the sentence as a part of its own right after it."""
    part, ev = chosen[i], candidate.evidence
    holder = holding(passages, ev.source, part.start, ev.end)
    if holder is not None:
        quote = holder.text[part.start - holder.start : ev.end - holder.start]
        breaks = (*part.breaks, ev.start - part.start)
        chosen[i] = Part(holder, part.start, ev.end, quote, part.score, breaks=breaks)
    else:
        chosen.insert(i + 1, Part(ev.passage, ev.start, ev.end, ev.quote, candidate.score))


def _overlaps(parts: Sequence[Part], source: str, start: int, end: int) -> bool:
    """Whether any part quotes some of article text `start:end` of `source`."""
    return any(p.passage.source == source and p.start < end and start < p.end for p in parts)


def dated(
    parts: Sequence[Part],
    found: Reading,
    passages: Sequence[AnswerPassage],
) -> Part | None:
    """The article's date for a date question whose answer names no calendar date (none,
    or only "today", "on Tuesday"), or no day of a month but one relative to the article
    ("won on Sunday, ... held since 2019"): cited to the article's `date YYYY-MM-DD`
    marker when a passage holds it; uncited (an empty span) when only metadata knows the
    date. `found`: what ingest read in the parts."""
    text = " ".join(p.quote for p in parts)
    if has_calendar_date(text, found, day=True) or (
        has_calendar_date(text, found) and not relative_days(found)
    ):
        return None
    first = parts[0]
    for p in passages:
        marker = date_marker(p) if p.source == first.passage.source else None
        if marker is not None:
            s, e, _ = marker
            return Part(p, p.start + s, p.start + e, p.text[s:e], first.score)
    published = first.passage.published
    if published:
        return Part(first.passage, 0, 0, "", first.score, text=published)
    return None


def relative_days(found: Reading) -> list[tuple[str, str]]:
    """Each relative time `found` in the answer's parts that names one day ("on
    Wednesday", "yesterday"), as written, with that day ("20 May 2026") as ingest
    resolved it from the article's date and the tense of its verb."""
    days: dict[str, str] = {}
    for notes in found:
        written = {
            d: next((e.text for e in notes.entities if (e.start, e.end) == (d.start, d.end)), "")
            for d in notes.dates
        }
        # "on Thursday, 1 October": the day is written out beside it.
        given = {(d.first, d.last) for d, text in written.items() if _has_digit(text)}
        for d, text in written.items():
            if d.first != d.last or not text or _has_digit(text) or (d.first, d.last) in given:
                continue
            day = Date.fromisoformat(d.first)
            days.setdefault(text, f"{day.day} {day:%B} {day.year}")
    return list(days.items())


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def with_marker(sentence: str, n: int) -> str:
    """`Talks were held in Geneva [1].`: the marker goes before a final full stop."""
    if sentence.endswith((".", "!", "?")) and not sentence.endswith(".."):
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


def select(
    answers: Answers[AnswerPassage],
    passages: Sequence[AnswerPassage],
    query: QueryTerms,
    max_sentences: int,
    keep_ratio: float,
) -> list[Part]:
    """The best answer sentence, completed, plus close runners-up that add what is asked."""
    best = answers.candidates[0]
    chosen = [complete(best, answers, passages)]
    limit = max_sentences + (LIST_EXTRA if answers.asked.is_list else 0)
    for candidate in answers.candidates[1:]:
        if len(chosen) >= limit:
            break
        continued = _continued(candidate, chosen, answers)
        # Someone's words go on in the sentence after ("..., Lavrov reiterated that ... He
        # maintained ..."), in words of their own: that sentence joins whatever its score.
        speaking = continued is not None and answers.asked.slots[:1] == ("speech",)
        # Runners-up come in the order they would lead, and join by how well they answer.
        if candidate.choice < keep_ratio * best.choice and not speaking:
            continue
        if continued is not None:
            _continue_with(chosen, continued, candidate, passages)
        elif adds(candidate, chosen, best, answers, query):
            part = complete(candidate, answers, passages)
            # Completed with the sentence before or after it, a runner-up may take in a
            # sentence already chosen: quoting it twice adds nothing.
            if not _overlaps(chosen, part.passage.source, part.start, part.end):
                chosen.append(part)
    return chosen


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings) -> None:
        self._settings = settings

    @property
    def model(self) -> str:
        return MODEL_NAME

    def answer(self, query: QueryTerms, passages: Sequence[AnswerPassage]) -> Answer:
        return self.ranked(rank(query, passages), query, passages)

    def ranked(
        self,
        answers: Answers[AnswerPassage],
        query: QueryTerms,
        passages: Sequence[AnswerPassage],
    ) -> Answer:
        """The answer from candidates already ranked (`rank(query, passages)`), for an
        answerer that reads the same ranking itself."""
        confidence = round(answers.confidence, 4)
        if not answers.candidates or answers.confidence < self._settings.min_score:
            return replace(Answer.abstain(MODEL_NAME), confidence=confidence)
        parts = select(
            answers, passages, query, self._settings.max_sentences, self._settings.keep_ratio
        )
        texts, citations = quotes(parts)
        date = None
        found: Reading = ()
        if "date" in answers.asked.slots:
            found = tuple(n for p in parts for n in reading(p.passage, p.start, p.end, p.quote))
            date = dated(parts, found, passages)
        if date is not None:
            days = "".join(f", so “{w}” is {d}" for w, d in relative_days(found))
            if date.quote:
                n = len(citations) + 1
                texts.append(f"The article is dated {date.quote} [{n}]{days}.")
                citations.append(citation(date, n))
            else:
                texts.append(f"The article is dated {date.text}{days}.")
        return Answer(
            text=" ".join(texts),
            abstained=False,
            citations=citations,
            model=MODEL_NAME,
            confidence=confidence,
        )


def quotes(parts: Sequence[Part]) -> tuple[list[str], list[Citation]]:
    """Each part verbatim (white space folded) with its marker [n], numbered 1..N, and
    its citation to its exact span."""
    texts: list[str] = []
    citations: list[Citation] = []
    for part in parts:
        n = len(citations) + 1
        bounds = (0, *part.breaks, len(part.quote))
        pieces = [fold_whitespace(part.quote[a:b]) for a, b in itertools.pairwise(bounds)]
        texts.append(" ".join(with_marker(piece, n) for piece in pieces if piece))
        citations.append(citation(part, n))
    return texts, citations


def quoted_answer(chosen: Sequence[Part], model: str, usage: Usage) -> Answer:
    """The chosen sentences verbatim, in order, markers [n] numbered 1..N, each cited to
    its exact span; an abstention when none is chosen."""
    if not chosen:
        return Answer.abstain(model, usage=usage)
    texts, citations = quotes(chosen)
    return Answer(
        text=" ".join(texts), abstained=False, citations=citations, model=model, usage=usage
    )


def citation(part: Part, n: int) -> Citation:
    return Citation(
        n=n,
        source=part.passage.source,
        title=part.passage.title,
        published=part.passage.published,
        start=part.start,
        end=part.end,
        quote=part.quote,
        score=round(part.score, 4),
    )

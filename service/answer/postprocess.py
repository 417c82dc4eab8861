"""Turn an LLM's raw text into a contract answer.

The answer is split into claims (its sentences, each with the markers inside or right
after it). Every claim is checked against the passages (service/answer/verify.py): kept
and cited to the sentence that states it, preferring the passages the model cited, or
dropped when no passage states it. Citations are numbered in order of appearance. A
refusal, in the fixed sentence or the model's own words, becomes an abstention, and so
does an answer of which no claim survives (or, asked so, it raises `Unverified`, for the
answerer to decide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from service.answer.base import ABSTAIN_TEXT, Answer, Citation, Usage
from service.answer.candidates import Part
from service.answer.extractive import quoted_answer
from service.answer.prompt import Numbered
from service.answer.verify import Sentence, Verifier, only_about_the_source, parse_claim
from service.answer.wording import WordVectors
from service.evidence.sentences import sentence_spans

# One run of adjacent marker groups: "[1]", "[1][2]", "[1, 2]", "[1] [1]".
MARKER = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_LEADING_MARKER = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
# "(passage 2)", "(Passage [2])": a citation in words.
_PASSAGE_WORDS = re.compile(r"\(\s*passages?\s*\[?\s*(\d+)\s*\]?\s*\)", re.IGNORECASE)
# "According to passage [1], ...", "The article states that ...": about the source, not a fact.
_LEAD_IN = re.compile(
    r"^(?:according to|as (?:stated|mentioned|reported|noted|said) in|based on)\s+"
    r"(?:the\s+)?(?:passages?|articles?|texts?|sources?)(?:\s*\d+)?\s*,?\s*|"
    r"^(?:the\s+)?(?:passages?|articles?)(?:\s*\d+)?\s+(?:states?|says?|mentions?|reports?|"
    r"notes?)(?:\s+that)?\s*,?\s*",
    re.IGNORECASE,
)
_BUT = re.compile(r",?\s+(?:but|however,?)\s+", re.IGNORECASE)
_REFUSAL = re.compile(
    r"do(?:es)? not (?:answer|contain|mention|say|provide|include|specify|state)|"
    r"(?:do|does|did)n['’]t (?:answer|contain|mention|say|provide|include|specify|state)|"
    r"cannot (?:answer|find|be answered)|can['’]t (?:answer|find)|"
    r"no (?:information|mention)|(?:not|n['’]t) (?:mentioned|provided|stated|specified|given) in|"
    r"none of the (?:passages|articles)",
    re.IGNORECASE,
)


class MalformedOutput(Exception):
    """The model answered without any usable citation."""


class Unverified(Exception):
    """The model answered, and no claim of its answer is stated by a passage."""


def is_refusal(text: str) -> bool:
    plain = MARKER.sub("", text).strip()
    if not plain:
        return True
    return ABSTAIN_TEXT.casefold() in plain.casefold() or bool(_REFUSAL.search(plain))


@dataclass(frozen=True)
class RawClaim:
    """One sentence of the model's answer: its text without markers, the passage numbers
    it cited, and whether a line break came before it."""

    text: str
    cited: tuple[int, ...]
    new_line: bool


def _numbers_in(markers: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", markers)]


def split_claims(text: str) -> list[RawClaim]:
    """The answer's sentences with their markers; a marker group opening a sentence
    ("Geneva. [2] Next ...") belongs to the sentence before it."""
    text = _PASSAGE_WORDS.sub(r"[\1]", text)
    claims: list[RawClaim] = []
    previous_end = 0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        new_line = "\n" in text[previous_end:start]
        previous_end = end
        lead = _LEADING_MARKER.match(sentence)
        if lead and claims:
            last = claims[-1]
            claims[-1] = RawClaim(
                last.text, (*last.cited, *_numbers_in(lead.group(0))), last.new_line
            )
            sentence = sentence[lead.end() :]
        cited = tuple(n for m in MARKER.finditer(sentence) for n in _numbers_in(m.group(0)))
        plain = " ".join(MARKER.sub(" ", sentence).split())
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        plain = _LEAD_IN.sub("", plain)
        if plain.strip(" \t.,;:!?-*"):
            claims.append(RawClaim(plain[0].upper() + plain[1:], cited, new_line))
    return claims


def _factual_part(claim: RawClaim) -> RawClaim | None:
    """The claim without a refusal ("X is not mentioned, but Y" -> "Y"); None if it is
    only a refusal."""
    if not is_refusal(claim.text):
        return claim
    parts = _BUT.split(claim.text, maxsplit=1)
    if len(parts) == 2 and is_refusal(parts[0]) and not is_refusal(parts[1]):
        rest = parts[1]
        return RawClaim(rest[0].upper() + rest[1:], claim.cited, claim.new_line)
    return None


def with_markers(sentence: str, numbers: Sequence[int]) -> str:
    """`Talks were held in Geneva [1].`: markers go before a final full stop."""
    tags = "".join(f" [{n}]" for n in numbers)
    if sentence.endswith((".", "!", "?")) and not sentence.endswith(".."):
        return f"{sentence[:-1]}{tags}{sentence[-1]}"
    return f"{sentence}{tags}"


def finalize(
    raw: str,
    passages: Sequence[Numbered],
    model: str,
    usage: Usage,
    question: str = "",
    vectors: WordVectors | None = None,
    *,
    strict: bool = False,
    answering: AbstractSet[int] | None = None,
) -> Answer:
    """The contract answer of the model's `raw` text; `strict`: raise `Unverified` instead
    of abstaining when the model answered and no claim of it survives the check;
    `answering`: the numbers of the passages that answer the question, the only ones a
    claim may rest on (all when None)."""
    text = raw.strip()
    by_number = {p.n: p for p in passages}
    if is_refusal(text) and not any(
        n in by_number for m in MARKER.finditer(text) for n in _numbers_in(m.group(0))
    ):
        return Answer.abstain(model, usage=usage)
    if not MARKER.sub("", _PASSAGE_WORDS.sub("", text)).strip(" \t\r\n.,;:!?"):
        return _quoted(text, by_number, model, usage, answering, strict=strict)

    claims = split_claims(text)
    if claims and _factual_part(claims[0]) is None:
        # The model opened with a refusal: what follows is context, not an answer.
        return Answer.abstain(model, usage=usage)
    if MARKER.search(text) and claims and all(only_about_the_source(c.text) for c in claims):
        # "This is stated in [1].": words about the source only, so the markers answer.
        return _quoted(text, by_number, model, usage, answering, strict=strict)
    stating = passages if answering is None else [p for p in passages if p.n in answering]
    verifier = Verifier(stating, vectors)
    citations: list[Citation] = []
    numbering: dict[tuple[str, int, int], int] = {}
    parts: list[str] = []
    for raw_claim in claims:
        claim = _factual_part(raw_claim)
        if claim is None:
            continue
        supports = verifier.support(parse_claim(claim.text, question), claim.cited)
        if not supports:
            continue  # no passage states it: dropped, never cited
        numbers = [_cite(s, numbering, citations) for x in supports for s in x.sentences]
        sentence = with_markers(claim.text, list(dict.fromkeys(numbers)))
        if parts:
            parts.append("\n" if claim.new_line else " ")
        parts.append(sentence)
    if not citations:
        if strict:
            raise Unverified(text)
        return Answer.abstain(model, usage=usage)
    return Answer(
        text="".join(parts), abstained=False, citations=citations, model=model, usage=usage
    )


def _quoted(
    text: str,
    by_number: dict[int, Numbered],
    model: str,
    usage: Usage,
    answering: AbstractSet[int] | None,
    *,
    strict: bool,
) -> Answer:
    """A reply that is only markers ("[2]") names the passages that answer: the answer is
    their sentences verbatim, each cited to its span (a small model often replies so)."""
    named = dict.fromkeys(n for m in MARKER.finditer(text) for n in _numbers_in(m.group(0)))
    valid = [n for n in named if n in by_number]
    if not valid:
        raise MalformedOutput("the model's answer cites only passages it was not shown")
    shown = [by_number[n].passage for n in valid if answering is None or n in answering]
    if not shown:
        if strict:
            raise Unverified(text)
        return Answer.abstain(model, usage=usage)
    return quoted_answer(
        [
            Part(p, p.start + start, p.start + end, p.text[start:end], p.score)
            for p in shown
            for start, end in sentence_spans(p.text)
        ],
        model,
        usage,
    )


def _cite(
    sentence: Sentence, numbering: dict[tuple[str, int, int], int], citations: list[Citation]
) -> int:
    passage = sentence.passage.passage
    key = (passage.source, sentence.start, sentence.end)
    if key not in numbering:
        numbering[key] = len(citations) + 1
        citations.append(
            Citation(
                n=numbering[key],
                source=passage.source,
                title=passage.title,
                published=passage.published,
                start=sentence.start,
                end=sentence.end,
                quote=sentence.text,
                score=round(passage.score, 4),
            )
        )
    return numbering[key]

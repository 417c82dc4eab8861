"""Turn an LLM's raw text into a contract answer.

Markers are mapped to passages, each citation is narrowed to the passage sentence that
best supports the claim it follows, markers pointing nowhere are dropped, the rest are
renumbered in order of appearance, and a refusal becomes an abstention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.answer.base import ABSTAIN_TEXT, Answer, Citation, Usage
from service.answer.prompt import Numbered
from service.evidence.sentences import sentence_spans
from service.evidence.text import coverage, idf_weights, terms

# One run of adjacent marker groups: "[1]", "[1][2]", "[1, 2]", "[1] [1]".
MARKER = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
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


def is_refusal(text: str) -> bool:
    plain = MARKER.sub("", text).strip()
    if not plain:
        return True
    return ABSTAIN_TEXT.casefold() in plain.casefold() or bool(_REFUSAL.search(plain))


def _claim_for(text: str, position: int) -> str:
    """The sentence a marker at `position` supports.

    A marker that opens a sentence ("Geneva. [2] Next ...") or stands alone belongs to
    the sentence before it.
    """
    previous = ""
    for start, end in sentence_spans(text):
        sentence = MARKER.sub("", text[start:end]).strip()
        if start <= position <= end:
            leading = not text[start:position].strip() or MARKER.fullmatch(text[start:position])
            return previous if (leading and previous) or not sentence else sentence
        if end < position and sentence:
            previous = sentence
    return previous


def narrow(claim: str, numbered: Numbered) -> tuple[int, int]:
    """The passage sentence (article offsets) that best supports `claim`."""
    passage = numbered.passage
    spans = sentence_spans(passage.text) or ((0, len(passage.text)),)
    sentence_terms = [set(terms(passage.text[s:e])) for s, e in spans]
    weights = idf_weights(terms(claim), sentence_terms)
    best_index = 0
    best = -1.0
    for i, found in enumerate(sentence_terms):
        value = coverage(weights, found)
        if value > best:
            best_index, best = i, value
    s, e = spans[best_index]
    return passage.start + s, passage.start + e


def finalize(raw: str, passages: Sequence[Numbered], model: str, usage: Usage) -> Answer:
    text = raw.strip()
    by_number = {p.n: p for p in passages}
    if is_refusal(text) and not any(
        int(n) in by_number for m in MARKER.finditer(text) for n in re.findall(r"\d+", m.group(0))
    ):
        return Answer.abstain(model, usage=usage)

    if not MARKER.sub("", text).strip(" \t\r\n.,;:!?"):
        raise MalformedOutput("the model's answer is only citation markers")
    citations: list[Citation] = []
    numbering: dict[tuple[str, int, int], int] = {}

    def renumber(match: re.Match[str]) -> str:
        claim = _claim_for(text, match.start())
        new_numbers: list[int] = []
        for raw_n in re.findall(r"\d+", match.group(0)):
            passage = by_number.get(int(raw_n))
            if passage is None:
                continue  # a marker that points nowhere is dropped
            start, end = narrow(claim, passage)
            cited = passage.passage
            key = (cited.source, start, end)
            if key not in numbering:
                numbering[key] = len(citations) + 1
                quote = cited.text[start - cited.start : end - cited.start]
                citations.append(
                    Citation(
                        n=numbering[key],
                        source=cited.source,
                        title=cited.title,
                        published=cited.published,
                        start=start,
                        end=end,
                        quote=quote,
                        score=round(cited.score, 4),
                    )
                )
            if numbering[key] not in new_numbers:
                new_numbers.append(numbering[key])
        return "".join(f" [{n}]" for n in new_numbers)

    rebuilt = MARKER.sub(renumber, text)
    rebuilt = re.sub(r"[ \t]+([.,;:!?])", r"\1", rebuilt).strip()
    if not citations:
        if is_refusal(rebuilt):
            return Answer.abstain(model, usage=usage)
        raise MalformedOutput("the model's answer cites no passage")
    return Answer(text=rebuilt, abstained=False, citations=citations, model=model, usage=usage)

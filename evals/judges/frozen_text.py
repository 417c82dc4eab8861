"""The support judge's own term extraction and sentence splitting, frozen.

These behave exactly as the answerer's did when the judge's threshold was set on the hand
labels (docs/evals.md). They are kept here rather than imported so that changing how the
service answers never changes the ruler its answers are measured with; a change to them
is a change of metric and needs the labels re-checked (`python -m evals judge-agreement`).
tests/evals/test_frozen_text.py pins their output.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import nltk
from nltk.tokenize.punkt import PunktTokenizer

# A number keeps its inner separators ("1,200.5"); a word keeps inner apostrophes
# ("Starmer's", "Starmer’s"). Only ASCII digits count as digits.
_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_LINE = re.compile(r"[^\r\n]+")
_TRIMMED = re.compile(r"\S(?:.*\S)?", re.DOTALL)

_STOPWORD_TEXT = (
    "a about above according after again against all also am an and any are as at "
    "be because been before being below between both but by can could "
    "did do does doing down during each few for from further get going got "
    "had happen happened has have having he her here hers herself him himself his how "
    "i if in into is it its itself just made make many me more most much my myself "
    "no nor not now of off on once one only or other our ours ourselves out over own "
    "said same say says she should so some such tell than that the their theirs them "
    "themselves then there these they this those through to told too two under until up "
    "very was we went were what when where which while who whom why will with would "
    "you your yours yourself yourselves"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_ES_PLURALS = ("sses", "xes", "zes", "ches", "shes")


def _singular(word: str) -> str:
    """Possessive and plural endings off: "talks" -> "talk", "starmer's" -> "starmer"."""
    word = word.removesuffix("'s")
    long = len(word) > 4
    if long and word.endswith("ies"):
        return f"{word[:-3]}y"
    if long and word.endswith(_ES_PLURALS):
        return word[:-2]
    keep_s = len(word) < 4 or word[-2:] in ("ss", "us", "is")
    return word if keep_s or word[-1] != "s" else word[:-1]


@cache
def terms(text: str) -> tuple[str, ...]:
    """Content terms: casefolded, curly apostrophes straightened, singular, no stopwords."""
    folded = (_singular(t.casefold().replace("’", "'")) for t in _TOKEN.findall(text))
    return tuple(t for t in folded if t not in _STOPWORDS and (t.isdigit() or len(t) > 1))


@cache
def _punkt() -> PunktTokenizer:
    # llama-index-core ships the English Punkt model: nothing is downloaded. nltk only
    # opens model files below a folder on its search path, hence the insert.
    spec = importlib.util.find_spec("llama_index.core")
    roots = spec.submodule_search_locations if spec else None
    if roots:
        bundled = str(Path(next(iter(roots)), "_static", "nltk_cache"))
        if bundled not in nltk.data.path:
            nltk.data.path.insert(0, bundled)
    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, white space trimmed; a line break always ends one.

    News puts headlines and bullets on lines of their own without a full stop; Punkt
    then splits each line, knowing abbreviations such as "Mr." and "U.S.".
    """
    spans = []
    for line in _LINE.finditer(text):
        for lo, hi in _punkt().span_tokenize(line.group()):
            found = _TRIMMED.search(line.group(), lo, hi)
            if found:
                spans.append((line.start() + found.start(), line.start() + found.end()))
    return spans

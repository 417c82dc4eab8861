"""Offline, deterministic metrics. Formulas are in docs/evals.md."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

from evals.questions.dataset import normalise

# -- retrieval ---------------------------------------------------------------------------


def dedupe(ranked: Sequence[str]) -> list[str]:
    """Keep the first rank of each id: repeated ids would inflate every metric."""
    return list(dict.fromkeys(ranked))


def hit_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return 1.0 if any(item in gold for item in dedupe(ranked)[:k]) else 0.0


def mrr_at(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    for rank, item in enumerate(dedupe(ranked)[:k], start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    if not gold:
        return 0.0
    return len(set(dedupe(ranked)[:k]) & gold) / len(gold)


def ndcg_at(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG; the ideal DCG ranks min(|gold|, k) relevant items first."""
    if not gold:
        return 0.0
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, item in enumerate(dedupe(ranked)[:k], start=1)
        if item in gold
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


# -- answers -----------------------------------------------------------------------------

_MARKER = re.compile(r"\s*\[\d+\]")


def strip_markers(answer: str) -> str:
    return _MARKER.sub("", answer).strip()


def contains_fact(text: str, alternatives: Sequence[str]) -> bool:
    """Any alternative occurs in `text` on word boundaries ("UK" is not in "Ukraine")."""
    haystack = normalise(text)
    for alternative in alternatives:
        needle = re.escape(normalise(alternative))
        if re.search(rf"(?<!\w){needle}(?!\w)", haystack):
            return True
    return False


def fact_recall(answer: str, facts: Sequence[Sequence[str]]) -> float:
    if not facts:
        return 0.0
    return sum(contains_fact(answer, alts) for alts in facts) / len(facts)


def _answer_tokens(text: str) -> list[str]:
    text = normalise(strip_markers(text))
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return [t for t in text.split() if t not in {"a", "an", "the"}]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 (lower case, punctuation and articles removed)."""
    pred, ref = _answer_tokens(prediction), _answer_tokens(reference)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def word_count(answer: str) -> int:
    return len(strip_markers(answer).split())


# -- aggregates --------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)

"""Support judges: does this evidence support this claim? Pluggable; offline by default.

The default `LexicalJudge` is an entailment proxy: every name (capitalised word) and number
in the claim must appear in the evidence, since a changed fact usually changes one of
them, and enough of the claim's content terms must be covered by the evidence. Terms
come from the judge's own frozen copy of the answerer's extraction (evals/judges/frozen_text.py),
so changing the answerer does not move the ruler. Its threshold and its agreement with
hand labels are in docs/evals.md (`python -m evals judge-agreement`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evals.judges.frozen_text import terms

DEFAULT_THRESHOLD = 0.25
_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][A-Za-z]+|\d+)\b")


def _names_and_numbers(text: str) -> set[str]:
    # The first word of the claim is capitalised by grammar, not because it is a name.
    return {m.group(0) for m in _NAME_OR_NUMBER.finditer(text) if m.start() > 0}


class SupportJudge(Protocol):
    def supports(self, claim: str, evidence: str) -> bool: ...


class LexicalJudge:
    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold

    def score(self, claim: str, evidence: str) -> float:
        claim_terms = set(terms(claim))
        if not claim_terms:
            return 1.0
        evidence_terms = set(terms(evidence))
        if any(token not in evidence for token in _names_and_numbers(claim)):
            return 0.0
        # Long words carry the facts (names, places); weight by length as a cheap idf.
        weight = {t: min(len(t), 10) for t in claim_terms}
        return sum(w for t, w in weight.items() if t in evidence_terms) / sum(weight.values())

    def supports(self, claim: str, evidence: str) -> bool:
        return self.score(claim, evidence) >= self.threshold


@dataclass(frozen=True)
class Label:
    claim: str
    passage: str
    supported: bool


def load_labels(path: Path) -> list[Label]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [Label(r["claim"], r["passage"], bool(r["supported"])) for r in rows]


def agreement(judge: SupportJudge, labels: Sequence[Label]) -> float:
    if not labels:
        return 0.0
    return sum(judge.supports(x.claim, x.passage) == x.supported for x in labels) / len(labels)


def best_threshold(labels: Sequence[Label]) -> tuple[float, float]:
    """The threshold (0.05 grid) with the highest agreement, and that agreement."""
    best = (DEFAULT_THRESHOLD, -1.0)
    for step in range(1, 20):
        threshold = step / 20
        value = agreement(LexicalJudge(threshold), labels)
        if value >= best[1]:  # ties: the stricter threshold
            best = (threshold, value)
    return best

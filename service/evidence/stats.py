"""Corpus statistics of the evidence terms: how rare each term is among the chunks.

A question word the corpus never uses weighs most, so an off-topic question cannot be
"answered" by a sentence that shares only its common words. These counts use the
evidence terms (`service.evidence.text.terms`), not the BM25 tokenizer: BM25 keeps its own
statistics inside its index, and unifying the two would change scores.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from service.evidence.scoring import QueryTerms
from service.evidence.text import term_set, terms


@dataclass(frozen=True)
class TermStats:
    """Document frequency of each term over `documents` chunks."""

    documents: int
    frequencies: Counter[str]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermStats:
        frequencies: Counter[str] = Counter()
        documents = 0
        for text in texts:
            frequencies.update(term_set(text))
            documents += 1
        return cls(documents, frequencies)

    def query(self, text: str) -> QueryTerms:
        """`text` with the corpus-wide idf of each of its terms."""
        n = self.documents
        weights = {
            t: math.log(1.0 + (n + 1) / (self.frequencies[t] + 0.5)) for t in set(terms(text))
        }
        return QueryTerms(text, weights)

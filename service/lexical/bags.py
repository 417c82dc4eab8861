"""Per-row bags of words as a sparse matrix, and BM25 weights computed from them.

A lexical index is derived from three bags per chunk: its BM25 tokens with their counts,
its evidence terms and its words. Kept beside the index, they let the next collection
generation be derived from this one by difference (drop the rows of the sources an
ingest rewrote or removed, append the rows it wrote) without reading or tokenising any
other chunk again; the document frequencies, the vocabulary and the BM25 weights are then
recomputed over all rows with numpy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# BM25 parameters: bm25s' defaults (Lucene's variant), which the index always used.
K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class Bags:
    """Row r holds `names[i]` with count `counts[j]` for `i = terms[j]`, `j` in
    `indptr[r]:indptr[r + 1]`. A name no row holds any more stays in the table."""

    names: tuple[str, ...]
    indptr: npt.NDArray[np.int64]
    terms: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]

    @classmethod
    def empty(cls) -> Bags:
        return cls((), np.zeros(1, dtype=np.int64), _int32([]), _int32([]))

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def extended(self, bags: Iterable[Mapping[str, int]]) -> Bags:
        """These rows followed by `bags`; new names are appended to the table."""
        code = {name: i for i, name in enumerate(self.names)}
        lengths: list[int] = []
        terms: list[int] = []
        counts: list[int] = []
        for bag in bags:
            lengths.append(len(bag))
            # A name not seen yet takes the next number (dicts keep insertion order).
            terms.extend([code.setdefault(name, len(code)) for name in bag])
            counts.extend(bag.values())
        tail = np.cumsum(np.asarray(lengths, dtype=np.int64)) + self.indptr[-1]
        return Bags(
            tuple(code),
            np.concatenate([self.indptr, tail]),
            np.concatenate([self.terms, _int32(terms)]),
            np.concatenate([self.counts, _int32(counts)]),
        )

    def kept(self, keep: npt.NDArray[np.bool_]) -> Bags:
        """Only the rows where `keep` is true, in their order."""
        sizes = np.diff(self.indptr)
        entries = np.repeat(keep, sizes)
        indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(sizes[keep], out=indptr[1:])
        return Bags(self.names, indptr, self.terms[entries], self.counts[entries])

    def frequencies(self) -> npt.NDArray[np.int64]:
        """How many rows hold each name (each row holds a name once)."""
        return np.bincount(self.terms, minlength=len(self.names)).astype(np.int64)

    def present(self) -> dict[str, int]:
        """The names some row holds, with the number of rows holding them."""
        df = self.frequencies()
        return {self.names[i]: int(df[i]) for i in np.flatnonzero(df)}


def _int32(values: Sequence[int]) -> npt.NDArray[np.int32]:
    return np.asarray(values, dtype=np.int32)


def counted(tokens: Iterable[str]) -> dict[str, int]:
    """A bag of the tokens with their counts, in order of first appearance."""
    return dict(Counter(tokens))


def once(names: Iterable[str]) -> dict[str, int]:
    """A bag holding each name once."""
    return dict.fromkeys(names, 1)


def bm25(tokens: Bags) -> Any:
    """A bm25s index of the token bags, weighed exactly as `bm25s.BM25().index` weighs
    the same documents (Lucene's BM25, float32 weights), without a Python loop per row;
    None when there are no rows."""
    import bm25s
    import scipy.sparse as sp

    n = len(tokens)
    if n == 0:
        return None
    sizes = np.diff(tokens.indptr)
    rows = np.repeat(np.arange(n, dtype=np.int32), sizes)
    total = np.concatenate([[0], np.cumsum(tokens.counts, dtype=np.int64)])
    lengths = total[tokens.indptr[1:]] - total[tokens.indptr[:-1]]
    average = lengths.mean()
    df = tokens.frequencies()
    idf = np.zeros(len(tokens.names), dtype=np.float32)
    # The logarithm of Python's math module, as bm25s takes it, for identical weights.
    for value in np.unique(df[df > 0]):
        idf[df == value] = math.log(1 + (n - int(value) + 0.5) / (int(value) + 0.5))
    # The same operations in the same order and precision as bm25s, per entry at once.
    per_row = K1 * ((1 - B) + B * lengths.astype(np.float64) / average)
    tf = tokens.counts.astype(np.float32)
    tfc = tf / (per_row[rows] + tf)
    scores = (idf[tokens.terms] * tfc).astype(np.float32)
    # bm25s keeps the weights column by column (one column per token), rows in order:
    # the row-by-row bags transposed, which scipy does in one counting pass (a sort of
    # every entry cost ten times more).
    by_token = sp.csr_matrix(
        (scores, tokens.terms, tokens.indptr), shape=(n, len(tokens.names))
    ).tocsc()
    index = bm25s.BM25()
    index.scores = {
        "data": by_token.data.astype(np.float32, copy=False),
        "indices": by_token.indices.astype(np.int32, copy=False),
        "indptr": by_token.indptr.astype(np.int64, copy=False),
        "num_docs": n,
    }
    vocab = {name: i for i, name in enumerate(tokens.names)}
    # bm25s adds the empty token last, with no column.
    vocab.setdefault("", len(tokens.names))
    index.vocab_dict = vocab
    index.unique_token_ids_set = set(vocab.values())
    # Lucene's variant scores absent tokens 0.
    index.nonoccurrence_array = None
    return index

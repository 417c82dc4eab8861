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
# Above this many stretches of kept rows, the kept entries are picked by a mask instead.
_MAX_STRETCHES = 4096


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

    def replaced(
        self, keep: npt.NDArray[np.bool_] | None, bags: Iterable[Mapping[str, int]]
    ) -> Bags:
        """The rows where `keep` is true (all rows for None), in their order, followed by
        `bags`; new names are appended to the table. Each kept entry is copied once: at
        50k articles the entries are 13 million per bag, and a run that changes a file
        drops and appends a few rows."""
        code = {name: i for i, name in enumerate(self.names)}
        lengths: list[int] = []
        terms: list[int] = []
        counts: list[int] = []
        for bag in bags:
            lengths.append(len(bag))
            # A name not seen yet takes the next number (dicts keep insertion order).
            terms.extend([code.setdefault(name, len(code)) for name in bag])
            counts.extend(bag.values())
        sizes = np.diff(self.indptr)
        picked = _picked(self.indptr, sizes, keep)
        if keep is not None:
            sizes = sizes[keep]
        indptr = np.zeros(len(sizes) + len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([sizes, np.asarray(lengths, dtype=np.int64)]), out=indptr[1:])
        return Bags(
            tuple(code),
            indptr,
            np.concatenate([*_taken(self.terms, picked), _int32(terms)]),
            np.concatenate([*_taken(self.counts, picked), _int32(counts)]),
        )

    def frequencies(self) -> npt.NDArray[np.int64]:
        """How many rows hold each name (each row holds a name once)."""
        return np.bincount(self.terms, minlength=len(self.names)).astype(np.int64)

    def present(self) -> dict[str, int]:
        """The names some row holds, with the number of rows holding them."""
        df = self.frequencies()
        return {self.names[i]: int(df[i]) for i in np.flatnonzero(df)}


def _picked(
    indptr: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    keep: npt.NDArray[np.bool_] | None,
) -> list[slice] | npt.NDArray[np.bool_]:
    """The entries of the rows where `keep` is true: the slices of the few long stretches
    the kept rows run in (taking them copies nothing until they are concatenated), or,
    where the stretches are many, a mask over all entries."""
    if keep is None:
        return [slice(None)]
    edges = np.flatnonzero(np.diff(keep, prepend=False, append=False))
    if len(edges) > _MAX_STRETCHES * 2:
        mask: npt.NDArray[np.bool_] = np.repeat(keep, sizes)
        return mask
    starts = indptr[edges[0::2]]
    ends = indptr[edges[1::2]]
    return [slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _taken(
    values: npt.NDArray[np.int32], picked: list[slice] | npt.NDArray[np.bool_]
) -> list[npt.NDArray[np.int32]]:
    if isinstance(picked, list):
        return [values[s] for s in picked]
    return [values[picked]]


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
    total = np.zeros(len(tokens.counts) + 1, dtype=np.int64)
    np.cumsum(tokens.counts, dtype=np.int64, out=total[1:])
    lengths = total[tokens.indptr[1:]] - total[tokens.indptr[:-1]]
    del total
    average = lengths.mean()
    df = tokens.frequencies()
    idf = np.zeros(len(tokens.names), dtype=np.float32)
    # The logarithm of Python's math module, as bm25s takes it, for identical weights.
    for value in np.unique(df[df > 0]):
        idf[df == value] = math.log(1 + (n - int(value) + 0.5) / (int(value) + 0.5))
    # The same operations in the same order and precision as bm25s, per entry at once:
    # tf / (per_row + tf) in float64, times the float32 idf, rounded to float32. Computed
    # in one float64 buffer (13 million entries at 50k articles: each temporary is 100 MB).
    per_row = K1 * ((1 - B) + B * lengths.astype(np.float64) / average)
    tf = tokens.counts.astype(np.float32)
    weights = np.repeat(per_row, sizes)
    weights += tf
    np.divide(tf, weights, out=weights)
    del tf
    weights *= idf[tokens.terms]
    scores = weights.astype(np.float32)
    del weights
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

"""BM25 weights computed from per-row token bags equal bm25s' own, bit for bit, and an
index derived by difference equals one built from scratch."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from service.core.store import Chunk
from service.lexical.bags import Bags, bm25, counted
from service.lexical.index import IndexKey, LexicalIndex, _tokens

TEXTS = [
    "The harbour authority approved the new harbour budget on Monday.",
    "Farmers in the south said the drought cut the harvest by a third.",
    "",
    "The budget vote was delayed; the harbour workers went on strike.",
    "Strike, strike, strike: the union called three strikes in a month.",
    "A museum reopened after the flood, with its collection restored.",
    "The",
]
QUERIES = ["harbour budget", "strike union", "flood museum collection", "drought harvest south"]


def chunk(i: int, text: str, source: str) -> Chunk:
    return Chunk(
        id=f"{i:032x}",
        text=text,
        source=source,
        start=0,
        end=len(text),
        chunk_index=0,
        title="",
        published="2025-01-0" + str(1 + i % 9),
        url=None,
        file_sha256="",
        tokens=0,
    )


def test_the_weights_are_bm25s_weights() -> None:
    tokens = _tokens(TEXTS)
    ours = bm25(Bags.empty().replaced(None, [counted(t) for t in tokens]))
    theirs = bm25s.BM25()
    theirs.index(tokens, show_progress=False)
    for query in QUERIES:
        q = _tokens([query])[0]
        assert np.array_equal(ours.get_scores(q), theirs.get_scores(q))


def test_dropping_rows_and_appending_equals_building_from_scratch() -> None:
    chunks = [chunk(i, t, f"s{i % 3}.txt") for i, t in enumerate(TEXTS)]
    whole = LexicalIndex.build(None, chunks)
    replaced = [chunk(100 + i, t + " Reopened.", "s1.txt") for i, t in enumerate(TEXTS[:2])]
    derived = whole.updated(IndexKey("c", 2), {"s1.txt", "s2.txt"}, replaced)
    rebuilt = LexicalIndex.build(None, [c for c in chunks if c.source == "s0.txt"] + replaced)
    assert derived.rows.ids.tolist() == rebuilt.rows.ids.tolist()
    assert derived.rows.sources == rebuilt.rows.sources
    assert derived.rows.source.tolist() == rebuilt.rows.source.tolist()
    assert derived.rows.published.tolist() == rebuilt.rows.published.tolist()
    assert derived.stats == rebuilt.stats
    assert derived.vocabulary == rebuilt.vocabulary
    for query in [*QUERIES, "reopened"]:
        assert derived.search(query, 10) == rebuilt.search(query, 10)


def test_kept_rows_and_appended_rows_are_the_rows_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kept rows are copied as stretches of rows, or by a mask when the stretches are many:
    both give exactly the bags of the kept rows followed by the new ones."""
    rng = np.random.default_rng(7)
    names = [f"w{i}" for i in range(40)]
    rows = [
        {names[j]: int(rng.integers(1, 4)) for j in rng.choice(40, int(rng.integers(0, 6)))}
        for _ in range(60)
    ]
    bags = Bags.empty().replaced(None, rows)
    added = [{"w3": 2, "new": 1}, {}, {"other": 5}]
    for keep in (
        rng.random(60) < 0.7,
        np.ones(60, dtype=bool),
        np.zeros(60, dtype=bool),
        np.arange(60) % 2 == 0,
    ):
        expected = [row for row, kept in zip(rows, keep, strict=True) if kept] + added
        by_stretches = bags.replaced(keep, added)
        monkeypatch.setattr("service.lexical.bags._MAX_STRETCHES", 0)
        by_mask = bags.replaced(keep, added)
        monkeypatch.undo()
        for got in (by_stretches, by_mask):
            assert len(got) == len(expected)
            assert [_row(got, r) for r in range(len(got))] == expected
            assert got.names[: len(bags.names)] == bags.names


def _row(bags: Bags, r: int) -> dict[str, int]:
    start, end = int(bags.indptr[r]), int(bags.indptr[r + 1])
    return {
        bags.names[int(t)]: int(c)
        for t, c in zip(bags.terms[start:end], bags.counts[start:end], strict=True)
    }

"""BM25 search returns the best `k` rows, ties in row order, however many rows score."""

from __future__ import annotations

import random

import numpy as np
import pytest

from service.core.store import Chunk
from service.lexical.index import LexicalIndex, _tokens

WORDS = ["harbour", "budget", "strike", "union", "ferry", "council", "vote", "museum"]


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(f"{i:032x}", text, f"s{i % 50}.txt", 0, len(text), 0, "", None, None, "", 0)


def _best(index: LexicalIndex, query: str, k: int) -> list[str]:
    # Every row scored, best first, equal scores in row order.
    tokens = _tokens([query])[0]
    if not tokens:
        return []
    scores = index._bm25.get_scores(tokens)
    order = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))
    return [index.rows.ids[i].decode() for i in order[:k]]


@pytest.mark.parametrize("k", [1, 5, 40, 200])
def test_the_best_rows_when_most_rows_hold_a_query_word(k: int) -> None:
    rng = random.Random(7)
    # "report" in every row, the other words in some: every row scores for "report
    # budget"; short texts repeat, so that many scores tie.
    texts = ["report " + " ".join(rng.choices(WORDS, k=rng.randint(1, 4))) for _ in range(3000)]
    index = LexicalIndex.build(None, [_chunk(i, t) for i, t in enumerate(texts)])
    for query in ["report budget", "report", "ferry vote museum", "strike", "the"]:
        found = index.search(query, k)
        assert [h.chunk_id for h in found] == _best(index, query, k)
        scores = [h.score for h in found]
        assert scores == sorted(scores, reverse=True)


def test_fewer_scoring_rows_than_asked() -> None:
    texts = ["ferry council", "vote"] + ["museum"] * 40
    index = LexicalIndex.build(None, [_chunk(i, t) for i, t in enumerate(texts)])
    found = index.search("ferry vote", 10)
    assert [h.chunk_id for h in found] == _best(index, "ferry vote", 10)
    assert len(found) == 2


def test_a_mask_keeps_its_rows_only() -> None:
    texts = ["report budget"] * 500 + ["report strike"] * 500
    index = LexicalIndex.build(None, [_chunk(i, t) for i, t in enumerate(texts)])
    mask = np.zeros(len(texts), dtype=np.float32)
    mask[700:720] = 1.0
    found = index.search("report budget strike", 40, mask)
    assert [h.chunk_id for h in found] == [f"{i:032x}" for i in range(700, 720)]


def test_initials_find_the_name_they_stand_for_and_the_other_way_round() -> None:
    texts = [
        "The European Central Bank's president warned against the move.",
        "The central bank of Norway kept its rate.",
        "ECB officials met on Thursday.",
    ]
    index = LexicalIndex.build(None, [_chunk(i, t) for i, t in enumerate(texts)])
    assert index.search("ECB president", 3)[0].chunk_id == f"{0:032x}"
    found = {h.chunk_id for h in index.search("Who leads the European Central Bank?", 3)}
    assert f"{2:032x}" in found

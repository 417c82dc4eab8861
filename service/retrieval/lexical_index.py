"""BM25 over the chunk texts stored in Chroma, and spelling repair against its vocabulary.

Chroma stays the single source of truth: this index is derived from the chunk records,
built when the service starts and rebuilt whenever an ingest changed the collection, so
it follows every added, changed and removed file, with an embedded store or a server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.core.store import Chunk

# Words at least this long may be repaired; shorter ones are too ambiguous.
MIN_REPAIR_LENGTH = 5
REPAIR_SIMILARITY = 80.0
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    import bm25s

    tokens: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return tokens


@dataclass(frozen=True)
class LexicalHit:
    chunk: Chunk
    score: float


class LexicalIndex:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self._chunks = list(chunks)
        self._bm25: Any = None
        if self._chunks:
            self._bm25 = bm25s.BM25()
            self._bm25.index(_tokens([c.text for c in self._chunks]), show_progress=False)
        self._vocabulary = sorted(
            {w.casefold() for c in self._chunks for w in _WORD.findall(c.text)}
        )
        self._known = set(self._vocabulary)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(
        self, query: str, k: int, keep: Callable[[Chunk], bool] | None = None
    ) -> list[LexicalHit]:
        """Best-first BM25 hits with a positive score that pass `keep`."""
        if self._bm25 is None:
            return []
        tokens = _tokens([query])
        if not any(tokens[0]):
            return []
        # Filters apply after scoring, so look deep enough to still find k that pass.
        depth = len(self._chunks) if keep else min(len(self._chunks), k)
        ids, scores = self._bm25.retrieve(tokens, k=depth, show_progress=False)
        hits = []
        for i, score in zip(ids[0], scores[0], strict=True):
            chunk = self._chunks[int(i)]
            if score <= 0:
                break
            if keep is None or keep(chunk):
                hits.append(LexicalHit(chunk, float(score)))
                if len(hits) == k:
                    break
        return hits

    def repair(self, query: str) -> str:
        """Replace words the corpus never uses with its closest word ("Zelenskyy")."""
        from rapidfuzz import fuzz, process

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            folded = word.casefold()
            if len(word) < MIN_REPAIR_LENGTH or folded in self._known:
                return word
            # A possessive or plural of a known word is not a misspelling.
            if folded.rstrip("s").rstrip("'’") in self._known:
                return word
            best = process.extractOne(
                folded, self._vocabulary, scorer=fuzz.ratio, score_cutoff=REPAIR_SIMILARITY
            )
            if not best:
                return word
            # Keep the writer's capital: "Zelenskyy" stays a name once repaired.
            fixed = str(best[0])
            return fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed

        return _WORD.sub(fix, query)

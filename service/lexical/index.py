"""BM25 over the chunk texts stored in Chroma, and spelling repair against its vocabulary.

Chroma stays the single source of truth: a `LexicalIndex` is derived from the chunk
records of one collection generation, with the answerer's document frequencies
(`TermStats`) and the vocabulary that spelling repair draws on. It is saved to a folder
(`LexicalStore`) and loaded memory-mapped, so several workers share one copy. The ingest
job derives the next generation's index from the previous one by difference (`updated`)
and saves it before it publishes the generation; a worker that finds none saved, or a
stale one, builds it from Chroma (service/retrieval/lexical_view.py keeps each worker's
copy current off the request path).

A hit is a row of the index; the caller turns rows into chunks through Chroma, so a
chunk deleted since the index was built is never served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from service.core.schema import date_to_int
from service.core.store import Chunk
from service.evidence.stats import TermStats
from service.evidence.text import initialisms, term_set
from service.lexical.bags import Bags, bm25, counted, once

# Words at least this long may be repaired; shorter ones are too ambiguous.
MIN_REPAIR_LENGTH = 5
REPAIR_SIMILARITY = 80.0
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Bumped whenever what is saved, or how it is derived, changes: older folders are rebuilt.
FORMAT: Final = 4
# The bags an index is derived from, each saved in a subfolder of this name.
_BAGS = ("tokens", "terms", "words")
# The top-k floor is read from every 16th row (see `_floor`).
_SAMPLE_STEP: Final = 16


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    """Each text's BM25 tokens, and the initials of its names: a question's "ECB" finds
    the chunk that writes "the European Central Bank", and the other way round."""
    import bm25s

    tokens: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    stem = _stemmer().stemWords
    return [[*t, *stem(sorted(initialisms(text)))] for t, text in zip(tokens, texts, strict=True)]


@dataclass(frozen=True)
class IndexKey:
    """Which collection state an index was derived from: the collection's id (a `--full`
    run creates a new one) and its generation (bumped by every ingest that changed it)."""

    collection_id: str
    generation: int

    @property
    def folder_name(self) -> str:
        return f"v{FORMAT}-{self.collection_id}-g{self.generation}"


@dataclass(frozen=True)
class LexicalHit:
    """A BM25 hit: the chunk id of row `row` and its score."""

    chunk_id: str
    score: float


@dataclass(frozen=True)
class Rows:
    """Per-row data: the chunk id, and what the request filters test."""

    ids: npt.NDArray[np.bytes_]
    source: npt.NDArray[np.int32]
    published: npt.NDArray[np.int32]
    sources: tuple[str, ...]

    def mask(
        self,
        sources: Sequence[str] | None,
        published_from: int | None,
        published_to: int | None,
    ) -> npt.NDArray[np.float32] | None:
        """1 for the rows the filters keep, 0 for the others; None without filters.

        The same semantics as the Chroma `where`: an undated chunk never matches a range."""
        if not (sources or published_from is not None or published_to is not None):
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if sources:
            wanted = {s: i for i, s in enumerate(self.sources)}
            codes = np.array([wanted[s] for s in sources if s in wanted], dtype=np.int32)
            keep &= np.isin(self.source, codes)
        if published_from is not None or published_to is not None:
            keep &= self.published > 0
            if published_from is not None:
                keep &= self.published >= published_from
            if published_to is not None:
                keep &= self.published <= published_to
        return keep.astype(np.float32)


@dataclass(frozen=True)
class Derivation:
    """What an index is derived from, row by row: each chunk's BM25 tokens with their
    counts, its evidence terms and its (casefolded) words."""

    tokens: Bags
    terms: Bags
    words: Bags

    @classmethod
    def empty(cls) -> Derivation:
        return cls(Bags.empty(), Bags.empty(), Bags.empty())

    def replaced(self, keep: npt.NDArray[np.bool_] | None, texts: Sequence[str]) -> Derivation:
        """The rows where `keep` is true (all for None), followed by the rows of `texts`."""
        return Derivation(
            self.tokens.replaced(keep, [counted(t) for t in _tokens(texts)] if texts else []),
            self.terms.replaced(keep, [once(term_set(t)) for t in texts]),
            self.words.replaced(
                keep, [once(w.casefold() for w in _WORD.findall(t)) for t in texts]
            ),
        )


_NO_IDS: Final = np.array([], dtype="S32")
_NO_DATES: Final = np.array([], dtype=np.int32)
_NO_CODES: Final = np.array([], dtype=np.int32)


def _appended(rows: Rows, added: Sequence[Chunk]) -> Rows:
    """`rows` followed by the `added` chunks, their sources numbered in sorted order (a
    source no row holds any more is left out). Renumbered source by source, not row by
    row: a run that changes one file pays per article here, not per chunk."""
    used = [int(c) for c in np.unique(np.asarray(rows.source))]
    sources = tuple(sorted({rows.sources[c] for c in used} | {c.source for c in added}))
    code = {s: i for i, s in enumerate(sources)}
    renumbered = np.zeros(len(rows.sources), dtype=np.int32)
    for c in used:
        renumbered[c] = code[rows.sources[c]]
    return Rows(
        ids=np.concatenate([rows.ids, np.array([c.id for c in added], dtype="S32")]),
        source=np.concatenate(
            [
                renumbered[np.asarray(rows.source, dtype=np.intp)],
                np.array([code[c.source] for c in added], dtype=np.int32),
            ]
        ),
        published=np.concatenate(
            [
                np.asarray(rows.published, dtype=np.int32),
                np.array(
                    [date_to_int(c.published) if c.published else 0 for c in added],
                    dtype=np.int32,
                ),
            ]
        ),
        sources=sources,
    )


def _floor(scores: npt.NDArray[np.floating[Any]], k: int) -> float:
    """A score the `k` best rows all reach: the k-th best of every `_SAMPLE_STEP`-th row
    (the k-th best of some rows is at most that of all), else the least positive score.
    Common query words give a positive score to most rows of a large corpus; the best `k`
    are then chosen among the few rows above this floor rather than by partitioning all."""
    sample = scores[::_SAMPLE_STEP]
    positive = sample[sample > 0]
    if len(positive) < k:
        return float(np.nextafter(0, 1, dtype=scores.dtype))
    return float(np.partition(positive, -k)[-k])


class LexicalIndex:
    """BM25 (bm25s), document frequencies and vocabulary of one collection state."""

    def __init__(
        self,
        key: IndexKey | None,
        bm25: Any,
        rows: Rows,
        stats: TermStats,
        vocabulary: Sequence[str],
        derivation: Derivation | None = None,
    ) -> None:
        self.key = key
        self._bm25 = bm25
        self.rows = rows
        self.stats = stats
        self._vocabulary = list(vocabulary)
        self._known = frozenset(self._vocabulary)
        # Kept only where the next generation is derived from this one (the ingest job)
        # and by a build, which saves it.
        self.derivation = derivation

    @classmethod
    def empty(cls) -> LexicalIndex:
        return cls.build(None, [])

    @classmethod
    def build(cls, key: IndexKey | None, chunks: Iterable[Chunk]) -> LexicalIndex:
        """Derive everything from the chunks (in the order Chroma returns them)."""
        empty = Rows(ids=_NO_IDS, source=_NO_CODES, published=_NO_DATES, sources=())
        return cls._derive(key, empty, Derivation.empty(), None, list(chunks))

    def updated(
        self, key: IndexKey, dropped: Collection[str], added: Sequence[Chunk]
    ) -> LexicalIndex:
        """The index of the state where the chunks of the `dropped` sources were replaced
        by `added` (appended in their order), derived from this one without reading or
        tokenising its other rows again. Needs the derivation (`load(..., derivation=True)`)."""
        if self.derivation is None:
            raise ValueError("this index was loaded without what it is derived from")
        rows = self.rows
        codes = [i for i, source in enumerate(rows.sources) if source in dropped]
        keep = ~np.isin(np.asarray(rows.source), np.asarray(codes, dtype=np.int32))
        # Still coded against this index's sources; `_derive` renumbers them.
        kept = Rows(
            ids=np.asarray(rows.ids)[keep],
            source=np.asarray(rows.source)[keep],
            published=np.asarray(rows.published)[keep],
            sources=rows.sources,
        )
        return self._derive(key, kept, self.derivation, keep, added)

    @classmethod
    def _derive(
        cls,
        key: IndexKey | None,
        rows: Rows,
        derivation: Derivation,
        keep: npt.NDArray[np.bool_] | None,
        added: Sequence[Chunk],
    ) -> LexicalIndex:
        """`rows` with the rows of `derivation` where `keep` is true (all for None),
        followed by the `added` chunks; every weight and count recomputed over all of them."""
        derivation = derivation.replaced(keep, [c.text for c in added])
        rows = _appended(rows, added)
        stats = TermStats(len(rows.ids), Counter(derivation.terms.present()))
        vocabulary = sorted(derivation.words.present())
        return cls(key, bm25(derivation.tokens), rows, stats, vocabulary, derivation)

    def __len__(self) -> int:
        return len(self.rows.ids)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every word of the corpus, casefolded, sorted."""
        return tuple(self._vocabulary)

    def search(
        self, query: str, k: int, mask: npt.NDArray[np.float32] | None = None
    ) -> list[LexicalHit]:
        """Best-first BM25 hits with a positive score among the rows `mask` keeps."""
        if self._bm25 is None:
            return []
        tokens = _tokens([query])
        if not any(tokens[0]):
            return []
        scores = self._bm25.get_scores(tokens[0], weight_mask=mask)
        rows = np.flatnonzero(scores >= _floor(scores, k))
        if len(rows) > k:
            # Every row scoring at least the k-th best, so that ties are settled below.
            kth = np.partition(scores[rows], -k)[-k]
            rows = rows[scores[rows] >= kth]
        # Best first; equal scores in row order, so the result does not depend on numpy's
        # partitioning.
        rows = rows[np.lexsort((rows, -scores[rows]))][:k]
        return [LexicalHit(self.rows.ids[int(r)].decode(), float(scores[r])) for r in rows]

    def repair(
        self, query: str, base_forms: Callable[[str], AbstractSet[str]] | None = None
    ) -> str:
        """Replace words the corpus never uses with its closest word ("Zelenskyy").

        With `base_forms` (what English has as the base of a word, empty for a word it
        does not know), an English word is no misspelling: the corpus may lack it and the
        question still mean it ("thank", "sending" are not "than", "spending"). It is read
        as its base form when the corpus uses that ("joined" -> "join"), so that a
        sentence saying "join" holds it; otherwise it is kept as written."""
        from rapidfuzz import fuzz, process

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            folded = word.casefold()
            if len(word) < MIN_REPAIR_LENGTH or folded in self._known:
                return word
            if not term_set(folded):
                return word  # a stop word ("going") is English, and no term to match
            # A possessive or plural of a known word is not a misspelling.
            if folded.rstrip("s").rstrip("'’") in self._known:
                return word
            bases = base_forms(folded) if base_forms is not None else ()
            if bases:
                used = sorted(b for b in bases if b in self._known)
                return _cased(used[0], word) if used else word
            best = process.extractOne(
                folded, self._vocabulary, scorer=fuzz.ratio, score_cutoff=REPAIR_SIMILARITY
            )
            if not best:
                return word
            # Keep the writer's capital: "Zelenskyy" stays a name once repaired.
            return _cased(str(best[0]), word)

        return _WORD.sub(fix, query)

    # -- persistence ---------------------------------------------------------------------

    def save(self, folder: Path, *, replace: bool = False) -> None:
        """Write into `folder` through a temporary sibling and a rename, so a reader sees
        a complete folder or none. An existing `folder` is kept (another process saved the
        same state first) unless `replace` (the ingest job publishing a generation that an
        interrupted run may have saved before changing the collection further)."""
        temp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(temp / "bm25"), show_progress=False)
        if self.derivation is not None:
            for name in _BAGS:
                _save_bags(temp / name, getattr(self.derivation, name))
        np.save(temp / "ids.npy", self.rows.ids)
        np.save(temp / "source.npy", self.rows.source)
        np.save(temp / "published.npy", self.rows.published)
        _write_json(temp / "sources.json", list(self.rows.sources))
        _write_json(temp / "vocabulary.json", self._vocabulary)
        _write_json(
            temp / "stats.json",
            {"documents": self.stats.documents, "frequencies": dict(self.stats.frequencies)},
        )
        # Written last: a folder without it is incomplete.
        key = self.key
        _write_json(
            temp / "meta.json",
            {
                "format": FORMAT,
                "collection_id": key.collection_id if key else None,
                "generation": key.generation if key else None,
                "chunks": len(self),
            },
        )
        if replace:
            shutil.rmtree(folder, ignore_errors=True)
        try:
            temp.rename(folder)
        except OSError:
            # Another process saved the same state first; theirs is as good as ours.
            shutil.rmtree(temp, ignore_errors=True)
            if not (folder / "meta.json").is_file():
                raise

    @classmethod
    def load(cls, folder: Path, *, derivation: bool = False) -> LexicalIndex | None:
        """The index saved in `folder`, memory-mapped; None when absent or of another format
        (or, asked for its `derivation`, saved without it)."""
        import bm25s

        try:
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT:
            return None
        bm25: Any = None
        if (folder / "bm25").is_dir():
            bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        rows = Rows(
            ids=np.load(folder / "ids.npy", mmap_mode="r"),
            source=np.load(folder / "source.npy", mmap_mode="r"),
            published=np.load(folder / "published.npy", mmap_mode="r"),
            sources=tuple(json.loads((folder / "sources.json").read_text("utf-8"))),
        )
        stats = json.loads((folder / "stats.json").read_text("utf-8"))
        key = (
            IndexKey(str(meta["collection_id"]), int(meta["generation"]))
            if meta.get("collection_id") is not None
            else None
        )
        derived: Derivation | None = None
        if derivation:
            if not all((folder / name / "meta.json").is_file() for name in _BAGS):
                return None
            derived = Derivation(*(_load_bags(folder / name) for name in _BAGS))
        return cls(
            key,
            bm25,
            rows,
            TermStats(int(stats["documents"]), Counter(stats["frequencies"])),
            json.loads((folder / "vocabulary.json").read_text("utf-8")),
            derived,
        )


def _cased(word: str, written: str) -> str:
    """`word` with the capital `written` had: "Zelenskyy" stays a name once repaired."""
    return word[:1].upper() + word[1:] if written[:1].isupper() else word


def _save_bags(folder: Path, bags: Bags) -> None:
    folder.mkdir()
    np.save(folder / "indptr.npy", bags.indptr)
    np.save(folder / "terms.npy", bags.terms)
    np.save(folder / "counts.npy", bags.counts)
    # Written last: a folder without it is incomplete.
    _write_json(folder / "meta.json", {"names": list(bags.names)})


def _load_bags(folder: Path) -> Bags:
    # Memory-mapped like the rest: the next generation is derived from them by copying,
    # so reading them into memory first (hundreds of MB at 50k articles) bought nothing.
    return Bags(
        names=tuple(json.loads((folder / "meta.json").read_text("utf-8"))["names"]),
        indptr=np.load(folder / "indptr.npy", mmap_mode="r"),
        terms=np.load(folder / "terms.npy", mmap_mode="r"),
        counts=np.load(folder / "counts.npy", mmap_mode="r"),
    )


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")

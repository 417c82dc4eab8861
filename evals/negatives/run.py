"""Run a negatives-only set: each row against an index built without its excluded articles.

A `sources` filter on the full collection would not do: corpus statistics (BM25 idf, the
answerer's term weights, the spelling vocabulary) would still count the removed articles
(docs/negatives.md). So each distinct `excluded` set gets its own copy of the corpus folder
without those files, ingested into its own temporary index, and the service's app answers
that set's rows over it. Rows sharing a set share one index. An article's chunks are the
same in every index, so their vectors are computed once and reused by every ingest.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from evals.judges.lexical import SupportJudge
from evals.negatives.dataset import Negative
from evals.questions.run import run
from evals.rows import Row
from evals.targets import in_process_target
from service.core.embedder import Embedder, Vectors, build_embedder
from service.settings import Settings


class MemoEmbedder:
    """An embedder that computes each distinct text once: the corpus is ingested once per
    excluded set, and all but the removed articles are the same every time."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._vectors: dict[str, Vectors] = {}

    @property
    def identity(self) -> str:
        return self._inner.identity

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    def embed(self, texts: list[str]) -> Vectors:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            for text, vector in zip(new, self._inner.embed(new), strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def by_excluded(rows: Sequence[Negative]) -> dict[tuple[str, ...], list[Negative]]:
    """Rows grouped by their excluded set, in order of first appearance."""
    groups: dict[tuple[str, ...], list[Negative]] = {}
    for row in rows:
        groups.setdefault(tuple(row.excluded), []).append(row)
    return groups


def copy_without(corpus: Path, excluded: Sequence[str], dest: Path) -> Path:
    """`corpus` copied to `dest` without the `excluded` files (paths relative to `corpus`).

    Raises ValueError if an excluded file is not in the corpus: the set was built for
    another folder, and running it here would measure nothing."""
    files = {p.relative_to(corpus).as_posix(): p for p in corpus.rglob("*") if p.is_file()}
    missing = sorted(set(excluded) - set(files))
    if missing:
        raise ValueError(
            f"{corpus}: no such files {missing}; pass the corpus the negatives were built "
            "from with --corpus"
        )
    for name, path in files.items():
        if name not in excluded:
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dest


async def run_negatives(
    rows: Sequence[Negative],
    corpus: Path,
    settings: Settings,
    *,
    concurrency: int = 1,
    judge: SupportJudge | None = None,
    progress: Callable[[], None] | None = None,
) -> tuple[list[Row], str]:
    """The rows answered, in input order, and the name of the target that answered."""
    answered: dict[str, Row] = {}
    name = "in-process"
    embedder = MemoEmbedder(build_embedder(settings.embed, settings.llm))
    for excluded, group in by_excluded(rows).items():
        with tempfile.TemporaryDirectory(prefix="negatives-") as tmp:
            folder = copy_without(corpus, excluded, Path(tmp) / "corpus")
            async with in_process_target(folder, settings, ingest_embedder=embedder) as target:
                for row in await run(
                    group, target, concurrency=concurrency, judge=judge, progress=progress
                ):
                    answered[row["id"]] = row
                name = target.name
    return [answered[row.id] for row in rows], name

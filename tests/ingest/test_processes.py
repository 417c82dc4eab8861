"""The per-file work in worker processes writes what the ingest process alone writes."""

from __future__ import annotations

import multiprocessing
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devtools.contract import article_text
from ingest.dedupe import signature
from ingest.pipeline import IngestJob, Summary
from ingest.prepare import Preparer, config_of
from ingest.reader import Article, UnreadableFile, discover, read_article, source_name
from ingest.write import Checkpoint
from service.core.embedder import Embedder
from service.core.store import build_index
from service.settings import ChromaSettings, IngestSettings, Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import snapshot


def grow(folder: Path) -> None:
    """More groups than workers, an HTML page, a copy and a file that cannot be read."""
    (folder / "page.html").write_text(
        "<html><head><title>Harbour works</title>"
        '<meta name="date" content="2025-03-04"></head><body><article>'
        "<p>The harbour reopened on Monday after three weeks of repairs.</p>"
        "<p>About 40 boats returned by Tuesday, the port authority said.</p>"
        "</article></body></html>",
        "utf-8",
    )
    (folder / "copy.txt").write_text(article_text(folder / SAMPLES[0]) + "\nOne more line.\n")
    (folder / "broken.txt").write_bytes(b"\xff\xfe not utf-8")
    nested = folder / "more"
    nested.mkdir()
    for i in range(4):
        (nested / f"note-{i}.md").write_text(
            f"# Council meeting {i}\n\nThe council met on 3 March 2025 and voted {i + 5} to 2 "
            f"to fund {i + 2} new bus routes. The mayor said the routes start in May.\n",
            "utf-8",
        )


def ingest(
    folder: Path, chroma: Path, embedder: Embedder, processes: int
) -> tuple[dict[str, Any], list[tuple[str, list[str]]], int, Summary]:
    """The stored records, the write steps with the chunk ids stored after each, the most
    worker processes seen and the summary (without the run's duration)."""
    settings = Settings(
        chroma=ChromaSettings(path=chroma),
        ingest=IngestSettings(group_files=2, processes=processes, pool_min_files=3),
    )
    index = build_index(settings, embedder)
    steps: list[tuple[str, list[str]]] = []
    workers = 0

    def checkpoint(name: Checkpoint) -> None:
        nonlocal workers
        workers = max(workers, len(multiprocessing.active_children()))
        steps.append((name, sorted(c.id for c in index.all_chunks())))

    summary = IngestJob(settings, embedder, index, checkpoint=checkpoint).run(folder)
    return snapshot(index), steps, workers, replace(summary, seconds=0.0, embedding_seconds=0.0)


def test_two_processes_store_what_one_stores(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    grow(corpus)
    one, two = tmp_path / "one", tmp_path / "two"
    alone, alone_steps, alone_workers, alone_summary = ingest(corpus, one, embedder, 1)
    pooled, pooled_steps, pooled_workers, pooled_summary = ingest(corpus, two, embedder, 2)
    assert alone_workers == 0
    assert pooled_workers == 2
    assert pooled == alone
    assert pooled_steps == alone_steps
    assert pooled_summary == alone_summary
    chunks = alone["chunks"].values()
    # What the comparison covers: annotated chunks of every readable article but the copy.
    assert all(c.annotations for c in chunks)
    assert {c.source for c in chunks} == set(SAMPLES) | {"page.html"} | {
        f"more/note-{i}.md" for i in range(4)
    }
    assert [source for source, _ in alone_summary.failures] == ["broken.txt"]
    assert alone_summary.duplicates == 1

    # A re-run after changes (three files changed, one removed) is the same in both too.
    for i in (0, 1, 3):
        (corpus / "more" / f"note-{i}.md").write_text(f"# Moved\n\nMeeting {i} moved to June.\n")
    (corpus / "more" / "note-2.md").unlink()
    alone, alone_steps, _, alone_summary = ingest(corpus, one, embedder, 1)
    pooled, pooled_steps, pooled_workers, pooled_summary = ingest(corpus, two, embedder, 2)
    assert pooled_workers == 2
    assert (pooled, pooled_steps, pooled_summary) == (alone, alone_steps, alone_summary)
    assert alone_summary.updated == 3


def test_the_plan_reads_from_workers_what_it_reads_itself(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    grow(corpus)
    settings = Settings()
    sources = [source_name(corpus, p) for p in discover(corpus)[0]]

    def read(source: str) -> Article:
        return read_article(corpus, corpus / source, settings.ingest.max_file_bytes)

    config = config_of(settings, corpus, embedder.max_tokens, annotate=False)
    with Preparer(config, read, embedder.count_tokens, processes=2) as preparer:
        preparer.start()
        scanner = preparer.scanner(sources)
        for source in sources:
            try:
                expected = read(source)
            except UnreadableFile as exc:
                with pytest.raises(UnreadableFile, match=re.escape(str(exc))):
                    scanner.read(source)
                continue
            article = scanner.read(source)
            assert article == expected
            assert np.array_equal(scanner.sign(article), signature(expected.text))
        assert scanner.from_workers == len(sources)

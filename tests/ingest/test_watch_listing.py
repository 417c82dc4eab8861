"""A watcher's run starts from the listing its poll took: the folder is listed once."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest.pipeline
import ingest.reader
from ingest.pipeline import IngestJob
from ingest.summary import Summary
from ingest.watch import Watcher
from service.core.embedder import Embedder
from service.core.store import ArticleIndex
from service.settings import Settings
from tests.conftest import SAMPLES


def test_a_run_starts_from_the_poll_s_listing(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed: list[Path] = []
    discover = ingest.reader.discover_sources

    def counted(folder: Path) -> tuple[list[str], list[str]]:
        listed.append(folder)
        return discover(folder)

    monkeypatch.setattr(ingest.reader, "discover_sources", counted)
    monkeypatch.setattr(ingest.pipeline, "discover_sources", counted)
    job = IngestJob(settings, embedder, index, watching=True)
    summaries: list[Summary] = []

    def run(first: bool, listing: ingest.reader.Listing | None) -> bool:
        summaries.append(job.run(corpus, listing=listing))
        return True

    (corpus / "notes.xyz").write_text("not an article", "utf-8")
    Watcher(corpus, 0, run).watch(polls=1)
    assert len(listed) == 1  # the poll's; the run did not list the folder again
    assert summaries[0].added == len(SAMPLES)
    assert summaries[0].skipped == ["notes.xyz"]
    # A change the next poll sees is run from that poll's listing too.
    (corpus / SAMPLES[0]).unlink()
    Watcher(corpus, 0, run).watch(polls=1)
    assert len(listed) == 2
    assert (summaries[1].added, summaries[1].removed) == (0, 1)
    assert sorted(index.manifest()) == sorted(SAMPLES[1:])

"""Kill a real `python -m ingest` process at points of its write order, then re-run.

The re-run must leave the index exactly as a clean ingest of the same folder would.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from devtools.contract import article_text
from ingest.pipeline import IngestJob
from service.core.embedder import Embedder
from service.core.store import build_index
from service.settings import ChromaSettings, IngestSettings, Settings
from tests.conftest import SAMPLES
from tests.ingest.conftest import run_ingest, snapshot

pytestmark = pytest.mark.slow


def mutate(folder: Path) -> None:
    for name in SAMPLES[:2]:
        path = folder / name
        path.write_text(article_text(path).replace("Starmer", "Sir Keir Starmer"), "utf-8")
    (folder / SAMPLES[4]).unlink()
    (folder / "new" / "deep").mkdir(parents=True)
    (folder / "new" / "deep" / "a.md").write_text("# Extra\n\nTalks went on in Geneva.\n")
    (folder / "b.txt").write_text("Another article.\n\nIt has two paragraphs.\n")


@pytest.mark.parametrize(
    ("first_run_kill", "second_run_kill"),
    [
        ("begun:1", None),
        ("upserted:2", None),
        (None, "begun:1"),
        (None, "upserted:1"),
        (None, "pruned:1"),
        (None, "finished:1"),
        (None, "upserted:2"),
        (None, "removed:1"),
    ],
)
def test_killed_ingest_recovers_to_a_clean_index(
    tmp_path: Path,
    corpus: Path,
    embedder: Embedder,
    first_run_kill: str | None,
    second_run_kill: str | None,
) -> None:
    chroma = tmp_path / "chroma"
    first = run_ingest(corpus, chroma, first_run_kill)
    assert first == (-signal.SIGKILL if first_run_kill else 0)
    if second_run_kill:
        mutate(corpus)
        assert run_ingest(corpus, chroma, second_run_kill) == -signal.SIGKILL
    assert run_ingest(corpus, chroma) == 0

    clean_settings = Settings(
        chroma=ChromaSettings(path=tmp_path / "clean"), ingest=IngestSettings(group_files=2)
    )
    clean = build_index(clean_settings, embedder)
    IngestJob(clean_settings, embedder, clean).run(corpus)
    settings = Settings(chroma=ChromaSettings(path=chroma))
    assert snapshot(build_index(settings, embedder)) == snapshot(clean)


@pytest.mark.parametrize(("first_run_kill", "second_run_kill"), [("upserted:2", "begun:1")])
def test_killed_ingest_with_worker_processes_recovers(
    tmp_path: Path,
    corpus: Path,
    embedder: Embedder,
    first_run_kill: str,
    second_run_kill: str,
) -> None:
    """The same with the per-file work in two worker processes: killing the ingest process
    ends its workers too (the run returns only once nothing holds its output open)."""
    chroma = tmp_path / "chroma"
    pool = {"RAG_INGEST_PROCESSES": "2", "RAG_INGEST_POOL_MIN_FILES": "1"}
    assert run_ingest(corpus, chroma, first_run_kill, **pool) == -signal.SIGKILL
    mutate(corpus)
    assert run_ingest(corpus, chroma, second_run_kill, **pool) == -signal.SIGKILL
    assert run_ingest(corpus, chroma, **pool) == 0

    clean_settings = Settings(
        chroma=ChromaSettings(path=tmp_path / "clean"), ingest=IngestSettings(group_files=2)
    )
    clean = build_index(clean_settings, embedder)
    IngestJob(clean_settings, embedder, clean).run(corpus)
    settings = Settings(chroma=ChromaSettings(path=chroma))
    assert snapshot(build_index(settings, embedder)) == snapshot(clean)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.core.embedder import Embedder
from service.core.store import ArticleIndex, build_index
from service.settings import Settings
from tests.conftest import run_ingest_cli


@pytest.fixture
def index(settings: Settings, embedder: Embedder) -> ArticleIndex:
    return build_index(settings, embedder)


def snapshot(index: ArticleIndex) -> dict[str, Any]:
    """Everything a clean ingest determines: chunk records, manifest, article texts."""
    assert index.open(create=False)
    chunks = {c.id: c for c in index.all_chunks()}
    manifest = index.manifest()
    texts = {source: index.source_text(source) for source in manifest}
    return {"chunks": chunks, "manifest": manifest, "texts": texts}


def run_ingest(folder: Path, chroma: Path, kill_at: str | None = None) -> int:
    """Ingest in a real process, in groups of two files; SIGKILLed at `kill_at` if given."""
    kill = {"RAG_TEST_KILL_AT": kill_at} if kill_at else {}
    return run_ingest_cli(
        folder, RAG_CHROMA_PATH=str(chroma), RAG_INGEST_GROUP_FILES="2", **kill
    ).returncode

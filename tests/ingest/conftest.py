from __future__ import annotations

from typing import Any

import pytest

from service.core.embedder import Embedder
from service.core.store import ArticleIndex, build_index
from service.settings import Settings


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

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.procs import clean_env as cli_env
from service.core.embedder import Embedder
from service.core.store import ArticleIndex, build_index
from service.settings import Settings
from tests.conftest import REPO, run_ingest_cli


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


def run_ingest(folder: Path, chroma: Path, kill_at: str | None = None, **settings: str) -> int:
    """Ingest in a real process, in groups of two files (`settings`: more variables).

    With `kill_at` (`<checkpoint>:<n>`) the process is the command run by kill_ingest.py,
    which SIGKILLs it at the n-th pass of that checkpoint; else it is `python -m ingest`.
    """
    env = {"RAG_CHROMA_PATH": str(chroma), "RAG_INGEST_GROUP_FILES": "2", **settings}
    if kill_at is None:
        return run_ingest_cli(folder, **env).returncode
    script = Path(__file__).with_name("kill_ingest.py")
    return subprocess.run(
        [sys.executable, str(script), kill_at, str(folder)],
        cwd=REPO,
        env=cli_env(**env),
        capture_output=True,
        timeout=300,
    ).returncode

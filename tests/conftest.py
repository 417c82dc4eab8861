"""Shared fixtures: real components, with data and Chroma paths under `tmp_path`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import servers
from devtools.procs import clean_env as cli_env
from devtools.servers import chroma_run
from service.core.embedder import Embedder, build_embedder
from service.core.offline import configure_offline
from service.settings import ChromaSettings, Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "articles"
SAMPLES = sorted(p.name for p in SAMPLE_DIR.glob("*.txt"))

configure_offline()


def run_ingest_cli(folder: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """A real `python -m ingest FOLDER` process; `settings` are environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", str(folder), *args],
        cwd=REPO,
        env=cli_env(**settings),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own RAG_* variables must not leak into tests.
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    base = Settings()
    return build_embedder(base.embed, base.llm)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(chroma=ChromaSettings(path=tmp_path / "chroma"))


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the sample articles."""
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    yield folder


@pytest.fixture(scope="session")
def instant_embedder() -> Iterator[dict[str, str]]:
    """The instant embeddings endpoint (devtools.servers.instant_embedder)."""
    with servers.instant_embedder() as env:
        yield env


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A real `chroma run` server on loopback; yields its port."""
    with chroma_run(tmp_path / "server") as server:
        yield server.port

"""Ingest into a real `chroma run` server on loopback (server mode)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devtools.procs import free_port
from tests.conftest import run_ingest_cli

pytestmark = pytest.mark.chroma_server


def ingest(folder: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_ingest_cli(folder, *extra, RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(port))


def test_ingest_against_a_chroma_server(chroma_server: int, corpus: Path) -> None:
    first = ingest(corpus, chroma_server)
    assert first.returncode == 0, first.stderr
    assert "5 added" in first.stdout
    second = ingest(corpus, chroma_server)
    assert "5 unchanged" in second.stdout and "0 chunks written" in second.stdout
    (corpus / "003_3192432eb868ec65.txt").unlink()
    third = ingest(corpus, chroma_server)
    assert "1 removed" in third.stdout and "4 unchanged" in third.stdout


def test_unreachable_server_fails_with_a_hint(corpus: Path) -> None:
    result = ingest(corpus, free_port())
    assert result.returncode == 2
    assert "chroma run" in result.stderr
    assert "Traceback" not in result.stderr

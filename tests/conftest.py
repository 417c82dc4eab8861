"""Shared fixtures: real components, with data and Chroma paths under `tmp_path`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.core.embedder import Embedder, build_embedder
from service.core.offline import configure_offline
from service.settings import ChromaSettings, Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "articles"
SAMPLES = sorted(p.name for p in SAMPLE_DIR.glob("*.txt"))

configure_offline()


def article_text(path: Path) -> str:
    """The contract's article text of a .txt/.md file."""
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff")


def cli_env(**settings: str) -> dict[str, str]:
    """This process's environment without the developer's RAG_* variables, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | settings


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


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float, what: str) -> None:
    """Poll `url` until it answers 200; fail the test if `proc` dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"{what} did not become ready within {timeout_s:.0f} s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    """scripts/instant_embedder.py on loopback: an OpenAI-compatible embeddings endpoint
    that answers at once with hashed bag-of-words vectors. It stands in for a fast
    embedding model in tests of scale and load; yields the RAG_* variables that select it."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "instant_embedder.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[-1])
        yield {
            "RAG_EMBED_BACKEND": "openai",
            "RAG_EMBED_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "RAG_EMBED_MODEL": "instant-hash",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A real `chroma run` server on loopback; yields its port."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60, "chroma run")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)

"""The scaled-out topology without Docker: a `chroma run` server, the ingest job and two
stateless API worker processes, all on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, SAMPLE_DIR, cli_env, free_port, run_ingest_cli, wait_until_up

pytestmark = pytest.mark.chroma_server


def client_env(chroma_port: int) -> dict[str, str]:
    return cli_env(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_port))


def ingest(folder: Path, chroma_port: int) -> str:
    done = run_ingest_cli(folder, RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_port))
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def worker(chroma_port: int) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--port", str(port)],
        cwd=REPO,
        env=client_env(chroma_port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", proc, 90, "service worker")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_two_workers_share_one_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    assert "5 added" in ingest(folder, chroma_server)
    with worker(chroma_server) as a, worker(chroma_server) as b:
        for url in (a, b):
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where were the US-Ukraine talks held?"}
            ).json()
            assert "Geneva" in body["answer"] and body["citations"]
        (folder / "new.txt").write_text(
            "Zorblax summit\n\nThe Zorblax summit ended in Reykjavik on Friday.\n", "utf-8"
        )
        assert "1 added" in ingest(folder, chroma_server)
        for url in (a, b):
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where did the Zorblax summit end?"}
            ).json()
            assert {c["source"] for c in body["citations"]} == {"new.txt"}
            text = httpx.get(f"{url}/v1/sources/new.txt/text").text
            c = body["citations"][0]
            assert text[c["start"] : c["end"]] == c["quote"]

"""`python -m service --workers N`: several uvicorn workers on one Chroma server; refused
on the embedded store, which serves one process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from tests.conftest import REPO, SAMPLE_DIR, run_ingest_cli


def test_several_workers_need_a_chroma_server(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", "--workers", "2", "--port", str(free_port())],
        cwd=REPO,
        env=cli_env(RAG_CHROMA_PATH=str(tmp_path / "chroma")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "needs a Chroma server" in done.stderr and "RAG_CHROMA_HOST" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.chroma_server
def test_two_workers_answer_from_one_server(chroma_server: int, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    env = {
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(chroma_server),
        "RAG_LEXICAL_DIR": str(tmp_path / "lexical"),
    }
    assert run_ingest_cli(folder, **env).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--workers", "2", "--port", str(port)],
        cwd=REPO,
        env=cli_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", proc, 120, "two workers")
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(20):
                body = client.post(
                    "/v1/ask", json={"question": "Where were the US-Ukraine talks held?"}
                ).json()
                assert "Geneva" in body["answer"]
        # One lexical index for the collection generation, shared by both workers.
        saved = [p for p in (tmp_path / "lexical" / "articles").iterdir() if p.is_dir()]
        assert len(saved) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)

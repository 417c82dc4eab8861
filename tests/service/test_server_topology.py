"""The scaled-out topology without Docker: a `chroma run` server, the ingest job and two
stateless API worker processes, all on loopback."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from devtools.servers import service_run
from tests.conftest import SAMPLE_DIR, run_ingest_cli
from tests.service.conftest import check_invariants

pytestmark = pytest.mark.chroma_server


def client_env(chroma_port: int) -> dict[str, str]:
    return {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port)}


def ingest(folder: Path, chroma_port: int) -> str:
    done = run_ingest_cli(folder, **client_env(chroma_port))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_workers_share_one_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    assert "5 added" in ingest(folder, chroma_server)
    env = client_env(chroma_server)
    with service_run(env) as a, service_run(env) as b:
        assert a.pid != b.pid
        urls = (a.url, b.url)
        for url in urls:
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where were the US-Ukraine talks held?"}
            ).json()
            check_invariants(body, folder)
            assert "Geneva" in body["answer"] and body["citations"]
        (folder / "new.txt").write_text(
            "Zorblax summit\n\nThe Zorblax summit ended in Reykjavik on Friday.\n", "utf-8"
        )
        assert "1 added" in ingest(folder, chroma_server)
        for url in urls:
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where did the Zorblax summit end?"}
            ).json()
            check_invariants(body, folder)
            assert {c["source"] for c in body["citations"]} == {"new.txt"}
            text = httpx.get(f"{url}/v1/sources/new.txt/text").text
            c = body["citations"][0]
            assert text[c["start"] : c["end"]] == c["quote"]

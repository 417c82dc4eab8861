"""`python -m ingest` while the service serves from the same embedded store.

What holds (docs/concurrency.md): queries keep succeeding during the ingest, and the
service sees the new chunks shortly after the run ends, without a restart.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devtools.procs import clean_env
from service.app import create_app
from service.core.embedder import Embedder
from service.settings import ChromaSettings, Settings
from tests.conftest import REPO, SAMPLE_DIR, SAMPLES
from tests.service.conftest import check_invariants, ingest_folder
from tests.service.live import serve

NEW_ARTICLE = """Zorblax summit ends in Reykjavik

The Zorblax summit on Arctic fisheries ended in Reykjavik on Friday with a signed accord.
"""


def start_ingest(folder: Path, chroma: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(folder)],
        cwd=REPO,
        env=clean_env(RAG_CHROMA_PATH=str(chroma)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def query_while(
    proc: subprocess.Popen[str], client: httpx.Client, question: str, folder: Path
) -> int:
    """Ask repeatedly until the ingest process ends (bounded); return the request count."""
    count = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and count < 2000:
        response = client.post("/v1/ask", json={"question": question})
        assert response.status_code == 200, response.text
        check_invariants(response.json(), folder)
        count += 1
    return count


def wait_for(client: httpx.Client, question: str, source: str, present: bool) -> dict[str, object]:
    deadline = time.monotonic() + 15
    while True:
        body = client.post("/v1/ask", json={"question": question}).json()
        cited = {c["source"] for c in body["citations"]}
        if (source in cited) is present or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_ingest_while_serving(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    chroma = tmp_path / "chroma"
    settings = Settings(chroma=ChromaSettings(path=chroma))
    ingest_folder(settings, embedder, folder)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        question = "Where was the Zorblax summit held?"
        assert client.post("/v1/ask", json={"question": question}).json()["abstained"]

        (folder / "new.txt").write_text(NEW_ARTICLE, "utf-8")
        shutil.copy(SAMPLE_DIR / SAMPLES[0], folder / "copy.txt")
        proc = start_ingest(folder, chroma)
        asked = query_while(proc, client, "Where were the US-Ukraine talks held?", folder)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert asked > 0

        body = wait_for(client, question, "new.txt", present=True)
        assert {c["source"] for c in body["citations"]} == {"new.txt"}
        assert "Reykjavik" in str(body["answer"])
        sources = {s["source"] for s in client.get("/v1/sources").json()["sources"]}
        assert {"new.txt", "copy.txt"} <= sources

        (folder / "new.txt").unlink()
        proc = start_ingest(folder, chroma)
        query_while(proc, client, "Where were the US-Ukraine talks held?", folder)
        assert proc.wait(timeout=120) == 0
        body = wait_for(client, question, "new.txt", present=False)
        assert body["abstained"] is True
        sources = {s["source"] for s in client.get("/v1/sources").json()["sources"]}
        assert "new.txt" not in sources

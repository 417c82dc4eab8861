"""No failed query while `python -m ingest` re-ingests 100 of 1,000 articles under load.

A real `python -m service` process answers 8 concurrent clients on loopback while a real
ingest process rewrites a tenth of the folder, with the embedded store and with a
`chroma run` server (docs/concurrency.md). Embeddings come from the instant endpoint
(scripts/instant_embedder.py), which stands in for a fast embedding model so that the
1,000 articles ingest in seconds; answers are extractive as always.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from devtools.procs import clean_env as cli_env
from devtools.servers import service_run
from scripts.synth_corpus import generate, questions
from tests.conftest import REPO

ARTICLES = 1000
CHANGED = 100
CLIENTS = 8
MAX_REQUESTS = 20_000
DEADLINE_S = 600.0
# A word no synthetic article uses, added to one re-ingested file.
MARKER = "Zorblaxian"
MARKER_QUESTION = f"Where did the {MARKER} delegates meet?"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    generate(articles, ARTICLES, seed=5)
    return articles


def rewrite_some(folder: Path) -> str:
    """Change CHANGED files (new chunks, old ones to delete); the first gets the marker."""
    paths = sorted(folder.iterdir())[:CHANGED]
    for i, path in enumerate(paths):
        extra = f"\n{MARKER} delegates met in Reykjavik on Friday.\n" if i == 0 else ""
        path.write_text(path.read_text("utf-8") + f"\nA correction was added ({i}).\n" + extra)
    return paths[0].name


@contextmanager
def service(env: dict[str, str]) -> Iterator[str]:
    """`python -m service` with the RAG_* settings of `env`; yields its URL."""
    settings = {k: v for k, v in env.items() if k.startswith("RAG_")}
    with service_run(settings, timeout_s=120) as server:
        yield server.url


def ingest(folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(folder)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def load_while(proc: subprocess.Popen[str], url: str) -> tuple[int, Counter[str]]:
    """CLIENTS threads ask until `proc` ends (bounded by count and time); the number of
    answers, and the failures by status and message."""
    asked = questions(400, seed=3)
    failures: Counter[str] = Counter()
    done = 0
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_S

    def client(offset: int) -> None:
        nonlocal done
        with httpx.Client(base_url=url, timeout=60) as http:
            i = offset
            while proc.poll() is None and time.monotonic() < deadline:
                with lock:
                    if done + sum(failures.values()) >= MAX_REQUESTS:
                        return
                try:
                    response = http.post("/v1/ask", json={"question": asked[i % len(asked)]})
                    outcome = (
                        ""
                        if response.status_code == 200
                        else f"{response.status_code} {response.json().get('error')}"
                    )
                except httpx.HTTPError as exc:
                    outcome = f"{type(exc).__name__}: {exc}"
                i += CLIENTS
                with lock:
                    if outcome:
                        failures[outcome] += 1
                    else:
                        done += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_S + 60)
    return done, failures


def cites(url: str, source: str, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while True:
        body = httpx.post(f"{url}/v1/ask", json={"question": MARKER_QUESTION}, timeout=60).json()
        if source in {c["source"] for c in body.get("citations", [])}:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def check_reingest_under_load(folder: Path, env: dict[str, str]) -> None:
    first = ingest(folder, env)
    out, err = first.communicate(timeout=DEADLINE_S)
    assert first.returncode == 0, err
    assert f"{ARTICLES} added" in out
    with service(env) as url:
        marked = rewrite_some(folder)
        proc = ingest(folder, env)
        answered, failures = load_while(proc, url)
        out, err = proc.communicate(timeout=DEADLINE_S)
        assert proc.returncode == 0, err
        assert f"{CHANGED} updated" in out
        assert answered > 0
        assert not failures, f"{sum(failures.values())} of {answered} failed: {failures}"
        # A term only the re-ingested file has is found within 10 s of the run's end.
        assert cites(url, marked, within_s=10)


def test_reingest_under_load_embedded(
    folder: Path, tmp_path: Path, instant_embedder: dict[str, str]
) -> None:
    env = cli_env(
        RAG_CHROMA_PATH=str(tmp_path / "chroma"),
        RAG_SERVER_LOG_LEVEL="warning",
        **instant_embedder,
    )
    check_reingest_under_load(folder, env)


@pytest.mark.chroma_server
def test_reingest_under_load_chroma_server(
    folder: Path, chroma_server: int, tmp_path: Path, instant_embedder: dict[str, str]
) -> None:
    env = cli_env(
        RAG_CHROMA_HOST="127.0.0.1",
        RAG_CHROMA_PORT=str(chroma_server),
        RAG_LEXICAL_DIR=str(tmp_path / "lexical"),
        RAG_SERVER_LOG_LEVEL="warning",
        **instant_embedder,
    )
    check_reingest_under_load(folder, env)

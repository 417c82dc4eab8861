"""`/metrics` under two real API worker processes behind one port, against a real `chroma
run` server: any worker's scrape sums what every worker counted (multiprocess mode), also
after a worker is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from tests.conftest import REPO, SAMPLE_DIR, run_ingest_cli
from tests.service.test_metrics import REQUESTS, parse, value

pytestmark = pytest.mark.chroma_server

WORKERS = 2
SOURCES_REQUESTS = 60
ASKS = 6
QUESTIONS = ["Where were the US-Ukraine talks held?", "How do I bake sourdough bread?"]


@contextmanager
def uvicorn_workers(chroma_port: int, metrics_dir: Path, log: Path) -> Iterator[str]:
    """`uvicorn --factory service.app:create_app --workers 2`: a process manager that
    hands its workers an empty metrics directory, as docs/operations.md asks."""
    port = free_port()
    env = cli_env(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_port))
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "service.app:create_app",
                "--workers",
                str(WORKERS),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", proc, 120, "uvicorn workers")
        deadline = time.monotonic() + 120
        # Both workers must serve: each logs "ready" once its lifespan has started.
        while log.read_text(errors="replace").count('"message": "ready"') < WORKERS:
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"{WORKERS} workers not ready:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def worker_pids(metrics_dir: Path) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("counter_*.db")}


def sources_count_per_worker(metrics_dir: Path) -> dict[int, float]:
    """What each worker's own file holds, read without the other workers'."""
    counts = {}
    for pid in worker_pids(metrics_dir):
        families = MultiProcessCollector.merge([str(metrics_dir / f"counter_{pid}.db")])
        counts[pid] = sum(
            s.value
            for family in families
            for s in family.samples
            if s.name == REQUESTS and s.labels.get("route") == "/v1/sources"
        )
    return counts


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    # A new connection each time, so that successive scrapes may reach either worker.
    response = httpx.get(f"{url}/metrics", headers={"connection": "close"})
    assert response.status_code == 200
    return parse(response.text)


def test_counters_sum_over_workers_and_survive_a_killed_worker(
    chroma_server: int, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    done = run_ingest_cli(folder, RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_server))
    assert done.returncode == 0, done.stderr
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()

    with uvicorn_workers(chroma_server, metrics_dir, tmp_path / "server.log") as url:

        def get_sources(_: int) -> int:
            return httpx.get(f"{url}/v1/sources", headers={"connection": "close"}).status_code

        def ask(i: int) -> int:
            body = {"question": QUESTIONS[i % len(QUESTIONS)]}
            return httpx.post(f"{url}/v1/ask", json=body, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            assert set(pool.map(get_sources, range(SOURCES_REQUESTS))) == {200}
            assert set(pool.map(ask, range(ASKS))) == {200}

        per_worker = sources_count_per_worker(metrics_dir)
        assert len(per_worker) == WORKERS
        assert all(count > 0 for count in per_worker.values()), per_worker
        for _ in range(4):
            samples = scrape(url)
            assert value(samples, REQUESTS, route="/v1/sources", status="200") == SOURCES_REQUESTS
            assert value(samples, "newsrag_answers_total") == ASKS
            assert value(samples, "newsrag_abstentions_total") == ASKS / 2
            assert value(samples, "newsrag_stage_duration_seconds_count", stage="embed") == ASKS

        victim = min(per_worker)
        assert (metrics_dir / f"gauge_livesum_{victim}.db").exists()
        os.kill(victim, signal.SIGKILL)
        # A scrape after the supervisor has reaped it forgets its live gauge; its counts stay.
        deadline = time.monotonic() + 60
        while (metrics_dir / f"gauge_livesum_{victim}.db").exists():
            assert time.monotonic() < deadline, "the killed worker's live gauge was kept"
            samples = scrape(url)
            assert value(samples, REQUESTS, route="/v1/sources", status="200") == SOURCES_REQUESTS
            time.sleep(0.5)
        assert (metrics_dir / f"counter_{victim}.db").exists()
        samples = scrape(url)
        assert value(samples, REQUESTS, route="/v1/sources", status="200") == SOURCES_REQUESTS

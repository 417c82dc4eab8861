"""Faults: the Chroma server stops or hangs while the service serves; the store cannot be
written at ingest (a read-only folder, a full disk).

All on loopback with a real `chroma run`, real service and ingest processes. The read-only
and full-disk stores are real tmpfs mounts (read-only remount, tiny size) when the tests
run as root, as in CI; elsewhere the read-only store is a folder without write permission
and the full-disk test cannot run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from devtools.servers import service_run
from tests.conftest import SAMPLE_DIR, run_ingest_cli

QUESTION = "Where were the US-Ukraine talks held?"
# Every request below must be answered within this: a hang fails the test.
CLIENT_TIMEOUT_S = 30.0
EXIT_STORE_UNWRITABLE = 3


@contextmanager
def chroma(path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(path),
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
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def service(env: dict[str, str]) -> Iterator[str]:
    """`python -m service` with the RAG_* settings of `env`; yields its URL."""
    settings = {k: v for k, v in env.items() if k.startswith("RAG_")}
    with service_run(settings, timeout_s=120) as server:
        yield server.url


def statuses(url: str) -> dict[str, int]:
    """/readyz, /v1/ask and /v1/retrieve; a hang past CLIENT_TIMEOUT_S raises."""
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S) as client:
        return {
            "readyz": client.get("/readyz").status_code,
            "ask": client.post("/v1/ask", json={"question": QUESTION}).status_code,
            "retrieve": client.post("/v1/retrieve", json={"question": QUESTION}).status_code,
        }


def recovers(url: str, attempts: int = 120) -> bool:
    """All three answer 200 again within `attempts` half-second polls, with no restart."""
    for _ in range(attempts):
        if set(statuses(url).values()) == {200}:
            return True
        subprocess.run(["sleep", "0.5"], check=True)
    return False


@pytest.mark.chroma_server
def test_chroma_server_stopped_then_back(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "server"
    env = cli_env(
        RAG_CHROMA_HOST="127.0.0.1",
        RAG_CHROMA_PORT=str(port),
        RAG_LEXICAL_DIR=str(tmp_path / "lexical"),
        RAG_CHROMA_TIMEOUT_S="3",
    )
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    with chroma(data, port) as first:
        done = run_ingest_cli(folder, **{k: v for k, v in env.items() if k.startswith("RAG_")})
        assert done.returncode == 0, done.stderr
        with service(env) as url:
            assert statuses(url) == {"readyz": 200, "ask": 200, "retrieve": 200}
            first.terminate()
            first.wait(timeout=30)
            assert statuses(url) == {"readyz": 503, "ask": 503, "retrieve": 503}
            body = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=30).json()
            assert body["error"]["code"] == "unavailable"
            with chroma(data, port):
                assert recovers(url)
                answer = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=30)
                assert "Geneva" in answer.json()["answer"]


@pytest.mark.chroma_server
def test_hung_chroma_server_gives_503_not_a_hang(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "server"
    env = cli_env(
        RAG_CHROMA_HOST="127.0.0.1",
        RAG_CHROMA_PORT=str(port),
        RAG_LEXICAL_DIR=str(tmp_path / "lexical"),
        RAG_CHROMA_TIMEOUT_S="2",
    )
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    with chroma(data, port) as server:
        done = run_ingest_cli(folder, **{k: v for k, v in env.items() if k.startswith("RAG_")})
        assert done.returncode == 0, done.stderr
        with service(env) as url:
            assert statuses(url)["ask"] == 200
            # Stopped, not dead: connections are accepted and never answered.
            server.send_signal(signal.SIGSTOP)
            try:
                assert statuses(url) == {"readyz": 503, "ask": 503, "retrieve": 503}
            finally:
                server.send_signal(signal.SIGCONT)
            assert recovers(url)


# -- the store cannot be written at ingest -----------------------------------------------


def is_root() -> bool:
    return os.geteuid() == 0


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr!r}")
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def ingest_env(store: Path) -> dict[str, str]:
    return {"RAG_CHROMA_PATH": str(store)}


def change_a_file(folder: Path) -> None:
    path = sorted(folder.iterdir())[0]
    path.write_text(path.read_text("utf-8") + "\nA line added later.\n" * 200, "utf-8")


def check_refused(done: subprocess.CompletedProcess[str], hint: str) -> None:
    assert done.returncode == EXIT_STORE_UNWRITABLE, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "Cannot" in message and hint in message, message
    assert "Traceback" not in done.stderr


def test_ingest_into_a_read_only_store(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    if is_root():
        # Permissions do not stop root: a read-only mount does.
        with tmpfs(tmp_path / "mnt", "256m") as mnt:
            store = mnt / "chroma"
            assert run_ingest_cli(folder, **ingest_env(store)).returncode == 0
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            change_a_file(folder)
            check_refused(run_ingest_cli(folder, **ingest_env(store)), "writable")
        return
    store = tmp_path / "chroma"
    assert run_ingest_cli(folder, **ingest_env(store)).returncode == 0
    for path in [store, *store.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        change_a_file(folder)
        check_refused(run_ingest_cli(folder, **ingest_env(store)), "writable")
    finally:
        for path in [store, *store.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


def test_ingest_into_a_full_disk(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    with tmpfs(tmp_path / "mnt", "64m") as mnt:
        store = mnt / "chroma"
        assert run_ingest_cli(folder, **ingest_env(store)).returncode == 0
        # Fill the rest of the disk.
        with (mnt / "filler").open("wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * (1 << 20))
                    filler.flush()
            except OSError:
                pass
        for i in range(20):
            (folder / f"extra-{i}.txt").write_text(
                f"Extra article {i}\n\n" + "Talks went on in Geneva all week. " * 300, "utf-8"
            )
        check_refused(run_ingest_cli(folder, **ingest_env(store)), "free space")

"""`python -m ingest PATH --watch`, a real long-running process on a temporary folder."""

from __future__ import annotations

import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from devtools.procs import clean_env
from service.core.embedder import Embedder
from service.core.store import build_index
from service.settings import ChromaSettings, Settings
from tests.conftest import REPO, SAMPLE_DIR, SAMPLES, run_ingest_cli

pytestmark = pytest.mark.slow

# Bounds: the first run loads the models; later runs take a second or two.
FIRST_RUN_S = 180.0
RUN_S = 60.0
EXIT_S = 30.0


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


class Watching:
    """The watcher's process and its output lines as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout
        threading.Thread(target=_pump, args=(stdout, self.lines), daemon=True).start()

    def next_line(self, timeout_s: float) -> str:
        try:
            return self.lines.get(timeout=timeout_s).strip()
        except queue.Empty:
            pytest.fail(f"no summary line within {timeout_s} s")


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[Watching, Path]]:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / SAMPLES[0], folder / SAMPLES[0])
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(folder), "--watch", "--interval", "0.2"],
        cwd=REPO,
        env=clean_env(RAG_CHROMA_PATH=str(tmp_path / "chroma")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Watching(proc), folder
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=EXIT_S)


def test_the_watcher_indexes_what_is_written_and_drops_what_is_removed(
    tmp_path: Path, embedder: Embedder, watching: tuple[Watching, Path]
) -> None:
    watcher, folder = watching
    assert watcher.next_line(FIRST_RUN_S).startswith("1 added, 0 updated, 0 unchanged")

    (folder / "harbour.md").write_text(
        "# Harbour\n\nThe harbour reopened on Monday after three weeks of repairs.\n", "utf-8"
    )
    assert watcher.next_line(RUN_S).startswith("1 added, 0 updated, 1 unchanged, 0 removed")

    (folder / "harbour.md").unlink()
    assert watcher.next_line(RUN_S).startswith("0 added, 0 updated, 1 unchanged, 1 removed")

    (folder / "late.txt").write_text("A late article.\n\nIt arrived after the others.\n")
    assert watcher.next_line(RUN_S).startswith("1 added")

    # Nothing changes: no run, no line.
    time.sleep(1.0)
    assert watcher.lines.empty()

    watcher.proc.send_signal(signal.SIGTERM)
    assert watcher.proc.wait(timeout=EXIT_S) == 0
    assert watcher.proc.stderr is not None
    assert "stopped" in watcher.proc.stderr.read()

    index = build_index(Settings(chroma=ChromaSettings(path=tmp_path / "chroma")), embedder)
    assert index.open(create=False)
    assert sorted(index.manifest()) == sorted([SAMPLES[0], "late.txt"])
    assert {c.source for c in index.all_chunks()} == {SAMPLES[0], "late.txt"}


def test_ctrl_c_while_waiting_ends_the_watcher_cleanly(watching: tuple[Watching, Path]) -> None:
    watcher, _ = watching
    watcher.next_line(FIRST_RUN_S)
    watcher.proc.send_signal(signal.SIGINT)
    assert watcher.proc.wait(timeout=EXIT_S) == 0
    assert watcher.proc.stderr is not None
    stderr = watcher.proc.stderr.read()
    assert "stopped" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--watch", "--dry-run"], "--watch cannot be combined with --dry-run"),
        (["--watch", "--interval", "0"], "--interval"),
        (["--interval", "5"], "--interval only applies with --watch"),
    ],
)
def test_watch_options_that_cannot_work_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run_ingest_cli(SAMPLE_DIR, *args, RAG_CHROMA_PATH=str(tmp_path / "chroma"))
    assert done.returncode == 2
    assert message in " ".join(done.stderr.split())


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    done = run_ingest_cli(tmp_path / "nowhere", "--watch", RAG_CHROMA_PATH=str(tmp_path / "chroma"))
    assert done.returncode == 2
    assert "is not a folder" in " ".join(done.stderr.split())

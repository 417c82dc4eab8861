"""Starting real processes: readiness, early exits, time limits and shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devtools.procs import NotReady, free_port, running, stop

PYTHON = sys.executable


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_running_waits_for_the_url_and_stops_the_process() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running(argv, ready_url=url, what="http.server", timeout_s=60) as proc:
        assert proc.poll() is None
        assert httpx.get(url).status_code == 200
    assert proc.poll() is not None


def test_a_process_that_exits_early_is_reported_with_its_output() -> None:
    argv = [PYTHON, "-c", "import sys; print('no model file'); sys.exit(3)"]
    url = f"http://127.0.0.1:{free_port()}/"
    with (
        pytest.raises(NotReady, match=r"(?s)exited with 3.*no model file"),
        running(argv, ready_url=url, what="the server", timeout_s=60),
    ):
        pass


def test_a_process_that_never_answers_is_stopped_after_the_time_limit(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
    url = f"http://127.0.0.1:{free_port()}/"
    with (
        pytest.raises(NotReady, match="did not answer"),
        running([PYTHON, "-c", code, str(pid_file)], ready_url=url, what="x", timeout_s=1),
    ):
        pass
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_stop_kills_a_process_that_ignores_terminate() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(120)"
    )
    proc = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline() == b"ready\n"
        stop(proc, timeout_s=1)
    assert proc.returncode == -signal.SIGKILL

"""Real server processes on loopback: a free port, readiness polling, bounded shutdown."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

POLL_S = 0.2
STOP_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 30


class NotReady(RuntimeError):
    """A started process died, or did not answer its readiness URL in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without the developer's RAG_* variables, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | settings


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_up(
    url: str,
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    what: str,
    log: Path | None = None,
) -> None:
    """Poll `url` until it answers 200; raise NotReady if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            problem = f"{what} exited with {proc.returncode} before {url} answered"
        elif time.monotonic() > deadline:
            problem = f"{what} did not answer {url} within {timeout_s:.0f} s"
        else:
            time.sleep(POLL_S)
            continue
        output = tail(log) if log is not None else ""
        raise NotReady(f"{problem}:\n{output}" if output else problem)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Terminate `proc`, and kill it if it has not exited after `timeout_s`."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


@contextmanager
def running(
    argv: Sequence[str],
    *,
    ready_url: str,
    what: str,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv`, wait until `ready_url` answers 200, yield the process; always stop it.

    Its output goes to a temporary log whose last lines are in the NotReady message. The
    environment defaults to this one without RAG_* variables.
    """
    with tempfile.TemporaryDirectory(prefix="newsrag-proc-") as tmp:
        log_path = Path(tmp) / "output.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else clean_env(),
                cwd=cwd,
            )
        try:
            wait_until_up(ready_url, proc, timeout_s, what, log_path)
            yield proc
        finally:
            stop(proc)

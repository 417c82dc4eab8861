"""Debian's `redis-server` on a free loopback port, without persistence, for the tests of
limits and de-duplication shared across workers (`make install-redis` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from devtools.procs import free_port


def require_redis_server() -> str:
    """The redis-server binary; skips locally, fails under CI, when it is missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Debian redis-server is required in CI (make install-redis)")
    pytest.skip("redis-server not installed: `make install-redis`")


@dataclass
class RedisServer:
    url: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """Start redis-server; yield it (`stop()` stops it early, as an outage)."""
    binary = require_redis_server()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        client.close()
        server = RedisServer(url, proc)
        yield server
    finally:
        RedisServer(url, proc).stop()

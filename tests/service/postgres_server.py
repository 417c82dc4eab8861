"""Debian's PostgreSQL on a free loopback port, in a fresh cluster under a temp folder,
for the answer-log tests (`make install-postgres` installs it).

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
(made by the Debian package) and its commands run through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from devtools.procs import free_port


def require_postgres() -> Path:
    """The folder of initdb and pg_ctl; skips locally, fails under CI, when missing."""
    found = shutil.which("initdb")
    candidates = [found] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(os.path.realpath(candidate)).parent
    if os.environ.get("CI"):
        pytest.fail("Debian postgresql is required in CI (make install-postgres)")
    pytest.skip("postgresql not installed: `make install-postgres`")


@dataclass
class PostgresServer:
    url: str
    bin_dir: Path
    data: Path
    as_user: list[str]

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server with database `newsrag` (user `postgres`, trust auth on loopback).

    Its folder is made directly in the temp directory: pytest's own are private to the
    user running the tests, and the server may run as another."""
    bin_dir = require_postgres()
    workdir = Path(tempfile.mkdtemp(prefix="newsrag-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(workdir, "postgres")
    data, port = workdir / "data", free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{args[0]} failed: {done.stdout}{done.stderr}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"),
        "-w", "-t", "60", "start")  # fmt: skip
    server = PostgresServer(
        f"postgresql://postgres@127.0.0.1:{port}/newsrag", bin_dir, data, as_user
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                    autocommit=True,
                ) as conn:
                    conn.execute("CREATE DATABASE newsrag")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    pytest.fail("postgresql did not start")
                time.sleep(0.1)
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

"""The scaled-out topology of docker/compose.yaml without Docker: a `chroma run` server, the
ingest job and the API replicas, all on loopback.

The commands and environments come from the compose file (and the image's `ENV` and
`HEALTHCHECK` from the Dockerfile), so the file and this test cannot drift: service names
become 127.0.0.1, container ports local ports, container paths temporary directories.
The Chroma service itself is the `chroma_server` fixture (the compose service installs
chromadb at start-up, which cannot run here); its port and chromadb pin are checked.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from tests.conftest import REPO, run_ingest_cli
from tests.service.conftest import check_invariants
from tests.test_docker import healthcheck_command, image_env

pytestmark = pytest.mark.chroma_server

COMPOSE = REPO / "docker" / "compose.yaml"


def client_env(chroma_port: int) -> dict[str, str]:
    return {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port)}


def ingest(folder: Path, chroma_port: int) -> str:
    """A plain ingest run against the Chroma server (for other tests' set-up)."""
    done = run_ingest_cli(folder, **client_env(chroma_port))
    assert done.returncode == 0, done.stderr
    return done.stdout


def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))["services"]
    return services


@dataclass(frozen=True)
class Loopback:
    """Where each name of the compose world lives on this machine."""

    hosts: frozenset[str]  # compose service names, and the any-address
    ports: Mapping[int, int]  # container port -> local port
    root: Path  # container paths outside /app
    data: Path  # a writable copy of the image's /app/data

    def path(self, value: str) -> str:
        if value == "/app/data" or value.startswith("/app/data/"):
            return str(self.data / value.removeprefix("/app/data").lstrip("/"))
        if value.startswith("/app/"):
            return str(REPO / value.removeprefix("/app/"))
        if value.startswith("/"):
            return str(self.root / value.lstrip("/"))
        return value

    def value(self, key: str, value: str) -> str:
        if value in self.hosts:
            return "127.0.0.1"
        if key.endswith("_PORT") and value.isdigit() and int(value) in self.ports:
            return str(self.ports[int(value)])
        return self.path(value)

    def command(self, service: dict[str, Any]) -> list[str]:
        command = service["command"]
        args = shlex.split(command) if isinstance(command, str) else list(command)
        program = sys.executable if args[0] == "python" else args[0]
        return [program, *(self.path(a) for a in args[1:])]

    def env(self, service: dict[str, Any], **extra: str) -> dict[str, str]:
        """The image's ENV (for services built from it), then the service's, mapped."""
        merged = dict(image_env()) if "build" in service else {}
        merged.update({k: str(v) for k, v in (service.get("environment") or {}).items()})
        return cli_env(**({k: self.value(k, v) for k, v in merged.items()} | extra))


def chroma_port(services: dict[str, Any]) -> int:
    match = re.search(r"chroma run .*--port (\d+)", services["chroma"]["command"])
    assert match, "the chroma service runs `chroma run --port N`"
    return int(match.group(1))


def test_compose_pins_the_chromadb_the_project_uses() -> None:
    command = compose()["chroma"]["command"]
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    pin = re.search(r"'(chromadb[^']*)'", command)
    assert pin and f'"{pin.group(1)}"' in pyproject


def run(loopback: Loopback, service: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        loopback.command(service),
        cwd=REPO,
        env=loopback.env(service),
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def replica(loopback: Loopback, service: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """One API replica on its own local port; yields its URL and environment."""
    port = free_port()
    env = loopback.env(service, RAG_SERVER_HOST="127.0.0.1", RAG_SERVER_PORT=str(port))
    proc = subprocess.Popen(
        loopback.command(service),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", proc, 120, "API replica")
        yield url, env
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def textfile_success(path: Path) -> float:
    for family in text_string_to_metric_families(path.read_text("utf-8")):
        for sample in family.samples:
            if sample.name == "newsrag_ingest_last_run_success":
                return float(sample.value)
    raise AssertionError(f"no success figure in {path}")


def test_the_compose_topology_on_loopback(chroma_server: int, tmp_path: Path) -> None:
    services = compose()
    shutil.copytree(REPO / "data", tmp_path / "app-data")
    loopback = Loopback(
        hosts=frozenset({*services, "0.0.0.0"}),
        ports={chroma_port(services): chroma_server},
        root=tmp_path / "container",
        data=tmp_path / "app-data",
    )
    ingest, api = services["ingest"], services["api"]
    articles = Path(loopback.path(next(a for a in ingest["command"] if "/data/" in a)))
    textfile = Path(loopback.path(ingest["command"][ingest["command"].index("--metrics-file") + 1]))

    done = run(loopback, ingest)
    assert done.returncode == 0, done.stderr
    assert "5 added" in done.stdout
    assert textfile_success(textfile) == 1

    with ExitStack() as stack:
        replicas = [
            stack.enter_context(replica(loopback, api)) for _ in range(api["deploy"]["replicas"])
        ]
        assert len(replicas) == 2
        for url, env in replicas:
            # The image's HEALTHCHECK, run as the container would run it.
            check = subprocess.run(
                [sys.executable, *healthcheck_command()[1:]], env=env, timeout=60
            )
            assert check.returncode == 0
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where were the US-Ukraine talks held?"}
            ).json()
            check_invariants(body, articles)
            assert "Geneva" in body["answer"] and body["citations"]
            # /metrics on the API port.
            scraped = httpx.get(f"{url}/metrics")
            assert scraped.status_code == 200 and "newsrag_answers_total 1.0" in scraped.text

        (articles / "new.txt").write_text(
            "Zorblax summit\n\nThe Zorblax summit ended in Reykjavik on Friday.\n", "utf-8"
        )
        again = run(loopback, ingest)
        assert again.returncode == 0, again.stderr
        assert "1 added" in again.stdout
        for url, _ in replicas:
            body = httpx.post(
                f"{url}/v1/ask", json={"question": "Where did the Zorblax summit end?"}
            ).json()
            check_invariants(body, articles)
            assert {c["source"] for c in body["citations"]} == {"new.txt"}
            text = httpx.get(f"{url}/v1/sources/new.txt/text").text
            c = body["citations"][0]
            assert text[c["start"] : c["end"]] == c["quote"]

"""The real servers the tests and benchmarks start on loopback, each on a free port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.procs import clean_env, free_port, running, stop

REPO = Path(__file__).resolve().parents[1]
CHROMA_READY_S = 60.0
SERVICE_READY_S = 90.0
# Loading a GGUF model and warming llama.cpp takes a 2-core machine tens of seconds.
LLAMA_READY_S = 120.0


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    port: int
    pid: int


def _loopback(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@contextmanager
def chroma_run(path: Path, *, timeout_s: float = CHROMA_READY_S) -> Iterator[Server]:
    """`chroma run` (from this interpreter's environment) storing its data in `path`."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    argv = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    url = _loopback(port)
    with running(
        argv,
        ready_url=f"{url}/api/v2/heartbeat",
        what="chroma run",
        timeout_s=timeout_s,
        env=clean_env(ANONYMIZED_TELEMETRY="False"),
    ) as proc:
        yield Server(url, port, proc.pid)


@contextmanager
def service_run(
    settings: Mapping[str, str],
    *,
    args: Sequence[str] = (),
    timeout_s: float = SERVICE_READY_S,
) -> Iterator[Server]:
    """`python -m service` configured only by `settings` (RAG_* variables), once ready;
    `args` are extra command-line arguments (`--workers 2`)."""
    port = free_port()
    url = _loopback(port)
    with running(
        [sys.executable, "-m", "service", "--port", str(port), *args],
        ready_url=f"{url}/readyz",
        what="python -m service",
        timeout_s=timeout_s,
        env=clean_env(**settings),
        cwd=REPO,
    ) as proc:
        yield Server(url, port, proc.pid)


@contextmanager
def llama_server(
    gguf: Path, *, n_ctx: int = 4096, timeout_s: float = LLAMA_READY_S
) -> Iterator[Server]:
    """llama.cpp's OpenAI-compatible server (llama-cpp-python[server]); its API is `url/v1`."""
    port = free_port()
    url = _loopback(port)
    argv = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
    ]
    with running(
        argv, ready_url=f"{url}/v1/models", what="llama_cpp.server", timeout_s=timeout_s
    ) as proc:
        yield Server(url, port, proc.pid)


@contextmanager
def instant_embedder() -> Iterator[dict[str, str]]:
    """scripts/instant_embedder.py on loopback: an OpenAI-compatible embeddings endpoint
    that answers at once with hashed bag-of-words vectors. It stands in for a fast
    embedding model in tests and benchmarks of scale and load; yields the RAG_* variables
    that select it."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "instant_embedder.py")],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[-1])
        yield {
            "RAG_EMBED_BACKEND": "openai",
            "RAG_EMBED_BASE_URL": f"{_loopback(port)}/v1",
            "RAG_EMBED_MODEL": "instant-hash",
        }
    finally:
        stop(proc)

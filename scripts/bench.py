"""Benchmarks of the offline path: embedder, ingest, the API, and a plain-LlamaIndex baseline.

    .venv/bin/python scripts/bench.py [--only SECTION[,SECTION]] [--out PATH]

Prints a table and writes the rows as JSON (default `bench-results/bench.json`). Targets
are reported as PASS/FAIL but never change the exit code: benchmarks report, they do not
gate. Everything runs locally: the embedder is the one `Settings()` configures (the
bundled ONNX model by default), every Chroma store is embedded in a temporary folder, and
every request goes to 127.0.0.1 with bounded loads.

The harness is `scripts/benchmarks/harness.py`; each section is a module of
`scripts/benchmarks/sections/` with `run(Bench) -> list[Row]`, registered by one line in
`scripts/benchmarks/sections/__init__.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The shared dev helpers (devtools/) live at the repository root, which is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.offline import configure_offline

# Before the sections import chromadb, llama_index and onnxruntime.
configure_offline()

from benchmarks.harness import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

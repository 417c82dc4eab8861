"""An OpenAI-compatible `/v1/embeddings` endpoint that answers at once, for scale tests.

It stands in for a fast embedding model, not for a good one: each text becomes a hashed
bag-of-words unit vector (every word adds +-1 to one of `dimensions` coordinates, chosen by
a CRC of the word), so equal texts get equal vectors and texts sharing words are close.
Benchmarks and tests use it so that ingesting thousands of articles shows our own costs,
not the embedding model's; it is never used to judge answer quality.

    .venv/bin/python scripts/instant_embedder.py --port 8123 [--dimensions 384]

Then `RAG_EMBED_BACKEND=openai RAG_EMBED_BASE_URL=http://127.0.0.1:8123/v1
RAG_EMBED_MODEL=instant-hash`. It prints `listening on PORT` once it accepts requests.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import sys
import zlib
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

_WORD = re.compile(r"\w+")
MODEL = "instant-hash"


def vectors(texts: Sequence[str], dimensions: int) -> np.ndarray:
    """Unit-length hashed bag-of-words vectors, one row per text."""
    out = np.zeros((len(texts), dimensions), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in _WORD.findall(text.casefold()):
            code = zlib.crc32(word.encode())
            out[row, code % dimensions] += 1.0 if code & 0x80000000 else -1.0
        norm = float(np.linalg.norm(out[row]))
        if norm == 0.0:
            out[row, 0], norm = 1.0, 1.0
        out[row] /= norm
    return out


class _Handler(BaseHTTPRequestHandler):
    dimensions = 384

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/embeddings"):
            self._reply(404, {"error": {"message": f"no route {self.path}"}})
            return
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        texts = body.get("input", [])
        if isinstance(texts, str):
            texts = [texts]
        matrix = vectors([str(t) for t in texts], self.dimensions)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": base64.b64encode(row.tobytes()).decode()
                if as_base64
                else row.tolist(),
            }
            for i, row in enumerate(matrix)
        ]
        words = sum(len(_WORD.findall(str(t))) for t in texts)
        self._reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", MODEL),
                "usage": {"prompt_tokens": words, "total_tokens": words},
            },
        )

    def _reply(self, status: int, payload: object) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per request would drown the caller's output."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--dimensions", type=int, default=384)
    args = parser.parse_args(argv)
    _Handler.dimensions = args.dimensions
    server = ThreadingHTTPServer((args.host, args.port), _Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

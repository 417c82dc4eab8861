"""`python -m service [--host H] [--port P] [--workers N]`: serve the API with uvicorn."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import ExitStack
from types import FrameType
from typing import Any

import uvicorn
from pydantic import ValidationError

from service.app import create_app
from service.core.metrics import metrics_directory
from service.settings import ServerSettings, Settings


def _stopped(signum: int, frame: FrameType | None) -> None:
    # uvicorn drains in-flight requests on SIGTERM, then re-raises the signal with the
    # handler it found: this one, so that a drained stop exits 0 instead of dying by
    # the signal. A SIGTERM before uvicorn takes over stops the process the same way.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service", description="Serve the API.")
    parser.add_argument("--host", help="bind address (default: RAG_SERVER_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: RAG_SERVER_PORT or 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1); more than one needs a Chroma server (RAG_CHROMA_HOST)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        settings = Settings()
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
        if overrides:
            server = ServerSettings(**{**settings.server.model_dump(), **overrides})
            settings = settings.model_copy(update={"server": server})
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.chroma.host is None:
        print(
            "error: --workers > 1 needs a Chroma server: the embedded store serves one "
            "process. Start `chroma run --path DIR --port 8001` and set "
            "RAG_CHROMA_HOST=127.0.0.1 RAG_CHROMA_PORT=8001 (see docs/concurrency.md).",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _stopped)
    with ExitStack() as stack:
        try:
            stack.enter_context(metrics_directory(settings.metrics.dir))
        except OSError as exc:
            print(
                f"error: cannot make the metrics directory under RAG_METRICS_DIR: {exc}; "
                "point it at a writable directory.",
                file=sys.stderr,
            )
            return 2
        common: dict[str, Any] = {
            "host": settings.server.host,
            "port": settings.server.port,
            "log_config": None,
            "timeout_graceful_shutdown": settings.server.shutdown_grace_s,
            # The app decides whose X-Forwarded-For to trust (RAG_SERVER_FORWARDED_ALLOW_IPS).
            "proxy_headers": False,
        }
        if args.workers > 1:
            # Each worker process builds its app from the same RAG_* environment.
            uvicorn.run("service.app:create_app", factory=True, workers=args.workers, **common)
        else:
            uvicorn.run(create_app(settings), **common)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m service [--host H] [--port P]`: serve the API with uvicorn."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import ExitStack
from types import FrameType

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
    args = parser.parse_args(argv)
    try:
        settings = Settings()
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
        if overrides:
            server = ServerSettings(**{**settings.server.model_dump(), **overrides})
            settings = settings.model_copy(update={"server": server})
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
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
        uvicorn.run(
            create_app(settings),
            host=settings.server.host,
            port=settings.server.port,
            log_config=None,
            timeout_graceful_shutdown=settings.server.shutdown_grace_s,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

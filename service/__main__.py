"""`python -m service [--host H] [--port P] [--workers N]`: serve the API with uvicorn."""

from __future__ import annotations

import argparse
import sys

import uvicorn
from pydantic import ValidationError

from service.app import create_app
from service.settings import ServerSettings, Settings


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
    if args.workers > 1:
        if settings.chroma.host is None:
            print(
                "error: --workers > 1 needs a Chroma server: the embedded store serves one "
                "process. Start `chroma run --path DIR --port 8001` and set "
                "RAG_CHROMA_HOST=127.0.0.1 RAG_CHROMA_PORT=8001 (see docs/concurrency.md).",
                file=sys.stderr,
            )
            return 2
        # Each worker process builds its app from the same RAG_* environment.
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=settings.server.host,
            port=settings.server.port,
            workers=args.workers,
            log_config=None,
            timeout_graceful_shutdown=10,
        )
        return 0
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        # The app decides whose X-Forwarded-For to trust (RAG_SERVER_FORWARDED_ALLOW_IPS).
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ingest PATH`: make the collection mirror the folder PATH."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from ingest.metrics import write_textfile
from ingest.pipeline import IngestJob, IngestUsageError
from ingest.summary import Summary
from ingest.write import CheckpointHook, no_checkpoint
from service.core.embedder import build_embedder
from service.core.offline import configure_offline
from service.core.store import build_client, build_index
from service.errors import ServiceError, StoreWriteError
from service.settings import Settings

INGEST_CHROMA_TIMEOUT_S = 300.0
# Exit codes: 1 some files failed, 2 usage or configuration, 3 the store cannot be written.
EXIT_STORE_UNWRITABLE = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Index a folder of articles (.txt, .md, .html) into Chroma. New and "
        "changed files are indexed, files gone from the folder are removed.",
    )
    parser.add_argument("path", type=Path, help="folder of articles (searched recursively)")
    parser.add_argument("--collection", help="collection name (default: RAG_COLLECTION)")
    parser.add_argument("--full", action="store_true", help="drop the collection and rebuild")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="let a collection that mirrors another folder mirror this one instead",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    parser.add_argument(
        "--metrics-file",
        type=Path,
        help="also write the run's counters to this Prometheus textfile (for node_exporter's "
        "textfile collector; replaced atomically each run, not written on --dry-run)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, checkpoint: CheckpointHook = no_checkpoint) -> int:
    """The command; `checkpoint` is called between write steps (tests inject a kill there)."""
    args = parse_args(argv)
    started = time.time()
    summary: Summary | None = None
    try:
        code, summary = _run(args, checkpoint)
    finally:
        if args.metrics_file is not None and not args.dry_run:
            write_textfile(args.metrics_file, summary, started=started)
    return code


def _run(args: argparse.Namespace, checkpoint: CheckpointHook) -> tuple[int, Summary | None]:
    configure_offline()
    out = Console()
    err = Console(stderr=True)
    try:
        settings = Settings(collection=args.collection) if args.collection else Settings()
    except ValidationError as exc:
        err.print(f"[red]error:[/] invalid settings:\n{exc}")
        return 2, None
    try:
        embedder = build_embedder(settings.embed, settings.llm)
        # Bulk writes to a busy server take longer than one API call may.
        client = build_client(settings.chroma, timeout_s=INGEST_CHROMA_TIMEOUT_S)
        index = build_index(settings, embedder, client)
        job = IngestJob(settings, embedder, index, console=err, checkpoint=checkpoint)
        summary = job.run(args.path, full=args.full, replace=args.replace, dry_run=args.dry_run)
    except StoreWriteError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        return EXIT_STORE_UNWRITABLE, None
    except (IngestUsageError, ServiceError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2, None
    except KeyboardInterrupt:
        err.print("interrupted: the next run completes the index where this one stopped")
        return 130, None
    for source, reason in summary.failures:
        err.print(f"[yellow]failed:[/] {source}: {reason}")
    if summary.skipped:
        err.print(f"skipped (unsupported type): {', '.join(summary.skipped)}")
    out.print(summary.line(), highlight=False, soft_wrap=True)
    return (1 if summary.failed else 0), summary


if __name__ == "__main__":
    sys.exit(main())

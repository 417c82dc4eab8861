"""`python -m ingest PATH`: make the collection mirror the folder PATH (`--watch`: keep it
mirroring, ingest/watch.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from ingest.metrics import write_textfile
from ingest.pipeline import IngestJob, IngestUsageError
from ingest.prepare import config_of, load
from ingest.reader import Listing
from ingest.summary import Summary
from ingest.watch import Watcher, stop_on_signals
from ingest.write import CheckpointHook, no_checkpoint
from service.core.embedder import Embedder, build_embedder
from service.core.offline import configure_offline
from service.core.store import build_client, build_index
from service.errors import ServiceError, StoreWriteError
from service.settings import Settings

INGEST_CHROMA_TIMEOUT_S = 300.0
DEFAULT_INTERVAL_S = 2.0
MAX_INTERVAL_S = 86_400.0
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
        "--watch",
        action="store_true",
        help="keep running: load the models once, then poll the folder and ingest whenever "
        "a file was added, changed or removed (SIGINT or SIGTERM stops it)",
    )
    parser.add_argument(
        "--interval",
        type=_seconds,
        metavar="S",
        help="with --watch: seconds between polls when no file-system event comes "
        f"(default {DEFAULT_INTERVAL_S:g}; an event wakes the watcher at once)",
    )
    parser.add_argument(
        "--metrics-file",
        type=Path,
        help="also write the run's counters to this Prometheus textfile (for node_exporter's "
        "textfile collector; replaced atomically each run, not written on --dry-run)",
    )
    args = parser.parse_args(argv)
    if args.interval is not None and not args.watch:
        parser.error("--interval only applies with --watch")
    if args.watch and args.dry_run:
        parser.error("--watch cannot be combined with --dry-run (a dry run writes nothing)")
    return args


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_INTERVAL_S:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give seconds between polls, above 0 and at most {MAX_INTERVAL_S:g}"
        )
    return value


def main(argv: list[str] | None = None, *, checkpoint: CheckpointHook = no_checkpoint) -> int:
    """The command; `checkpoint` is called between write steps (tests inject a kill there)."""
    args = parse_args(argv)
    if args.watch:
        return _watch(args, checkpoint)
    started = time.time()
    summary: Summary | None = None
    try:
        code, summary = _run(args, checkpoint)
    finally:
        if args.metrics_file is not None and not args.dry_run:
            write_textfile(args.metrics_file, summary, started=started)
    return code


def _settings(args: argparse.Namespace, err: Console) -> Settings | None:
    try:
        return Settings(collection=args.collection) if args.collection else Settings()
    except ValidationError as exc:
        err.print(f"[red]error:[/] invalid settings:\n{exc}")
        return None


def _job(
    settings: Settings, err: Console, checkpoint: CheckpointHook, *, watching: bool = False
) -> tuple[IngestJob, Embedder]:
    embedder = build_embedder(settings.embed, settings.llm)
    # Bulk writes to a busy server take longer than one API call may.
    client = build_client(settings.chroma, timeout_s=INGEST_CHROMA_TIMEOUT_S)
    index = build_index(settings, embedder, client)
    job = IngestJob(
        settings, embedder, index, console=err, checkpoint=checkpoint, watching=watching
    )
    return job, embedder


def _report(summary: Summary, out: Console, err: Console) -> None:
    for source, reason in summary.failures:
        err.print(f"[yellow]failed:[/] {source}: {reason}")
    if summary.skipped:
        err.print(f"skipped (unsupported type): {', '.join(summary.skipped)}")
    out.print(summary.line(), highlight=False, soft_wrap=True)


def _run(args: argparse.Namespace, checkpoint: CheckpointHook) -> tuple[int, Summary | None]:
    configure_offline()
    out = Console()
    err = Console(stderr=True)
    settings = _settings(args, err)
    if settings is None:
        return 2, None
    try:
        job, _ = _job(settings, err, checkpoint)
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
    _report(summary, out, err)
    return (1 if summary.failed else 0), summary


def _watch(args: argparse.Namespace, checkpoint: CheckpointHook) -> int:
    """The long-running form (ingest/watch.py): 0 when stopped, 2 when it cannot watch."""
    configure_offline()
    # Line by line as the runs happen, whatever reads it.
    out = Console(soft_wrap=True, force_terminal=False)
    err = Console(stderr=True)
    settings = _settings(args, err)
    if settings is None:
        return 2
    folder = args.path.resolve()
    if not folder.is_dir():
        err.print(f"[red]error:[/] {folder} is not a folder: pass the folder of articles.")
        return 2
    interval = args.interval or DEFAULT_INTERVAL_S
    running = False

    def run(first: bool, listing: Listing | None) -> bool:
        nonlocal running
        started = time.time()
        summary: Summary | None = None
        running = True
        try:
            summary = job.run(
                folder,
                full=args.full and first,
                replace=args.replace and first,
                listing=listing,
            )
        except (StoreWriteError, ServiceError) as exc:
            err.print(f"[red]error:[/] {exc} (trying again in {interval:g} s)", highlight=False)
            return False
        finally:
            running = False
            if args.metrics_file is not None:
                write_textfile(args.metrics_file, summary, started=started)
        _report(summary, out, err)
        return True

    try:
        job, embedder = _job(settings, err, checkpoint, watching=True)
        # What every run needs, loaded once: the splitter, the language pipeline.
        load(config_of(settings, folder, embedder.max_tokens, annotate=True))
        watcher = Watcher(folder, interval, run)
        stop_on_signals(watcher, lambda: running)
        err.print(
            f"watching {folder}: on file events, and every {interval:g} s (Ctrl-C or SIGTERM stops)"
        )
        watcher.watch()
    except (IngestUsageError, ServiceError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        err.print("interrupted: the next run completes the index where this one stopped")
        return 130
    err.print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

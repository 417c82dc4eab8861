"""`python -m evals feedback export --since DATE --out FILE.jsonl`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from evals.feedback.export import export
from service.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    f = sub.add_parser("feedback", help="readers' ratings from the answer log")
    actions = f.add_subparsers(dest="feedback_command", required=True)
    e = actions.add_parser(
        "export", help="write rated answers as unlabelled candidate rows (JSON Lines)"
    )
    e.add_argument(
        "--since",
        type=_time,
        help="only ratings given or changed since this date or time (ISO 8601, UTC)",
    )
    e.add_argument("--out", type=Path, required=True, help="the JSON Lines file to write")


def _time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date or time; write e.g. 2025-11-01 or 2025-11-01T09:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def main(args: argparse.Namespace) -> int:
    n = export(Settings(), args.since, args.out)
    print(f"{n} rated answers written to {args.out} (status: unlabelled; see docs/feedback.md)")
    return 0

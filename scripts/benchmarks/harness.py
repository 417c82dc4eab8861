"""Runs the chosen sections, prints the table and writes the rows as JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchmarks.context import ROOT, Bench
from benchmarks.rows import Row
from benchmarks.sections import SECTIONS, Section

DEFAULT_OUT = ROOT / "bench-results" / "bench.json"


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _result(ok: bool | None) -> str:
    if ok is None:
        return ""
    return "[green]PASS[/]" if ok else "[bold red]FAIL[/]"


def run_sections(
    sections: Sequence[Section], bench: Bench
) -> tuple[list[tuple[str, Row]], dict[str, float]]:
    rows: list[tuple[str, Row]] = []
    timings: dict[str, float] = {}
    for section in sections:
        bench.log.print(f"[bold]{section.name}[/] ...")
        started = time.perf_counter()
        try:
            got = section.run(bench)
        except Exception as exc:  # one broken section must not hide the others' figures
            bench.log.print(traceback.format_exc(), markup=False, highlight=False)
            got = [Row(f"error: {type(exc).__name__}: {exc}", None, "", "no error", False)]
        timings[section.name] = time.perf_counter() - started
        rows.extend((section.name, r) for r in got)
    return rows, timings


def render(rows: Sequence[tuple[str, Row]]) -> Table:
    table = Table(title="newsrag benchmarks")
    table.add_column("section")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("target", justify="right")
    table.add_column("result")
    previous = None
    for section, r in rows:
        table.add_row(
            section if section != previous else "",
            escape(r.name),
            _format(r.value),
            r.unit,
            r.target or "",
            _result(r.ok),
        )
        previous = section
    return table


def write_json(
    path: Path,
    rows: Sequence[tuple[str, Row]],
    timings: dict[str, float],
    bench: Bench,
    total_s: float,
    load: dict[str, float],
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    embed = bench.settings.embed
    document = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1min": load,
        },
        "settings": {
            "embed_backend": embed.backend,
            "embed_model": embed.model,
            "embed_batch_size": embed.batch_size,
            "embed_threads": embed.threads,
            "chunk_size": bench.settings.chunk.size,
            "chunk_overlap": bench.settings.chunk.overlap,
            "ingest_group_files": bench.settings.ingest.group_files,
        },
        "section_seconds": {k: round(v, 3) for k, v in timings.items()},
        "total_seconds": round(total_s, 3),
        "rows": [{"section": section, **asdict(r)} for section, r in rows],
        "misses": sum(1 for _, r in rows if r.ok is False),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [s.name for s in SECTIONS]
    parser = argparse.ArgumentParser(
        description="Benchmark the embedder, the ingest job and the API (reports; never fails)."
    )
    parser.add_argument(
        "--only",
        metavar="SECTION[,SECTION]",
        help=f"run only these sections, from: {', '.join(names)}",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON output (default: %(default)s)"
    )
    parser.add_argument(
        "--scale-sizes",
        metavar="N[,N]",
        help="the scale section's corpus sizes, in articles (default: 5,1000,10000,50000)",
    )
    parser.add_argument(
        "--scale-budget-min",
        type=float,
        metavar="MINUTES",
        help="the scale section's time budget; sizes that would overrun it are skipped "
        "(default: 30)",
    )
    parser.add_argument(
        "--scale-store",
        choices=("embedded", "server"),
        default="embedded",
        help="where the scale section's worker finds the index: the embedded store, or a "
        "`chroma run` server (then also requests per second at 32 clients with "
        "--workers 2, and the server's memory) (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.scale_sizes:
        try:
            args.scale_sizes = tuple(int(n) for n in args.scale_sizes.split(","))
        except ValueError:
            parser.error(
                f"--scale-sizes takes whole numbers, e.g. 5,1000,50000: {args.scale_sizes}"
            )
        if any(n < 1 for n in args.scale_sizes):
            parser.error("--scale-sizes: every size must be at least 1 article")
    if args.scale_budget_min is not None and args.scale_budget_min <= 0:
        parser.error("--scale-budget-min must be above 0")
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown or not wanted:
            parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {names}")
        args.only = wanted
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Console()
    if not out.is_terminal:  # piped or redirected: keep the figure names on one line
        out = Console(width=150)
    log = Console(stderr=True)
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log.print(
            f"[yellow]note:[/] load average {load_before:.1f} on {os.cpu_count()} CPUs before "
            "the run; other processes will slow the figures down"
        )
    sections = [s for s in SECTIONS if not args.only or s.name in args.only]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-", ignore_cleanup_errors=True) as tmp:
        budget_s = args.scale_budget_min * 60 if args.scale_budget_min else None
        bench = Bench(Path(tmp), log, args.scale_sizes, budget_s, args.scale_store)
        rows, timings = run_sections(sections, bench)
    total_s = time.perf_counter() - started
    out.print(render(rows))
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    write_json(args.out, rows, timings, bench, total_s, load)
    targets = sum(1 for _, r in rows if r.ok is not None)
    misses = sum(1 for _, r in rows if r.ok is False)
    out.print(
        f"{misses} of {targets} targets missed; {total_s:.0f} s; load average "
        f"{load['before']:.1f} before, {load['after']:.1f} after; results in {args.out}",
        highlight=False,
    )
    return 0

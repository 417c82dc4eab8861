"""Cost of one changed file to a watching ingest: one job, loaded once, runs after each change.

    .venv/bin/python scripts/change_cost.py FOLDER [--changes 3] [--profile OUT]

FOLDER must already be ingested into the store the RAG_* environment selects (with the
instant endpoint, scripts/instant_embedder.py, embedding costs next to nothing, so what is
measured is the job's own work). The job is built as `python -m ingest FOLDER --watch`
builds it; a first run brings the saved copies up to date; then, `--changes` times, one
article (picked by a fixed seed) gets a sentence with a new made-up word appended and the
job runs again. Prints each run's seconds, their median and the load average. The
appended sentences stay in the files: the folder and the store remain consistent.
`--profile OUT` writes a cProfile of the last run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.offline import configure_offline

configure_offline()

from rich.console import Console  # noqa: E402

from ingest.__main__ import _job  # noqa: E402
from ingest.prepare import config_of, load  # noqa: E402
from ingest.reader import discover_sources  # noqa: E402
from ingest.write import no_checkpoint  # noqa: E402
from service.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    folder = args.folder.resolve()
    settings = Settings()
    job, embedder = _job(settings, Console(stderr=True), no_checkpoint, watching=True)
    load(config_of(settings, folder, embedder.max_tokens, annotate=True))
    started = time.perf_counter()
    summary = job.run(folder)
    print(f"first run {time.perf_counter() - started:.2f} s: {summary.line()}")
    sources, _ = discover_sources(folder)
    pick = random.Random(7)
    seconds: list[float] = []
    profile = cProfile.Profile()
    for change in range(args.changes):
        path = folder / sources[pick.randrange(len(sources))]
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\nThe council named it zorblax{change}q{pick.randrange(10**6)}.\n")
        last = change == args.changes - 1
        started = time.perf_counter()
        if last and args.profile:
            profile.enable()
        summary = job.run(folder)
        if last and args.profile:
            profile.disable()
        seconds.append(time.perf_counter() - started)
        print(f"change {change + 1}: {seconds[-1]:.2f} s: {summary.line()}")
    median = statistics.median(seconds)
    print(f"median {median:.2f} s over {len(seconds)} changes; load {os.getloadavg()[0]:.1f}")
    if args.profile:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()

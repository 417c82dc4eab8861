"""A one-file re-ingest of 1,000 synthetic articles: a fresh `python -m ingest` process
against `python -m ingest --watch`, each beside a serving worker.

Each round appends a sentence with a new made-up word to one article, then measures from
that write until the run has finished (the process exited; the watcher printed its summary
line) and until `/v1/ask` cites the article for a question on that word. Embeddings come
from the instant endpoint (scripts/instant_embedder.py), so the figures are our own costs.
"""

from __future__ import annotations

import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx
import synth_corpus

from benchmarks.context import ROOT, Bench
from benchmarks.rows import Row, Target, row
from benchmarks.workers import env, ingest, worker
from devtools.servers import instant_embedder

ARTICLES = 1000
SEED = 42
INTERVAL_S = 1.0
# Made-up words, one per round: none occurs in the synthetic corpus.
MARKERS = ("Quorvexian", "Zentrabolic", "Myrtallion", "Drovenkast", "Plenquirot", "Saffrodyne")
ROUNDS = len(MARKERS) // 2
WAIT_S = 120.0


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _append(path: Path, marker: str) -> None:
    text = path.read_text("utf-8")
    path.write_text(text + f"\nThe {marker} committee decided to meet in Lisbon.\n", "utf-8")


def _found_after(url: str, marker: str, source: str, started: float) -> float:
    """Seconds from `started` until `/v1/ask` cites `source` for the marker's question."""
    question = f"What did the {marker} committee decide?"
    while time.perf_counter() - started < WAIT_S:
        body = httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=60).json()
        if source in {c["source"] for c in body.get("citations", [])}:
            return time.perf_counter() - started
        time.sleep(0.05)
    return float("inf")


def watched_rounds(
    folder: Path,
    settings: Mapping[str, str],
    url: str,
    targets: Sequence[Path],
    markers: Sequence[str],
) -> list[tuple[float, float]]:
    """`python -m ingest folder --watch` beside the worker at `url`: for each target, a new
    marker sentence appended, then (seconds until the watcher's run is done, seconds until
    `/v1/ask` cites the target), both from the write."""
    watching = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(folder), "--watch", "--interval", f"{INTERVAL_S}"],
        cwd=ROOT,
        env=dict(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stdout = watching.stdout
    assert stdout is not None
    threading.Thread(target=_pump, args=(stdout, lines), daemon=True).start()
    rounds: list[tuple[float, float]] = []
    try:
        lines.get(timeout=WAIT_S)  # its first run: nothing changed
        for target, marker in zip(targets, markers, strict=True):
            started = time.perf_counter()
            _append(target, marker)
            lines.get(timeout=WAIT_S)
            done = time.perf_counter() - started
            rounds.append((done, _found_after(url, marker, target.name, started)))
    finally:
        watching.terminate()
        watching.wait(timeout=60)
    return rounds


def run(bench: Bench) -> list[Row]:
    folder = bench.workdir / "corpus-watch"
    synth_corpus.generate(folder, ARTICLES, SEED)
    files = sorted(folder.iterdir())
    fresh: list[tuple[float, float]] = []
    watched: list[tuple[float, float]] = []
    with instant_embedder() as embed_env:
        settings = env(RAG_CHROMA_PATH=str(bench.workdir / "chroma-watch"), **embed_env)
        ingest(folder, settings)
        with worker(settings) as svc:
            for i, marker in enumerate(MARKERS[:ROUNDS]):
                target = files[100 + i]
                started = time.perf_counter()
                _append(target, marker)
                ingest(folder, settings)
                done = time.perf_counter() - started
                fresh.append((done, _found_after(svc.url, marker, target.name, started)))
            targets = [files[200 + i] for i in range(ROUNDS)]
            watched = watched_rounds(folder, settings, svc.url, targets, MARKERS[ROUNDS:])
    shutil.rmtree(folder, ignore_errors=True)

    for name, pairs in (("fresh process", fresh), ("watcher", watched)):
        rounds = ", ".join(f"{done:.2f} / {found:.2f}" for done, found in pairs)
        bench.log.print(f"  {name}, each round (run done / word found, s): {rounds}")

    def median(pairs: list[tuple[float, float]], k: int) -> float:
        return statistics.median(p[k] for p in pairs)

    return [
        row(f"fresh process: file written -> run done (median of {ROUNDS})", median(fresh, 0), "s"),
        row("fresh process: file written -> new word found", median(fresh, 1), "s"),
        row(
            f"watcher (--interval {INTERVAL_S:g}): file written -> run done",
            median(watched, 0),
            "s",
            Target("<=", 3),
        ),
        row("watcher: file written -> new word found", median(watched, 1), "s", Target("<=", 10)),
    ]

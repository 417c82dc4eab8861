"""`/v1/ask` on a small and a large store at once: p50 of the same questions, alternately.

    .venv/bin/python scripts/ask_pair.py SMALL_STORE SMALL_LEXICAL LARGE_STORE LARGE_LEXICAL
        [--questions 200] [--load 600]

Each store (a Chroma folder and its lexical-index folder, both ingested with the instant
embeddings endpoint, scripts/instant_embedder.py, which this script starts for the
queries) is served by its own `python -m service` worker. The questions
(scripts/synth_corpus.py) go to both workers, one after the other, the order alternating,
so that a slower stretch of the machine costs both the same; the p50 ratio is then the
per-question cost of the corpus's size alone. `--load N` then serves the large store
from a `chroma run` server with `--workers 2` and sends N questions from 32 clients:
requests per second, p95 and errors, as the throughput section of the bench measures them,
and the CPU time a request cost each process: Chroma's server, the service's workers, the
load generator and the embeddings endpoint, which all share the machine's cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psutil
import synth_corpus
from benchmarks.workers import env, load, worker

from devtools.servers import chroma_run, instant_embedder

WARM_UP = 20
CLIENTS = 32


def _timed(client: httpx.Client, question: str) -> float:
    started = time.perf_counter()
    client.post("/v1/ask", json={"question": question}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def _summary(name: str, latencies: list[float]) -> str:
    p95 = statistics.quantiles(latencies, n=20)[-1]
    return f"{name}: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("small_store", "small_lexical", "large_store", "large_lexical"):
        parser.add_argument(name, type=Path)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--load", type=int, default=0)
    args = parser.parse_args()
    questions = synth_corpus.questions(args.questions, seed=17)
    with instant_embedder() as embed:
        small = env(
            RAG_CHROMA_PATH=str(args.small_store), RAG_LEXICAL_DIR=str(args.small_lexical), **embed
        )
        large = env(
            RAG_CHROMA_PATH=str(args.large_store), RAG_LEXICAL_DIR=str(args.large_lexical), **embed
        )
        with (
            worker(small) as a,
            worker(large) as b,
            httpx.Client(base_url=a.url, timeout=60) as ca,
            httpx.Client(base_url=b.url, timeout=60) as cb,
        ):
            for q in questions[:WARM_UP]:
                _timed(ca, q)
                _timed(cb, q)
            times: dict[str, list[float]] = {"small": [], "large": []}
            for i, q in enumerate(questions):
                pair = [("small", ca), ("large", cb)]
                for name, client in pair if i % 2 else reversed(pair):
                    times[name].append(_timed(client, q))
        ratio = statistics.median(times["large"]) / statistics.median(times["small"])
        print(f"{_summary('small', times['small'])}; {_summary('large', times['large'])}")
        print(f"p50 large / small: {ratio:.2f}; load average {os.getloadavg()[0]:.1f}")
        if args.load:
            with chroma_run(args.large_store) as db:
                served = env(
                    RAG_CHROMA_HOST="127.0.0.1",
                    RAG_CHROMA_PORT=str(db.port),
                    RAG_LEXICAL_DIR=str(args.large_lexical),
                    **embed,
                )
                with worker(served, workers=2) as w:
                    many = synth_corpus.questions(args.load, seed=23)
                    load(w.url, many[:64], 8)
                    processes = _processes(db.pid, w.pid)
                    before = _cpu_seconds(processes)
                    result = load(w.url, many, CLIENTS)
                    after = _cpu_seconds(processes)
            print(
                f"large on a chroma run server, --workers 2, {CLIENTS} clients: "
                f"{result.requests_per_s:.1f} req/s, p95 {result.p95_ms or 0:.0f} ms, "
                f"{result.errors} errors of {result.requests}"
            )
            per_request = {
                name: 1000 * (after[name] - before[name]) / max(result.requests, 1)
                for name in before
            }
            print(
                "CPU per request: "
                + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_request.items())
                + f"; in all {sum(per_request.values()):.1f} ms"
            )


def _processes(chroma: int, service: int) -> dict[str, list[psutil.Process]]:
    """The processes a question costs CPU in, by role: Chroma's server, the service's
    (its workers and their parent), this one (the load generator) and the embeddings
    endpoint it started."""
    me = psutil.Process()
    parent = psutil.Process(service)
    embedder = [p for p in me.children() if any("instant_embedder" in part for part in p.cmdline())]
    return {
        "chroma": [psutil.Process(chroma)],
        "service workers": [parent, *parent.children(recursive=True)],
        "load generator": [me],
        "embeddings endpoint": embedder,
    }


def _cpu_seconds(processes: dict[str, list[psutil.Process]]) -> dict[str, float]:
    def used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    return {name: sum(used(p) for p in group) for name, group in processes.items()}


if __name__ == "__main__":
    main()

"""Per-question cost in process: retrieval and the extractive answer over an ingested store.

    .venv/bin/python scripts/ask_cost.py [--questions 200] [--passes 2] [--profile OUT]

The store and embedder are the ones the RAG_* environment selects (with the instant
endpoint, scripts/instant_embedder.py, the query embedding costs about a millisecond of
HTTP). Questions are scripts/synth_corpus.py's; one pass warms the caches, then each
question is asked `--passes` times. Prints the median wall time and process CPU time per
question (CPU time is what the load of other jobs on the machine disturbs least) and the
load average. `--profile OUT` writes a cProfile of the measured passes (retrieval runs in
this thread here, unlike in the server, so the profile sees it).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.offline import configure_offline

configure_offline()

import synth_corpus  # noqa: E402

from service.app import build_services  # noqa: E402
from service.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    settings = Settings()
    services = build_services(settings)
    services.ask.warm()
    retriever, answerer = services.retriever, services.ask._extractive
    top_k = settings.retrieval.top_k
    questions = synth_corpus.questions(args.questions, seed=17)

    def ask(question: str) -> None:
        retrieval = retriever.retrieve(question, top_k)
        answerer.answer(retrieval.query, retrieval.hits)

    for question in questions:
        ask(question)
    wall: list[float] = []
    cpu: list[float] = []
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    for _ in range(args.passes):
        for question in questions:
            w, c = time.perf_counter(), time.process_time()
            ask(question)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    chunks = services.index.current().count()
    print(
        f"{chunks} chunks, {len(wall)} questions: wall p50 {statistics.median(wall):.1f} ms, "
        f"CPU p50 {statistics.median(cpu):.1f} ms, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

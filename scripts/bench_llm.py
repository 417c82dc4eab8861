"""The LLM answerer measured with a real local model, beside the extractive answerer.

    .venv/bin/python scripts/bench_llm.py [--split test] [--limit N] [--threads 2]
        [--modes extractive,select,llm] [--corpora sample,second,third]

`make bench-llm` runs this after `make install-llm-model`. It starts llama.cpp's
OpenAI-compatible server on loopback with Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), then runs
the eval harness (`python -m evals run`, in-process service, fresh index) on the chosen
split of every corpus (the third is measured only, never tuned on), unanswerable
questions included, and on each corpus's negatives-only set (`python -m evals
run-negatives`): once per answer mode, extractive, `select` (the model picks candidate
sentences) and `llm` (the model writes; `--modes` chooses). It writes
`bench-results/llm.json` and `bench-results/llm.md` (the table for docs/llm-quality.md)
and each run's reports under `bench-results/llm/`.

It fails (exit 1) when any LLM row fell back to the extractive answer: a fallback means
the model timed out or its output was unusable, and the figures would not be the LLM's.
The timeouts are therefore generous; on 2 busy cores one question takes minutes.
`--limit N` runs only the first N questions of each split (a smoke run; the output says
so). Nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import assemble_model
import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-results"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
READY_TIMEOUT_S = 300.0

# What the LLM rows run with. The prompt holds up to eight evidence sentences within 600
# tokens (each counted with its header); the system prompt and question make up the rest.
# (The figures in docs/llm-quality.md up to "Results on the test splits" were measured
# when the prompt held three 160-token chunks instead.)
LLM_ENV = {
    "RAG_LLM_MODEL": MODEL_NAME,
    "RAG_LLM_CONTEXT_TOKENS": "600",
    "RAG_LLM_NEIGHBOURS": "0",
    "RAG_LLM_MAX_TOKENS": "160",
    "RAG_LLM_TEMPERATURE": "0",
    # One request at a time on 2 shared cores: a prompt may wait minutes for its first
    # token. A timeout would turn the row into a fallback and fail the bench.
    "RAG_LLM_FIRST_TOKEN_TIMEOUT_S": "600",
    "RAG_LLM_TIMEOUT_S": "600",
    "RAG_LLM_MAX_RETRIES": "0",
    "RAG_LLM_FALLBACK": "true",
}


MODES = ("extractive", "select", "llm")


@dataclass(frozen=True)
class Corpus:
    name: str
    dataset: Path
    articles: Path
    negatives: Path


CORPORA = (
    Corpus(
        "sample",
        ROOT / "evals/datasets/articles.jsonl",
        ROOT / "data/articles",
        ROOT / "evals/datasets/negatives.jsonl",
    ),
    Corpus(
        "second",
        ROOT / "evals/datasets/second/questions.jsonl",
        ROOT / "evals/datasets/second/articles",
        ROOT / "evals/datasets/second/negatives.jsonl",
    ),
    Corpus(
        "third",
        ROOT / "evals/datasets/third/questions.jsonl",
        ROOT / "evals/datasets/third/articles",
        ROOT / "evals/datasets/third/negatives.jsonl",
    ),
)

# (column, summary key, format): what the table shows for each run.
COLUMNS = (
    ("fact recall", "answers.fact_recall", "{:.3f}"),
    ("ALCE recall", "citations.alce_recall", "{:.3f}"),
    ("ALCE precision", "citations.alce_precision", "{:.3f}"),
    ("span validity", "citations.validity", "{:.3f}"),
    ("cited-source precision", "citations.source_precision", "{:.3f}"),
    ("correct refusal", "abstention.correct_refusal", "{:.3f}"),
    ("false refusal", "abstention.false_refusal", "{:.3f}"),
    ("words (median)", "answers.words_median", "{:.0f}"),
    ("p50 s", "latency.wall.p50", "ms"),
    ("p95 s", "latency.wall.p95", "ms"),
    ("prompt tokens / q", "usage.prompt_tokens", "per-question"),
    ("completion tokens / q", "usage.completion_tokens", "per-question"),
)


@dataclass(frozen=True)
class Run:
    corpus: str
    questions_set: str  # "questions" or "negatives-only"
    answerer: str
    questions: int
    fallbacks: int
    seconds: float
    metrics: dict[str, float | None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(model: Path, threads: int, log_path: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free loopback port; yields its /v1 base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(threads),
        # Prompt evaluation too: its default is every core, and on a busy machine threads
        # that wait for each other at every layer make a short prompt take seconds.
        "--n_threads_batch",
        str(threads),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace").splitlines()[-20:]
                raise SystemExit("llama_cpp.server did not start:\n" + "\n".join(tail))
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def subset(dataset: Path, split: str, limit: int | None, folder: Path) -> Path:
    """The dataset itself, or its first `limit` questions of `split` in a temp file."""
    if limit is None:
        return dataset
    rows = [json.loads(line) for line in dataset.read_text("utf-8").splitlines() if line]
    chosen = [r for r in rows if split == "all" or r["split"] == split][:limit]
    path = folder / dataset.name
    path.write_text("".join(json.dumps(r) + "\n" for r in chosen), "utf-8")
    return path


def run_harness(
    corpus: Corpus,
    dataset: Path,
    answerer: str,
    split: str,
    env: dict[str, str],
    out: Path,
    *,
    negatives: bool = False,
) -> Run:
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "evals",
        "run-negatives" if negatives else "run",
        "--dataset",
        str(dataset),
        "--corpus",
        str(corpus.articles),
        "--split",
        split,
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    seconds = time.perf_counter() - started
    return read_run(corpus.name, answerer, split, out, seconds, negatives=negatives)


def read_run(
    corpus: str, answerer: str, split: str, out: Path, seconds: float, *, negatives: bool
) -> Run:
    """The figures of one finished harness run, from the reports it wrote to `out`."""
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]
    aggregate: dict[str, Any] = summary["splits"][split]
    metrics: dict[str, float | None] = {key: aggregate.get(key) for _, key, _ in COLUMNS}
    return Run(
        corpus=corpus,
        questions_set="negatives-only" if negatives else "questions",
        answerer=answerer,
        questions=len(rows),
        fallbacks=sum(bool(r["fallback"]) for r in rows),
        seconds=round(seconds, 1),
        metrics=metrics,
    )


def finished_runs(runs_dir: Path, modes: list[str], corpora: list[Corpus], split: str) -> list[Run]:
    """The runs of an interrupted bench that did finish (`--table-only`)."""
    found = []
    for answerer in modes:
        for corpus in corpora:
            for negatives in (False, True):
                kind = "negatives" if negatives else "questions"
                out = runs_dir / f"{corpus.name}-{kind}-{answerer}"
                if (out / "summary.json").is_file():
                    run = read_run(corpus.name, answerer, split, out, 0.0, negatives=negatives)
                    found.append(run)
    return found


def cell(run: Run, key: str, fmt: str) -> str:
    value = run.metrics.get(key)
    if value is None:
        return "-"
    if fmt == "ms":
        return f"{value / 1000:.1f}"
    if fmt == "per-question":
        return f"{value / max(run.questions, 1):.0f}"
    return fmt.format(value)


def table(runs: list[Run]) -> str:
    head = ["corpus", "set", "answerer", "questions", *(c[0] for c in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        cells = [run.corpus, run.questions_set, run.answerer, str(run.questions)]
        cells += [cell(run, key, fmt) for _, key, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--limit", type=int, help="only the first N questions of each split")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--model", type=Path, default=assemble_model.DEFAULT_OUT)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated answer modes, in run order"
    )
    parser.add_argument("--corpora", default=",".join(c.name for c in CORPORA))
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="print the table of the runs already under --out (an interrupted bench)",
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        parser.error(f"--modes: choose among {', '.join(MODES)}")
    corpora = [c for c in CORPORA if c.name in args.corpora.split(",")]

    problem = assemble_model.problem(args.model)
    if problem is not None:
        print(f"error: {problem}; run `make install-llm-model` first", file=sys.stderr)
        return 2
    runs_dir: Path = args.out / "llm"
    if args.table_only:
        print(table(finished_runs(runs_dir, modes, corpora, args.split)))
        return 0
    runs_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp,
        llama_server(args.model, args.threads, runs_dir / "llama-server.log") as base_url,
    ):
        for answerer in modes:
            env = base_env | {"RAG_ANSWER_MODE": answerer}
            if answerer != "extractive":
                env |= LLM_ENV | {"RAG_LLM_BASE_URL": base_url}
            for corpus in corpora:
                for negatives in (False, True):
                    source = corpus.negatives if negatives else corpus.dataset
                    folder = Path(tmp) / f"{corpus.name}-{int(negatives)}"
                    folder.mkdir(exist_ok=True)
                    dataset = subset(source, args.split, args.limit, folder)
                    kind = "negatives" if negatives else "questions"
                    out = runs_dir / f"{corpus.name}-{kind}-{answerer}"
                    run = run_harness(
                        corpus, dataset, answerer, args.split, env, out, negatives=negatives
                    )
                    runs.append(run)
                    print(
                        f"{corpus.name} {kind} {answerer}: {run.questions} questions, "
                        f"{run.seconds} s",
                        flush=True,
                    )
    seconds = time.perf_counter() - started
    report = table(runs)
    note = (
        f"split `{args.split}`"
        + (f", first {args.limit} questions of each corpus (smoke run)" if args.limit else "")
        + f"; {seconds / 60:.1f} min on {os.cpu_count()} cores, llama.cpp {args.threads}"
        f" threads, load average {load_before:.1f} at the start, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    (args.out / "llm.md").write_text(f"{report}\n\n{note}\n", "utf-8")
    (args.out / "llm.json").write_text(
        json.dumps(
            {"note": note, "seconds": round(seconds, 1), "runs": [asdict(r) for r in runs]},
            indent=2,
        ),
        "utf-8",
    )
    print(report)
    print(note)
    fallbacks = [r for r in runs if r.answerer != "extractive" and r.fallbacks]
    if fallbacks:
        for r in fallbacks:
            print(f"FAIL: {r.fallbacks} {r.corpus} rows fell back to the extractive answer")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

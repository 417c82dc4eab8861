"""Benchmarks of the offline path: embedder throughput and latency, ingest speed.

    .venv/bin/python scripts/bench.py [--only SECTION[,SECTION]] [--out PATH]

Prints a table and writes the rows as JSON (default `bench-results/bench.json`). Targets
are reported as PASS/FAIL but never change the exit code: benchmarks report, they do not
gate. Everything runs locally: the embedder is the one `Settings()` configures (the
bundled ONNX model by default), every Chroma store is embedded in a temporary folder.

To add a section, write a function `(Bench) -> list[Row]` and append it to `SECTIONS`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import bench_scale
import bench_service
import synth_corpus
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.pipeline import IngestJob, Summary
from service.core.embedder import Embedder, build_embedder
from service.core.offline import configure_offline
from service.core.store import ArticleIndex, build_index
from service.settings import ChromaSettings, Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "articles"
DEFAULT_OUT = ROOT / "bench-results" / "bench.json"

EMBED_SENTENCES = 512
EMBED_REPEATS = 3
QUERY_CALLS = 200
CORPUS_FILES = 1000
CORPUS_SEED = 42
# Texts per `embed` call when re-embedding the indexed chunks: about one ingest group's worth
# (32 files of ~4 chunks), so padding and sorting match what the ingest job does.
RAW_EMBED_CALL = 128


# -- rows and targets ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    op: Literal[">=", "<=", ">", "<", "=="]
    bound: float

    def met(self, value: float) -> bool:
        match self.op:
            case ">=":
                return value >= self.bound
            case "<=":
                return value <= self.bound
            case ">":
                return value > self.bound
            case "<":
                return value < self.bound
            case "==":
                return value == self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True)
class Row:
    """One figure. `ok` is None when the row has no target (informational)."""

    name: str
    value: float | None
    unit: str
    target: str | None = None
    ok: bool | None = None


def row(name: str, value: float, unit: str, target: Target | None = None) -> Row:
    if target is None:
        return Row(name, value, unit)
    return Row(name, value, unit, str(target), target.met(value))


# -- shared state ----------------------------------------------------------------------


class Bench:
    """What sections share: settings, the one embedder (built on first use), a temp dir."""

    def __init__(self, workdir: Path, log: Console) -> None:
        self.workdir = workdir
        self.log = log
        self.settings = Settings()
        self._embedder: Embedder | None = None
        self.embedder_load_s: float | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            started = time.perf_counter()
            self._embedder = build_embedder(self.settings.embed, self.settings.llm)
            self.embedder_load_s = time.perf_counter() - started
        return self._embedder

    def fresh_settings(self, name: str) -> Settings:
        """Settings for a new embedded Chroma store under the temp dir (never a server)."""
        path = self.workdir / name
        if path.exists():
            raise RuntimeError(f"{path} already exists; store names must be unique")
        return Settings(chroma=ChromaSettings(path=path, host=None))

    def ingest_job(self, settings: Settings) -> tuple[IngestJob, ArticleIndex]:
        index = build_index(settings, self.embedder)
        # A console that is not a terminal: no progress bar drawn during the timing.
        quiet = Console(file=io.StringIO())
        return IngestJob(settings, self.embedder, index, console=quiet), index

    def warm_ingest(self) -> None:
        """Pay the ingest job's one-off import costs outside the timings.

        `_splitter` imports llama_index's SentenceSplitter and loads tiktoken; its first
        `split_text` imports nltk and loads the punkt model; the first near-duplicate
        signature imports datasketch and scipy. Together about a second on 2 cores.
        """
        from ingest.chunker import _splitter

        splitter = _splitter(self.settings.chunk.size, self.settings.chunk.overlap)
        # Longer than one chunk: a text that fits is returned before the sentence split.
        splitter.split_text("The chunker is warmed up. Nothing here is timed. " * 100)
        try:
            from ingest.dedupe import signature
        except ImportError:  # a tree without near-duplicate detection
            return
        signature("the near-duplicate signatures are warmed up and nothing here is timed")


def timed_ingest(job: IngestJob, folder: Path) -> tuple[Summary, float]:
    started = time.perf_counter()
    summary = job.run(folder)
    seconds = time.perf_counter() - started
    if summary.failed:
        raise RuntimeError(f"ingest failed on {summary.failed} files: {summary.failures[:3]}")
    return summary, seconds


# -- sections --------------------------------------------------------------------------


def embedder_section(bench: Bench) -> list[Row]:
    embedder = bench.embedder
    texts = synth_corpus.sentences(EMBED_SENTENCES)
    words = statistics.mean(len(t.split()) for t in texts)
    pieces = sum(embedder.count_tokens(t) for t in texts)
    embedder.embed(texts[:64])  # warm-up: first runs allocate and pick kernels
    best = min(_seconds(lambda: embedder.embed(texts)) for _ in range(EMBED_REPEATS))

    questions = synth_corpus.questions(20)
    for question in questions:
        embedder.embed([question])
    latencies: list[float] = []
    for i in range(QUERY_CALLS):
        batch = [questions[i % len(questions)]]
        started = time.perf_counter()
        embedder.embed(batch)
        latencies.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]

    batch_size = bench.settings.embed.batch_size
    rows: list[Row] = []
    if bench.embedder_load_s is not None:
        rows.append(row(f"model load ({embedder.identity})", bench.embedder_load_s, "s"))
    return [
        *rows,
        row(
            f"throughput: {EMBED_SENTENCES} sentences of ~{words:.0f} words, "
            f"batch {batch_size}, best of {EMBED_REPEATS}",
            EMBED_SENTENCES / best,
            "sentences/s",
            Target(">=", 150),
        ),
        row("  same run in word-pieces", pieces / best, "tokens/s"),
        row("  word-pieces per sentence", pieces / EMBED_SENTENCES, "tokens"),
        row(
            f"query latency median ({QUERY_CALLS} x embed([question]))",
            statistics.median(latencies),
            "ms",
            Target("<=", 4),
        ),
        row("query latency p95", p95, "ms"),
    ]


def ingest_samples_section(bench: Bench) -> list[Row]:
    files = sorted(p for p in SAMPLE_DIR.iterdir() if p.is_file())
    bench.warm_ingest()
    job, _ = bench.ingest_job(bench.fresh_settings("chroma-samples"))
    summary, seconds = timed_ingest(job, SAMPLE_DIR)
    return [
        row(
            f"ingest data/articles, {len(files)} files, fresh store "
            "(excl. model load, splitter/nltk/datasketch imports)",
            seconds,
            "s",
            Target("<", 3),
        ),
        row("  chunks written", summary.chunks_written, "chunks"),
    ]


def ingest_1000_section(bench: Bench) -> list[Row]:
    corpus = bench.workdir / "corpus"
    started = time.perf_counter()
    synth_corpus.generate(corpus, CORPUS_FILES, CORPUS_SEED)
    generated_s = time.perf_counter() - started
    bench.warm_ingest()
    settings = bench.fresh_settings("chroma-1000")
    job, index = bench.ingest_job(settings)

    bench.log.print(f"  ingesting {CORPUS_FILES} synthetic articles ...")
    cpu = time.process_time()
    summary, ingest_s = timed_ingest(job, corpus)
    ingest_cpu = time.process_time() - cpu
    ingest_tps = summary.tokens / ingest_s

    bench.log.print(f"  re-embedding the {summary.chunks_written} indexed chunks ...")
    chunks = list(index.all_chunks())
    texts = [c.text for c in chunks]
    raw_tokens = sum(c.tokens for c in chunks)
    embedder = bench.embedder
    started, cpu = time.perf_counter(), time.process_time()
    for begin in range(0, len(texts), RAW_EMBED_CALL):
        embedder.embed(texts[begin : begin + RAW_EMBED_CALL])
    raw_s = time.perf_counter() - started
    raw_cpu = time.process_time() - cpu
    raw_tps = raw_tokens / raw_s

    bench.log.print("  re-running the ingest on the unchanged corpus ...")
    again_job, _ = bench.ingest_job(settings)
    again, again_s = timed_ingest(again_job, corpus)

    return [
        row(f"synthetic corpus written (seed {CORPUS_SEED})", generated_s, "s"),
        row("ingest 1000: files added", summary.added, "files", Target("==", CORPUS_FILES)),
        # Recorded as copies of another article and not indexed (ingest/dedupe.py): the
        # synthetic articles share templates, but none should come near the threshold.
        row("  near-duplicates", getattr(summary, "duplicates", 0), "files", Target("==", 0)),
        row("  chunks", summary.chunks_written, "chunks"),
        row("  chunk tokens (tiktoken)", summary.tokens, "tokens"),
        row("  seconds", ingest_s, "s"),
        row("  ingest throughput", ingest_tps, "tokens/s"),
        row(
            f"  raw embedder on the same {len(texts)} chunk texts ({RAW_EMBED_CALL} per call)",
            raw_s,
            "s",
        ),
        row("  raw embedder throughput", raw_tps, "tokens/s"),
        row("  ingest / raw throughput", ingest_tps / raw_tps, "ratio", Target(">=", 0.70)),
        # Wall-clock ratios swing when other processes load the CPUs during one phase only;
        # the CPU-time ratio is the cross-check (1.0 = the pipeline adds nothing).
        row("  same ratio in process CPU time", raw_cpu / ingest_cpu, "ratio"),
        row("re-run on unchanged corpus: seconds", again_s, "s", Target("<", 2)),
        row("  embedded texts", again.embedded_texts, "texts", Target("==", 0)),
        row("  files unchanged", again.unchanged, "files", Target("==", CORPUS_FILES)),
    ]


def _sample_store(bench: Bench) -> Settings:
    """The sample articles ingested once into a temp store, shared by the API sections."""
    settings = getattr(bench, "_sample_settings", None)
    if settings is None:
        settings = bench.fresh_settings("api-samples")
        job, _ = bench.ingest_job(settings)
        timed_ingest(job, ROOT / "data" / "articles")
        bench._sample_settings = settings  # type: ignore[attr-defined]
    return settings


def api_in_process_section(bench: Bench) -> list[Row]:
    timings = bench_service.in_process_latency(_sample_store(bench))
    ask, ret = timings["ask"], timings["retrieve"]
    p = bench_service.percentile
    return [
        row(f"/v1/ask in-process p50 ({len(ask)} calls)", p(ask, 50), "ms", Target("<=", 25)),
        row("/v1/ask in-process p95", p(ask, 95), "ms", Target("<=", 50)),
        row("/v1/retrieve in-process p50", p(ret, 50), "ms"),
        row("/v1/retrieve in-process p95", p(ret, 95), "ms"),
    ]


def api_http_section(bench: Bench) -> list[Row]:
    settings = _sample_store(bench)
    server = bench_service.ServiceProcess(settings.chroma.path, free_port())
    p = bench_service.percentile
    try:
        timings = bench_service.http_latency(server.url)
        rows = [
            row("/v1/ask over HTTP p50 (loopback, 1 client)", p(timings["ask"], 50), "ms"),
            row("/v1/ask over HTTP p95", p(timings["ask"], 95), "ms"),
            row("/v1/retrieve over HTTP p50", p(timings["retrieve"], 50), "ms"),
            row("/v1/retrieve over HTTP p95", p(timings["retrieve"], 95), "ms"),
        ]
        for clients in (1, 8, 32):
            rps, p95, errors = bench_service.throughput(server.url, clients)
            rows.append(row(f"/v1/ask throughput, {clients} concurrent clients", rps, "req/s"))
            rows.append(row(f"  p95 latency at {clients} clients", p95, "ms"))
            rows.append(row(f"  errors at {clients} clients", errors, "requests", Target("==", 0)))
        rows.append(row("service RSS after the load", server.rss_mb(), "MB"))
        return rows
    finally:
        server.stop()


def baseline_section(bench: Bench) -> list[Row]:
    ours = bench_service.our_retrieval(_sample_store(bench))
    base = bench_service.llama_index_baseline(bench.embedder.embed, bench.workdir / "baseline")
    p = bench_service.percentile
    rows = [
        row("plain LlamaIndex: chunks (default SentenceSplitter)", base["chunks"], "chunks"),
        row("plain LlamaIndex: index build", base["build_s"], "s"),
    ]
    for name in ("hit@1", "hit@5", "mrr@10"):
        rows.append(row(f"file {name}: ours", ours[name], ""))
        rows.append(row(f"file {name}: plain LlamaIndex", base[name], ""))
    rows += [
        row("retrieve p50: ours (hybrid + re-rank)", p(ours["latencies"], 50), "ms"),
        row("retrieve p50: plain LlamaIndex (top-10)", p(base["latencies"], 50), "ms"),
        row("retrieve p95: ours", p(ours["latencies"], 95), "ms"),
        row("retrieve p95: plain LlamaIndex", p(base["latencies"], 95), "ms"),
    ]
    return rows


def _rows(found: Sequence[bench_scale.Row]) -> list[Row]:
    rows = []
    for name, value, unit, target in found:
        if target is None:
            rows.append(row(name, value, unit))
            continue
        op, bound = target.split()[:2]
        rows.append(row(name, value, unit, Target(op, float(bound))))  # type: ignore[arg-type]
    return rows


def scale_section(bench: Bench) -> list[Row]:
    return _rows(bench_scale.scale_rows(bench.workdir, bench.log.print))


def throughput_section(bench: Bench) -> list[Row]:
    return _rows(bench_scale.throughput_rows(bench.workdir, bench.log.print))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Section:
    name: str
    run: Callable[[Bench], list[Row]]


SECTIONS: list[Section] = [
    Section("embedder", embedder_section),
    Section("ingest_samples", ingest_samples_section),
    Section("ingest_1000", ingest_1000_section),
    Section("api_in_process", api_in_process_section),
    Section("api_http", api_http_section),
    Section("baseline", baseline_section),
    Section("throughput", throughput_section),
    Section("scale", scale_section),
]


# -- running and reporting -------------------------------------------------------------


def _seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


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
        description="Benchmark the embedder and the ingest job (reports; never fails)."
    )
    parser.add_argument(
        "--only",
        metavar="SECTION[,SECTION]",
        help=f"run only these sections, from: {', '.join(names)}",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON output (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown or not wanted:
            parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {names}")
        args.only = wanted
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_offline()
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
        bench = Bench(Path(tmp), log)
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


if __name__ == "__main__":
    sys.exit(main())

"""Prometheus metrics: defined here once; every layer records through these functions.

The workers of one server share a directory of metric files (prometheus_client's
multiprocess mode), so a scrape answered by any worker sums all of them. `python -m
service` makes a fresh directory per start (`metrics_directory`); a worker marks itself
dead when it stops, and the live gauges of workers that died without doing so are
cleared at the next start or scrape. Without a directory (tests, one in-process app) the
metrics live in this process's default registry.

The metric objects are created on first use, not at import: prometheus_client decides
between the two modes when its first metric is created.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "newsrag"

Stage = Literal["embed", "retrieve", "generate"]
LLMErrorKind = Literal[
    "timeout", "connection", "status", "empty", "malformed", "unverified", "other"
]

# Anything else is counted as "other" so a client cannot mint label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BUILD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
# counter_123.db, histogram_123.db, gauge_livesum_123.db: the writer's pid ends the name.
_FILE_PID = re.compile(r"_(\d+)\.db$")


@dataclass(frozen=True)
class _Metrics:
    requests: Counter
    latency: Histogram
    in_progress: Gauge
    stages: Histogram
    answers: Counter
    abstentions: Counter
    fallbacks: Counter
    llm_requests: Counter
    llm_errors: Counter
    llm_tokens: Counter
    lexical_generation: Gauge
    lexical_chunks: Gauge
    lexical_build: Histogram
    feedback: Counter


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


# Two threads' first metric (a request, a background index build) must not both register.
_CREATING = threading.Lock()


def _metrics() -> _Metrics:
    with _CREATING:
        return _created()


@lru_cache(maxsize=1)
def _created() -> _Metrics:
    from prometheus_client import values

    if multiprocess_dir() is not None and not getattr(values.ValueClass, "_multiprocess", False):
        # prometheus_client chose its value class when first imported, which may have been
        # before the directory was set up: no metric exists yet, so switch now.
        values.ValueClass = values.MultiProcessValue()
    # Created in the order of _Metrics's fields (and so listed in that order by a scrape).
    return _Metrics(*_http_metrics(), *_answer_metrics(), *_lexical_metrics(), _feedback_metric())


def _name(short: str) -> str:
    return f"{PREFIX}_{short}"


def _http_metrics() -> tuple[Counter, Histogram, Gauge, Histogram]:
    from prometheus_client import Counter, Gauge, Histogram

    return (
        Counter(
            _name("http_requests"),
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
        ),
        Histogram(
            _name("http_request_duration_seconds"),
            "Time to answer an HTTP request (a stream: until its last event), by route "
            "template, method and status.",
            ["route", "method", "status"],
            buckets=_HTTP_BUCKETS,
        ),
        Gauge(
            _name("http_requests_in_progress"),
            "HTTP requests being answered now, summed over live workers.",
            multiprocess_mode="livesum",
        ),
        Histogram(
            _name("stage_duration_seconds"),
            "Time per answering stage: embed (spelling repair and the question's vector), "
            "retrieve (search and re-ranking), generate (the answerer).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
        ),
    )


def _answer_metrics() -> tuple[Counter, Counter, Counter, Counter, Counter, Counter]:
    from prometheus_client import Counter

    return (
        Counter(_name("answers"), "Answers completed (/v1/ask)."),
        Counter(_name("abstentions"), "Answers that abstained: the articles do not answer."),
        Counter(
            _name("fallbacks"), "Answers given extractively because the configured LLM failed."
        ),
        Counter(_name("llm_requests"), "Answers requested from the LLM."),
        Counter(
            _name("llm_errors"),
            "LLM calls that failed, by kind: timeout, connection, status (an HTTP error), "
            "empty (no answer), malformed (unusable output), unverified (no claim stated by "
            "the evidence, answered with its sentences instead), other.",
            ["kind"],
        ),
        Counter(
            _name("llm_tokens"),
            "Tokens of LLM answers, by kind (prompt, completion); counted by the endpoint "
            "when it reports usage, else with tiktoken.",
            ["kind"],
        ),
    )


def _lexical_metrics() -> tuple[Gauge, Gauge, Histogram]:
    from prometheus_client import Gauge, Histogram

    return (
        Gauge(
            _name("lexical_index_generation"),
            "Collection generation the lexical index reflects, per live worker.",
            multiprocess_mode="liveall",
        ),
        Gauge(
            _name("lexical_index_chunks"),
            "Chunks in the lexical index, per live worker.",
            multiprocess_mode="liveall",
        ),
        Histogram(
            _name("lexical_index_build_seconds"),
            "Time to build or load the lexical index for a collection generation.",
            buckets=_BUILD_BUCKETS,
        ),
    )


def _feedback_metric() -> Counter:
    from prometheus_client import Counter

    return Counter(
        _name("feedback"),
        "Readers' ratings of answers (a changed rating counts again), by rating (up, "
        "down) and the client the answer was given to (widget, slack, api, chat).",
        ["rating", "client"],
    )


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    m = _metrics()
    labels = (route, method if method in _METHODS else "other", str(status))
    m.requests.labels(*labels).inc()
    m.latency.labels(*labels).observe(seconds)


@contextmanager
def request_in_progress() -> Iterator[None]:
    gauge = _metrics().in_progress
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def observe_stage(stage: Stage, seconds: float) -> None:
    _metrics().stages.labels(stage).observe(seconds)


def answer_completed(*, abstained: bool, fallback: bool) -> None:
    m = _metrics()
    m.answers.inc()
    if abstained:
        m.abstentions.inc()
    if fallback:
        m.fallbacks.inc()


def llm_requested() -> None:
    _metrics().llm_requests.inc()


def llm_failed(kind: LLMErrorKind) -> None:
    _metrics().llm_errors.labels(kind).inc()


def llm_tokens_used(prompt: int, completion: int) -> None:
    tokens = _metrics().llm_tokens
    tokens.labels("prompt").inc(prompt)
    tokens.labels("completion").inc(completion)


def lexical_index_built(generation: int, seconds: float, chunks: int | None = None) -> None:
    """A worker serves from a lexical index of `generation`, built or loaded in `seconds`."""
    m = _metrics()
    m.lexical_generation.set(generation)
    m.lexical_build.observe(seconds)
    if chunks is not None:
        m.lexical_chunks.set(chunks)


def feedback_received(rating: str, client: str) -> None:
    _metrics().feedback.labels(rating, client).inc()


def render() -> tuple[bytes, str]:
    """The exposition text of every worker of this server, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    _metrics()  # so that a scrape before any request still lists the metrics
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    forget_dead_workers(directory)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_dead_workers(directory: Path) -> list[int]:
    """Drop the live gauges of workers that exited without saying so (killed, crashed).

    Their counters and histograms stay: totals must not go backwards."""
    from prometheus_client.multiprocess import mark_process_dead

    dead = []
    for pid in sorted({int(m.group(1)) for f in _files(directory) if (m := _FILE_PID.search(f))}):
        if pid != os.getpid() and not _alive(pid):
            mark_process_dead(pid, str(directory))
            dead.append(pid)
    return dead


def worker_started() -> None:
    directory = multiprocess_dir()
    if directory is not None:
        forget_dead_workers(directory)
    _metrics()


def worker_stopped() -> None:
    from prometheus_client.multiprocess import mark_process_dead

    directory = multiprocess_dir()
    if directory is not None and directory.is_dir():
        mark_process_dead(os.getpid(), str(directory))


@contextmanager
def metrics_directory(base: Path | None) -> Iterator[Path]:
    """A fresh directory for the metric files of this server start, removed at exit.

    Fresh per start, because files left by an earlier start would be summed into this
    one's counters. Worker processes inherit it through the environment."""
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-metrics-", dir=base))
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def _files(directory: Path) -> list[str]:
    try:
        return [f for f in os.listdir(directory) if f.endswith(".db")]
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True

"""What sections share: settings, the one embedder, a temp dir, the sample store."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Literal

from rich.console import Console

from evals.questions.dataset import Question, load_dataset
from ingest.pipeline import IngestJob, Summary
from service.core.embedder import Embedder, build_embedder
from service.core.store import ArticleIndex, build_index
from service.settings import ChromaSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "articles"
DATASET = ROOT / "evals" / "datasets" / "articles.jsonl"


class Bench:
    """Built once per run and handed to every section; the embedder is built on first use."""

    def __init__(
        self,
        workdir: Path,
        log: Console,
        scale_sizes: tuple[int, ...] | None = None,
        scale_budget_s: float | None = None,
        scale_store: Literal["embedded", "server"] = "embedded",
    ) -> None:
        self.workdir = workdir
        self.log = log
        # `--scale-sizes`, `--scale-budget-min`: the scale section's defaults when None.
        self.scale_sizes = scale_sizes
        self.scale_budget_s = scale_budget_s
        # `--scale-store`: "embedded" (the worker holds the store) or "server" (`chroma run`).
        self.scale_store = scale_store
        self.settings = Settings()
        self._embedder: Embedder | None = None
        self.embedder_load_s: float | None = None
        self._sample_settings: Settings | None = None

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

    def sample_store(self) -> Settings:
        """The sample articles ingested once into a temp store, shared by the API sections."""
        if self._sample_settings is None:
            settings = self.fresh_settings("api-samples")
            job, _ = self.ingest_job(settings)
            timed_ingest(job, SAMPLE_DIR)
            self._sample_settings = settings
        return self._sample_settings


def questions() -> list[Question]:
    """The questions of the eval dataset, which the API sections ask."""
    return load_dataset(DATASET)


def timed_ingest(job: IngestJob, folder: Path) -> tuple[Summary, float]:
    started = time.perf_counter()
    summary = job.run(folder)
    seconds = time.perf_counter() - started
    if summary.failed:
        raise RuntimeError(f"ingest failed on {summary.failed} files: {summary.failures[:3]}")
    return summary, seconds

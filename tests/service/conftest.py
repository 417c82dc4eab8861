"""Service fixtures: the sample articles ingested once per module into a temp Chroma."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.contract import check_answer, folder_texts
from ingest.pipeline import IngestJob
from service.app import create_app
from service.core.embedder import Embedder
from service.core.store import Chunk, build_index
from service.evidence.annotate import Notes, annotate, decode
from service.evidence.sentences import encode_spans, sentence_spans
from service.retrieval.hits import Hit
from service.settings import ChromaSettings, Settings
from tests.conftest import SAMPLE_DIR
from tests.service.postgres_server import postgres_server


def annotated_sentence(sentence: str, published: date) -> Notes:
    """One sentence as ingest reads it, in an article of `published`."""
    (stored,) = annotate([(sentence, sentence_spans(sentence), published)], processes=1)
    (found,) = decode(sentence, stored).values()
    return found


def annotated_chunk(text: str, published: date, title: str) -> Chunk:
    """One chunk of a whole text, its sentences annotated as ingest annotates them."""
    spans = sentence_spans(text)
    (stored,) = annotate([(text, spans, published)], processes=1)
    return Chunk(
        id="c",
        text=text,
        source="a.txt",
        start=0,
        end=len(text),
        chunk_index=0,
        title=title,
        published=published.isoformat(),
        url=None,
        file_sha256="0" * 64,
        tokens=len(text.split()),
        sentences=encode_spans(spans),
        annotations=stored,
    )


def annotated_hit(text: str, published: date, title: str) -> Hit:
    """A retrieved hit of one annotated chunk (see `annotated_chunk`)."""
    return Hit(annotated_chunk(text, published, title), 1.0, 0.8)


def ingest_folder(settings: Settings, embedder: Embedder, folder: Path) -> None:
    summary = IngestJob(settings, embedder, build_index(settings, embedder)).run(folder)
    assert summary.failed == 0


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings pointing at a Chroma holding the five sample articles."""
    root = tmp_path_factory.mktemp("indexed")
    folder = root / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    settings = Settings(chroma=ChromaSettings(path=root / "chroma"))
    ingest_folder(settings, embedder, folder)
    return settings


@pytest.fixture(scope="module")
def client(indexed: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(indexed)) as test_client:
        yield test_client


def check_invariants(body: dict[str, Any], articles: Path = SAMPLE_DIR) -> None:
    """The contract's invariants for one /v1/ask response body."""
    check_answer(body["answer"], body["citations"], body["abstained"], folder_texts(articles))
    for key in ("embed", "retrieve", "generate", "total"):
        assert body["timings_ms"][key] >= 0
    assert body["request_id"]


@pytest.fixture(scope="session")
def llama_url() -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with SmolLM2 on loopback, shared by the chat
    and widget tests (skips locally, fails under CI, without `make install-llm`)."""
    from tests.service.llm_server import llama_server, require_llm_server

    with llama_server(require_llm_server()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def feedback_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """RAG_FEEDBACK_URL of an empty answer log: a SQLite file, or a PostgreSQL server of its
    own (started for the test; fails under CI when PostgreSQL is missing)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
        return
    with postgres_server() as server:
        yield server.url

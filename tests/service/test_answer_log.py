"""The answer log's store on both of its databases: a SQLite file (WAL) and a real
PostgreSQL server started for this module (tests/service/postgres_server.py)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr, ValidationError

from service.core.feedback.store import AnswerRecord, FeedbackStore, database_url
from service.core.feedback.tables import metadata
from service.settings import ChromaSettings, FeedbackSettings, Settings
from tests.conftest import REPO
from tests.service.postgres_server import PostgresServer, postgres_server


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def fresh_postgres_url(server: PostgresServer) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = server.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return "postgresql+psycopg://" + server.url.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return fresh_postgres_url(server)


@pytest.fixture
def store(url: str) -> Iterator[FeedbackStore]:
    built = FeedbackStore(url, retention_days=30)
    built.migrate()
    yield built
    built.close()


def record(request_id: str, client: str = "api", **changes: object) -> AnswerRecord:
    fields: dict[str, object] = {
        "request_id": request_id,
        "client": client,
        "principal": "api_key:k_0123456789ab",
        "question": "Which ministers joined him on that call?",
        "query": "Which ministers joined Starmer on that call?",
        "history": [
            {"role": "user", "content": "What did Starmer say?"},
            {"role": "assistant", "content": "He spoke to Zelensky [1]."},
        ],
        "answer": "Lammy and Healey joined the call [1].",
        "abstained": False,
        "fallback": False,
        "citations": [
            {
                "n": 1,
                "source": "004_f38c74b4d400aede.txt",
                "title": "Starmer hosts call",
                "published": None,
                "start": 512,
                "end": 640,
                "quote": "Lammy and Healey joined — “the call”",
                "score": 0.82,
            }
        ],
        "answerer": "extractive",
        "model": "extractive",
        "timings_ms": {"embed": 2.5, "retrieve": 4.0, "generate": 1.0, "total": 8.25},
    }
    fields.update(changes)
    return AnswerRecord(**fields)  # type: ignore[arg-type]


def test_the_migrations_build_exactly_the_declared_tables(store: FeedbackStore) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_migrating_again_changes_nothing(store: FeedbackStore) -> None:
    store.add_answers([record("r1")])
    store.migrate()
    assert store.counts() == {"answers": 1, "feedback": 0}


def test_an_answer_reads_back_as_it_was_given(store: FeedbackStore) -> None:
    given = record("r1")
    assert store.add_answers([given, record("r1", question="a reused request id")]) == 1
    found = store.answer("r1")
    assert found is not None
    assert found == given  # spans, quotes, history and timings included; times in UTC
    assert found.created_at.tzinfo is not None
    assert store.answer("nope") is None


def test_a_principal_changes_its_own_rating(store: FeedbackStore) -> None:
    store.add_answers([record("r1"), record("r2", client="widget")])
    first = store.rate("r1", "api_key:a", "up", "good")
    assert first is not None and first[1] is True
    changed = store.rate("r1", "api_key:a", "down", None, "Geneva")
    assert changed is not None and changed[1] is False
    assert changed[0].rating == "down" and changed[0].expected_answer == "Geneva"
    assert changed[0].created_at == first[0].created_at
    assert changed[0].updated_at >= first[0].updated_at
    other = store.rate("r1", "widget:b", "up")
    assert other is not None and other[1] is True
    assert store.counts() == {"answers": 2, "feedback": 2}
    assert store.rate("unknown", "api_key:a", "up") is None


def test_feedback_is_found_by_rating_client_and_time_in_pages(store: FeedbackStore) -> None:
    store.add_answers([record(f"r{i}", client="widget" if i % 2 else "api") for i in range(6)])
    for i in range(6):
        store.rate(f"r{i}", "p", "down" if i < 4 else "up")
    assert len(store.find()) == 6
    assert {r.request_id for r in store.find(rating="up")} == {"r4", "r5"}
    assert {r.request_id for r in store.find(client="widget")} == {"r1", "r3", "r5"}
    assert {r.request_id for r in store.find(rating="down", client="api")} == {"r0", "r2"}
    pages = [store.find(limit=4), store.find(limit=4, offset=4)]
    assert [len(p) for p in pages] == [4, 2]
    assert len({r.request_id for p in pages for r in p}) == 6
    future = datetime.now(UTC) + timedelta(minutes=5)
    assert store.find(since=future) == []
    naive_past = datetime.now() - timedelta(days=1)  # naive times are UTC
    assert len(store.find(since=naive_past)) == 6


def test_retention_removes_old_answers_with_their_feedback(store: FeedbackStore) -> None:
    old = datetime.now(UTC) - timedelta(days=31)
    store.add_answers([record("old", created_at=old), record("new")])
    store.rate("old", "p", "down")
    store.rate("new", "p", "up")
    assert store.purge() == 1
    assert store.answer("old") is None and store.answer("new") is not None
    assert [r.request_id for r in store.find()] == ["new"]


WRITER = """
import sys
from service.core.feedback.store import FeedbackStore
from tests.service.test_answer_log import record
store = FeedbackStore(sys.argv[1], retention_days=30)
store.migrate()
for i in range(40):
    store.add_answers([record(f"{sys.argv[2]}-{i}")])
    store.rate(f"{sys.argv[2]}-{i}", "p", "up")
"""


def test_several_processes_migrate_and_write_at_once(url: str) -> None:
    """As the workers of one server do: all start together, none loses a write."""
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, f"w{n}"], cwd=REPO) for n in range(3)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    store = FeedbackStore(url, retention_days=30)
    assert store.counts() == {"answers": 120, "feedback": 120}
    if url.startswith("sqlite"):
        with store.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert mode == "wal"
    store.close()


def test_the_database_url_comes_from_the_settings(tmp_path: Path) -> None:
    default = Settings(chroma=ChromaSettings(path=tmp_path / "chroma"))
    assert database_url(default) == f"sqlite:///{tmp_path / 'chroma' / 'feedback.sqlite3'}"
    pg = default.model_copy(
        update={"feedback": FeedbackSettings(url=SecretStr("postgresql://u:p@db:5432/n"))}
    )
    assert database_url(pg) == "postgresql+psycopg://u:p@db:5432/n"
    with pytest.raises(ValidationError, match="RAG_FEEDBACK_URL must name PostgreSQL") as err:
        FeedbackSettings(url=SecretStr("mysql://u:secretpw@db/n"))
    assert "secretpw" not in str(err.value)
    off = default.model_copy(update={"feedback": FeedbackSettings(retention_days=0)})
    assert FeedbackStore.build(off) is None
    assert not (tmp_path / "chroma" / "feedback.sqlite3").exists()

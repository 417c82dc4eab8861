"""The answer log's database: one engine per process, SQLite (WAL) or PostgreSQL.

Every answer is a row of `answers`; a reader's thumbs up or down is a row of `feedback`,
one per answer and principal (a key, a Slack user), which that principal may change.
The schema is created and upgraded by Alembic (`migrate`), under a lock so that the
workers of one server starting together do it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock
from sqlalchemy import Engine, Row, create_engine, delete, event, func, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry

from service.core.feedback.tables import answers, feedback
from service.settings import Settings

Client = Literal["widget", "slack", "api", "chat"]
Rating = Literal["up", "down"]
CLIENTS: tuple[Client, ...] = ("widget", "slack", "api", "chat")
SQLITE_NAME = "feedback.sqlite3"
_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class AnswerRecord:
    """One answer as it was given."""

    request_id: str
    client: Client
    principal: str
    question: str
    query: str | None
    history: list[dict[str, str]]
    answer: str
    abstained: bool
    fallback: bool
    citations: list[dict[str, Any]]
    answerer: str
    model: str
    timings_ms: dict[str, float]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class FeedbackRecord:
    """One principal's rating of one answer, with the answer it rates."""

    request_id: str
    principal: str
    rating: Rating
    comment: str | None
    expected_answer: str | None
    created_at: datetime
    updated_at: datetime
    answer: AnswerRecord


def database_url(settings: Settings) -> str:
    """RAG_FEEDBACK_URL (PostgreSQL through psycopg 3), or the SQLite file beside Chroma."""
    configured = settings.feedback.url
    if configured is None:
        return f"sqlite:///{(settings.chroma.path / SQLITE_NAME).resolve()}"
    url = configured.get_secret_value().strip()
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    # WAL: readers never block the writer, and several workers may share the file;
    # a writer waits for another's lock (busy_timeout) instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _as_utc(value: datetime) -> datetime:
    """A time to compare with stored ones: naive means UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    # SQLite keeps no time zone: every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class FeedbackStore:
    def __init__(self, url: str, *, retention_days: int) -> None:
        self.url = url
        self.retention_days = retention_days
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        if self.dialect == "sqlite":
            path = url.removeprefix("sqlite:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_path: str | None = path + ".migrate.lock"
            self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self._lock_path = None
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)

    @classmethod
    def build(cls, settings: Settings) -> FeedbackStore | None:
        """The store the settings describe, migrated; None when the log is off."""
        if settings.feedback.retention_days == 0:
            return None
        store = cls(database_url(settings), retention_days=settings.feedback.retention_days)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (once, whatever the number
        of workers starting together)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as connection:
            if self.dialect == "postgresql":
                key = int.from_bytes(hashlib.sha256(b"newsrag-feedback").digest()[:4], "big")
                connection.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self._lock_path is None:
            yield
            return
        with FileLock(self._lock_path, timeout=60):
            yield

    def close(self) -> None:
        self.engine.dispose()

    # -- answers -----------------------------------------------------------------------

    def add_answers(self, records: Sequence[AnswerRecord]) -> int:
        """Insert answers; one whose request id is already logged is skipped. Returns how
        many were written."""
        written = 0
        for record in records:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(answers).values(**_answer_row(record)))
                written += 1
            except IntegrityError:
                continue  # a client reused an X-Request-ID: the first answer stays
        return written

    def answer(self, request_id: str) -> AnswerRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(answers).where(answers.c.request_id == request_id)
            ).first()
        return None if row is None else _answer_record(row)

    def purge(self, now: datetime | None = None) -> int:
        """Delete answers older than the retention, with their feedback; how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        old = select(answers.c.request_id).where(answers.c.created_at < cutoff)
        with self.engine.begin() as connection:
            connection.execute(delete(feedback).where(feedback.c.request_id.in_(old)))
            result = connection.execute(delete(answers).where(answers.c.created_at < cutoff))
        return int(result.rowcount or 0)

    # -- feedback ----------------------------------------------------------------------

    def rate(
        self,
        request_id: str,
        principal: str,
        rating: Rating,
        comment: str | None = None,
        expected_answer: str | None = None,
    ) -> tuple[FeedbackRecord, bool] | None:
        """Store (or change) `principal`'s rating of an answer: (record, created), or None
        when no answer has this request id."""
        for _ in range(2):
            now = datetime.now(UTC)
            values = {"rating": rating, "comment": comment, "expected_answer": expected_answer}
            try:
                with self.engine.begin() as connection:
                    if (
                        connection.execute(
                            select(answers.c.id).where(answers.c.request_id == request_id)
                        ).first()
                        is None
                    ):
                        return None
                    changed = connection.execute(
                        update(feedback)
                        .where(feedback.c.request_id == request_id)
                        .where(feedback.c.principal == principal)
                        .values(**values, updated_at=now)
                    )
                    created = not changed.rowcount
                    if created:
                        connection.execute(
                            insert(feedback).values(
                                request_id=request_id,
                                principal=principal,
                                created_at=now,
                                updated_at=now,
                                **values,
                            )
                        )
            except IntegrityError:
                continue  # the same principal rated at the same moment elsewhere: update
            found = self.find(request_id=request_id, principal=principal, limit=1)
            return found[0], created
        raise RuntimeError("feedback could not be stored")

    def find(
        self,
        *,
        rating: Rating | None = None,
        client: Client | None = None,
        since: datetime | None = None,
        request_id: str | None = None,
        principal: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FeedbackRecord]:
        """Feedback with its answers, most recently changed first."""
        query = select(feedback, answers).join(
            answers, answers.c.request_id == feedback.c.request_id
        )
        if rating is not None:
            query = query.where(feedback.c.rating == rating)
        if client is not None:
            query = query.where(answers.c.client == client)
        if since is not None:
            query = query.where(feedback.c.updated_at >= _as_utc(since))
        if request_id is not None:
            query = query.where(feedback.c.request_id == request_id)
        if principal is not None:
            query = query.where(feedback.c.principal == principal)
        query = query.order_by(feedback.c.updated_at.desc(), feedback.c.id.desc())
        query = query.limit(limit).offset(offset)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_feedback_record(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Answers and feedback rows kept (for operators and tests)."""
        with self.engine.connect() as connection:
            n_answers = connection.execute(select(func.count()).select_from(answers)).scalar()
            n_feedback = connection.execute(select(func.count()).select_from(feedback)).scalar()
        return {"answers": int(n_answers or 0), "feedback": int(n_feedback or 0)}


def _answer_row(record: AnswerRecord) -> dict[str, Any]:
    t = record.timings_ms
    return {
        "request_id": record.request_id,
        "created_at": record.created_at,
        "client": record.client,
        "principal": record.principal,
        "question": record.question,
        "query": record.query,
        "history": record.history,
        "history_len": len(record.history),
        "answer": record.answer,
        "abstained": record.abstained,
        "fallback": record.fallback,
        "citations": record.citations,
        "answerer": record.answerer,
        "model": record.model,
        "embed_ms": float(t.get("embed", 0.0)),
        "retrieve_ms": float(t.get("retrieve", 0.0)),
        "generate_ms": float(t.get("generate", 0.0)),
        "total_ms": float(t.get("total", 0.0)),
    }


def _answer_record(row: Row[Any]) -> AnswerRecord:
    m = row._mapping
    return AnswerRecord(
        request_id=m[answers.c.request_id],
        client=m[answers.c.client],
        principal=m[answers.c.principal],
        question=m[answers.c.question],
        query=m[answers.c.query],
        history=list(m[answers.c.history]),
        answer=m[answers.c.answer],
        abstained=bool(m[answers.c.abstained]),
        fallback=bool(m[answers.c.fallback]),
        citations=list(m[answers.c.citations]),
        answerer=m[answers.c.answerer],
        model=m[answers.c.model],
        timings_ms={
            "embed": m[answers.c.embed_ms],
            "retrieve": m[answers.c.retrieve_ms],
            "generate": m[answers.c.generate_ms],
            "total": m[answers.c.total_ms],
        },
        created_at=_utc(m[answers.c.created_at]),
    )


def _feedback_record(row: Row[Any]) -> FeedbackRecord:
    m = row._mapping
    return FeedbackRecord(
        request_id=m[feedback.c.request_id],
        principal=m[feedback.c.principal],
        rating=m[feedback.c.rating],
        comment=m[feedback.c.comment],
        expected_answer=m[feedback.c.expected_answer],
        created_at=_utc(m[feedback.c.created_at]),
        updated_at=_utc(m[feedback.c.updated_at]),
        answer=_answer_record(row),
    )

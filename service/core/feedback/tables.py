"""The tables of the answer log; changed only through a migration (migrations/versions)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

answers = Table(
    "answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("client", String(16), nullable=False),
    Column("principal", String(160), nullable=False),
    Column("question", Text, nullable=False),
    Column("query", Text, nullable=True),
    Column("history", JSON, nullable=False),
    Column("history_len", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("abstained", Boolean, nullable=False),
    Column("fallback", Boolean, nullable=False),
    Column("citations", JSON, nullable=False),
    Column("answerer", String(16), nullable=False),
    Column("model", String(200), nullable=False),
    Column("embed_ms", Float, nullable=False),
    Column("retrieve_ms", Float, nullable=False),
    Column("generate_ms", Float, nullable=False),
    Column("total_ms", Float, nullable=False),
    UniqueConstraint("request_id", name="uq_answers_request_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "request_id",
        String(128),
        ForeignKey("answers.request_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("principal", String(160), nullable=False),
    Column("rating", String(4), nullable=False),
    Column("comment", Text, nullable=True),
    Column("expected_answer", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("request_id", "principal", name="uq_feedback_request_principal"),
    CheckConstraint("rating in ('up', 'down')", name="ck_feedback_rating"),
)

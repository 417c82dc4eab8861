"""The answer log and feedback tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(160), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("history", sa.JSON, nullable=False),
        sa.Column("history_len", sa.Integer, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("citations", sa.JSON, nullable=False),
        sa.Column("answerer", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("embed_ms", sa.Float, nullable=False),
        sa.Column("retrieve_ms", sa.Float, nullable=False),
        sa.Column("generate_ms", sa.Float, nullable=False),
        sa.Column("total_ms", sa.Float, nullable=False),
        sa.UniqueConstraint("request_id", name="uq_answers_request_id"),
    )
    op.create_index("ix_answers_created_at", "answers", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.String(128),
            sa.ForeignKey("answers.request_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("principal", sa.String(160), nullable=False),
        sa.Column("rating", sa.String(4), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("expected_answer", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "principal", name="uq_feedback_request_principal"),
        sa.CheckConstraint("rating in ('up', 'down')", name="ck_feedback_rating"),
    )
    op.create_index("ix_feedback_updated_at", "feedback", ["updated_at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("answers")

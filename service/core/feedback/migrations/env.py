"""Alembic's environment: always run on the connection `FeedbackStore.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from service.core.feedback.tables import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters a table by copying it; PostgreSQL alters in place.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

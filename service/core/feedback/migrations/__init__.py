"""Alembic migrations of the answer log; applied at start-up (`FeedbackStore.migrate`)."""

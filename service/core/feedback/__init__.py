"""The answer log and readers' feedback, in SQLite or PostgreSQL (docs/feedback.md)."""

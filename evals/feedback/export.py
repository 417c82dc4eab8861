"""`python -m evals feedback export`: rated answers from the answer log as candidate rows.

Reads the database the settings name (RAG_FEEDBACK_URL, else the SQLite file beside
RAG_CHROMA_PATH) through the service's core, as the service wrote it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from service.core.feedback.store import FeedbackRecord, FeedbackStore, database_url
from service.settings import Settings

_PAGE = 500


def rated(store: FeedbackStore, since: datetime | None) -> Iterator[FeedbackRecord]:
    offset = 0
    while True:
        page = store.find(since=since, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def candidate(record: FeedbackRecord) -> dict[str, Any]:
    """One rated answer as a dataset row to label: gold fields are guesses to check."""
    a = record.answer
    sources = list(dict.fromkeys(str(c["source"]) for c in a.citations))
    return {
        "id": f"fb-{a.request_id}-{_short(record.principal)}",
        "status": "unlabelled",
        "question": a.question,
        # Guesses for the labeller: the reader's expected answer, the cited articles.
        "answerable": not a.abstained or bool(record.expected_answer),
        "sources": sources,
        "facts": [],
        "answer": record.expected_answer or "",
        "spans": [],
        "tags": [],
        "split": "dev",
        "feedback": {
            "request_id": a.request_id,
            "rating": record.rating,
            "comment": record.comment,
            "expected_answer": record.expected_answer,
            "history": a.history,
            "query": a.query,
            "answer_given": a.answer,
            "abstained": a.abstained,
            "citations": a.citations,
            "client": a.client,
            "model": a.model,
            "answered_at": a.created_at.isoformat(),
            "rated_at": record.updated_at.isoformat(),
        },
    }


def _short(principal: str) -> str:
    return hashlib.sha256(principal.encode()).hexdigest()[:8]


def export(settings: Settings, since: datetime | None, out: Path) -> int:
    """Write every rating since `since` (oldest first) to `out`; how many rows."""
    store = FeedbackStore(database_url(settings), retention_days=settings.feedback.retention_days)
    try:
        records = sorted(rated(store, since), key=lambda r: (r.updated_at, r.request_id))
    finally:
        store.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(candidate(record), ensure_ascii=False) + "\n")
    return len(records)

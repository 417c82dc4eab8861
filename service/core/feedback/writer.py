"""Writes answers to the log after they are given, in a thread of its own.

`submit` never blocks and never raises: an answer is never slowed or failed by its log.
A full queue drops the answer (logged); a failing database is logged and retried with
the next batch. Answers older than the retention are purged once an hour.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time

from service.core.feedback.store import AnswerRecord, FeedbackStore
from service.log import LOGGER

_BATCH = 100
_PURGE_EVERY_S = 3600.0
_WARN_EVERY_S = 30.0
_STOP = object()


class AnswerLog:
    def __init__(
        self, store: FeedbackStore, *, queue_size: int = 1000, llm_answerer: str = "llm"
    ) -> None:
        self.store = store
        # What a model-written answer is logged as: the configured mode (llm or select).
        self.llm_answerer = llm_answerer
        self._queue: queue.Queue[AnswerRecord | object] = queue.Queue(maxsize=queue_size)
        self._idle = threading.Condition()
        self._pending = 0
        self._warned_at = -_WARN_EVERY_S
        self._purged_at = -_PURGE_EVERY_S
        self._thread = threading.Thread(target=self._run, name="answer-log", daemon=True)
        self._thread.start()

    def submit(self, record: AnswerRecord) -> None:
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._done(1)
            self._warn("answer log queue full; answer not logged", record.request_id)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every answer submitted so far is written (or failed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        self.flush(timeout_s)
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout_s)
        self._thread.join(timeout_s)
        self.store.close()

    def _done(self, n: int) -> None:
        with self._idle:
            self._pending -= n
            self._idle.notify_all()

    def _warn(self, message: str, detail: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            LOGGER.warning(message, extra={"fields": {"detail": detail}})

    def _run(self) -> None:
        while True:
            self._maybe_purge()
            try:
                first = self._queue.get(timeout=60)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [r for r in batch if isinstance(r, AnswerRecord)]
            try:
                if records:
                    self.store.add_answers(records)
            except Exception as exc:
                self._warn("answer log write failed; answers not logged", type(exc).__name__)
            finally:
                self._done(len(records))
            if any(r is _STOP for r in batch):
                return

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._purged_at < _PURGE_EVERY_S:
            return
        self._purged_at = now
        try:
            removed = self.store.purge()
        except Exception as exc:
            self._warn("answer log purge failed", type(exc).__name__)
            return
        if removed:
            LOGGER.info("answer log purged", extra={"fields": {"answers": removed}})

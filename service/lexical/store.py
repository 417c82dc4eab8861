"""Saved lexical indexes of one collection, one folder per collection state.

Written under a file lock, by the ingest job (the generation it publishes) or by a worker
that found none saved for the state it sees; read memory-mapped by every worker.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from service.lexical.index import FORMAT, IndexKey, LexicalIndex
from service.log import LOGGER

# Saved states kept per collection: the newest, and a few that workers may still map.
KEEP = 3
# Longest wait for another builder's lock before trying again on the next check.
LOCK_TIMEOUT_S = 600.0


class LexicalStore:
    """Saved indexes of one collection under `root/<collection>`, written under a lock."""

    def __init__(self, root: Path, collection: str) -> None:
        self.folder = root / collection

    def load(self, key: IndexKey, *, derivation: bool = False) -> LexicalIndex | None:
        try:
            return LexicalIndex.load(self.folder / key.folder_name, derivation=derivation)
        except (OSError, ValueError, KeyError) as exc:
            # Half-deleted by a prune, or written by a crashed build: rebuilt instead.
            LOGGER.warning(
                "lexical index unreadable", extra={"fields": {"key": str(key), "error": str(exc)}}
            )
            return None

    def build(self, key: IndexKey, make: Callable[[], LexicalIndex]) -> LexicalIndex:
        """The index saved for `key`, built with `make` and saved if nobody has yet."""
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.folder / ".lock"), timeout=LOCK_TIMEOUT_S):
            saved = self.load(key)
            if saved is not None:
                return saved
            # A damaged folder (a crash while deleting, a bad disk) is replaced.
            shutil.rmtree(self.folder / key.folder_name, ignore_errors=True)
            index = make()
            index.save(self.folder / key.folder_name)
            self._prune()
        return self.load(key) or index

    def publish(self, index: LexicalIndex) -> None:
        """Save `index` for its key, replacing whatever is saved for it: the ingest job
        saves the generation it is about to publish, which no reader looks for yet, but
        which a run interrupted before publishing may have saved from other chunks. Older
        states are left for `prune`, once the generation is published."""
        from filelock import FileLock

        assert index.key is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.folder / ".lock"), timeout=LOCK_TIMEOUT_S):
            index.save(self.folder / index.key.folder_name, replace=True)

    def prune(self) -> None:
        """Remove saved states beyond the newest few."""
        from filelock import FileLock

        if not self.folder.is_dir():
            return
        with FileLock(str(self.folder / ".lock"), timeout=LOCK_TIMEOUT_S):
            self._prune()

    def _prune(self) -> None:
        prefix = f"v{FORMAT}-"
        folders = [p for p in self.folder.iterdir() if p.is_dir() and p.name.startswith("v")]
        current = sorted(
            (p for p in folders if p.name.startswith(prefix)),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        # Workers that mapped a removed folder keep reading it: POSIX frees the files once
        # the last mapping goes.
        for old in current[KEEP:] + [p for p in folders if not p.name.startswith(prefix)]:
            shutil.rmtree(old, ignore_errors=True)

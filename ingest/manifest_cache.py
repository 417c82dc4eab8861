"""A local copy of the manifest as of one collection generation.

Reading the whole manifest from Chroma costs in proportion to the corpus on every run,
while a run usually changes a few files. The job saves the manifest it leaves behind,
keyed by the collection's id and generation, beside the lexical indexes; the next run
that finds the collection at that generation, and not marked as being written
(`ArticleIndex.writing`), takes the unchanged entries from this copy and reads from
Chroma only the entries of files whose size or modification time differ from it, of new
files and of files gone. Anything else (no copy, another generation, a run interrupted
after changing the collection, an unreadable file) means the whole manifest is read, as
before: the copy is a cache, Chroma the source of truth.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import Any

from ingest.background import Deferred
from service.core.store import ArticleIndex, SourceRecord

# Bumped when the saved form or its meaning changes: an older copy is ignored. 2: saved
# after the generation is published, not before.
FORMAT = 2
_FIELDS = tuple(f.name for f in fields(SourceRecord))


# The copy being written to each path, by any job of this process: a load waits for it.
_WRITING: dict[Path, Deferred] = {}
_WRITING_LOCK = threading.Lock()


def _writer(path: Path) -> Deferred:
    with _WRITING_LOCK:
        return _WRITING.setdefault(path, Deferred("manifest-copy"))


class ManifestCache:
    """The saved manifest of one collection, in `folder/<collection>.json`."""

    def __init__(self, folder: Path, collection: str, *, background: bool = False) -> None:
        self.path = folder / f"{collection}.json"
        # A watching job writes its copies in the background (see `save`).
        self._background = background
        # What this process saved last, with its key: a watcher's next run takes it from
        # memory instead of parsing the file it wrote.
        self._saved: tuple[tuple[str, int], dict[str, SourceRecord]] | None = None

    def load(self, index: ArticleIndex) -> dict[str, SourceRecord] | None:
        """The manifest as of the collection's current state; None when not known here."""
        # A run marked as writing may have changed the collection without publishing it:
        # no copy describes that state.
        if index.writing:
            return None
        key = (index.collection_id, index.generation)
        if self._saved is not None and self._saved[0] == key:
            return dict(self._saved[1])
        self.wait()
        try:
            saved = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(saved, dict)
            or saved.get("format") != FORMAT
            or (saved.get("collection_id"), saved.get("generation")) != key
        ):
            return None
        try:
            return {e["source"]: _record(e) for e in saved["entries"]}
        except (KeyError, TypeError, ValueError):
            return None

    def save(
        self, index: ArticleIndex, manifest: Mapping[str, SourceRecord], generation: int
    ) -> None:
        """Save `manifest` as the collection's at `generation`; a failure only costs the
        next run a full read. In the background the file is written after this returns:
        a watching job's run is done once its generation is published, and the copy is for
        the next run, which waits for it (as does the process's exit)."""
        self.wait()
        key = (index.collection_id, generation)
        entries = dict(manifest)
        self._saved = (key, entries)
        if not self._background:
            self._write(key, entries)
            return
        _writer(self.path).start(partial(self._write, key, entries))

    def wait(self) -> None:
        """Until the copy this process is writing to this path, if any, is written."""
        _writer(self.path).wait()

    def _write(self, key: tuple[str, int], manifest: Mapping[str, SourceRecord]) -> None:
        body = {
            "format": FORMAT,
            "collection_id": key[0],
            "generation": key[1],
            # Field by field: `asdict` copies each value deeply, which at 50k entries
            # costs seconds per run.
            "entries": [{name: getattr(r, name) for name in _FIELDS} for r in manifest.values()],
        }
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
            os.replace(temp, self.path)
        except OSError:
            temp.unlink(missing_ok=True)


def _record(entry: dict[str, Any]) -> SourceRecord:
    stat = entry.get("stat")
    return SourceRecord(
        source=str(entry["source"]),
        sha256=str(entry["sha256"]),
        title=str(entry["title"]),
        published=entry.get("published"),
        url=entry.get("url"),
        chunks=int(entry["chunks"]),
        state=str(entry["state"]),
        duplicate_of=entry.get("duplicate_of"),
        minhash=entry.get("minhash"),
        stat=(int(stat[0]), int(stat[1])) if stat else None,
    )

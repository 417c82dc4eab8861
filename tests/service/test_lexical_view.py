"""The lexical index: built once per collection generation, saved in the shared folder,
memory-mapped by every worker, swapped in off the request path, rebuilt when missing."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np

from service.app import build_services
from service.core.embedder import Embedder
from service.lexical.index import LexicalIndex
from service.settings import ChromaSettings, Settings
from tests.conftest import SAMPLE_DIR
from tests.service.conftest import ingest_folder

NEW = "The Zorblax summit ended in Reykjavik on Friday.\n"


def saved_folders(settings: Settings) -> list[Path]:
    root = settings.lexical_dir / settings.collection
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def test_workers_share_one_saved_index(indexed: Settings) -> None:
    workers = [build_services(indexed) for _ in range(3)]
    threads = [threading.Thread(target=w.lexical.refresh) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Built once under the file lock; the others loaded what was saved.
    assert sum(w.lexical.builds for w in workers) <= 1
    assert len(saved_folders(indexed)) == 1
    for worker in workers:
        index = worker.lexical.current()
        assert len(index) > 0
        assert isinstance(index.rows.ids, np.memmap)
        hits = worker.retriever.retrieve("Geneva talks", 3).hits
        assert hits and all(h.chunk.text for h in hits)


def test_an_ingest_is_picked_up_by_refresh_and_never_by_a_request(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    settings = Settings(chroma=ChromaSettings(path=tmp_path / "chroma"))
    ingest_folder(settings, embedder, folder)
    services = build_services(settings)
    before = services.lexical.current()
    (folder / "new.txt").write_text(NEW, "utf-8")
    ingest_folder(settings, embedder, folder)
    services.index.invalidate()
    services.retriever.retrieve("Zorblax Reykjavik", 3)
    # The request saw the new collection state but did not build: the old index serves.
    assert services.lexical.current() is before
    assert services.lexical.refresh()
    after = services.lexical.current()
    assert after is not before and after.key is not None and before.key is not None
    assert after.key.generation == before.key.generation + 1
    assert services.lexical.generation == after.key.generation
    hits = services.retriever.retrieve("Zorblax Reykjavik", 3).hits
    assert hits[0].chunk.source == "new.txt"


def test_a_missing_or_damaged_index_is_rebuilt_from_chroma(indexed: Settings) -> None:
    first = build_services(indexed)
    first.lexical.refresh()
    for folder in saved_folders(indexed):
        (folder / "ids.npy").write_bytes(b"not an array")
    second = build_services(indexed)
    second.lexical.refresh()
    assert second.lexical.builds == 1
    assert len(second.lexical.current()) == len(first.lexical.current())
    for folder in saved_folders(indexed):
        shutil.rmtree(folder)
    third = build_services(indexed)
    third.lexical.refresh()
    assert third.lexical.builds == 1 and saved_folders(indexed)
    loaded = LexicalIndex.load(saved_folders(indexed)[0])
    assert loaded is not None and len(loaded) == len(first.lexical.current())

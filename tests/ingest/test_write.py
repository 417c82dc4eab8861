"""The write step's order, observed through its checkpoint hook on a real Chroma index."""

from __future__ import annotations

from pathlib import Path

from devtools.contract import article_text
from ingest.pipeline import IngestJob
from ingest.reader import file_sha256
from ingest.write import Checkpoint
from service.core.embedder import Embedder
from service.core.schema import SourceState
from service.core.store import ArticleIndex
from service.settings import IngestSettings, Settings
from tests.conftest import SAMPLES


def test_each_group_is_pending_then_chunked_then_done(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    seen: list[tuple[str, list[str], list[str]]] = []

    def checkpoint(name: Checkpoint) -> None:
        manifest = index.manifest()
        pending = sorted(s for s, r in manifest.items() if r.state == SourceState.PENDING)
        seen.append((name, pending, sorted({c.source for c in index.all_chunks()})))

    grouped = settings.model_copy(update={"ingest": IngestSettings(group_files=2)})
    IngestJob(grouped, embedder, index, checkpoint=checkpoint).run(corpus)
    a, b, c, d, e = SAMPLES
    assert seen == [
        ("begun", [a, b], []),
        ("upserted", [a, b], [a, b]),
        ("pruned", [a, b], [a, b]),
        ("finished", [], [a, b]),
        ("begun", [c, d], [a, b]),
        ("upserted", [c, d], [a, b, c, d]),
        ("pruned", [c, d], [a, b, c, d]),
        ("finished", [], [a, b, c, d]),
        ("begun", [e], [a, b, c, d]),
        ("upserted", [e], SAMPLES),
        ("pruned", [e], SAMPLES),
        ("finished", [], SAMPLES),
    ]


def test_stale_chunks_go_once_the_new_ones_are_in_and_removals_come_last(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    IngestJob(settings, embedder, index).run(corpus)
    generation = index.generation
    changed, gone = corpus / SAMPLES[0], corpus / SAMPLES[4]
    old = file_sha256(changed.read_bytes())
    changed.write_text(article_text(changed) + "\nA closing line added later.\n", "utf-8")
    new = file_sha256(changed.read_bytes())
    gone.unlink()
    seen: list[tuple[str, list[str], bool, int]] = []

    def checkpoint(name: Checkpoint) -> None:
        versions = {c.file_sha256 for c in index.all_chunks() if c.source == SAMPLES[0]}
        seen.append((name, sorted(versions), SAMPLES[4] in index.manifest(), index.generation))

    IngestJob(settings, embedder, index, checkpoint=checkpoint).run(corpus)
    assert seen == [
        ("begun", [old], True, generation),
        ("upserted", sorted([old, new]), True, generation),
        ("pruned", [new], True, generation),
        ("finished", [new], True, generation),
        ("removed", [new], False, generation),
    ]
    assert index.generation == generation + 1

"""Near-duplicate articles at ingest: one canonical indexed, copies recorded, never cited."""

from __future__ import annotations

import shutil
import signal
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from devtools.contract import article_text
from ingest.dedupe import (
    Candidate,
    assign,
    decode,
    encode,
    normalise,
    shingles,
    signature,
    similarity,
)
from ingest.pipeline import IngestJob
from service.app import create_app
from service.core.embedder import Embedder
from service.core.schema import SourceKey, SourceState, source_id
from service.core.store import ArticleIndex, build_index
from service.settings import ChromaSettings, IngestSettings, Settings
from tests.conftest import SAMPLE_DIR, SAMPLES
from tests.ingest.conftest import run_ingest, snapshot

ORIGINAL = SAMPLES[2]  # 002_...: an undated article of about 830 words
COPY = "syndicated_002.txt"  # sorts after the original: the original is canonical
CHANGED_SENTENCE = (
    "Failure to do so could result in further casualties among Russian soldiers as the "
    "conflict drags on."
)


def syndicated(text: str, *, dated: str | None = None) -> str:
    """A syndicated copy: another headline line, one sentence rewritten, plain quotes."""
    _, body = text.split("\n", 1)
    assert CHANGED_SENTENCE in body
    body = body.replace(
        CHANGED_SENTENCE,
        "Otherwise, London said, more Russian troops would die as the war goes on.",
    )
    headline = "Britain Warns Moscow: Compromise or Lose More Soldiers"
    if dated:
        headline = f"date {dated} {headline}"
    copy = f"{headline}\n{body}"
    return copy.replace("“", '"').replace("”", '"').replace("’", "'")


def add_copy(corpus: Path, name: str = COPY, *, dated: str | None = None) -> str:
    text = syndicated(article_text(corpus / ORIGINAL), dated=dated)
    (corpus / name).write_text(text, "utf-8")
    return text


def job(settings: Settings, embedder: Embedder, index: ArticleIndex) -> IngestJob:
    return IngestJob(settings, embedder, index)


def chunk_sources(index: ArticleIndex) -> set[str]:
    return {c.source for c in snapshot(index)["chunks"].values()}


def assert_exact_spans(index: ArticleIndex, corpus: Path, source: str) -> int:
    chunks = [c for c in snapshot(index)["chunks"].values() if c.source == source]
    text = article_text(corpus / source)
    assert chunks
    assert all(text[c.start : c.end] == c.text for c in chunks)
    return len(chunks)


def clean_snapshot(tmp_path: Path, embedder: Embedder, corpus: Path) -> dict[str, object]:
    """What a clean ingest of the folder as it is now builds."""
    settings = Settings(chroma=ChromaSettings(path=tmp_path / "clean"))
    clean = build_index(settings, embedder)
    IngestJob(settings, embedder, clean).run(corpus)
    return snapshot(clean)


# -- signatures ------------------------------------------------------------------------


def test_normalise_folds_case_quotes_and_white_space() -> None:
    assert (
        normalise("  The “Coalition”\u00a0of the\n\nWILLING’s  ")
        == 'the "coalition" of the willing\'s'
    )


def test_shingles_are_five_words_or_the_whole_short_text() -> None:
    assert shingles("one two three") == {"one two three"}
    assert shingles("a b c d e f") == {"a b c d e", "b c d e f"}


def test_signature_round_trips_through_its_compact_string() -> None:
    values = signature(article_text(SAMPLE_DIR / ORIGINAL))
    stored = encode(values)
    assert isinstance(stored, str) and len(stored) < 800
    decoded = decode(stored)
    assert decoded is not None and (decoded == values).all()
    assert decode(None) is None
    assert decode("garbage") is None
    assert decode(stored[:-8]) is None


def test_a_signature_is_datasketchs_own_minhash_of_the_shingles() -> None:
    # Signatures are stored: drawing the permutations once must not change them.
    import datasketch
    import numpy as np

    for source in SAMPLES[:2]:
        text = article_text(SAMPLE_DIR / source)
        minhash = datasketch.MinHash(num_perm=128, seed=1, scheme="affine32")
        minhash.update_batch([s.encode("utf-8") for s in sorted(shingles(text))])
        expected = np.asarray(minhash.hashvalues, dtype=np.uint32)
        assert (signature(text) == expected).all()


def test_the_syndicated_copy_is_similar_and_no_two_samples_are() -> None:
    texts = {name: article_text(SAMPLE_DIR / name) for name in SAMPLES}
    signatures = {name: signature(text) for name, text in texts.items()}
    copy = signature(syndicated(texts[ORIGINAL]))
    assert similarity(copy, signatures[ORIGINAL]) >= 0.9
    for a, b in combinations(SAMPLES, 2):
        assert similarity(signatures[a], signatures[b]) < 0.1, (a, b)
    candidates = [Candidate(name, values, None) for name, values in signatures.items()]
    assert assign({}, candidates, 0.8) == dict.fromkeys(SAMPLES)


def test_assign_prefers_settled_then_former_canonical_then_earliest_date_then_path() -> None:
    values = signature(article_text(SAMPLE_DIR / ORIGINAL))
    undated = Candidate("a.txt", values, None)
    later = Candidate("b.txt", values, "2025-03-01")
    earlier = Candidate("c.txt", values, "2025-01-01")
    assert assign({}, [undated, later, earlier], 0.8) == {
        "c.txt": None,
        "b.txt": "c.txt",
        "a.txt": "c.txt",
    }
    former = Candidate("z.txt", values, None, was_canonical=True)
    assert assign({}, [earlier, former], 0.8) == {"z.txt": None, "c.txt": "z.txt"}
    assert assign({"y.txt": values}, [earlier, former], 0.8) == {
        "z.txt": "y.txt",
        "c.txt": "y.txt",
    }
    assert assign({"y.txt": values}, [earlier], 0) == {"c.txt": None}


# -- the ingest job ----------------------------------------------------------------------


def test_syndicated_copy_is_recorded_and_not_indexed(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    copy_text = add_copy(corpus)
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.added, summary.duplicates, summary.failed) == (6, 1, 0)
    assert "1 duplicate not indexed" in summary.line()
    state = snapshot(index)
    manifest = state["manifest"]
    assert sorted(manifest) == sorted([*SAMPLES, COPY])
    copy = manifest[COPY]
    assert (copy.duplicate_of, copy.chunks, copy.state) == (ORIGINAL, 0, SourceState.DONE)
    assert state["texts"][COPY] == copy_text
    canonical = [r for r in manifest.values() if r.duplicate_of is None]
    assert sorted(r.source for r in canonical) == SAMPLES
    assert all(r.chunks > 0 and r.state == SourceState.DONE for r in canonical)
    assert all(decode(r.minhash) is not None for r in manifest.values())
    assert {c.source for c in state["chunks"].values()} == set(SAMPLES)
    assert summary.chunks_written == index.count() == sum(r.chunks for r in canonical)


def test_rerun_with_a_copy_is_unchanged_and_writes_nothing(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus)
    job(settings, embedder, index).run(corpus)
    before = snapshot(index)
    again = job(settings, embedder, index).run(corpus)
    assert (again.unchanged, again.added, again.updated, again.removed) == (6, 0, 0, 0)
    assert again.chunks_written == again.embedded_texts == again.duplicates == 0
    assert "duplicate" not in again.line()
    assert snapshot(index) == before


def test_deleting_the_canonical_indexes_its_copy(
    settings: Settings,
    embedder: Embedder,
    index: ArticleIndex,
    corpus: Path,
    tmp_path: Path,
) -> None:
    add_copy(corpus)
    job(settings, embedder, index).run(corpus)
    (corpus / ORIGINAL).unlink()
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.removed, summary.updated, summary.unchanged) == (1, 1, 4)
    assert summary.duplicates == 0
    manifest = snapshot(index)["manifest"]
    assert ORIGINAL not in manifest
    assert manifest[COPY].duplicate_of is None
    written = assert_exact_spans(index, corpus, COPY)
    assert written == manifest[COPY].chunks == summary.chunks_written
    assert chunk_sources(index) == {*SAMPLES, COPY} - {ORIGINAL}
    # The same index a clean ingest of the folder builds.
    assert snapshot(index) == clean_snapshot(tmp_path, embedder, corpus)


def test_the_remaining_copies_follow_the_new_canonical(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus, "syndicated_a.txt")
    add_copy(corpus, "syndicated_b.txt")
    first = job(settings, embedder, index).run(corpus)
    assert first.duplicates == 2
    (corpus / ORIGINAL).unlink()
    summary = job(settings, embedder, index).run(corpus)
    # a becomes canonical (smallest path); b is re-pointed at it without any chunk work.
    assert (summary.removed, summary.updated, summary.unchanged, summary.duplicates) == (
        1,
        2,
        4,
        1,
    )
    manifest = snapshot(index)["manifest"]
    assert manifest["syndicated_a.txt"].duplicate_of is None
    assert manifest["syndicated_b.txt"].duplicate_of == "syndicated_a.txt"
    assert manifest["syndicated_b.txt"].chunks == 0
    assert summary.chunks_written == assert_exact_spans(index, corpus, "syndicated_a.txt")
    assert "syndicated_b.txt" not in chunk_sources(index)
    # Deleting a copy just removes its entry.
    (corpus / "syndicated_b.txt").unlink()
    last = job(settings, embedder, index).run(corpus)
    assert (last.removed, last.unchanged, last.chunks_written) == (1, 5, 0)
    assert "syndicated_b.txt" not in snapshot(index)["manifest"]


def test_a_canonical_changed_beyond_recognition_releases_its_copy(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus)
    job(settings, embedder, index).run(corpus)
    (corpus / ORIGINAL).write_text("A different story.\n\nAbout something else entirely.\n")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.updated, summary.unchanged, summary.duplicates) == (2, 4, 0)
    manifest = snapshot(index)["manifest"]
    assert manifest[ORIGINAL].duplicate_of is None
    assert manifest[COPY].duplicate_of is None
    assert_exact_spans(index, corpus, COPY)
    assert_exact_spans(index, corpus, ORIGINAL)


def test_a_canonical_edited_slightly_stays_canonical(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    # Sorts before the original, but the original was indexed first.
    add_copy(corpus, "000_syndicated.txt")
    assert job(settings, embedder, index).run(corpus).duplicates == 1
    original = corpus / ORIGINAL
    original.write_text(article_text(original) + "\nA closing line added later.\n", "utf-8")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.updated, summary.unchanged, summary.duplicates) == (1, 5, 0)
    manifest = snapshot(index)["manifest"]
    assert manifest[ORIGINAL].duplicate_of is None
    assert manifest["000_syndicated.txt"].duplicate_of == ORIGINAL
    assert_exact_spans(index, corpus, ORIGINAL)
    assert "000_syndicated.txt" not in chunk_sources(index)


def test_earliest_published_is_canonical_among_new_files(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus, dated="2025-01-15")
    summary = job(settings, embedder, index).run(corpus)
    assert summary.duplicates == 1
    manifest = snapshot(index)["manifest"]
    assert manifest[COPY].published == "2025-01-15"
    assert manifest[COPY].duplicate_of is None
    assert manifest[ORIGINAL].duplicate_of == COPY
    assert ORIGINAL not in chunk_sources(index)


def test_an_indexed_canonical_stays_canonical(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    add_copy(corpus, dated="2025-01-15")  # earlier, but the original is already indexed
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.added, summary.unchanged, summary.duplicates) == (1, 5, 1)
    assert summary.chunks_written == 0
    manifest = snapshot(index)["manifest"]
    assert manifest[ORIGINAL].duplicate_of is None
    assert manifest[COPY].duplicate_of == ORIGINAL


def test_threshold_zero_disables_detection(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus)
    off = settings.model_copy(update={"ingest": IngestSettings(dedupe_threshold=0)})
    summary = job(off, embedder, index).run(corpus)
    assert (summary.added, summary.duplicates) == (6, 0)
    assert all(r.duplicate_of is None for r in snapshot(index)["manifest"].values())
    assert_exact_spans(index, corpus, COPY)
    # Switched on again: the indexed copy stays indexed (indexed canonicals stay).
    again = job(settings, embedder, index).run(corpus)
    assert (again.unchanged, again.chunks_written) == (6, 0)


def test_threshold_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ingest.dedupe_threshold == 0.8
    monkeypatch.setenv("RAG_INGEST_DEDUPE_THRESHOLD", "0")
    assert Settings().ingest.dedupe_threshold == 0


def test_entries_without_a_signature_get_one_without_reindexing(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    job(settings, embedder, index).run(corpus)
    before = snapshot(index)
    # As an index built before signatures were kept: no minhash in the manifest.
    _, sources = index._require()
    sources.update(ids=[source_id(s) for s in SAMPLES], metadatas=[{SourceKey.MINHASH: None}] * 5)
    assert all(r.minhash is None for r in index.manifest().values())
    # Nor the copy of the manifest that runs save now.
    shutil.rmtree(settings.lexical_dir / ".manifests")
    summary = job(settings, embedder, index).run(corpus)
    assert (summary.unchanged, summary.chunks_written, summary.embedded_texts) == (5, 0, 0)
    assert snapshot(index) == before
    add_copy(corpus)
    assert job(settings, embedder, index).run(corpus).duplicates == 1


def test_dry_run_reports_the_duplicate(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    add_copy(corpus)
    summary = job(settings, embedder, index).run(corpus, dry_run=True)
    assert (summary.added, summary.duplicates, summary.embedded_texts) == (6, 1, 0)
    assert not index.exists()


def test_the_api_lists_copies_and_serves_their_text_but_never_cites_them(
    settings: Settings, embedder: Embedder, index: ArticleIndex, corpus: Path
) -> None:
    copy_text = add_copy(corpus)
    job(settings, embedder, index).run(corpus)
    with TestClient(create_app(settings)) as client:
        listed = {s["source"]: s for s in client.get("/v1/sources").json()["sources"]}
        assert sorted(listed) == sorted([*SAMPLES, COPY])
        assert listed[COPY]["duplicate_of"] == ORIGINAL and listed[COPY]["chunks"] == 0
        assert all(listed[s]["duplicate_of"] is None for s in SAMPLES)
        text = client.get(f"/v1/sources/{COPY}/text")
        assert text.status_code == 200 and text.text == copy_text
        body = {"question": "Will more Russian troops die if Moscow does not compromise?"}
        chunks = client.post("/v1/retrieve", json={**body, "top_k": 20}).json()["chunks"]
        assert chunks and all(c["source"] != COPY for c in chunks)
        assert any(c["source"] == ORIGINAL for c in chunks)
        answer = client.post("/v1/ask", json=body).json()
        assert all(c["source"] != COPY for c in answer["citations"])


# -- crash safety with copies --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["begun:1", "pruned:1"])
def test_killed_promotion_recovers_to_a_clean_index(
    tmp_path: Path, corpus: Path, embedder: Embedder, kill_at: str
) -> None:
    chroma = tmp_path / "chroma"
    add_copy(corpus)
    # Groups of two files: the third holds the copy (004_..., syndicated_002.txt).
    assert run_ingest(corpus, chroma, "begun:3") == -signal.SIGKILL
    assert run_ingest(corpus, chroma) == 0
    # The promotion of the copy (and a new copy of it) is killed mid-write.
    add_copy(corpus, "syndicated_b.txt")
    (corpus / ORIGINAL).unlink()
    assert run_ingest(corpus, chroma, kill_at) == -signal.SIGKILL
    assert run_ingest(corpus, chroma) == 0
    settings = Settings(chroma=ChromaSettings(path=chroma))
    assert snapshot(build_index(settings, embedder)) == clean_snapshot(tmp_path, embedder, corpus)


def test_a_stored_signature_is_decoded_once_and_read_only() -> None:
    values = signature("The harbour authority approved the new harbour budget on Monday.")
    stored = encode(values)
    first, again = decode(stored), decode(stored)
    # A watching job plans over every stored signature on every run.
    assert first is again
    assert first is not None and np.array_equal(first, values)
    with pytest.raises(ValueError):
        first[0] = 1

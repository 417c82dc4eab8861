"""`python -m ingest --metrics-file PATH`: the run's counters as a Prometheus textfile."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import run_ingest_cli


def read(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(path.read_text("utf-8"))
        for s in family.samples
    }


def test_each_run_replaces_the_textfile_with_its_counters(corpus: Path, tmp_path: Path) -> None:
    chroma = str(tmp_path / "chroma")
    textfile = tmp_path / "textfile" / "newsrag_ingest.prom"
    (corpus / "000_44cf2db2293b2724.txt").unlink()
    done = run_ingest_cli(corpus, "--metrics-file", str(textfile), RAG_CHROMA_PATH=chroma)
    assert done.returncode == 0, done.stderr
    first = read(textfile)
    assert first[("newsrag_ingest_last_run_files", (("outcome", "added"),))] == 4
    assert first[("newsrag_ingest_last_run_files", (("outcome", "failed"),))] == 0
    assert first[("newsrag_ingest_last_run_success", ())] == 1
    assert first[("newsrag_ingest_last_run_chunks_written", ())] > 4
    assert first[("newsrag_ingest_last_run_duration_seconds", ())] > 0
    # The embedder was called for the chunks, and is a part of the run's time.
    waited = first[("newsrag_ingest_last_run_embedding_seconds", ())]
    assert 0 < waited < first[("newsrag_ingest_last_run_duration_seconds", ())]

    # A run that stops with an error still reports, as a failure, without file counts.
    missing = tmp_path / "missing"
    failed = run_ingest_cli(missing, "--metrics-file", str(textfile), RAG_CHROMA_PATH=chroma)
    assert failed.returncode == 2, failed.stderr
    second = read(textfile)
    assert second[("newsrag_ingest_last_run_success", ())] == 0
    assert not any(name == "newsrag_ingest_last_run_files" for name, _ in second)
    assert (
        second[("newsrag_ingest_last_run_timestamp_seconds", ())]
        >= first[("newsrag_ingest_last_run_timestamp_seconds", ())]
    )
    assert [p.name for p in textfile.parent.iterdir()] == [textfile.name]  # no temp files left

"""Evidence scoring reads the sentence spans stored at ingest, when current."""

from __future__ import annotations

from dataclasses import dataclass

from service.evidence.scoring import candidate_sentences
from service.evidence.sentences import SPLITTER_VERSION, encode_spans, stored_spans

TEXT = "Talks were held in Geneva. Officials met on Sunday."


@dataclass(frozen=True)
class Passage:
    text: str
    sentences: str | None
    source: str = "a.txt"
    start: int = 100
    similarity: float = 0.5
    title: str = ""
    published: str | None = None


def quotes(stored: str | None) -> list[str]:
    return [TEXT[s:e] for _, s, e, _ in candidate_sentences([Passage(TEXT, stored)])]


def test_stored_spans_are_used_instead_of_splitting() -> None:
    # Spans no splitter would produce show which ones were used.
    assert quotes(f"{SPLITTER_VERSION}:0-{len(TEXT)}") == [TEXT]


def test_absent_stale_or_invalid_spans_are_computed() -> None:
    split = ["Talks were held in Geneva.", "Officials met on Sunday."]
    assert quotes(None) == split
    assert quotes(f"{SPLITTER_VERSION - 1}:0-{len(TEXT)}") == split
    assert quotes(f"{SPLITTER_VERSION}:0-999") == split
    assert quotes(f"{SPLITTER_VERSION}:garbage") == split


def test_encoding_round_trips() -> None:
    spans = ((0, 26), (27, len(TEXT)))
    assert stored_spans(TEXT, encode_spans(spans)) == spans

"""A retrieved chunk with its rank score: what retrieval hands to answering."""

from __future__ import annotations

from dataclasses import dataclass

from service.core.store import Chunk


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk. `score` ranks hits within one result (fused for hybrid search);
    `similarity` is the chunk's cosine similarity to the question.

    Its properties make it an evidence passage and an answer passage."""

    chunk: Chunk
    score: float
    similarity: float = 0.0

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def start(self) -> int:
        return self.chunk.start

    @property
    def end(self) -> int:
        return self.chunk.end

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def title(self) -> str:
        return self.chunk.title

    @property
    def published(self) -> str | None:
        return self.chunk.published

    @property
    def sentences(self) -> str | None:
        """Sentence spans stored at ingest; evidence scoring reads them (spans_of)."""
        return self.chunk.sentences

    @property
    def annotations(self) -> str | None:
        """What the language pipeline read in those sentences at ingest (annotate.py)."""
        return self.chunk.annotations

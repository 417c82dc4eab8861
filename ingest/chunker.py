"""Token-aware, sentence-aware chunking with exact character spans.

LlamaIndex's `SentenceSplitter` (tiktoken `cl100k_base` lengths) cuts the text; each chunk
is then located in the article so that `text[start:end] == chunk` holds exactly, which is
what citations are built on. A chunk longer than the embedder's window in the embedder's
own tokens is split again rather than silently truncated by the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.core.tokens import count_tokens, encoding

MIN_SPLIT_TOKENS = 16


@dataclass(frozen=True)
class TextChunk:
    start: int
    end: int
    text: str
    tokens: int


class ChunkingError(Exception):
    pass


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int) -> Any:
    from llama_index.core.node_parser import SentenceSplitter

    tokenizer = encoding()
    return SentenceSplitter(
        chunk_size=size,
        chunk_overlap=min(overlap, size // 2),
        tokenizer=lambda s: tokenizer.encode(s, disallowed_special=()),
    )


def warm_up(size: int, overlap: int) -> None:
    """Import and build the splitter and load its sentence model now (an ingest worker's
    start, a watching ingest's) rather than at the first file."""
    _splitter(size, overlap).split_text("Loaded. Once.")


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int]:
    index = text.find(piece, cursor)
    if index < 0:
        index = text.find(piece)
    if index >= 0:
        return index, index + len(piece)
    # The splitter only ever joins consecutive pieces of the text, but if it ever
    # normalised white space, match the same words with any white space between them.
    words = piece.split()
    if not words:
        raise ChunkingError("empty chunk")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    match = pattern.search(text, cursor) or pattern.search(text)
    if match is None:
        raise ChunkingError(f"chunk not found in the article text: {piece[:60]!r}")
    return match.start(), match.end()


def split_spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Character spans of the chunks of `text`, in order."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(text):
        if not piece.strip():
            continue
        start, end = _locate(text, piece, cursor)
        spans.append((start, end))
        cursor = start + 1
    return spans


def chunk_text(
    text: str,
    size: int,
    overlap: int,
    window: int,
    window_tokens: Callable[[str], int],
) -> list[TextChunk]:
    """Chunks of `text` no longer than `window` in the embedder's tokens."""
    chunks: list[TextChunk] = []
    for start, end in split_spans(text, size, overlap):
        chunks.extend(_fit(text, start, end, size, overlap, window, window_tokens))
    return chunks


def _fit(
    text: str,
    start: int,
    end: int,
    size: int,
    overlap: int,
    window: int,
    window_tokens: Callable[[str], int],
) -> list[TextChunk]:
    piece = text[start:end]
    if window_tokens(piece) <= window:
        return [TextChunk(start, end, piece, count_tokens(piece))]
    smaller = size // 2
    if smaller < MIN_SPLIT_TOKENS:
        raise ChunkingError(
            f"a passage does not fit the embedder's {window}-token window even at "
            f"{size} tiktoken tokens per chunk"
        )
    out: list[TextChunk] = []
    for sub_start, sub_end in split_spans(piece, smaller, overlap // 2):
        out.extend(
            _fit(
                text,
                start + sub_start,
                start + sub_end,
                smaller,
                overlap // 2,
                window,
                window_tokens,
            )
        )
    return out

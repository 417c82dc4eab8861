from __future__ import annotations

import pytest

from devtools.contract import article_text
from ingest.chunker import ChunkingError, chunk_text
from service.core.embedder import Embedder
from tests.conftest import SAMPLE_DIR, SAMPLES


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("crlf", [False, True])
def test_every_chunk_is_the_exact_article_span(embedder: Embedder, name: str, crlf: bool) -> None:
    text = article_text(SAMPLE_DIR / name)
    if crlf:
        text = text.replace("\n", "\r\n")
    chunks = chunk_text(text, 160, 24, embedder.max_tokens, embedder.count_tokens)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert embedder.count_tokens(chunk.text) <= embedder.max_tokens
    # Together the chunks cover every word of the article.
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert missing == []


def test_identical_passages_stay_separate_chunks(embedder: Embedder) -> None:
    passage = "The delegations met again in Geneva to discuss the plan. " * 12
    text = passage + "\n\n" + passage
    chunks = chunk_text(text, 64, 0, embedder.max_tokens, embedder.count_tokens)
    starts = [c.start for c in chunks]
    assert len(set(starts)) == len(starts)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text


def test_chunks_longer_than_the_window_are_split_again(embedder: Embedder) -> None:
    # Digits cost one tiktoken token per three digits but more word-pieces: a chunk
    # that fits by tiktoken count can overflow the model's window.
    text = " ".join(f"{n:09d}" for n in range(600))
    chunks = chunk_text(text, 200, 0, 64, embedder.count_tokens)
    assert len(chunks) > 1
    for chunk in chunks:
        assert embedder.count_tokens(chunk.text) <= 64
        assert text[chunk.start : chunk.end] == chunk.text


def test_unsplittable_text_fails_clearly(embedder: Embedder) -> None:
    with pytest.raises(ChunkingError, match="window"):
        chunk_text("x" * 5000, 32, 0, 3, embedder.count_tokens)

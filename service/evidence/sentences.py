"""Sentence spans inside a passage: line breaks first, then Punkt within each line.

News text puts headlines and bullets on their own lines without a full stop, so a line
break always ends a sentence. Punkt (the model bundled with llama-index-core) handles
abbreviations such as "Mr." and "U.S." inside a line.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

_LINE = re.compile(r"[^\r\n]+")

# Bump whenever `sentence_spans` may split any text differently: spans stored with chunks
# (ChunkKey.SENTENCES) under another version are then ignored and recomputed.
SPLITTER_VERSION: Final = 1

Spans = tuple[tuple[int, int], ...]


@lru_cache(maxsize=1)
def _punkt() -> Any:
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    if spec is not None and spec.submodule_search_locations:
        cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"
        if str(cache) not in nltk.data.path:
            nltk.data.path.insert(0, str(cache))
    return PunktTokenizer("english")


def warm_up() -> None:
    """Load the Punkt model now rather than on the first request."""
    _punkt()


@lru_cache(maxsize=4096)
def sentence_spans(text: str) -> Spans:
    """(start, end) of each sentence in `text`, stripped of surrounding white space."""
    tokenizer = _punkt()
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        segment = line.group(0)
        for start, end in tokenizer.span_tokenize(segment):
            piece = segment[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            lead = len(piece) - len(piece.lstrip())
            begin = line.start() + start + lead
            spans.append((begin, begin + len(stripped)))
    return tuple(spans)


def encode_spans(spans: Spans) -> str:
    """`spans` as stored in chunk metadata, tagged with the splitter's version."""
    return f"{SPLITTER_VERSION}:" + ",".join(f"{s}-{e}" for s, e in spans)


def stored_spans(text: str, stored: str | None) -> Spans | None:
    """The spans stored for `text` by `encode_spans`, if this splitter version made them."""
    if not stored:
        return None
    spans = _decode(stored, SPLITTER_VERSION)
    if spans is None or any(not 0 <= s < e <= len(text) for s, e in spans):
        return None
    return spans


@lru_cache(maxsize=65536)
def _decode(stored: str, version: int) -> Spans | None:
    # The same chunks come back query after query: parse each stored value once.
    tag, _, body = stored.partition(":")
    if tag != str(version):
        return None
    try:
        pairs = (pair.partition("-") for pair in body.split(",") if pair)
        return tuple((int(s), int(e)) for s, _, e in pairs)
    except ValueError:
        return None


def spans_of(text: str, stored: str | None = None) -> Spans:
    """The sentence spans of `text`: the ones stored at ingest when still current (no
    splitting per query), else computed now. The one way to read stored spans."""
    return stored_spans(text, stored) or sentence_spans(text)

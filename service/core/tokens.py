"""tiktoken counting, shared by chunking and the LLM context budget."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

from service.core.offline import configure_offline

ENCODING = "cl100k_base"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    configure_offline()
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))

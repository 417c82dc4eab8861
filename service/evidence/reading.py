"""What the language pipeline read in a piece of article text, for the answer checks.

Ingest stores the reading of every sentence with its chunk (service/evidence/annotate.py),
so a request takes it from there and parses nothing but its question. A text ingest never
read (a chunk stored before annotations were kept, a test's sentence) is parsed here with
the shared pipeline, once per text: the checks then work the same, only slower the first
time that text is seen.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from service.core import nlp
from service.evidence.annotate import Notes, annotate_doc, decode, published_day
from service.evidence.sentences import sentence_spans

Reading = tuple[Notes, ...]


@lru_cache(maxsize=4096)
def read(text: str, published: str | None = None) -> Reading:
    """`text` parsed now, sentence by sentence (offsets within `text`); `published`: its
    article's date, against which "last week" or "on Sunday" is resolved."""
    spans = sentence_spans(text) or [(0, len(text))]
    day = published_day(published)
    docs = nlp.pipeline().pipe([text[s:e] for s, e in spans])
    return tuple(annotate_doc(doc, day, s) for (s, _), doc in zip(spans, docs, strict=True))


def reading(passage: Any, start: int, end: int, text: str) -> Reading:
    """The sentences of `passage` (any object with `text`, `start`, `published` and,
    when ingest stored them, `annotations`) that overlap article offsets `start:end`, as
    ingest read them; `text`, the article text `start:end`, parsed now when ingest stored
    no reading that covers it."""
    stored = getattr(passage, "annotations", None)
    found = decode(passage.text, stored) if stored else {}
    lo, hi = start - passage.start, end - passage.start
    notes = tuple(n for n in found.values() if n.start < hi and lo < n.end)
    if notes and min(n.start for n in notes) <= lo and hi <= max(n.end for n in notes):
        return tuple(sorted(notes, key=lambda n: n.start))
    return read(text, getattr(passage, "published", None))

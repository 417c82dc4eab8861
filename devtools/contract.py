"""The answer contract's invariants, checked on `/v1/ask` bodies and `Answer` objects alike.

- every `[n]` marker has exactly one citation `n`, every citation is used, and the numbers
  are 1..N in order of first appearance;
- `article_text(source)[start:end] == quote`, and the quote is not blank;
- an abstention has no citations and still says something.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

MARKER = re.compile(r"\[(\d+)\]")
# Anything a client could mistake for a marker but is not the plain `[n]` form.
MARKER_LIKE = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")


def article_text(path: Path) -> str:
    """The contract's article text of a .txt/.md file: UTF-8, without a leading BOM."""
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff")


def _in_folder(folder: Path, source: str) -> str:
    return article_text(folder / source)


def folder_texts(folder: Path) -> Callable[[str], str]:
    """`source -> article text` for the .txt/.md articles of an ingested folder."""
    return partial(_in_folder, folder)


class ContractViolation(AssertionError):
    """An answer breaks the contract; the message lists every broken invariant."""


def violations(
    answer: str,
    citations: Sequence[Mapping[str, Any]],
    abstained: bool,
    article_text: Callable[[str], str],
) -> list[str]:
    """Every invariant `answer` breaks; `article_text(source)` gives the text offsets index.

    Citations are the contract's JSON objects (for a dataclass, `dataclasses.asdict`).
    """
    problems: list[str] = []
    numbers = [c["n"] for c in citations]
    if numbers != list(range(1, len(citations) + 1)):
        problems.append(f"citations are not numbered 1..N: {numbers}")
    markers = [int(n) for n in MARKER.findall(answer)]
    if set(markers) != set(numbers):
        problems.append(f"markers {sorted(set(markers))} and citations {numbers} differ")
    first_seen = list(dict.fromkeys(markers))
    if first_seen != sorted(first_seen):
        problems.append(f"markers first appear out of order: {first_seen}")
    odd = [m for m in MARKER_LIKE.findall(answer) if not MARKER.fullmatch(m)]
    if odd:
        problems.append(f"markers not in the [n] form: {odd}")
    for c in citations:
        n, source, quote = c["n"], c["source"], c["quote"]
        if not quote.strip():
            problems.append(f"citation {n} has a blank quote")
        try:
            text = article_text(source)
        except (KeyError, OSError) as exc:
            problems.append(f"citation {n}: no article text for {source!r} ({exc})")
            continue
        span = text[c["start"] : c["end"]]
        if span != quote:
            problems.append(
                f"citation {n}: {source}[{c['start']}:{c['end']}] is {span!r}, "
                f"not the quote {quote!r}"
            )
    if abstained and citations:
        problems.append("an abstention has citations")
    if not answer.strip():
        problems.append("the answer text is empty")
    return problems


def check_answer(
    answer: str,
    citations: Sequence[Mapping[str, Any]],
    abstained: bool,
    article_text: Callable[[str], str],
) -> None:
    """Raise ContractViolation listing every invariant `answer` breaks."""
    problems = violations(answer, citations, abstained, article_text)
    if problems:
        raise ContractViolation("\n".join(problems))

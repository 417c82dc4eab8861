"""The one JSON Lines loader behind the evaluation sets (questions, conversations, negatives)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


RowT = TypeVar("RowT", bound=_Identified)


def load_jsonl(path: str | Path, validate: Callable[[Any], RowT], noun: str) -> list[RowT]:
    """Parse every non-blank line of `path` with `validate`; ids must be unique.

    Raises ValueError naming the 1-based line number of the first bad line (`noun` says
    what a line should have been), so that a broken hand-edited entry can be found without
    bisecting the file.
    """
    path = Path(path)
    rows: list[RowT] = []
    seen: dict[str, int] = {}
    # utf-8-sig tolerates a BOM that some editors add when saving the file.
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for line_number, line in enumerate(lines, start=1):
        # Blank lines carry no entry; tolerating them keeps trailing newlines harmless.
        if not line.strip():
            continue
        try:
            row = validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: line {line_number}: invalid JSON: {exc}") from exc
        except ValidationError as exc:
            raise ValueError(f"{path}: line {line_number}: invalid {noun}: {exc}") from exc
        if row.id in seen:
            raise ValueError(
                f"{path}: line {line_number}: duplicate id {row.id!r} "
                f"(first used on line {seen[row.id]})"
            )
        seen[row.id] = line_number
        rows.append(row)
    return rows

"""The shared JSON Lines loader: line numbers, blank lines, BOM, bad JSON, repeated ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from evals.conversations.dataset import load_conversations
from evals.jsonl import load_jsonl
from evals.negatives.dataset import load_negatives
from evals.questions.dataset import load_dataset


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    size: int


def _load(path: Path) -> list[_Row]:
    return load_jsonl(path, _Row.model_validate, "row")


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text(text, encoding=encoding)
    return path


def test_blank_lines_and_a_bom_are_tolerated(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"id": "a", "size": 1}\n\n  \n{"id": "b", "size": 2}\n', "utf-8-sig")
    assert _load(path) == [_Row(id="a", size=1), _Row(id="b", size=2)]


def test_an_invalid_row_is_named_by_its_line_and_kind(tmp_path: Path) -> None:
    path = _write(tmp_path, '\n{"id": "a", "size": 1}\n{"id": "b", "size": "big"}\n')
    with pytest.raises(ValueError, match=r"(?s)line 3: invalid row: .*size") as info:
        _load(path)
    assert str(info.value).startswith(f"{path}: line 3: ")


def test_a_repeated_id_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"id": "a", "size": 1}\n\n{"id": "a", "size": 2}\n')
    with pytest.raises(ValueError, match=r"line 3: duplicate id 'a' \(first used on line 1\)"):
        _load(path)


# The evaluation sets all load through the shared loader, so each reports bad JSON alike.
@pytest.mark.parametrize("load", [load_dataset, load_conversations, load_negatives])
def test_every_set_reports_invalid_json_by_line(
    tmp_path: Path, load: Callable[[Path], list[object]]
) -> None:
    path = _write(tmp_path, "\n{not json\n")
    with pytest.raises(ValueError, match="line 2: invalid JSON"):
        load(path)

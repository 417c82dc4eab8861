"""Dataset rows made from rated answers: `unlabelled` until a maintainer labels them.

A candidate row has the dataset's fields (evals/dataset.py) plus `status` and a
`feedback` object (what the reader saw and said). The loader skips `unlabelled` rows and
scores `labelled` ones like any other question; `feedback` is kept for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["labelled", "unlabelled"]
T = TypeVar("T")


class Unlabelled(BaseModel):
    """A candidate no one has labelled yet: read (its id must be unique), never scored."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1)
    status: Literal["unlabelled"]


class _Status(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Status


def labelled_or_skipped(raw: Any, validate: Callable[[Any], T]) -> T | Unlabelled:
    """`validate` for a labelled row (without `status` and `feedback`), else `Unlabelled`."""
    if not isinstance(raw, dict) or "status" not in raw:
        return validate(raw)
    if raw.get("status") == "unlabelled":
        return Unlabelled.model_validate(raw)
    _Status.model_validate(raw)  # a ValidationError (with its line) for another status
    return validate({k: v for k, v in raw.items() if k not in ("status", "feedback")})

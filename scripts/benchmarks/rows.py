"""What a section reports: rows of figures, some with a target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Target:
    op: Literal[">=", "<=", ">", "<", "=="]
    bound: float

    def met(self, value: float) -> bool:
        match self.op:
            case ">=":
                return value >= self.bound
            case "<=":
                return value <= self.bound
            case ">":
                return value > self.bound
            case "<":
                return value < self.bound
            case "==":
                return value == self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True)
class Row:
    """One figure. `ok` is None when the row has no target (informational)."""

    name: str
    value: float | None
    unit: str
    target: str | None = None
    ok: bool | None = None


def row(name: str, value: float | None, unit: str, target: Target | None = None) -> Row:
    """A figure; one without a value (nothing was measured) misses its target."""
    if target is None:
        return Row(name, value, unit)
    return Row(name, value, unit, str(target), value is not None and target.met(value))

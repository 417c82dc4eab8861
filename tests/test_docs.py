"""What the docs say about settings matches the settings themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.settings_table import rows
from tests.conftest import REPO

# "`RAG_NAME` (default 0.36)", "`RAG_NAME` defaults to `x`", "`RAG_NAME`, default: 8".
STATED_DEFAULT = re.compile(
    r"`(RAG_[A-Z0-9_]+)`[^`\n.;]{0,30}?\bdefaults?\b(?:\s+(?:is|to|of))?[:\s]+`?([^`\s;,)]+)`?"
)
TABLE = re.compile(r"<!-- settings-table:start -->.*?<!-- settings-table:end -->", re.DOTALL)


def stated_defaults(text: str) -> list[tuple[str, str]]:
    """(variable, value) for every sentence that states a setting's default."""
    return [(m.group(1), m.group(2).rstrip(".")) for m in STATED_DEFAULT.finditer(text)]


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_the_pattern_reads_the_usual_phrasings() -> None:
    text = (
        "Chosen: `RAG_ANSWER_MIN_SCORE` (default 0.36). `RAG_CHUNK_SIZE` defaults to `160`; "
        "`RAG_RETRIEVAL_TOP_K`, default: 8."
    )
    assert stated_defaults(text) == [
        ("RAG_ANSWER_MIN_SCORE", "0.36"),
        ("RAG_CHUNK_SIZE", "160"),
        ("RAG_RETRIEVAL_TOP_K", "8"),
    ]


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_documented_defaults_are_the_real_ones(path: Path) -> None:
    defaults = {env: default.strip("`") for env, _, default in rows()}
    text = TABLE.sub("", path.read_text("utf-8"))
    wrong = [
        f"{env}: the doc says {value}, the setting is {defaults.get(env, 'not a setting')}"
        for env, value in stated_defaults(text)
        if defaults.get(env) != value
    ]
    assert wrong == [], f"{path.name} states defaults the settings do not have"

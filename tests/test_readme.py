"""The README documents every setting and the commands CI relies on."""

from __future__ import annotations

from scripts.settings_table import rows
from tests.conftest import REPO


def test_readme_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    missing = [env for env, _, _ in rows() if f"`{env}`" not in readme]
    assert missing == [], f"regenerate the table with scripts/settings_table.py: {missing}"


def test_every_setting_is_described() -> None:
    assert all(description for _, description, _ in rows())


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert "make test" in readme and "make serve" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text("utf-8")

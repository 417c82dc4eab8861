"""The README documents every setting and the commands CI relies on."""

from __future__ import annotations

from evals.settings import EvalSettings
from scripts.settings_table import rows
from service.settings import Settings
from tests.conftest import REPO


def test_readme_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    missing = [env for env, _, _ in rows() if f"`{env}`" not in readme]
    assert missing == [], f"regenerate the table with scripts/settings_table.py: {missing}"


def test_the_eval_harness_settings_are_listed_from_evals() -> None:
    """`RAG_EVAL_*` live in evals/settings.py (the service never reads them); the table
    still lists each of them, after the service's settings."""
    listed = [env for env, _, _ in rows()]
    harness = [f"RAG_EVAL_{name}".upper() for name in EvalSettings.model_fields]
    assert harness and listed[-len(harness) :] == harness
    assert "eval" not in Settings.model_fields


def test_every_setting_is_described() -> None:
    assert all(description for _, description, _ in rows())


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert "make test" in readme and "make serve" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text("utf-8")

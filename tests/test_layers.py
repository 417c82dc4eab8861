"""The import-linter contracts hold, and a planted back-edge breaks them.

`make lint` runs `lint-imports` on the tree; this shows that the contracts would catch a
lower layer importing a higher one, by planting such an import in a copy of the packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("service", "ingest", "evals")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages under `root`, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--config", "pyproject.toml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text("utf-8") + f"\n{statement}\n", "utf-8")


def test_the_contracts_hold(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("service.evidence.scoring", "import service.retrieval.hits", "service layers"),
        ("service.retrieval.retriever", "import service.answer.base", "service layers"),
        ("service.core.store", "import service.api.models", "service layers"),
        ("service.lexical.index", "import service.retrieval.hits", "service layers"),
        ("service.answer.extractive", "import ingest.pipeline", "never imports the ingest"),
        ("ingest.pipeline", "import service.retrieval.retriever", "ingest uses only"),
        ("evals.metrics", "import service.evidence.text", "evals uses the service"),
        ("evals.reporting.summary", "import evals.questions.run", "runs and the CLI stay on top"),
        ("evals.judges.lexical", "import evals.__main__", "runs and the CLI stay on top"),
    ],
)
def test_a_planted_back_edge_fails(tree: Path, module: str, statement: str, contract: str) -> None:
    plant(tree, module, statement)
    result = lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout

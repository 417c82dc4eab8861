"""The in-process target is the service's own app behind another transport: it answers
exactly what `python -m service` answers over HTTP (there on a `chroma run` index), and
evals reaches the service only through its public surface."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.servers import service_run
from evals.__main__ import main
from tests.conftest import REPO, SAMPLE_DIR, run_ingest_cli
from tests.service.test_server_topology import client_env, ingest

DATASET = REPO / "evals" / "datasets" / "articles.jsonl"
# What evals may import from the service and ingest; anything else is internal to them.
ALLOWED = {
    "service.app": {"create_app"},
    "service.settings": None,
    "service.errors": None,
    "service.core": None,
    "ingest.pipeline": {"IngestJob"},
}


def _allowed(module: str, names: list[str]) -> bool:
    for prefix, allowed_names in ALLOWED.items():
        if module == prefix or module.startswith(f"{prefix}."):
            return allowed_names is None or set(names) <= allowed_names
    return False


def test_evals_imports_only_the_services_public_surface() -> None:
    found = []
    for path in sorted((REPO / "evals").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((path.name, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((path.name, a.name, []) for a in node.names)
    theirs = [f for f in found if f[1].split(".")[0] in {"service", "ingest"}]
    assert theirs, "evals should reach the service through create_app"
    assert [f for f in theirs if not _allowed(f[1], f[2])] == []


@pytest.fixture
def served(chroma_server: int) -> Iterator[str]:
    """`python -m service` on loopback, over a `chroma run` index of the sample articles."""
    ingest(SAMPLE_DIR, chroma_server)
    with service_run(client_env(chroma_server)) as server:
        yield server.url


def _rows(out: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]
    for row in rows:
        del row["timings_ms"]  # the only thing allowed to differ
    return rows


@pytest.mark.chroma_server
def test_in_process_answers_as_the_served_app_does(served: str, tmp_path: Path) -> None:
    lines = DATASET.read_text("utf-8").splitlines()
    picked = [json.loads(line) for line in lines]
    # Answerable and unanswerable, with and without gold spans.
    subset = [q for q in picked if q["answerable"]][:6] + [
        q for q in picked if not q["answerable"]
    ][:3]
    dataset = tmp_path / "subset.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in subset), "utf-8")
    base = ["run", "--dataset", str(dataset)]
    assert main([*base, "--out", str(tmp_path / "local")]) == 0
    assert main([*base, "--out", str(tmp_path / "http"), "--target", served]) == 0
    local, http = _rows(tmp_path / "local"), _rows(tmp_path / "http")
    assert len(local) == len(subset) and local == http
    assert any(r["citations"] for r in local) and any(r["abstained"] for r in local)
    assert all(isinstance(r["confidence"], float) for r in local)
    targets = [
        json.loads((tmp_path / name / "summary.json").read_text())["target"]
        for name in ("local", "http")
    ]
    assert targets == ["in-process (extractive)", f"{served} (extractive)"]


def test_a_service_that_requires_keys_is_called_with_the_eval_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "an-api-key-for-the-eval-harness"
    store = {"RAG_CHROMA_PATH": str(tmp_path / "chroma")}
    assert run_ingest_cli(SAMPLE_DIR, **store).returncode == 0
    question = next(json.loads(line) for line in DATASET.read_text("utf-8").splitlines())
    dataset = tmp_path / "one.jsonl"
    dataset.write_text(json.dumps(question) + "\n", "utf-8")
    with service_run({**store, "RAG_API_KEYS": key}) as server:
        run = ["run", "--dataset", str(dataset), "--target", server.url]
        assert main([*run, "--out", str(tmp_path / "keyless")]) == 2
        assert "set RAG_EVAL_API_KEY" in capsys.readouterr().out
        monkeypatch.setenv("RAG_EVAL_API_KEY", key)
        assert main([*run, "--out", str(tmp_path / "keyed")]) == 0
    assert len(_rows(tmp_path / "keyed")) == 1
    # In process, the harness uses the app's own first key.
    monkeypatch.delenv("RAG_EVAL_API_KEY")
    monkeypatch.setenv("RAG_API_KEYS", key)
    assert main(["run", "--dataset", str(dataset), "--out", str(tmp_path / "local")]) == 0


def test_an_unreachable_target_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from devtools.procs import free_port

    url = f"http://127.0.0.1:{free_port()}"
    out = tmp_path / "out"
    assert main(["run", "--dataset", str(DATASET), "--out", str(out), "--target", url]) == 2
    assert f"cannot reach {url}" in capsys.readouterr().out

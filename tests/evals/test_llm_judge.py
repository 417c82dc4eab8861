"""The optional LLM judge against a real llama.cpp server: runs, caches, never gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from tests.service.llm_server import llama_server, require_llm_server

pytestmark = pytest.mark.llm_server


def test_llm_judge_is_reported_apart_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = require_llm_server()
    with llama_server(gguf) as base_url:
        monkeypatch.setenv("RAG_LLM_BASE_URL", base_url)
        monkeypatch.setenv("RAG_LLM_MODEL", "smollm2")
        # The answers stay extractive: the LLM only judges them.
        monkeypatch.setenv("RAG_ANSWER_MODE", "extractive")
        cache = tmp_path / "cache.json"
        out = tmp_path / "run"
        args = ["run", "--out", str(out), "--split", "dev", "--llm-judge"]
        assert main([*args, "--llm-judge-cache", str(cache)]) == 0
        judged = json.loads((out / "summary.json").read_text())["llm_judge"]
        assert judged["judged"] > 0
        assert 0 <= judged["faithfulness"] <= 1 and 0 <= judged["correctness"] <= 1
        verdicts = json.loads(cache.read_text())
        assert 0 < len(verdicts) <= 2 * judged["judged"]
        # A second run answers every verdict from the cache: same figures.
        assert main([*args, "--llm-judge-cache", str(cache)]) == 0
        again = json.loads((out / "summary.json").read_text())["llm_judge"]
        assert again == judged

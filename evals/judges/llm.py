"""Optional LLM judge: faithfulness and correctness, reported apart and never gating.

Runs only when an OpenAI-compatible endpoint is configured (RAG_LLM_BASE_URL and
RAG_LLM_MODEL) and `--llm-judge` is given. Temperature 0; every verdict is cached on disk
by a hash of (model, prompt), so re-runs cost nothing and stay stable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openai

from evals.rows import Row
from service.settings import LLMSettings

FAITHFUL = (
    "Quotes from news articles:\n{quotes}\n\nAnswer:\n{answer}\n\n"
    "Is every claim of the answer supported by the quotes? Reply with one word: yes or no."
)
CORRECT = (
    "Question: {question}\nReference answer: {reference}\nAnswer: {answer}\n\n"
    "Does the answer give the same facts as the reference answer? "
    "Reply with one word: yes or no."
)


class LLMJudge:
    def __init__(self, settings: LLMSettings, cache: Path) -> None:
        if not settings.base_url or not settings.model:
            raise ValueError("--llm-judge needs RAG_LLM_BASE_URL and RAG_LLM_MODEL")
        key = settings.api_key.get_secret_value() if settings.api_key else "unused"
        self._client = openai.OpenAI(
            base_url=settings.base_url, api_key=key, timeout=settings.timeout_s
        )
        self._model = settings.model
        self._cache_path = cache
        self._cache: dict[str, bool] = (
            json.loads(cache.read_text("utf-8")) if cache.exists() else {}
        )

    def _ask(self, prompt: str) -> bool:
        key = hashlib.sha256(f"{self._model}\x00{prompt}".encode()).hexdigest()
        if key not in self._cache:
            reply = self._client.chat.completions.create(
                model=self._model,
                messages=[{"role": "user", "content": prompt}],
                temperature=0,
                max_tokens=3,
            )
            text = (reply.choices[0].message.content or "").strip().casefold()
            self._cache[key] = text.startswith("yes")
        return self._cache[key]

    def judge(self, rows: Sequence[Row]) -> dict[str, Any]:
        """Share of answered, answerable questions judged faithful and correct."""
        faithful: list[bool] = []
        correct: list[bool] = []
        for row in rows:
            if not row["answerable"] or row["abstained"]:
                continue
            quotes = "\n".join(f"[{c['n']}] {c['quote']}" for c in row["citations"])
            faithful.append(self._ask(FAITHFUL.format(quotes=quotes, answer=row["answer"])))
            correct.append(
                self._ask(
                    CORRECT.format(
                        question=row["question"], reference=row["reference"], answer=row["answer"]
                    )
                )
            )
        self._cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._cache_path.write_text(json.dumps(self._cache, indent=0), "utf-8")
        judged = len(faithful)
        return {
            "model": self._model,
            "judged": judged,
            "faithfulness": sum(faithful) / judged if judged else None,
            "correctness": sum(correct) / judged if judged else None,
        }

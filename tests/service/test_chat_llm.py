"""The chat route and follow-up condensation with a real LLM: llama.cpp's server with
SmolLM2-135M on loopback, the service in a real uvicorn, the official `openai` client.

The tiny model often answers without usable citations; with fallback on, the service then
answers extractively (`fallback: true`). Either way the streamed deltas must add up to the
final content and every citation must be an exact span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from service.app import create_app
from service.settings import AnswerSettings, LLMSettings, Settings
from tests.service.conftest import check_invariants
from tests.service.live import serve
from tests.service.test_openai_compat import MODEL, QUESTION, check_answer, extra

pytestmark = pytest.mark.llm_server

TIMEOUT = httpx.Timeout(600.0, connect=10.0)
# The SDK's own timeout type: httpx's before openai 3.63, its httpx2's since.
CLIENT_TIMEOUT = openai.Timeout(600.0, connect=10.0)


def llm_settings(indexed: Settings, llama_url: str) -> Settings:
    llm = LLMSettings(
        base_url=llama_url,
        model="smollm2",
        max_tokens=64,
        fallback=True,
        first_token_timeout_s=240.0,
        timeout_s=300.0,
        context_tokens=600,
        neighbours=0,
    )
    return indexed.model_copy(update={"llm": llm, "answer": AnswerSettings(mode="llm")})


@pytest.fixture(scope="module")
def base_url(indexed: Settings, llama_url: str) -> Iterator[str]:
    with serve(create_app(llm_settings(indexed, llama_url))) as url:
        yield url


def test_streamed_llm_answer_adds_up_to_the_final_content(base_url: str) -> None:
    with openai.OpenAI(
        base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=CLIENT_TIMEOUT
    ) as client:
        chunks = list(
            client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": QUESTION}],
                stream=True,
                extra_body={"top_k": 3},
            )
        )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert last.choices and last.choices[0].finish_reason == "stop"
    citations: list[dict[str, Any]] = extra(last, "citations")
    check_answer(content, citations, extra(last, "abstained"))
    assert extra(last, "fallback") in {True, False}
    assert last.usage is not None and last.usage.completion_tokens > 0


def test_follow_up_with_an_llm_configured_is_answered(base_url: str) -> None:
    body = {
        "question": "And where were they held?",
        "history": [
            {"role": "user", "content": "Tell me about the US-Ukraine talks"},
            {"role": "assistant", "content": "They discussed a peace plan."},
        ],
        "top_k": 3,
    }
    response = httpx.post(f"{base_url}/v1/ask", json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    answer = response.json()
    check_invariants(answer)
    # Condensed by the model, or (SmolLM2 usually answers instead of rewriting) the
    # offline rewrite: either way a standalone question naming the talks.
    assert re.search(r"US-Ukraine|Ukraine", answer["query"]), answer["query"]

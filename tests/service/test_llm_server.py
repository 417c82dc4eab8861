"""The LLM answer path for real: llama.cpp's OpenAI-compatible server with SmolLM2-135M,
and the service in a real uvicorn on loopback, talking to it over HTTP.

The model is tiny, often answers without citing and adds facts of its own; every claim is
checked against the passages, so the service answers with the claims a passage states or
abstains, and a failure is a 502 `upstream_error` or the extractive answer with
`fallback: true`, never a 500. Every outcome is checked against what the model actually
streamed.

Locally: `make install-llm` first, or skip with `-m 'not llm_server'`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from httpx_sse import connect_sse

from devtools.procs import free_port
from service.answer.base import Answer, Usage
from service.answer.candidates import rank
from service.answer.extractive import ExtractiveAnswerer
from service.answer.llm import PromptEvidence, prompt_evidence
from service.answer.postprocess import MalformedOutput, Unverified, finalize
from service.app import create_app
from service.core import metrics
from service.settings import AnswerSettings, LLMSettings, Settings
from tests.service.conftest import check_invariants
from tests.service.live import serve
from tests.service.llm_server import llama_server, require_llm_server

pytestmark = pytest.mark.llm_server

LLM_NAME = "smollm2"
EXTRACTIVE = "extractive"
QUESTION = "Where were the US-Ukraine talks held?"
# Three passages give a prompt of a few hundred tokens; every request below sends the
# same prompt, so after the first one the server reuses its cached prefix.
TOP_K = 3
# Nothing in the sample articles is about a cycling race: the answer checks refuse it.
OFF_TOPIC = "Who won the 2019 Tour de France?"
HTTP_TIMEOUT = httpx.Timeout(300.0, connect=10.0)


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    gguf = require_llm_server()
    with llama_server(gguf) as base_url:
        yield base_url


def llm_settings(indexed: Settings, base_url: str, **llm: Any) -> Settings:
    """`indexed` answering with the LLM at `base_url` (fallback off unless asked).

    The timeouts are generous: a cold 800-token prompt takes a 2-core machine 10-20 s,
    and these tests are about outcomes, not speed (the timeout test sets its own).
    """
    values: dict[str, Any] = {
        "base_url": base_url,
        "model": LLM_NAME,
        "max_tokens": 96,
        "fallback": False,
        "first_token_timeout_s": 240.0,
        "timeout_s": 300.0,
    }
    values.update(llm)
    return indexed.model_copy(
        update={"llm": LLMSettings(**values), "answer": AnswerSettings(mode="llm")}
    )


@pytest.fixture(scope="module")
def service(indexed: Settings, llm_url: str) -> Iterator[tuple[str, FastAPI]]:
    """The service answering with the real LLM, fallback off: its URL and app."""
    app = create_app(llm_settings(indexed, llm_url))
    with serve(app) as url:
        yield url, app


def post_ask(base: str, **body: Any) -> httpx.Response:
    payload = {"question": QUESTION, "top_k": TOP_K, **body}
    return httpx.post(f"{base}/v1/ask", json=payload, timeout=HTTP_TIMEOUT)


def stream_ask(base: str, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    """The SSE events of one streamed /v1/ask, as (event, data) pairs."""
    payload = {"question": QUESTION, "top_k": TOP_K, "stream": True, **body}
    with (
        httpx.Client(timeout=HTTP_TIMEOUT) as client,
        connect_sse(client, "POST", f"{base}/v1/ask", json=payload) as source,
    ):
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(event.event, json.loads(event.data)) for event in source.iter_sse()]


@dataclass(frozen=True)
class Evidence:
    """What the service answers from, for one question: the sentences it put in the
    prompt and which of them answer (the same retrieval, ranked and completed the same
    way, within the same budget) and the extractive answer of the same passages."""

    shown: PromptEvidence
    answer: Answer


def evidence_for(app: FastAPI, settings: Settings, question: str = QUESTION) -> Evidence:
    services = app.state.services
    retrieval = services.retriever.retrieve(question, TOP_K)
    assert len(retrieval.hits) == TOP_K
    context = services.retriever.with_neighbours(retrieval.hits, settings.llm.neighbours)
    query = retrieval.query
    answers = rank(query, retrieval.hits)
    shown = prompt_evidence(
        answers, context, settings.llm.context_tokens, settings.answer.min_score
    )
    assert shown.sentences
    extractive = ExtractiveAnswerer(settings.answer).answer(query, retrieval.hits)
    return Evidence(shown, extractive)


def check_error(response: httpx.Response, status: int, code: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "request_id"}
    assert body["error"]["code"] == code
    assert fragment in body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text


def check_llm_answer(body: dict[str, Any]) -> None:
    check_invariants(body)
    assert body["model"] == LLM_NAME
    assert body["fallback"] is False
    assert body["usage"]["prompt_tokens"] > 0
    assert body["usage"]["completion_tokens"] > 0


def check_fallback(body: dict[str, Any]) -> None:
    check_invariants(body)
    assert body["fallback"] is True
    assert body["model"] == EXTRACTIVE
    # The extractive answerer finds the Geneva sentence in these passages.
    assert not body["abstained"]
    assert any("Geneva" in c["quote"] for c in body["citations"])


def split_stream(events: list[tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any], str]:
    """Check the event order (meta, token*, done|error); return (final event, data, raw)."""
    names = [name for name, _ in events]
    assert names[0] == "meta", names
    assert events[0][1]["model"] == LLM_NAME
    assert events[0][1]["request_id"]
    assert names[-1] in {"done", "error"}, names
    assert set(names[1:-1]) <= {"token"}, names
    raw = "".join(data["text"] for name, data in events if name == "token")
    final, data = events[-1]
    if final == "done":
        assert data["request_id"] == events[0][1]["request_id"]
    return final, data, raw


def test_official_openai_client_talks_to_the_server(llm_url: str) -> None:
    client = openai.OpenAI(base_url=llm_url, api_key="unused", max_retries=0, timeout=120)
    try:
        assert len(client.models.list().data) == 1
        completion = client.chat.completions.create(
            model=LLM_NAME,
            messages=[{"role": "user", "content": "Name the capital of France."}],
            max_tokens=16,
            temperature=0,
        )
    finally:
        client.close()
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content and choice.message.content.strip()
    assert choice.finish_reason in {"stop", "length"}
    assert completion.usage is not None
    assert 1 <= completion.usage.completion_tokens <= 16
    assert completion.usage.prompt_tokens > 0


def expected_outcome(raw: str, evidence: Evidence) -> Answer | MalformedOutput:
    """What post-processing makes of the model's raw text, the evidence's sentences where
    no sentence that answers states a claim of it: the oracle for the service."""
    try:
        shown = evidence.shown
        return finalize(
            raw,
            shown.sentences,
            LLM_NAME,
            Usage(),
            QUESTION,
            strict=True,
            answering=shown.answering,
        )
    except MalformedOutput as exc:
        return exc
    except Unverified:
        return evidence.answer


def check_is(body: dict[str, Any], expected: Answer) -> None:
    """`body` is exactly the post-processed answer (scores to /v1/retrieve's rounding)."""
    check_llm_answer(body)
    assert body["answer"] == expected.text
    assert body["abstained"] == expected.abstained
    assert [{**c, "score": None} for c in body["citations"]] == [
        {**vars(c), "score": None} for c in expected.citations
    ]
    for got, want in zip(body["citations"], expected.citations, strict=True):
        assert got["score"] == pytest.approx(want.score, abs=1e-4)


def test_ask_stream_tokens_then_the_post_processed_answer(
    service: tuple[str, FastAPI], indexed: Settings, llm_url: str
) -> None:
    service_url, app = service
    events = stream_ask(service_url)
    final, data, raw = split_stream(events)
    assert sum(name == "token" for name, _ in events) >= 1, "the model streams for real"
    assert raw.strip()
    expected = expected_outcome(raw, evidence_for(app, llm_settings(indexed, llm_url)))
    # The stream ends as post-processing of exactly the streamed text says it must.
    if isinstance(expected, MalformedOutput):
        assert (final, data["code"]) == ("error", "upstream_error"), data
        assert f"The LLM's answer was unusable: {expected}" in data["message"]
    else:
        assert final == "done", data
        check_is(data, expected)


def test_ask_json_is_the_post_processed_model_output(
    service: tuple[str, FastAPI], indexed: Settings, llm_url: str
) -> None:
    service_url, app = service
    # Temperature 0 and the same prompt: the JSON request gets the text the stream showed.
    _, _, raw = split_stream(stream_ask(service_url))
    expected = expected_outcome(raw, evidence_for(app, llm_settings(indexed, llm_url)))
    response = post_ask(service_url)
    if isinstance(expected, MalformedOutput):
        check_error(response, 502, "upstream_error", f"The LLM's answer was unusable: {expected}")
    else:
        assert response.status_code == 200, response.text
        check_is(response.json(), expected)
        assert response.json()["timings_ms"]["generate"] > 0


def test_fallback_answers_exactly_when_the_model_output_is_unusable(
    indexed: Settings, llm_url: str
) -> None:
    app = create_app(llm_settings(indexed, llm_url, fallback=True))
    with serve(app) as url:
        final, data, raw = split_stream(stream_ask(url))
        expected = expected_outcome(raw, evidence_for(app, llm_settings(indexed, llm_url)))
        response = post_ask(url)
    assert final == "done", data
    assert response.status_code == 200, response.text
    for body in (data, response.json()):
        if isinstance(expected, MalformedOutput):
            check_fallback(body)
        else:
            check_is(body, expected)


@pytest.mark.parametrize("fallback", [False, True], ids=["no-fallback", "fallback"])
def test_first_token_timeout(indexed: Settings, llm_url: str, fallback: bool) -> None:
    settings = llm_settings(
        indexed,
        llm_url,
        first_token_timeout_s=0.001,
        max_retries=0,
        fallback=fallback,
    )
    with serve(create_app(settings)) as url:
        response = post_ask(url)
        final, data, _ = split_stream(stream_ask(url))
    if fallback:
        assert response.status_code == 200, response.text
        check_fallback(response.json())
        assert final == "done"
        check_fallback(data)
    else:
        check_error(response, 504, "upstream_timeout", "did not answer in time")
        assert final == "error"
        assert data["code"] == "upstream_timeout"


@pytest.mark.parametrize("fallback", [False, True], ids=["no-fallback", "fallback"])
def test_llm_server_down(indexed: Settings, fallback: bool) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v1"
    with serve(create_app(llm_settings(indexed, nowhere, fallback=fallback))) as url:
        response = post_ask(url)
        final, data, raw = split_stream(stream_ask(url))
    if fallback:
        assert response.status_code == 200, response.text
        check_fallback(response.json())
        assert final == "done"
        check_fallback(data)
        assert raw == data["answer"], "the fallback answer is streamed as one token"
    else:
        check_error(response, 502, "upstream_error", "check that the server is running")
        assert final == "error"
        assert data["code"] == "upstream_error"
        assert "check that the server is running" in data["message"]
        assert raw == ""


@pytest.mark.parametrize("fallback", [False, True], ids=["no-fallback", "fallback"])
def test_truncated_output_without_markers(indexed: Settings, llm_url: str, fallback: bool) -> None:
    # One token cannot hold a claim a passage states: nothing survives the claim check, so
    # the service answers with the evidence's own sentences, the extractive answer (fallback
    # or not: the model did not fail), the model's tokens counted. LLMSettings refuses
    # max_tokens < 16, so the validated settings are copied with the value replaced.
    settings = llm_settings(indexed, llm_url, fallback=fallback)
    llm = settings.llm.model_copy(update={"max_tokens": 1})
    settings = settings.model_copy(update={"llm": llm})
    app = create_app(settings)
    with serve(app) as url:
        response = post_ask(url)
        final, data, raw = split_stream(stream_ask(url))
        evidence = evidence_for(app, settings)
        expected = expected_outcome(raw, evidence)
    assert raw.strip(), "the model streamed its one token"
    assert "[" not in raw
    assert expected == evidence.answer and not expected.abstained, expected
    assert any("Geneva" in c.quote for c in expected.citations)
    assert response.status_code == 200, response.text
    assert final == "done", data
    for body in (response.json(), data):
        check_is(body, expected)


def test_where_the_evidence_refuses_the_model_is_not_asked(
    service: tuple[str, FastAPI], indexed: Settings, llm_url: str
) -> None:
    service_url, app = service
    assert evidence_for(app, llm_settings(indexed, llm_url), OFF_TOPIC).answer.abstained
    requested = metrics._metrics().llm_requests._value.get()
    response = post_ask(service_url, question=OFF_TOPIC)
    events = stream_ask(service_url, question=OFF_TOPIC)
    assert metrics._metrics().llm_requests._value.get() == requested
    assert response.status_code == 200, response.text
    final, data, raw = split_stream(events)
    assert final == "done" and raw == ""
    for body in (response.json(), data):
        check_invariants(body)
        assert body["abstained"] and body["citations"] == []
        assert body["model"] == LLM_NAME
        assert body["usage"] == {"prompt_tokens": 0, "completion_tokens": 0}

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.contract import article_text
from evals.questions.dataset import load_dataset
from tests.conftest import REPO, SAMPLE_DIR, SAMPLES
from tests.service.conftest import check_invariants

DATASET = load_dataset(REPO / "evals" / "datasets" / "articles.jsonl")


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_geneva_question_is_answered_with_an_exact_citation(client: TestClient) -> None:
    body = ask(client, question="Where were the US-Ukraine talks held?")
    check_invariants(body)
    assert not body["abstained"]
    assert "Geneva" in body["answer"]
    assert any("Geneva" in c["quote"] for c in body["citations"])
    assert body["model"] == "extractive"


@pytest.mark.parametrize("question", DATASET, ids=[q.id for q in DATASET])
def test_invariants_hold_for_every_dataset_question(client: TestClient, question: Any) -> None:
    check_invariants(ask(client, question=question.question))


@pytest.mark.parametrize(
    "question",
    [
        "How do I bake sourdough bread at home?",
        "Who won the 2022 football World Cup?",
        "What is the time complexity of quicksort?",
        "Recommend a good laptop for programming",
    ],
)
def test_off_topic_questions_abstain(client: TestClient, question: str) -> None:
    body = ask(client, question=question)
    check_invariants(body)
    assert body["abstained"] is True
    assert body["citations"] == []
    assert "do not" in body["answer"]


def test_source_filter_limits_citations(client: TestClient) -> None:
    only = "002_6a413cfa2226c47e.txt"
    body = ask(client, question="Where were the talks held?", filters={"sources": [only]})
    check_invariants(body)
    # Without the filter this question is answered from 000/003 (Geneva).
    assert not body["abstained"]
    assert {c["source"] for c in body["citations"]} == {only}
    chunks = client.post(
        "/v1/retrieve", json={"question": "peace talks", "filters": {"sources": [only]}}
    ).json()["chunks"]
    assert chunks and {c["source"] for c in chunks} == {only}


def test_date_filter_keeps_only_dated_articles_in_range(client: TestClient) -> None:
    payload = {"question": "Starmer Zelensky call", "top_k": 20}
    inside = client.post(
        "/v1/retrieve",
        json={**payload, "filters": {"published_from": "2025-11-25", "published_to": "2025-11-25"}},
    ).json()["chunks"]
    assert inside and {c["source"] for c in inside} == {"003_3192432eb868ec65.txt"}
    outside = client.post(
        "/v1/retrieve", json={**payload, "filters": {"published_from": "2026-01-01"}}
    ).json()["chunks"]
    assert outside == []
    body = ask(
        client, question="Where were the talks held?", filters={"published_to": "2024-12-31"}
    )
    assert body["abstained"] is True


def test_retrieve_returns_exact_spans_best_first(client: TestClient) -> None:
    response = client.post("/v1/retrieve", json={"question": "Geneva talks", "top_k": 5})
    chunks = response.json()["chunks"]
    assert len(chunks) == 5
    scores = [c["score"] for c in chunks]
    assert scores == sorted(scores, reverse=True)
    for c in chunks:
        assert article_text(SAMPLE_DIR / c["source"])[c["start"] : c["end"]] == c["text"]


def test_sources_and_texts(client: TestClient) -> None:
    sources = client.get("/v1/sources").json()["sources"]
    assert [s["source"] for s in sources] == SAMPLES
    assert all(s["chunks"] > 0 and len(s["sha256"]) == 64 for s in sources)
    for name in SAMPLES:
        response = client.get(f"/v1/sources/{name}/text")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.content.decode("utf-8") == article_text(SAMPLE_DIR / name)
    missing = client.get("/v1/sources/nope.txt/text")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "chunks": None}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["chunks"] > 0


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", json={"question": "Geneva"}, headers={"X-Request-ID": "trace-123"}
    )
    assert response.headers["x-request-id"] == "trace-123"
    assert response.json()["request_id"] == "trace-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"question": ""}, 422, "question must not be empty"),
        ({"question": "   "}, 422, "question must not be empty"),
        ({}, 422, "question: this field is required"),
        ({"question": "x" * 2001}, 400, "limit is 2,000"),
        ({"question": "Geneva", "top_k": 0}, 422, "top_k"),
        ({"question": "Geneva", "top_k": 51}, 422, "top_k"),
        ({"question": "Geneva", "top_k": "many"}, 422, "top_k"),
        ({"question": "Geneva", "colour": "red"}, 422, "unknown field"),
        ({"question": "Geneva", "filters": {"published_from": "yesterday"}}, 422, "published_from"),
        (
            {
                "question": "Geneva",
                "filters": {"published_from": "2025-12-01", "published_to": "2025-11-01"},
            },
            422,
            "must not be after",
        ),
        ({"question": "Geneva", "history": [{"role": "system", "content": "x"}]}, 422, "role"),
        (
            {"question": "Geneva", "history": [{"role": "user", "content": "x"}] * 21},
            400,
            "limit is 20",
        ),
    ],
)
def test_bad_requests_get_clear_errors(
    client: TestClient, body: dict[str, Any], status: int, fragment: str
) -> None:
    response = client.post("/v1/ask", json=body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error"]["code"] == "invalid_request"
    assert fragment in error["error"]["message"]
    assert error["request_id"]
    assert "Traceback" not in response.text


def test_malformed_json_and_wrong_content_type(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]["message"]
    form = client.post("/v1/ask", content=b"question=hi")
    assert form.status_code == 422
    assert form.json()["error"]["code"] == "invalid_request"


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", json={"question": "x", "history": [{"role": "user", "content": "y" * 7000}] * 10}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunked() -> Any:
        yield b'{"question": "'
        for _ in range(100):
            yield b"z" * 1000
        yield b'"}'

    streamed = client.post(
        "/v1/ask", content=chunked(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"


def test_unknown_routes_and_methods_use_the_error_shape(client: TestClient) -> None:
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.get("/v1/ask")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "invalid_request"


def test_openapi_documents_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ask_op = spec["paths"]["/v1/ask"]["post"]
    assert "text/event-stream" in ask_op["responses"]["200"]["content"]
    schema = spec["components"]["schemas"]["AskRequest"]
    assert schema["examples"][0]["question"]
    assert spec["components"]["schemas"]["AskResponse"]["examples"]
    assert client.get("/docs").status_code == 200


def test_history_follow_up_is_searched_as_a_standalone_question(client: TestClient) -> None:
    body = ask(
        client,
        question="And where were they held?",
        history=[
            {"role": "user", "content": "Tell me about the US-Ukraine talks"},
            {"role": "assistant", "content": "They discussed a peace plan."},
        ],
    )
    check_invariants(body)
    assert "Geneva" in body["answer"]
    # "they" is replaced by what it stands for, not left beside appended context.
    assert body["query"].startswith("Where were the US-Ukraine talks held?")
    single = ask(client, question="Where were the US-Ukraine talks held?")
    assert single["query"] == "Where were the US-Ukraine talks held?"


LONE = "talks \\ud800 held"  # a JSON escape of a lone surrogate: no Unicode text has one


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/ask", f'{{"question": "{LONE}"}}', "question"),
        ("/v1/ask", f'{{"question": "{LONE}", "stream": true}}', "question"),
        ("/v1/retrieve", f'{{"question": "{LONE}"}}', "question"),
        (
            "/v1/ask",
            f'{{"question": "Geneva", "history": [{{"role": "user", "content": "{LONE}"}}]}}',
            "history.0.content",
        ),
        (
            "/v1/ask",
            f'{{"question": "Geneva", "filters": {{"sources": ["{LONE}"]}}}}',
            "filters.sources.0",
        ),
        (
            "/v1/retrieve",
            '{"question": "Geneva", "filters": {"sources": ["\\udc00.txt"]}}',
            "filters.sources.0",
        ),
        (
            "/v1/chat/completions",
            f'{{"model": "newsrag", "messages": [{{"role": "user", "content": "{LONE}"}}]}}',
            "messages.0.content",
        ),
        (
            "/v1/chat/completions",
            '{"model": "newsrag", "messages": [{"role": "user", "content": '
            f'[{{"type": "text", "text": "{LONE}"}}]}}]}}',
            "messages.0.content",
        ),
    ],
)
def test_lone_surrogates_are_rejected_with_422(
    client: TestClient, path: str, body: str, where: str
) -> None:
    """The same answer for every free-text field: 422, naming the field and the fix."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(where), error["message"]
    assert "lone surrogate" in error["message"] and "UTF-8" in error["message"]


def test_a_trailing_slash_is_a_404_naming_the_path_not_a_redirect_to_the_host_header(
    client: TestClient,
) -> None:
    """A redirect built from the Host header would send clients to any host a request
    names; the 404 says which path to use instead."""
    for method, path in (("GET", "/v1/sources/"), ("POST", "/v1/ask/")):
        response = client.request(
            method,
            path,
            json={"question": "Geneva"},
            headers={"Host": "evil.example"},
            follow_redirects=False,
        )
        assert response.status_code == 404, (path, response.headers)
        assert "location" not in response.headers
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert f"use {path.rstrip('/')}" in error["message"], error["message"]
    unknown = client.get("/v1/nothing/")
    assert unknown.status_code == 404 and "use " not in unknown.json()["error"]["message"]

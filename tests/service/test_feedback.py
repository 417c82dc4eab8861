"""The answer log and `/v1/feedback` through the real app: every way an answer is given
is logged (after the response), readers rate answers, API keys list the ratings."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from devtools.contract import article_text
from service.api.keys import fingerprint
from service.app import create_app
from service.core.feedback.store import AnswerRecord, FeedbackStore
from service.core.feedback.writer import AnswerLog
from service.settings import AccessSettings, FeedbackSettings, RateLimitSettings, Settings
from tests.conftest import SAMPLE_DIR
from tests.service.live import serve
from tests.service.postgres_server import postgres_server

API_KEY = "api-key-" + "a1" * 12
WIDGET_KEY = "widget-key-" + "b2" * 10
QUESTION = "Where were the US-Ukraine talks held?"
FOLLOW_UP = "Who attended them?"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def logged(indexed: Settings, url: str, **rates: str) -> Settings:
    generous = {"widget": "1000/minute", "widget_reads": "1000/minute"}
    return indexed.model_copy(
        update={
            "access": AccessSettings(api_keys=API_KEY, widget_keys=WIDGET_KEY),
            "rate_limit": RateLimitSettings(**(generous | rates)),
            "feedback": FeedbackSettings(url=SecretStr(url)),
        }
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"


@pytest.fixture
def client(indexed: Settings, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(logged(indexed, db_url))) as test_client:
        yield test_client


def answer_log(client: TestClient) -> AnswerLog:
    log: AnswerLog = client.app.state.answer_log  # type: ignore[attr-defined]
    assert log.flush(10)
    return log


def logged_answer(client: TestClient, request_id: str) -> AnswerRecord:
    found = answer_log(client).store.answer(request_id)
    assert found is not None, f"{request_id} not in the log"
    return found


def ask(client: TestClient, key: str = API_KEY, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"question": QUESTION, **body}, headers=bearer(key))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def feedback(client: TestClient, key: str = API_KEY, **body: Any) -> httpx.Response:
    return client.post("/v1/feedback", json=body, headers=bearer(key))


def check_error(response: httpx.Response, status: int, code: str, says: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "request_id"} and body["error"]["code"] == code
    assert says in body["error"]["message"], body["error"]["message"]


# -- the answer log ----------------------------------------------------------------------


def test_an_answer_is_logged_as_it_was_given(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "What did Starmer say about the talks?"},
        {"role": "assistant", "content": "He welcomed them."},
    ]
    body = ask(client, question=FOLLOW_UP, history=history)
    entry = logged_answer(client, body["request_id"])
    assert entry.client == "api" and entry.principal == f"api_key:{fingerprint(API_KEY)}"
    assert entry.question == FOLLOW_UP and entry.query == body["query"]
    assert entry.history == history
    assert entry.answer == body["answer"] and entry.abstained == body["abstained"]
    assert entry.answerer == "extractive" and entry.model == body["model"]
    assert entry.timings_ms == body["timings_ms"]
    assert entry.citations == body["citations"]
    for c in entry.citations:  # the exact spans, as cited
        assert article_text(SAMPLE_DIR / c["source"])[c["start"] : c["end"]] == c["quote"]


def test_every_way_in_is_logged_with_its_client(client: TestClient) -> None:
    widget = ask(client, WIDGET_KEY)
    assert logged_answer(client, widget["request_id"]).client == "widget"
    with client.stream(
        "POST", "/v1/ask", json={"question": QUESTION, "stream": True}, headers=bearer(API_KEY)
    ) as stream:
        events = [json.loads(line[5:]) for line in stream.iter_lines() if line.startswith("data:")]
    streamed = logged_answer(client, events[-1]["request_id"])
    assert streamed.client == "api" and streamed.answer == events[-1]["answer"]
    chat = {"model": "newsrag", "messages": [{"role": "user", "content": QUESTION}]}
    completion = client.post("/v1/chat/completions", json=chat, headers=bearer(API_KEY)).json()
    assert logged_answer(client, completion["request_id"]).client == "chat"
    with client.stream(
        "POST", "/v1/chat/completions", json={**chat, "stream": True}, headers=bearer(API_KEY)
    ) as stream:
        chunks = [line[6:] for line in stream.iter_lines() if line.startswith("data: {")]
    final = json.loads(chunks[-1])
    assert logged_answer(client, final["request_id"]).client == "chat"


def test_a_failing_log_never_fails_the_answer(
    client: TestClient, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE feedback")
        db.execute("DROP TABLE answers")
    with caplog.at_level(logging.WARNING, logger="newsrag"):
        body = ask(client)
        answer_log(client)
    assert body["answer"] and body["citations"]
    assert any("answer log write failed" in r.getMessage() for r in caplog.records)
    check_error(
        feedback(client, request_id=body["request_id"], rating="up"),
        503,
        "unavailable",
        "feedback store cannot be reached",
    )


def test_answers_are_written_after_the_response(client: TestClient) -> None:
    """The write happens in the log's own thread: a slow database never slows an answer."""
    log = answer_log(client)
    seen: list[str] = []
    original = log.store.add_answers

    def slow(records: list[AnswerRecord]) -> int:
        import threading
        import time

        seen.append(threading.current_thread().name)
        time.sleep(1.5)
        return original(records)

    log.store.add_answers = slow  # type: ignore[method-assign]
    try:
        response = client.post("/v1/ask", json={"question": QUESTION}, headers=bearer(API_KEY))
        assert response.status_code == 200
        assert response.elapsed.total_seconds() < 1.5
        assert log.flush(10)
    finally:
        log.store.add_answers = original  # type: ignore[method-assign]
    assert seen == ["answer-log"]
    assert log.store.answer(response.json()["request_id"]) is not None


def test_retention_zero_turns_the_log_and_feedback_off(indexed: Settings, tmp_path: Path) -> None:
    settings = logged(indexed, f"sqlite:///{tmp_path / 'f.sqlite3'}").model_copy(
        update={"feedback": FeedbackSettings(retention_days=0)}
    )
    with TestClient(create_app(settings)) as off:
        body = ask(off)
        check_error(
            feedback(off, request_id=body["request_id"], rating="up"),
            404,
            "not_found",
            "RAG_FEEDBACK_RETENTION_DAYS=0",
        )
    assert list(tmp_path.glob("*.sqlite3")) == []


# -- POST /v1/feedback -------------------------------------------------------------------


def test_a_key_rates_an_answer_and_changes_its_rating(client: TestClient) -> None:
    request_id = ask(client)["request_id"]
    first = feedback(client, request_id=request_id, rating="down", comment="Wrong city.")
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["request_id"] == request_id and stored["rating"] == "down"
    assert stored["comment"] == "Wrong city." and stored["client"] == "api"
    again = feedback(client, request_id=request_id, rating="up", expected_answer="Geneva")
    assert again.status_code == 200, again.text
    assert again.json()["rating"] == "up" and again.json()["expected_answer"] == "Geneva"
    assert again.json()["created_at"] == stored["created_at"]
    ratings = answer_log(client).store.find(request_id=request_id)
    assert [(r.rating, r.principal) for r in ratings] == [("up", f"api_key:{fingerprint(API_KEY)}")]


def test_unknown_request_ids_are_404(client: TestClient) -> None:
    check_error(
        feedback(client, request_id="0123456789abcdef", rating="up"),
        404,
        "not_found",
        "'0123456789abcdef'",
    )


def test_widget_keys_rate_only_answers_given_to_widgets(client: TestClient) -> None:
    to_api = ask(client)["request_id"]
    to_widget = ask(client, WIDGET_KEY)["request_id"]
    check_error(
        feedback(client, WIDGET_KEY, request_id=to_api, rating="down"),
        403,
        "forbidden",
        "only rate answers given to a widget",
    )
    created = feedback(client, WIDGET_KEY, request_id=to_widget, rating="down")
    assert created.status_code == 201 and created.json()["client"] == "widget"
    # An API key (an editor) may rate any answer; its rating is its own.
    assert feedback(client, request_id=to_widget, rating="up").status_code == 201
    assert len(answer_log(client).store.find(request_id=to_widget)) == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"rating": "up"}, "request_id: this field is required"),
        ({"request_id": "abc", "rating": "meh"}, "rating"),
        ({"request_id": "abc", "rating": "up", "stars": 5}, "stars: unknown field"),
        ({"request_id": "a b", "rating": "up"}, "request_id"),
        ({"request_id": "abc", "rating": "up", "comment": "x" * 2001}, "comment"),
        ({"request_id": "abc", "rating": "up", "expected_answer": "x" * 4001}, "expected_answer"),
        ({"request_id": "abc", "rating": 1}, "rating"),
    ],
)
def test_bad_feedback_is_refused_clearly(
    client: TestClient, body: dict[str, Any], says: str
) -> None:
    check_error(feedback(client, **body), 422, "invalid_request", says)


def test_feedback_is_rate_limited_like_questions(indexed: Settings, db_url: str) -> None:
    with TestClient(create_app(logged(indexed, db_url, widget="2/minute"))) as limited:
        statuses = [
            feedback(limited, WIDGET_KEY, request_id="x", rating="up").status_code for _ in range(3)
        ]
    assert statuses == [404, 404, 429]


def test_feedback_is_counted_in_the_metrics(client: TestClient) -> None:
    def count() -> float:
        text = client.get("/metrics").text
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "newsrag_feedback_total"
            and s.labels == {"rating": "down", "client": "widget"}
        )

    before = count()
    request_id = ask(client, WIDGET_KEY)["request_id"]
    assert feedback(client, WIDGET_KEY, request_id=request_id, rating="down").status_code == 201
    assert count() == before + 1


# -- GET /v1/feedback --------------------------------------------------------------------


def test_api_keys_list_feedback_with_filters_and_pages(client: TestClient) -> None:
    ids = [ask(client, WIDGET_KEY if i % 2 else API_KEY)["request_id"] for i in range(5)]
    for i, request_id in enumerate(ids):
        rating = "down" if i < 3 else "up"
        assert feedback(client, request_id=request_id, rating=rating).status_code == 201
    listed = client.get("/v1/feedback", headers=bearer(API_KEY)).json()
    assert {item["request_id"] for item in listed["items"]} == set(ids)
    assert listed["next_offset"] is None
    item = listed["items"][0]
    assert item["question"] == QUESTION and item["answer"] and "answered_at" in item
    down = client.get("/v1/feedback?rating=down&client=widget", headers=bearer(API_KEY)).json()
    assert {i["request_id"] for i in down["items"]} == {ids[1]}
    page = client.get("/v1/feedback?limit=2", headers=bearer(API_KEY)).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    rest = client.get("/v1/feedback?limit=2&offset=4", headers=bearer(API_KEY)).json()
    assert len(rest["items"]) == 1 and rest["next_offset"] is None
    later = client.get(
        "/v1/feedback", params={"since": "2999-01-01T00:00:00Z"}, headers=bearer(API_KEY)
    )
    assert later.json()["items"] == []
    check_error(
        client.get("/v1/feedback?rating=meh", headers=bearer(API_KEY)),
        422,
        "invalid_request",
        "rating",
    )
    for since in ("yesterday", "0.5", "1700000000"):  # not a Unix timestamp either
        check_error(
            client.get(f"/v1/feedback?since={since}", headers=bearer(API_KEY)),
            422,
            "invalid_request",
            "ISO 8601",
        )
    check_error(
        client.get("/v1/feedback", headers=bearer(WIDGET_KEY)), 403, "forbidden", "widget key"
    )
    check_error(client.get("/v1/feedback"), 401, "unauthorized", "Bearer")


# -- the OpenAI-compatible route -----------------------------------------------------------


def test_a_chat_completion_id_is_a_feedback_request_id(indexed: Settings, db_url: str) -> None:
    with serve(create_app(logged(indexed, db_url))) as url:
        with openai.OpenAI(base_url=f"{url}/v1", api_key=API_KEY, max_retries=0) as chat:
            completion = chat.chat.completions.create(
                model="newsrag", messages=[{"role": "user", "content": QUESTION}]
            )
        assert completion.id.startswith("chatcmpl-")
        sent = httpx.post(
            f"{url}/v1/feedback",
            json={"request_id": completion.id, "rating": "up"},
            headers=bearer(API_KEY),
            timeout=30,
        )
    assert sent.status_code == 201, sent.text
    assert sent.json()["request_id"] == completion.id.removeprefix("chatcmpl-")
    assert sent.json()["client"] == "chat"


# -- PostgreSQL ----------------------------------------------------------------------------


def test_the_log_and_feedback_live_in_postgresql(indexed: Settings) -> None:
    with postgres_server() as pg, TestClient(create_app(logged(indexed, pg.url))) as client:
        request_id = ask(client)["request_id"]
        assert feedback(client, request_id=request_id, rating="down").status_code == 201
        store = FeedbackStore(
            pg.url.replace("postgresql://", "postgresql+psycopg://"), retention_days=1
        )
        try:
            assert store.counts() == {"answers": 1, "feedback": 1}
            assert [r.rating for r in store.find(request_id=request_id)] == ["down"]
        finally:
            store.close()

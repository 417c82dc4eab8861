"""An unexpected exception is a 500 like any other error response: the JSON error shape
with the request's id in the body, the `X-Request-ID` header and the log line, the CORS
headers an allowed page needs to read it, and the connection kept alive.

The app runs in a real uvicorn on loopback (keep-alive is the server's business); a
dependency override makes one service raise, only in this test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from service.api.deps import get_ask
from service.app import create_app
from service.ask.service import AskService
from service.log import JsonFormatter
from service.settings import CorsSettings, Settings
from tests.service.live import serve

ALLOWED = "https://news.example.com"
QUESTION = {"question": "Where were the US-Ukraine talks held?"}
CHAT = {"model": "newsrag", "messages": [{"role": "user", "content": QUESTION["question"]}]}


class Lines(logging.Handler):
    """Log lines formatted as they are emitted, while the request's id is current."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(JsonFormatter().format(record))


def broken_ask() -> AskService:
    raise RuntimeError("a bug in the answering service")


@pytest.fixture(scope="module")
def base_url(indexed: Settings) -> Iterator[str]:
    app = create_app(indexed.model_copy(update={"cors": CorsSettings(origins=[ALLOWED])}))
    app.dependency_overrides[get_ask] = broken_ask
    with serve(app) as url:
        yield url


@pytest.fixture
def lines() -> Iterator[list[str]]:
    handler = Lines()
    logger = logging.getLogger("service")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_a_500_carries_the_request_id_cors_headers_and_keeps_the_connection(
    base_url: str, lines: list[str]
) -> None:
    with httpx.Client(base_url=base_url, headers={"Origin": ALLOWED}, timeout=60) as http:
        refused = http.post("/v1/retrieve", json={})  # a 422: the headers every error gets
        sent = http.post("/v1/retrieve", json=QUESTION, headers={"X-Request-ID": "trace-500"})
        generated = http.post("/v1/ask", json=QUESTION)
        after = http.get("/healthz")
        streams = {id(r.extensions["network_stream"]) for r in (refused, sent, generated, after)}
    for response, request_id in ((sent, "trace-500"), (generated, None)):
        assert response.status_code == 500, response.text
        body = response.json()
        assert body["error"]["code"] == "internal_error"
        assert "request id" in body["error"]["message"]
        assert body["request_id"] == response.headers["x-request-id"] != "-"
        if request_id is not None:
            assert body["request_id"] == request_id
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert set(refused.headers) - {"content-length", "date"} <= set(response.headers)
        assert "a bug in the answering service" not in response.text
        [line] = [x for x in lines if body["request_id"] in x and "unhandled error" in x]
        assert "RuntimeError" in line
    assert after.status_code == 200
    assert len(streams) == 1, "the connection was dropped after a 500"


def test_a_500_on_the_openai_routes_has_openais_shape_and_the_request_id(
    base_url: str, lines: list[str]
) -> None:
    response = httpx.post(
        f"{base_url}/v1/chat/completions",
        json=CHAT,
        headers={"Origin": ALLOWED, "X-Request-ID": "trace-chat-500"},
        timeout=60,
    )
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert response.headers["x-request-id"] == "trace-chat-500"
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert [x for x in lines if "trace-chat-500" in x and "unhandled error" in x]

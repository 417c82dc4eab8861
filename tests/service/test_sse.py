"""Server-Sent Events read by a real SSE client from a real uvicorn on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from service.app import create_app
from service.settings import Settings
from tests.service.conftest import check_invariants
from tests.service.live import serve


@pytest.fixture(scope="module")
def base_url(indexed: Settings) -> Iterator[str]:
    with serve(create_app(indexed)) as url:
        yield url


def read_events(base_url: str, body: dict[str, Any], **headers: str) -> list[tuple[str, Any]]:
    with (
        httpx.Client(base_url=base_url, timeout=30) as client,
        connect_sse(client, "POST", "/v1/ask", json=body, headers=headers) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(event.event, json.loads(event.data)) for event in source.iter_sse()]


def test_stream_true_gives_meta_tokens_done(base_url: str) -> None:
    events = read_events(base_url, {"question": "Where were the talks held?", "stream": True})
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert set(names[1:-1]) == {"token"}
    meta, done = events[0][1], events[-1][1]
    assert meta["model"] == "extractive" and meta["request_id"] == done["request_id"]
    check_invariants(done)
    assert "Geneva" in done["answer"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed == done["answer"]


def test_accept_header_asks_for_a_stream(base_url: str) -> None:
    events = read_events(
        base_url, {"question": "Who is NATO's Secretary-General?"}, accept="text/event-stream"
    )
    assert events[-1][0] == "done"
    check_invariants(events[-1][1])


def test_stream_false_wins_over_accept_header(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": "Geneva", "stream": False},
        headers={"accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("application/json")


def test_abstention_streams_a_done_without_citations(base_url: str) -> None:
    events = read_events(base_url, {"question": "Best pizza recipe?", "stream": True})
    done = events[-1][1]
    assert done["abstained"] is True and done["citations"] == []


def test_validation_errors_are_json_even_when_streaming(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": "", "stream": True},
        headers={"accept": "text/event-stream"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"

"""CORS: an allowlist of origins (`RAG_CORS_ORIGINS`), checked by a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from service.app import create_app
from service.settings import CorsSettings, Settings
from tests.service.live import serve

ALLOWED = "https://news.example.com"
REFUSED = "https://evil.example.net"


@pytest.fixture(scope="module")
def base_url(indexed: Settings) -> Iterator[str]:
    settings = indexed.model_copy(update={"cors": CorsSettings(origins=[ALLOWED])})
    with serve(create_app(settings)) as url:
        yield url


def preflight(base_url: str, origin: str, path: str = "/v1/ask") -> httpx.Response:
    return httpx.options(
        f"{base_url}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )


def test_preflight_from_an_allowed_origin(base_url: str) -> None:
    for path in ("/v1/ask", "/v1/chat/completions"):
        response = preflight(base_url, ALLOWED, path)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "content-type" in response.headers["access-control-allow-headers"].lower()


def test_preflight_from_another_origin_is_refused(base_url: str) -> None:
    response = preflight(base_url, REFUSED)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_requests_expose_retry_after_and_request_id_to_allowed_pages(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": "Where were the US-Ukraine talks held?"},
        headers={"Origin": ALLOWED},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"retry-after", "x-request-id"} <= exposed
    # Errors carry the headers too, so a page can read them.
    error = httpx.post(
        f"{base_url}/v1/ask", json={"question": ""}, headers={"Origin": ALLOWED}, timeout=30
    )
    assert error.status_code == 422
    assert error.headers["access-control-allow-origin"] == ALLOWED
    refused = httpx.post(
        f"{base_url}/v1/ask", json={"question": "Geneva"}, headers={"Origin": REFUSED}, timeout=60
    )
    assert "access-control-allow-origin" not in refused.headers


def test_by_default_no_other_origin_is_allowed(indexed: Settings) -> None:
    assert Settings().cors.origins == []
    with serve(create_app(indexed)) as url:
        assert preflight(url, ALLOWED).status_code == 400
        same = httpx.get(f"{url}/healthz", headers={"Origin": ALLOWED}, timeout=30)
        assert "access-control-allow-origin" not in same.headers


def test_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CORS_ORIGINS", " https://a.example ,http://localhost:3000/,")
    assert Settings().cors.origins == ["https://a.example", "http://localhost:3000"]
    monkeypatch.setenv("RAG_CORS_ORIGINS", "*")
    assert Settings().cors.origins == ["*"]
    monkeypatch.setenv("RAG_CORS_ORIGINS", "https://a.example/widget")
    with pytest.raises(ValidationError, match="without a path"):
        Settings()

"""API keys, widget keys and per-principal rate limits, against the real app.

Route coverage is computed from `app.routes`, so a `/v1/*` route added later is checked
without touching this file: it must require a key, and refuse widget keys unless it is
one of the two routes marked for them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.api.errors import is_openai_path
from service.api.keys import fingerprint
from service.app import create_app
from service.log import JsonFormatter
from service.settings import AccessSettings, RateLimitSettings, ServerSettings, Settings
from tests.conftest import SAMPLES
from tests.service.live import serve

API_KEY = "api-key-" + "a1" * 12
WIDGET_KEY = "widget-key-" + "b2" * 10
WRONG_KEY = "api-key-" + "c3" * 12
SOURCE = SAMPLES[0]
WIDGET_ROUTES = {
    ("POST", "/v1/ask"),
    ("POST", "/v1/feedback"),
    ("GET", "/v1/sources/{source:path}/text"),
}
# Routes outside /v1 that stay open whatever the keys (Slack's use signatures instead).
OPEN = {
    "/healthz",
    "/readyz",
    "/docs",
    "/docs/assets/{name}",
    "/openapi.json",
    "/",
    "/widget.js",
    "/metrics",
}
QUESTION = "Where were the US-Ukraine talks held?"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def with_access(indexed: Settings, rates: dict[str, Any] | None = None, **server: Any) -> Settings:
    update: dict[str, Any] = {
        "access": AccessSettings(api_keys=API_KEY, widget_keys=WIDGET_KEY),
        "rate_limit": RateLimitSettings(**(rates or {})),
    }
    if server:
        update["server"] = ServerSettings(**server)
    return indexed.model_copy(update=update)


@pytest.fixture(scope="module")
def keyed(indexed: Settings) -> Iterator[TestClient]:
    generous = {
        "widget": "1000/minute",
        "widget_reads": "1000/minute",
        "failed_auth": "1000/minute",
    }
    with TestClient(create_app(with_access(indexed, generous))) as client:
        yield client


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route the app serves, included routers too."""
    try:  # FastAPI >= 0.16x keeps included routers as nodes of app.routes
        from fastapi.routing import iter_route_contexts
    except ImportError:
        contexts: Iterable[Any] = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for route in contexts:
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            yield method, str(route.path)


def call(client: TestClient, method: str, route: str, **kwargs: Any) -> httpx.Response:
    path = route.replace("{model}", "newsrag").replace("{name}", "swagger-ui.css")
    path = re.sub(r"\{[^}]+\}", SOURCE, path)
    if path == "/v1/feedback" and method == "POST" and "json" not in kwargs:
        # A rating of an answer given to a widget, which every key may rate.
        asked = client.post("/v1/ask", json={"question": QUESTION}, headers=bearer(WIDGET_KEY))
        kwargs["json"] = {"request_id": asked.json()["request_id"], "rating": "up"}
    elif path == "/v1/chat/completions":
        chat = {"model": "newsrag", "messages": [{"role": "user", "content": QUESTION}]}
        kwargs.setdefault("json", chat)
    elif method == "POST":
        kwargs.setdefault("json", {"question": QUESTION, "top_k": 2})
    return client.request(method, path, **kwargs)


def check_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if is_openai_path(response.request.url.path):
        # OpenAI's shape, which its clients parse: no request id beside the error.
        assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    else:
        assert set(body) == {"error", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


def test_every_v1_route_requires_a_key(keyed: TestClient) -> None:
    app: FastAPI = keyed.app  # type: ignore[assignment]
    checked = set()
    for method, route in routes(app):
        if not route.startswith("/v1/"):
            continue
        checked.add((method, route))
        missing = call(keyed, method, route)
        check_error(missing, 401, "unauthorized")
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in missing.json()["error"]["message"]
        check_error(call(keyed, method, route, headers=bearer(WRONG_KEY)), 401, "unauthorized")
        # A scheme other than Bearer is no key at all.
        basic = call(keyed, method, route, headers={"Authorization": f"Basic {API_KEY}"})
        check_error(basic, 401, "unauthorized")
        allowed = call(keyed, method, route, headers=bearer(API_KEY))
        assert allowed.status_code in (200, 201), (method, route, allowed.text)
        widget = call(keyed, method, route, headers=bearer(WIDGET_KEY))
        if (method, route) in WIDGET_ROUTES:
            assert widget.status_code in (200, 201), (method, route, widget.text)
        else:
            body = check_error(widget, 403, "forbidden")
            assert "POST /v1/ask" in body["error"]["message"]
    assert WIDGET_ROUTES | {("POST", "/v1/retrieve"), ("GET", "/v1/sources")} <= checked


def test_routes_outside_v1_stay_open(keyed: TestClient) -> None:
    app: FastAPI = keyed.app  # type: ignore[assignment]
    seen = set()
    for method, route in routes(app):
        if route.startswith(("/v1/", "/slack/")):
            continue
        assert route in OPEN, f"{route}: decide whether it needs a key"
        if method == "GET":
            assert call(keyed, method, route).status_code == 200, route
            seen.add(route)
    assert {"/healthz", "/readyz", "/docs", "/openapi.json"} <= seen


def test_the_openapi_schema_offers_bearer_keys(keyed: TestClient) -> None:
    schema = keyed.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_an_open_api_ignores_unknown_bearer_keys(indexed: Settings) -> None:
    """Without RAG_API_KEYS the API is open; OpenAI clients always send some key."""
    settings = indexed.model_copy(update={"access": AccessSettings(widget_keys=WIDGET_KEY)})
    with TestClient(create_app(settings)) as client:
        for headers in ({}, bearer(WRONG_KEY)):
            response = client.post("/v1/retrieve", json={"question": QUESTION}, headers=headers)
            assert response.status_code == 200, response.text


def test_limit_answers_429_with_retry_after_and_recovers(indexed: Settings) -> None:
    settings = with_access(indexed, {"api_key": "2/3 seconds"})
    with TestClient(create_app(settings)) as client:
        # An empty body is refused after the budget is spent: cheap and still counted.
        spend = lambda: client.post("/v1/retrieve", json={}, headers=bearer(API_KEY))  # noqa: E731
        assert [spend().status_code for _ in range(2)] == [422, 422]
        limited = spend()
        body = check_error(limited, 429, "rate_limited")
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 3
        assert f"retry in {retry_after} s" in body["error"]["message"]
        # Reads (GET) are not questions: an API key's reads are not limited.
        assert client.get("/v1/sources", headers=bearer(API_KEY)).status_code == 200
        time.sleep(retry_after)
        assert spend().status_code == 422


def test_failed_key_attempts_are_limited_per_client_address(indexed: Settings) -> None:
    """Guessing keys: after the budget of failures, every key from that address (the
    right one too, or guessing would go on) gets 429 until the window moves on."""
    assert RateLimitSettings().failed_auth == "10/minute"
    app = create_app(with_access(indexed, {"failed_auth": "5/minute"}))
    with TestClient(app) as client:
        guess = lambda: client.post("/v1/retrieve", json={}, headers=bearer(WRONG_KEY))  # noqa: E731
        statuses = [guess().status_code for _ in range(8)]
        assert statuses == [401] * 5 + [429] * 3
        body = check_error(guess(), 429, "rate_limited")
        retry_after = int(guess().headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert "failed key attempts" in body["error"]["message"]
        assert (
            f"{retry_after} s" in body["error"]["message"] or "retry in" in body["error"]["message"]
        )
        right = client.post("/v1/retrieve", json={}, headers=bearer(API_KEY))
        check_error(right, 429, "rate_limited")
        chat = client.get("/v1/models", headers=bearer(WIDGET_KEY))
        assert chat.status_code == 429 and chat.json()["error"]["type"] == "rate_limit_error"
        # Another address has its own budget; missing keys are not guesses.
        other = TestClient(app, client=("203.0.113.9", 50000))
        assert other.post("/v1/retrieve", json={}, headers=bearer(API_KEY)).status_code == 422
        assert other.post("/v1/retrieve", json={}, headers=bearer(WRONG_KEY)).status_code == 401
        assert client.post("/v1/retrieve", json={}).status_code == 401
    off = create_app(with_access(indexed, {"failed_auth": "off"}))
    with TestClient(off) as client:
        statuses = [
            client.post("/v1/retrieve", json={}, headers=bearer(WRONG_KEY)).status_code
            for _ in range(12)
        ]
    assert set(statuses) == {401}


def test_keyless_callers_are_not_limited_by_default(indexed: Settings) -> None:
    with TestClient(create_app(indexed)) as client:
        statuses = {client.post("/v1/retrieve", json={}).status_code for _ in range(30)}
    assert statuses == {422}
    limited = indexed.model_copy(update={"rate_limit": RateLimitSettings(ip="3/minute")})
    with TestClient(create_app(limited)) as client:
        statuses_in_order = [client.post("/v1/retrieve", json={}).status_code for _ in range(4)]
    assert statuses_in_order == [422, 422, 422, 429]


def test_widget_budget_is_per_key_and_client_address(indexed: Settings) -> None:
    """Behind a trusted proxy the client is the `X-Forwarded-For` address; otherwise that
    header is ignored, so a visitor cannot claim a fresh budget by sending it."""

    def widget_ask(url: str, client_ip: str) -> int:
        headers = {**bearer(WIDGET_KEY), "X-Forwarded-For": client_ip}
        return httpx.post(f"{url}/v1/ask", json={}, headers=headers, timeout=60).status_code

    rates = {"widget": "2/minute"}
    with serve(create_app(with_access(indexed, rates, forwarded_allow_ips="127.0.0.1"))) as url:
        assert [widget_ask(url, "203.0.113.1") for _ in range(3)] == [422, 422, 429]
        assert widget_ask(url, "203.0.113.2") == 422
    with serve(create_app(with_access(indexed, rates))) as url:
        assert [widget_ask(url, "203.0.113.1") for _ in range(2)] == [422, 422]
        assert widget_ask(url, "203.0.113.2") == 429


def test_keys_are_never_logged_even_at_debug(indexed: Settings) -> None:
    marker = "Zorblax quintessential marker question"
    settings = with_access(indexed, {"widget": "1/minute"})
    settings = settings.model_copy(update={"server": ServerSettings(log_level="debug")})
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    with TestClient(create_app(settings)) as client:
        # After start-up, which installs the service's own handlers.
        for name in ("service", ""):
            logging.getLogger(name).addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            client.post("/v1/ask", json={"question": marker}, headers=bearer(API_KEY))
            for key in (WIDGET_KEY, WIDGET_KEY, WRONG_KEY):
                client.post("/v1/ask", json={"question": marker}, headers=bearer(key))
            client.get("/v1/sources", headers=bearer(WIDGET_KEY))
        finally:
            for name in ("service", ""):
                logging.getLogger(name).removeHandler(handler)
            root.setLevel(old_level)
    formatter = JsonFormatter()
    lines = [(r.levelno, formatter.format(r)) for r in records]
    assert any(fingerprint(API_KEY) in line for _, line in lines), "the principal is logged"
    for secret in (API_KEY, WIDGET_KEY, WRONG_KEY):
        assert not [line for _, line in lines if secret in line]
    assert not [line for level, line in lines if level > logging.DEBUG and marker in line]


def test_bad_key_and_rate_settings_say_how_to_fix_them() -> None:
    with pytest.raises(ValidationError) as short:
        AccessSettings(api_keys="tooshort-key")
    assert "openssl rand -hex 24" in str(short.value)
    assert "tooshort-key" not in str(short.value)
    with pytest.raises(ValidationError) as shared:
        AccessSettings(api_keys=API_KEY, widget_keys=f"{WIDGET_KEY},{API_KEY}")
    assert "distinct" in str(shared.value)
    with pytest.raises(ValidationError) as rate:
        RateLimitSettings(api_key="lots")
    assert "`20/minute`" in str(rate.value)
    with pytest.raises(ValidationError, match="cannot be off"):
        RateLimitSettings(widget="off")
    parsed = AccessSettings(api_keys=f" {API_KEY} ,{WRONG_KEY}")
    assert [k.get_secret_value() for k in parsed.api_keys] == [API_KEY, WRONG_KEY]

"""Budgets and Slack de-duplication shared across workers through a real redis-server
(Debian's, started on loopback by the test), and what happens when Redis goes away."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devtools.procs import clean_env as cli_env
from devtools.procs import free_port, wait_until_up
from service.app import create_app
from service.settings import AccessSettings, RateLimitSettings, Settings
from tests.conftest import REPO
from tests.service.live import serve
from tests.service.redis_server import redis_server
from tests.service.slack_receiver import slack_receiver
from tests.service.test_slack import BOT_USER, mention, settle, sign, slack_settings

API_KEY = "shared-budget-key-" + "5" * 12


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


@contextmanager
def worker(chroma: Path, **env: str) -> Iterator[str]:
    """A real `python -m service` process on its own copy of the index."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--port", str(port)],
        cwd=REPO,
        env=cli_env(RAG_CHROMA_PATH=str(chroma), **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", proc, 120, "service worker")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def spend(url: str) -> int:
    # An empty body is refused after the budget is spent: cheap, and still counted.
    return httpx.post(f"{url}/v1/retrieve", json={}, headers=bearer(), timeout=60).status_code


def test_two_workers_share_one_redis_budget(indexed: Settings, tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as redis, ExitStack() as stack:
        env = {
            "RAG_REDIS_URL": redis.url,
            "RAG_API_KEYS": API_KEY,
            "RAG_RATE_LIMIT_API_KEY": "4/minute",
        }
        urls = []
        for name in ("a", "b"):
            chroma = tmp_path / name
            shutil.copytree(indexed.chroma.path, chroma)
            urls.append(stack.enter_context(worker(chroma, **env)))
        a, b = urls
        assert [spend(url) for url in (a, b, a, b)] == [422] * 4
        limited = httpx.post(f"{b}/v1/retrieve", json={}, headers=bearer(), timeout=60)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert spend(a) == 429


def test_failed_key_attempts_are_counted_across_apps_sharing_redis(
    indexed: Settings, tmp_path: Path
) -> None:
    """A guesser cannot spread attempts over workers: the lockout is shared too."""
    wrong = {"Authorization": "Bearer " + "wrong-key-" + "6" * 12}
    with redis_server(tmp_path / "redis") as redis:
        settings = indexed.model_copy(
            update={
                "access": AccessSettings(api_keys=API_KEY, redis_url=redis.url),
                "rate_limit": RateLimitSettings(failed_auth="3/minute"),
            }
        )
        with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
            guesses = [c.post("/v1/retrieve", json={}, headers=wrong) for c in (a, b, a, b)]
            assert [r.status_code for r in guesses] == [401, 401, 401, 429]
            locked = b.post("/v1/retrieve", json={}, headers=bearer())
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1


def test_two_apps_sharing_redis_answer_a_slack_event_once(
    indexed: Settings, tmp_path: Path
) -> None:
    with redis_server(tmp_path / "redis") as redis, slack_receiver() as receiver:
        settings = slack_settings(indexed, receiver).model_copy(
            update={"access": AccessSettings(redis_url=redis.url)}
        )
        apps = [create_app(settings), create_app(settings)]
        with serve(apps[0]) as one, serve(apps[1]) as two:
            body = mention("EvShared1", f"<@{BOT_USER}> Where were the talks held?", "1700000009.1")
            for url in (one, two):
                response = httpx.post(f"{url}/slack/events", content=body, headers=sign(body))
                assert response.status_code == 200
            for app in apps:
                settle(app)
        assert len(receiver.of("chat.postMessage")) == 1


@contextmanager
def captured(logger: str) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logging.getLogger(logger).addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger(logger).removeHandler(handler)


def limited_app(indexed: Settings, redis_url: str, **rates: Any) -> FastAPI:
    return create_app(
        indexed.model_copy(
            update={
                "access": AccessSettings(api_keys=API_KEY, redis_url=redis_url),
                "rate_limit": RateLimitSettings(api_key="3/minute", **rates),
            }
        )
    )


def test_when_redis_goes_away_requests_are_answered_and_it_is_logged(
    indexed: Settings, tmp_path: Path
) -> None:
    with redis_server(tmp_path / "redis") as redis:
        with TestClient(limited_app(indexed, redis.url)) as client, captured("service") as logs:
            post = lambda: client.post("/v1/retrieve", json={}, headers=bearer())  # noqa: E731
            assert post().status_code == 422
            redis.stop()
            assert [post().status_code for _ in range(5)] == [422] * 5
        warnings = [r for r in logs if r.getMessage() == "rate-limit storage unreachable"]
        assert len(warnings) == 1, "logged once, not once per request"
        assert warnings[0].levelno == logging.WARNING
        assert getattr(warnings[0], "fields", {})["action"] == "allow"


def test_when_redis_goes_away_the_refuse_setting_answers_503(
    indexed: Settings, tmp_path: Path
) -> None:
    with redis_server(tmp_path / "redis") as redis:
        app = limited_app(indexed, redis.url, on_redis_error="refuse")
        with TestClient(app) as client:
            assert client.post("/v1/retrieve", json={}, headers=bearer()).status_code == 422
            redis.stop()
            response = client.post("/v1/retrieve", json={}, headers=bearer())
            assert response.status_code == 503
            error = response.json()["error"]
            assert error["code"] == "unavailable" and "try again" in error["message"]
            # Routes without a budget (health) are unaffected.
            assert client.get("/healthz").status_code == 200

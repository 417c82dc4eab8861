"""The Slack endpoints for real: the app in uvicorn on loopback, signed requests made the
way Slack makes them, and a local receiver (tests/service/slack_receiver.py) standing in
for Slack's Web API and `response_url`, since Slack itself cannot run here.

The slow-answer test uses the real llama.cpp test server with a long prompt, so that the
acknowledgement demonstrably returns while the answer is still being generated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from slack_sdk.signature import Clock, SignatureVerifier

from service.api.slack.blocks import escape
from service.api.slack.bot import ACK_TEXT, is_signed
from service.app import create_app
from service.settings import AnswerSettings, LLMSettings, RateLimitSettings, Settings, SlackSettings
from tests.service.live import serve
from tests.service.llm_server import llama_server, require_llm_server
from tests.service.slack_receiver import SlackReceiver, slack_receiver

SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-" + "7" * 24
BOT_USER = "UBOT0001"
ASKER = "UASKER01"
CHANNEL = "C0NEWS01"
THREAD = "1700000000.000100"
FIRST = "What did Starmer say about the US-Ukraine talks?"
# Unanswerable alone ("he", "them"); about Starmer and the talks with the thread.
FOLLOW_UP = "What did he say about them?"

# Slack's worked example (docs: "Verifying requests from Slack").
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
    "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
    "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
    "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature, computed here independently of the SDK."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def command_body(text: str, trigger: str, response_url: str, user: str = ASKER) -> bytes:
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0TEAM01",
            "channel_id": CHANNEL,
            "user_id": user,
            "command": "/news",
            "text": text,
            "response_url": response_url,
            "trigger_id": trigger,
        }
    ).encode()


def mention(
    event_id: str, text: str, ts: str, *, thread_ts: str | None = None, **event: Any
) -> bytes:
    body: dict[str, Any] = {
        "type": "app_mention",
        "user": ASKER,
        "text": text,
        "ts": ts,
        "channel": CHANNEL,
        "event_ts": ts,
        **event,
    }
    if thread_ts:
        body["thread_ts"] = thread_ts
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEAM01",
            "event_id": event_id,
            "event": body,
            "authorizations": [{"team_id": "T0TEAM01", "user_id": BOT_USER, "is_bot": True}],
        }
    ).encode()


def post(
    url: str, path: str, body: bytes, headers: dict[str, str], form: bool = False
) -> httpx.Response:
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    return httpx.post(
        f"{url}{path}", content=body, headers={"Content-Type": kind, **headers}, timeout=60
    )


def settle(app: FastAPI, timeout_s: float = 300.0) -> None:
    """Wait until the bot has no answer in flight (every spawned answer was sent)."""
    deadline = time.monotonic() + timeout_s
    while app.state.slack.pending:
        assert time.monotonic() < deadline, "answers still pending"
        time.sleep(0.05)


def slack_settings(base: Settings, receiver: SlackReceiver, **slack: Any) -> Settings:
    values: dict[str, Any] = {
        "signing_secret": SECRET,
        "bot_token": BOT_TOKEN,
        "api_base": receiver.api_base,
    }
    return base.model_copy(update={"slack": SlackSettings(**(values | slack))})


@pytest.fixture(scope="module")
def receiver() -> Iterator[SlackReceiver]:
    with slack_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def slack_app(indexed: Settings, receiver: SlackReceiver) -> Iterator[tuple[str, FastAPI]]:
    settings = slack_settings(indexed, receiver).model_copy(
        update={"rate_limit": RateLimitSettings(slack_user="1000/minute")}
    )
    app = create_app(settings)
    with serve(app) as url:
        yield url, app


def test_the_verifier_agrees_with_slacks_worked_example() -> None:
    body = DOC_BODY.encode()
    headers = {"X-Slack-Request-Timestamp": str(DOC_TIMESTAMP), "X-Slack-Signature": DOC_SIGNATURE}
    assert (
        sign(body, secret=DOC_SECRET, timestamp=DOC_TIMESTAMP)["X-Slack-Signature"] == DOC_SIGNATURE
    )
    verifier = SignatureVerifier(DOC_SECRET, clock=FixedClock(DOC_TIMESTAMP + 30))
    assert verifier.generate_signature(timestamp=str(DOC_TIMESTAMP), body=body) == DOC_SIGNATURE
    assert is_signed(verifier, body, headers)
    assert not is_signed(verifier, body.replace(b"roadrunner", b"coyote"), headers)
    assert not is_signed(verifier, body, {**headers, "X-Slack-Signature": DOC_SIGNATURE[:-1] + "0"})
    assert not is_signed(verifier, body, {"X-Slack-Signature": DOC_SIGNATURE})
    assert not is_signed(verifier, body, {**headers, "X-Slack-Request-Timestamp": "yesterday"})
    # More than 5 minutes off, either way, is stale.
    for skew in (-301, 301):
        late = SignatureVerifier(DOC_SECRET, clock=FixedClock(DOC_TIMESTAMP + skew))
        assert not is_signed(late, body, headers)


def test_unsigned_forged_and_stale_requests_get_401(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, app = slack_app
    before = len(receiver.calls)
    body = command_body("Where were the talks held?", "trig-401", receiver.response_url("401"))
    event = mention("Ev401", f"<@{BOT_USER}> hello", "1700000001.000100")
    for path, payload, form in (("/slack/commands", body, True), ("/slack/events", event, False)):
        for headers in (
            {},
            sign(payload, secret="not-the-signing-secret-at-all"),
            sign(payload, timestamp=int(time.time()) - 6 * 60),
            {**sign(payload), "X-Slack-Signature": "v0=" + "0" * 64},
        ):
            response = post(url, path, payload, headers, form=form)
            assert response.status_code == 401, response.text
            error = response.json()["error"]
            assert error["code"] == "unauthorized" and "signature" in error["message"]
            assert "www-authenticate" not in response.headers
        # Signed, but a different body than the one signed.
        tampered = post(url, path, payload + b"&x=1", sign(payload), form=form)
        assert tampered.status_code == 401
    settle(app)
    assert len(receiver.calls) == before


def test_url_verification_echoes_the_challenge(slack_app: tuple[str, FastAPI]) -> None:
    url, _ = slack_app
    body = json.dumps(
        {"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2r"}
    ).encode()
    response = post(url, "/slack/events", body, sign(body))
    assert response.status_code == 200 and response.json() == {"challenge": "3eZbrw1aBm2r"}


def test_a_mention_in_a_thread_is_answered_there_with_the_thread_as_history(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, _ = slack_app
    earlier_answer = "The talks went well, officials said."
    mention_ts = "1700000000.000300"
    receiver.threads[THREAD] = [
        {"user": ASKER, "text": FIRST, "ts": THREAD},
        {"user": BOT_USER, "bot_id": "B0BOT001", "text": earlier_answer, "ts": "1700000000.000200"},
        {
            "user": ASKER,
            "text": f"<@{BOT_USER}> {FOLLOW_UP}",
            "ts": mention_ts,
            "thread_ts": THREAD,
        },
        {
            "user": "ULATER01",
            "text": "a later reply",
            "ts": "1700000000.000400",
            "thread_ts": THREAD,
        },
    ]
    body = mention("EvThread1", f"<@{BOT_USER}> {FOLLOW_UP}", mention_ts, thread_ts=THREAD)
    response = post(url, "/slack/events", body, sign(body))
    assert response.status_code == 200

    [reply] = receiver.wait_for(
        "chat.postMessage", where=lambda c: c.body.get("thread_ts") == THREAD
    )
    [replies] = receiver.of("conversations.replies")
    assert replies.body["channel"] == CHANNEL and replies.body["ts"] == THREAD
    assert replies.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert reply.body["channel"] == CHANNEL
    assert reply.headers["authorization"] == f"Bearer {BOT_TOKEN}"

    # The same answer /v1/ask gives with the thread's earlier turns as history ...
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": earlier_answer}]
    with_history = httpx.post(
        f"{url}/v1/ask", json={"question": FOLLOW_UP, "history": history}, timeout=60
    ).json()
    alone = httpx.post(f"{url}/v1/ask", json={"question": FOLLOW_UP}, timeout=60).json()
    assert with_history["answer"] != alone["answer"], "the history must matter for this question"
    assert reply.body["text"] == with_history["answer"]
    # ... as Block Kit: the answer with its markers, then the sources.
    blocks = reply.body["blocks"]
    assert blocks[0]["text"]["text"] == escape(with_history["answer"])
    assert with_history["citations"], "a cited answer"
    sources = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert len(sources) == len(with_history["citations"])
    for text, citation in zip(sources, with_history["citations"], strict=True):
        assert text.startswith(f"*[{citation['n']}]*")
        assert f"`{citation['source']}`" in text
        assert escape(" ".join(citation["quote"].split()))[:100] in text


def test_a_retried_event_is_answered_once_and_own_messages_never(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, app = slack_app
    thread = "1700000005.000100"
    body = mention("EvRetry1", f"<@{BOT_USER}> Where were the US-Ukraine talks held?", thread)
    first = post(url, "/slack/events", body, sign(body))
    retry = post(
        url,
        "/slack/events",
        body,
        {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    # The same event id again, without the retry header: still the same event.
    again = post(url, "/slack/events", body, sign(body))
    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    own = mention("EvOwn1", f"<@{BOT_USER}> talking to myself", "1700000005.000200", user=BOT_USER)
    bot = mention("EvBot1", "a bot's message", "1700000005.000300", bot_id="B0OTHER1")
    for payload in (own, bot):
        assert post(url, "/slack/events", payload, sign(payload)).status_code == 200
    settle(app)
    replies = receiver.of("chat.postMessage")
    assert len([c for c in replies if c.body.get("thread_ts") == thread]) == 1
    assert not [c for c in replies if c.body.get("thread_ts", "").startswith("1700000005.0002")]
    assert not [c for c in replies if c.body.get("thread_ts", "").startswith("1700000005.0003")]


def test_a_slash_command_is_acknowledged_then_answered_once(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, app = slack_app
    hook = receiver.response_url("cmd-once")
    body = command_body("Where were the US-Ukraine talks held?", "trig-once-1", hook)
    ack = post(url, "/slack/commands", body, sign(body), form=True)
    assert ack.status_code == 200
    assert ack.json() == {"response_type": "ephemeral", "text": ACK_TEXT}
    repeat = post(url, "/slack/commands", body, sign(body), form=True)
    assert repeat.status_code == 200 and repeat.content == b""
    settle(app)
    [answer] = [c for c in receiver.of("response_url") if c.path.endswith("/cmd-once")]
    assert answer.body["response_type"] == "in_channel"
    assert "Geneva" in answer.body["text"]
    assert answer.body["blocks"][0]["text"]["text"] == escape(answer.body["text"])
    assert any(b["type"] == "divider" for b in answer.body["blocks"])


def test_an_abstention_is_plain_and_a_blank_command_explains_itself(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, app = slack_app
    hook = receiver.response_url("cmd-abstain")
    body = command_body("What is the boiling point of tungsten?", "trig-abstain", hook)
    assert post(url, "/slack/commands", body, sign(body), form=True).json()["text"] == ACK_TEXT
    settle(app)
    [answer] = [c for c in receiver.of("response_url") if c.path.endswith("/cmd-abstain")]
    assert answer.body["text"] == "The articles do not answer this question."
    # No sources; only the thumbs to rate it (an abstention may be wrong too).
    assert [b["type"] for b in answer.body["blocks"]] == ["section", "actions"]
    blank = command_body("  ", "trig-blank", receiver.response_url("cmd-blank"))
    usage = post(url, "/slack/commands", blank, sign(blank), form=True).json()
    assert usage["response_type"] == "ephemeral" and "/news Where were" in usage["text"]


def with_payload(body: bytes, **changes: Any) -> bytes:
    """A mention's body with top-level (or, as `event__x`, event) fields replaced."""
    payload = json.loads(body)
    for name, value in changes.items():
        if name.startswith("event__"):
            payload["event"][name.removeprefix("event__")] = value
        else:
            payload[name] = value
    return json.dumps(payload).encode()


def test_events_that_do_not_parse_get_400(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    url, app = slack_app
    ok = mention("EvShape1", f"<@{BOT_USER}> Where were the talks held?", "1700000009.000100")
    bad = {
        # Past the JSON parser's recursion limit (and inside the body limit).
        "nested 30,000 deep": b"[" * 30_000 + b"]" * 30_000,
        "event.user an object": with_payload(ok, event__user={"id": ASKER}),
        "event.text a number": with_payload(ok, event__text=7),
        "event.text a lone surrogate": with_payload(ok, event__text="talks \ud800 held"),
        "authorizations a number": with_payload(ok, authorizations=5),
        "event_id an object": with_payload(ok, event_id={"id": "x"}),
    }
    for what, body in bad.items():
        response = post(url, "/slack/events", body, sign(body))
        assert response.status_code == 400, (what, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request", what
        assert "Slack" in error["message"], (what, error["message"])
        assert response.json()["request_id"] == response.headers["x-request-id"]
    settle(app)
    assert not [c for c in receiver.of("chat.postMessage") if "1700000009" in str(c.body)]


def test_a_command_without_a_trigger_id_is_refused(
    slack_app: tuple[str, FastAPI], receiver: SlackReceiver
) -> None:
    """The trigger id is what tells a replay from a new command, so it is required."""
    url, app = slack_app
    hook = receiver.response_url("cmd-no-trigger")
    body = command_body("Where were the US-Ukraine talks held?", "", hook)
    replies = [post(url, "/slack/commands", body, sign(body), form=True) for _ in range(2)]
    for reply in replies:
        assert reply.status_code == 400, reply.text
        assert "trigger_id" in reply.json()["error"]["message"]
    settle(app)
    assert not [c for c in receiver.of("response_url") if c.path.endswith("/cmd-no-trigger")]


def test_slack_users_have_a_budget(indexed: Settings, receiver: SlackReceiver) -> None:
    settings = slack_settings(indexed, receiver).model_copy(
        update={"rate_limit": RateLimitSettings(slack_user="1/minute")}
    )
    app = create_app(settings)
    with serve(app) as url:
        replies = []
        for n in range(2):
            body = command_body(
                "Where were the talks held?",
                f"trig-budget-{n}",
                receiver.response_url(f"budget-{n}"),
            )
            replies.append(post(url, "/slack/commands", body, sign(body), form=True).json()["text"])
        settle(app)
    assert replies[0] == ACK_TEXT
    assert replies[1].startswith("You are asking faster than the limit allows; try again in")
    assert not [c for c in receiver.of("response_url") if c.path.endswith("/budget-1")]


def test_without_slack_settings_the_routes_are_404(client: Any) -> None:
    body = command_body("q", "t", "http://127.0.0.1:9/x")
    for path in ("/slack/commands", "/slack/events"):
        response = client.post(path, content=body, headers=sign(body))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "RAG_SLACK_SIGNING_SECRET" in response.json()["error"]["message"]


def test_slack_bodies_are_size_limited(slack_app: tuple[str, FastAPI]) -> None:
    url, _ = slack_app
    big = b"text=" + b"x" * 100_000
    response = post(url, "/slack/commands", big, sign(big), form=True)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.llm_server
def test_the_ack_returns_while_a_slow_llm_answer_is_pending(indexed: Settings) -> None:
    """A prompt of eight evidence sentences and room for a long answer
    keep the real llama.cpp server busy; the acknowledgement does not wait for it, and
    the answer still arrives once, even though the service shuts down right after the
    acknowledgement (shutdown drains answers in flight)."""
    gguf = require_llm_server()
    llm = LLMSettings(
        base_url="",
        model="smollm2",
        max_tokens=256,
        fallback=True,
        first_token_timeout_s=300.0,
        timeout_s=600.0,
        neighbours=1,
    )
    with llama_server(gguf) as llm_url, slack_receiver() as receiver:
        settings = slack_settings(indexed, receiver, drain_s=600.0).model_copy(
            update={
                "llm": llm.model_copy(update={"base_url": llm_url}),
                "answer": AnswerSettings(mode="llm"),
            }
        )
        app = create_app(settings)
        hook = receiver.response_url("slow")
        body = command_body(
            "What did Starmer say about the US-Ukraine talks in Geneva?", "trig-slow", hook
        )
        with serve(app) as url:
            ack = post(url, "/slack/commands", body, sign(body), form=True)
            # Acknowledged, and at that moment the answer is still being made.
            assert ack.json() == {"response_type": "ephemeral", "text": ACK_TEXT}
            assert receiver.of("response_url") == []
            assert app.state.slack.pending == 1
        [answer] = receiver.wait_for("response_url", timeout_s=900)
        settle(app)
        assert answer.body["text"] and answer.body["blocks"]
        assert len(receiver.of("response_url")) == 1

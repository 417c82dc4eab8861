"""Thumbs under Slack answers: signed button clicks at `/slack/interactions` store the
reader's rating, and the message is updated through `response_url` (the local receiver
stands in for Slack)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr

from service.app import create_app
from service.core.feedback.store import FeedbackStore, database_url
from service.settings import FeedbackSettings, Settings
from tests.service.live import serve
from tests.service.slack_receiver import SlackReceiver
from tests.service.test_slack import (  # noqa: F401
    ASKER,
    command_body,
    post,
    receiver,
    settle,
    sign,
    slack_settings,
)

QUESTION = "Where were the US-Ukraine talks held?"


def click(response_url: str, message: dict[str, Any], action_id: str, trigger: str) -> bytes:
    value = next(
        e["value"]
        for b in message["blocks"]
        if b.get("block_id") == "feedback"
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    payload = {
        "type": "block_actions",
        "trigger_id": trigger,
        "user": {"id": ASKER},
        "team": {"id": "T0TEAM01"},
        "response_url": response_url,
        "message": {"text": message["text"], "blocks": message["blocks"]},
        "actions": [
            {"action_id": action_id, "block_id": "feedback", "value": value, "action_ts": "1.2"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_thumbs_click_is_stored_and_shown(
    indexed: Settings,
    receiver: SlackReceiver,  # noqa: F811
    feedback_url: str,
) -> None:
    settings = slack_settings(indexed, receiver).model_copy(
        update={"feedback": FeedbackSettings(url=SecretStr(feedback_url))}
    )
    db = database_url(settings)
    # The receiver lives for the module: this run's hooks are its own.
    run = uuid.uuid4().hex[:8]
    app = create_app(settings)
    with serve(app) as url:
        hook = receiver.response_url(f"fb-answer-{run}")
        body = command_body(QUESTION, f"trig-fb-{run}", hook)
        assert post(url, "/slack/commands", body, sign(body), form=True).status_code == 200
        settle(app)
        [answer] = receiver.wait_for(
            "response_url", where=lambda c: c.path.endswith(f"fb-answer-{run}")
        )
        message = answer.body
        buttons = [b for b in message["blocks"] if b.get("block_id") == "feedback"]
        assert [e["action_id"] for e in buttons[0]["elements"]] == [
            "feedback_up",
            "feedback_down",
        ]

        rated_hook = receiver.response_url(f"fb-rated-{run}")
        clicked = click(rated_hook, message, "feedback_down", f"trig-click-{run}")
        unsigned = post(url, "/slack/interactions", clicked, {}, form=True)
        assert unsigned.status_code == 401
        stale = sign(clicked, timestamp=1_000_000_000)
        assert post(url, "/slack/interactions", clicked, stale, form=True).status_code == 401
        for _ in range(2):  # Slack's retry of the same click is handled once
            reply = post(url, "/slack/interactions", clicked, sign(clicked), form=True)
            assert reply.status_code == 200
        settle(app)
        [update] = receiver.wait_for(
            "response_url", where=lambda c: c.path.endswith(f"fb-rated-{run}")
        )
        assert update.body["replace_original"] is True
        shown = [b for b in update.body["blocks"] if b.get("block_id") == "feedback-rated"]
        assert f"<@{ASKER}> rated this answer :-1: not helpful." in json.dumps(shown)
        assert update.body["blocks"][: len(message["blocks"])] == message["blocks"]

    store = FeedbackStore(db, retention_days=90)
    try:
        [record] = store.find()
    finally:
        store.close()
    assert record.rating == "down" and record.principal == f"slack:T0TEAM01:{ASKER}"
    assert record.answer.client == "slack" and record.answer.question == QUESTION
    assert len(receiver.of("response_url")) >= 2
    assert len([c for c in receiver.of("response_url") if c.path.endswith(f"fb-rated-{run}")]) == 1

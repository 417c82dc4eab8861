"""The shape of the Events API bodies the bot reads, checked before it reads them.

A body is signed by Slack, so a malformed one is a bug or a replayed forgery with a leaked
secret; either way it gets a 400 that names the field, not a 500 from deep in the bot.
Only the fields the bot uses are typed; Slack's many others pass through unchecked, and
events other than `app_mention` (which the bot ignores) keep whatever shape they have.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from service.api.errors import describe_validation
from service.api.models import Text
from service.errors import InvalidRequest

_SLACK = ConfigDict(extra="allow", strict=True)


class Authorization(BaseModel):
    model_config = _SLACK

    user_id: Text | None = None
    is_bot: bool = False


class Mention(BaseModel):
    """An `app_mention` event: the fields `SlackBot.event` reads."""

    model_config = _SLACK

    type: Literal["app_mention"]
    user: Text | None = None
    text: Text = ""
    ts: Text = ""
    thread_ts: Text | None = None
    channel: Text = ""
    bot_id: Text | None = None
    subtype: Text | None = None


class Envelope(BaseModel):
    model_config = _SLACK

    type: Text
    team_id: Text | None = None
    event_id: Text | None = None
    challenge: Text | None = None
    authorizations: list[Authorization] | None = None
    event: dict[str, Any] | None = None


def parse_event_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object whose fields have the types the bot relies on."""
    try:
        payload: Any = json.loads(body)
    # RecursionError: nesting deeper than the parser's recursion limit.
    except (ValueError, RecursionError):
        raise InvalidRequest(
            "The event body is not JSON (or is nested too deeply); Slack sends one JSON "
            "object per event."
        ) from None
    if not isinstance(payload, dict):
        raise InvalidRequest("The event body must be a JSON object, as Slack sends it.")
    try:
        envelope = Envelope.model_validate(payload)
        errors = []
    except ValidationError as exc:
        errors = exc.errors()
    else:
        event = envelope.event
        try:
            if event is not None and event.get("type") == "app_mention":
                Mention.model_validate(event)
        except ValidationError as exc:
            errors = [{**e, "loc": ("event", *e["loc"])} for e in exc.errors()]
    if errors:
        where = describe_validation(errors)
        raise InvalidRequest(
            f"The event body is not shaped like a Slack event ({where}); see "
            "https://api.slack.com/apis/events-api for the fields and their types."
        ) from None
    return payload

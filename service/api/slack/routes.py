"""`POST /slack/commands`, `/slack/events` and `/slack/interactions`: verify,
de-duplicate, acknowledge."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from service.api.models import ErrorResponse
from service.api.slack.bot import SlackBot, is_signed
from service.api.slack.payloads import parse_event_body
from service.errors import InvalidRequest, NotFound, Unauthorized

router = APIRouter(
    prefix="/slack",
    tags=["slack"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 404, 413)},
)


def get_slack(request: Request) -> SlackBot:
    bot: SlackBot | None = request.app.state.slack
    if bot is None:
        raise NotFound(
            "Slack is not configured on this server: set RAG_SLACK_SIGNING_SECRET and "
            "RAG_SLACK_BOT_TOKEN (see docs/access.md)."
        )
    return bot


SlackDep = Annotated[SlackBot, Depends(get_slack)]


async def _signed_body(request: Request, bot: SlackBot) -> bytes:
    body = await request.body()
    if not is_signed(bot.verifier, body, request.headers):
        raise Unauthorized(
            "The Slack signature is missing, wrong or older than 5 minutes "
            "(X-Slack-Signature, X-Slack-Request-Timestamp).",
            challenge=None,  # Slack signs; it cannot answer a bearer challenge
        )
    return body


@router.post("/commands", summary="A slash command (form-encoded, signed by Slack)")
async def command(request: Request, bot: SlackDep) -> Response:
    body = await _signed_body(request, bot)
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    reply = await bot.command(form)
    # A repeat gets an empty 200: Slack then shows nothing new.
    return Response(status_code=200) if reply is None else JSONResponse(reply)


@router.post("/events", summary="Events API callbacks (JSON, signed by Slack)")
async def events(request: Request, bot: SlackDep) -> Response:
    payload = parse_event_body(await _signed_body(request, bot))
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": str(payload.get("challenge", ""))})
    if not bot.can_post:
        raise NotFound("Slack events need RAG_SLACK_BOT_TOKEN to reply; it is not set.")
    await bot.event(payload)
    return Response(status_code=200)


@router.post("/interactions", summary="Button clicks (form-encoded `payload`, signed by Slack)")
async def interactions(request: Request, bot: SlackDep) -> Response:
    body = await _signed_body(request, bot)
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        payload: Any = json.loads(form.get("payload", ""))
    except (ValueError, RecursionError):
        raise InvalidRequest("The interaction body has no JSON `payload`.") from None
    if not isinstance(payload, dict):
        raise InvalidRequest("The interaction payload must be a JSON object.")
    await bot.interaction(payload)
    return Response(status_code=200)

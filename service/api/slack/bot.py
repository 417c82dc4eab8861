"""The Slack bot: acknowledges at once, answers in a background task it owns.

Slack drops an answer that takes more than 3 s, so the routes only verify, de-duplicate
and spend the user's budget, then hand the question to a task; the answer goes to the
command's `response_url` or, for a mention, into its thread with `chat.postMessage`.
Tasks are kept in a set and drained when the app shuts down.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from service.answer.base import Message
from service.api.access import Access, Principal
from service.api.answer_log import log_answer
from service.api.feedback import rate
from service.api.principal import slack_principal
from service.api.slack.blocks import (
    ERROR_TEXT,
    RATING_ACTIONS,
    Block,
    answer_message,
    notice_message,
    rated_blocks,
)
from service.api.slack.dedupe import Once
from service.ask.service import AskService
from service.core.feedback.store import Rating
from service.core.feedback.writer import AnswerLog
from service.errors import InvalidRequest, RateLimited, ServiceError
from service.log import LOGGER, request_id_var
from service.settings import Settings

ACK_TEXT = "Looking that up..."
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# The SDK's own logs go through the service's JSON handler (it redacts the bot token).
_SDK_LOGGER = LOGGER.getChild("slack_sdk")


def plain_text(slack_text: str) -> str:
    """Message text without mentions, with Slack's three escapes undone."""
    text = _MENTION.sub("", slack_text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def is_signed(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's v0 signature over the raw body, with a timestamp at most 5 minutes off."""
    try:
        return verifier.is_valid_request(body, dict(headers))
    except ValueError:  # a timestamp that is not a number
        return False


class SlackBot:
    def __init__(
        self,
        settings: Settings,
        ask: AskService,
        access: Access,
        once: Once,
        answer_log: AnswerLog | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        slack = settings.slack
        assert slack.signing_secret is not None, "Slack is enabled by its signing secret"
        self.verifier = SignatureVerifier(slack.signing_secret.get_secret_value(), clock or Clock())
        token = slack.bot_token.get_secret_value() if slack.bot_token else None
        self.can_post = token is not None
        self._web = AsyncWebClient(token=token, base_url=slack.api_base, logger=_SDK_LOGGER)
        self._ask = ask
        self._access = access
        self._once = once
        self.answer_log = answer_log
        self._response_type = slack.command_response
        self._top_k = settings.retrieval.top_k
        self._max_history = settings.server.max_history
        self._max_chars = settings.server.max_question_chars
        self._drain_s = slack.drain_s
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(_logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        """Let answers in flight finish (up to RAG_SLACK_DRAIN_S), then cancel the rest."""
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=self._drain_s)
        for task in unfinished:
            task.cancel()
        if unfinished:
            LOGGER.warning(
                "slack answers cancelled at shutdown", extra={"fields": {"n": len(unfinished)}}
            )
            await asyncio.gather(*unfinished, return_exceptions=True)

    # -- slash command ---------------------------------------------------------------

    async def command(self, form: Mapping[str, str]) -> dict[str, Any] | None:
        """The immediate (ephemeral) reply; None for a repeat that must not be answered."""
        trigger = form.get("trigger_id", "")
        if not trigger:
            # Slack sends one with every command, and it is what tells a replayed command
            # from a new one: without it a replay would be answered again.
            raise InvalidRequest(
                "The slash command has no trigger_id; send the form Slack sends, "
                "trigger_id included."
            )
        if not await self._once.first(f"command:{trigger}"):
            return None
        question = plain_text(form.get("text", ""))
        command = form.get("command", "/ask")
        if not question:
            return _ephemeral(
                f"Ask a question after the command, e.g. `{command} Where were the "
                "US-Ukraine talks held?`"
            )
        if len(question) > self._max_chars:
            return _ephemeral(
                f"That question has {len(question):,} characters; the limit is {self._max_chars:,}."
            )
        response_url = form.get("response_url", "")
        if not response_url:
            return _ephemeral("Slack sent no response_url, so the answer could not be delivered.")
        principal = slack_principal(form.get("team_id", ""), form.get("user_id", ""))
        refusal = await self._admit(principal)
        if refusal:
            return _ephemeral(refusal)
        self._spawn(self._answer_command(question, response_url, principal))
        LOGGER.info("slack command accepted", extra={"fields": {"principal": principal.label}})
        return _ephemeral(ACK_TEXT)

    async def _answer_command(self, question: str, response_url: str, who: Principal) -> None:
        text, blocks = await self._answer(question, [], who)
        reply = {"text": text, "blocks": blocks, "response_type": self._response_type}
        await _reply(response_url, reply, "the answer")

    # -- events ----------------------------------------------------------------------

    async def event(self, payload: Mapping[str, Any]) -> None:
        """Handle one `event_callback`: an `app_mention` gets an answer in its thread."""
        event = payload.get("event")
        if payload.get("type") != "event_callback" or not isinstance(event, dict):
            return
        if event.get("type") != "app_mention":
            return
        own = _own_user_ids(payload)
        if event.get("bot_id") or event.get("subtype") or event.get("user") in own:
            return  # the bot's own messages (and other bots') are never questions
        event_id = payload.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        if not await self._once.first(f"event:{event_id}"):
            return
        channel, ts = str(event.get("channel", "")), str(event.get("ts", ""))
        thread = str(event.get("thread_ts") or ts)
        question = plain_text(str(event.get("text", "")))
        refusal: str | None = None
        if not question:
            refusal = (
                "Mention me with a question, e.g. `@newsrag where were the US-Ukraine talks held?`"
            )
        elif len(question) > self._max_chars:
            refusal = (
                f"That question has {len(question):,} characters; the limit is {self._max_chars:,}."
            )
        principal = slack_principal(str(payload.get("team_id", "")), str(event.get("user", "")))
        if refusal is None:
            refusal = await self._admit(principal)
        if refusal is not None:
            self._spawn(self._post(channel, thread, *notice_message(refusal)))
            return
        in_thread = event.get("thread_ts") is not None
        self._spawn(
            self._answer_mention(
                question, channel, thread, ts if in_thread else None, own, principal
            )
        )
        LOGGER.info("slack mention accepted", extra={"fields": {"principal": principal.label}})

    async def _answer_mention(
        self,
        question: str,
        channel: str,
        thread: str,
        before: str | None,
        own: set[str],
        who: Principal,
    ) -> None:
        history = await self._thread_history(channel, thread, before, own) if before else []
        text, blocks = await self._answer(question, history, who)
        await self._post(channel, thread, text, blocks)

    async def _thread_history(
        self, channel: str, thread: str, before: str, own: set[str]
    ) -> list[Message]:
        """Earlier messages of the thread, oldest first: the bot's as the assistant's."""
        try:
            replies = await self._web.conversations_replies(channel=channel, ts=thread, limit=200)
        except Exception as exc:
            LOGGER.warning(
                "slack thread history unavailable", extra={"fields": {"error": type(exc).__name__}}
            )
            return []
        history: list[Message] = []
        for message in replies.get("messages") or []:
            if _ts(message.get("ts")) >= _ts(before):
                continue
            text = plain_text(str(message.get("text", "")))
            if not text:
                continue
            mine = bool(message.get("bot_id")) or message.get("user") in own
            history.append(Message("assistant" if mine else "user", text[:8000]))
        return history[-self._max_history :] if self._max_history else []

    async def _post(self, channel: str, thread: str, text: str, blocks: list[Block]) -> None:
        try:
            await self._web.chat_postMessage(
                channel=channel, thread_ts=thread, text=text, blocks=blocks
            )
        except Exception as exc:
            LOGGER.warning(
                "slack chat.postMessage failed", extra={"fields": {"error": type(exc).__name__}}
            )

    # -- shared ----------------------------------------------------------------------

    async def _admit(self, principal: Principal) -> str | None:
        """None when the user may ask now, else the sentence that says why not."""
        try:
            await self._access.admit(principal, "question")
        except RateLimited as exc:
            return f"You are asking faster than the limit allows; try again in {exc.retry_after} s."
        except ServiceError:
            return ERROR_TEXT
        return None

    async def _answer(
        self, question: str, history: Sequence[Message], who: Principal
    ) -> tuple[str, list[Block]]:
        LOGGER.debug("slack question", extra={"fields": {"question": question}})
        try:
            result = await self._ask.ask(question, top_k=self._top_k, history=history)
        except Exception as exc:
            LOGGER.error("slack answer failed", exc_info=exc)
            return notice_message(ERROR_TEXT)
        # The request id is the Slack delivery's, inherited by this task.
        log_answer(
            self.answer_log,
            client="slack",
            principal=who.label,
            question=question,
            history=history,
            result=result,
        )
        rate_with = request_id_var.get() if self.answer_log is not None else None
        return answer_message(result.answer, rate_with)

    # -- interactions (the thumbs buttons) -------------------------------------------

    async def interaction(self, payload: Mapping[str, Any]) -> None:
        """A click on an answer's thumbs: store the rating, show it in the message."""
        if payload.get("type") != "block_actions":
            return
        actions = [a for a in payload.get("actions") or [] if isinstance(a, dict)]
        action = next((a for a in actions if a.get("action_id") in RATING_ACTIONS), None)
        if action is None:
            return
        key = payload.get("trigger_id") or f"{action.get('action_ts')}:{action.get('value')}"
        if not await self._once.first(f"interaction:{key}"):
            return
        user, team = _obj(payload.get("user")), _obj(payload.get("team"))
        principal = slack_principal(str(team.get("id", "")), str(user.get("id", "")))
        refusal = await self._admit(principal)
        response_url = str(payload.get("response_url") or "")
        message = _obj(payload.get("message"))
        rating = RATING_ACTIONS[str(action["action_id"])]
        self._spawn(
            self._rate(
                principal,
                str(action.get("value", "")),
                rating,
                response_url,
                message,
                str(user.get("id", "")),
                refusal,
            )
        )

    async def _rate(
        self,
        principal: Principal,
        request_id: str,
        rating: Rating,
        response_url: str,
        message: Mapping[str, Any],
        user_id: str,
        refusal: str | None,
    ) -> None:
        reply: dict[str, Any]
        if refusal is None and self.answer_log is not None:
            try:
                await rate(self.answer_log, principal, request_id, rating)
            except ServiceError as exc:
                refusal = f"Your rating could not be recorded: {exc.message}"
        elif refusal is None:
            refusal = "Ratings are off on this server."
        if refusal is not None:
            reply = {"response_type": "ephemeral", "replace_original": False, "text": refusal}
        else:
            blocks = rated_blocks(list(message.get("blocks") or []), rating, user_id)
            reply = {
                "replace_original": True,
                "text": str(message.get("text", "")),
                "blocks": blocks,
            }
        if response_url:
            await _reply(response_url, reply, "the rating")


async def _reply(response_url: str, reply: dict[str, Any], what: str) -> None:
    """Post `reply` to a command's or an action's `response_url`; a failure is logged."""
    try:
        sent = await AsyncWebhookClient(response_url, logger=_SDK_LOGGER).send_dict(reply)
        if sent.status_code != 200:
            LOGGER.warning(
                f"slack response_url refused {what}",
                extra={"fields": {"status": sent.status_code}},
            )
    except Exception as exc:
        LOGGER.warning(
            "slack response_url unreachable", extra={"fields": {"error": type(exc).__name__}}
        )


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    """Runs a background answer; a failure is logged, never lost in the event loop."""
    started = time.perf_counter()
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        LOGGER.error("slack background task failed", exc_info=exc)
    else:
        ms = round((time.perf_counter() - started) * 1000, 2)
        LOGGER.info("slack reply done", extra={"fields": {"ms": ms}})


def _ts(value: object) -> float:
    """A Slack message timestamp ("1700000000.000100") as a number; unparsable = 0."""
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def _own_user_ids(payload: Mapping[str, Any]) -> set[str]:
    """The app's own user ids, as Slack lists them in every event it delivers."""
    ids = {
        str(a.get("user_id"))
        for a in payload.get("authorizations") or []
        if isinstance(a, dict) and a.get("is_bot")
    }
    return ids - {"None"}
